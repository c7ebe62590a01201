/**
 * `deno task bench:reply [--quick | --chunks=N,… | --words=natural]`: what one streamed reply costs as it grows (issue 32).
 *
 * The local server (local/serve.ts, in a child process) streams replies of 250, 1,000, 4,000 and
 * 16,000 chunks of about five characters from an OpenAI-compatible test server
 * (local/openai_compatible_server.ts, one chunk every CHUNK_MS), one reply at a time, into a
 * throwaway PostgreSQL 15 (or DATABASE_URL). Per length it reports:
 * - WAL bytes per reply byte: pg_current_wal_lsn() before the request and after its last chunk, plus
 *   the WAL of the maintenance the reply leaves behind (the vacuum of the rows it deleted or
 *   replaced, and the search indexes' pending entries moved into place), run right after it; in
 *   the throwaway cluster autovacuum is off, so that no reply is charged with another's vacuum;
 * - the server's CPU time (user + system, /proc/<pid>/stat) per chunk and per reply;
 * - the bytes a follower reads per poll: a follower polls the reply every POLL_MS while it streams,
 *   with the reads of a resumed stream (stored_reply.ts pollReply: what the log holds after the last
 *   entry it saw), and the mean and largest size of what each poll returned;
 * - the time from the request to the first text chunk, and how many text deltas the browser was sent;
 * - the floor under the CPU figure: the CPU a process spends only reading the same answer from the
 *   same model server with `fetch` (bench/model_stream_floor.ts), each chunk waking it as it comes.
 * Results go to bench/results/reply.{json,md}.
 */
import pg from "pg";
import { projectRoot } from "../tools/db_migrate.ts";
import { runInThrowawayCluster, throwawayDatabaseUrl } from "../tools/throwaway_db.ts";
import { LOCAL_JWT_SECRET, mintToken } from "../local/jwt.ts";
import { openAiCompatibleServer } from "../local/openai_compatible_server.ts";
import type { StoredReply } from "../supabase/functions/chat/stored_reply.ts";
import type { Caller } from "../supabase/functions/_shared/auth.ts";
import { startServer } from "./server.ts";

const quick = Deno.args.includes("--quick");
/** `--chunks=16000,4000`: only these lengths (a profile of one length); results are not written. */
const only = Deno.args.find((arg) => arg.startsWith("--chunks="))?.slice(9).split(",").map(Number);
const LENGTHS = only ?? (quick ? [250, 1000] : [250, 1000, 4000, 16000]);
const CHUNK_MS = 4;
const POLL_MS = 250;
const databaseUrl = Deno.env.get("DATABASE_URL") ?? throwawayDatabaseUrl();

if (!databaseUrl) {
  // No timed checkpoint during the run: the full-page images after one would be counted against
  // whichever reply was streaming then (they are reported apart, as wal_fpi, when they happen).
  // No autovacuum: each reply's own maintenance is run after it and counted against it.
  Deno.exit(
    await runInThrowawayCluster(import.meta.url, Deno.args, {
      maxConnections: 50,
      settings: { checkpoint_timeout: "1h", max_wal_size: "4GB", autovacuum: "off" },
    }),
  );
}

const randomWord = () =>
  Array.from({ length: 4 }, () => "abcdefghijklmnopqrstuvwxyz"[Math.floor(Math.random() * 26)]).join("");

/**
 * `--words=natural`: words as text repeats them, drawn from a vocabulary of 2,000 with Zipf's
 * frequencies (the n-th most common drawn with probability 1/(n·H), H the 2,000th harmonic
 * number), instead of all different; the search indexes' share of the WAL depends on it (results
 * are not written).
 */
const natural = Deno.args.includes("--words=natural");
const VOCABULARY = Array.from({ length: 2_000 }, randomWord);
let zipfTotal = 0;
const ZIPF_CUMULATIVE = VOCABULARY.map((_, rank) => zipfTotal += 1 / (rank + 1));
const naturalWord = () => {
  const draw = Math.random() * zipfTotal;
  return VOCABULARY[ZIPF_CUMULATIVE.findIndex((bound) => draw < bound)];
};

/** About five characters a chunk: by default, words no compressor shortens much, all different. */
function words(count: number): string[] {
  return Array.from({ length: count }, () => (natural ? naturalWord() : randomWord()) + " ");
}

async function cpuMs(pid: number): Promise<number> {
  const fields = (await Deno.readTextFile(`/proc/${pid}/stat`)).split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10; // clock ticks of 10 ms
}

const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

// The follower's reads go through the functions' own pool, made from the environment on first use.
Deno.env.set("DATABASE_URL", databaseUrl);
const { pollReply } = await import("../supabase/functions/chat/stored_reply.ts");

const model = openAiCompatibleServer((body) => {
  const asked = String(body.messages.at(-1)?.content ?? "");
  const chunks = Number(asked.match(/(\d+) chunks/)?.[1] ?? 10);
  return { text: words(chunks), chunkDelayMs: CHUNK_MS };
});
Deno.env.set("CHAT_MODEL", "bench-model");
Deno.env.set("OPENAI_API_KEY", "bench-key");
Deno.env.set("OPENAI_BASE_URL", model.baseUrl);
Deno.env.set("CHAT_MAX_DURATION_MS", "600000");
const server = await startServer(databaseUrl);
const db = new pg.Client({ connectionString: databaseUrl });
await db.connect();
const walLsn = async () => (await db.query("select pg_current_wal_lsn()::text as lsn")).rows[0].lsn as string;
const walBytes = async (from: string) =>
  Number((await db.query("select pg_wal_lsn_diff(pg_current_wal_lsn(), $1) as bytes", [from])).rows[0].bytes);
const walFpi = async () => Number((await db.query("select wal_fpi from pg_stat_wal")).rows[0].wal_fpi);

/** A follower of the reply in progress: the polls a resumed stream makes, and their sizes. */
function follow(caller: Caller, conversationId: string, done: Promise<unknown>) {
  const reply = { conversationId, sequence: 2 } as StoredReply;
  const sizes: number[] = [];
  let finished = false;
  done.finally(() => finished = true);
  const polling = (async () => {
    let after = 0;
    while (!finished) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      const poll = await pollReply(caller, reply, after).catch(() => null); // before the reply exists
      if (!poll || poll.status !== "in_progress") continue;
      sizes.push(poll.bytes);
      after = poll.entries.at(-1)?.position ?? after;
    }
  })();
  return { sizes, polling };
}

/** The CPU of only reading a `chunks`-chunk answer with fetch, in a process of its own. */
async function fetchFloorMs(chunks: number): Promise<number> {
  const { stdout } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${projectRoot}/bench/model_stream_floor.ts`, model.baseUrl, String(chunks)],
    stderr: "inherit",
  }).output();
  return JSON.parse(new TextDecoder().decode(stdout)).cpu_ms;
}

async function oneReply(chunks: number) {
  const userId = crypto.randomUUID();
  const token = await mintToken({ role: "authenticated", userId, secret: LOCAL_JWT_SECRET });
  const caller: Caller = { role: "authenticated", userId, claims: { sub: userId, role: "authenticated" } };
  const conversationId = crypto.randomUUID();
  const lsn = await walLsn();
  const fpiBefore = await walFpi();
  const cpuBefore = await cpuMs(server.pid);
  const started = performance.now();
  const response = await fetch(`${server.url}/functions/v1/chat`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({
      id: conversationId,
      messages: [{
        id: crypto.randomUUID(),
        role: "user",
        parts: [{ type: "text", text: `${chunks} chunks` }],
      }],
    }),
  });
  let firstChunkMs = 0;
  let text = 0;
  let deltas = 0;
  let status = "";
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => resolveDone = resolve);
  const follower = follow(caller, conversationId, done);
  let buffered = "";
  for await (const piece of response.body!.pipeThrough(new TextDecoderStream())) {
    buffered += piece;
    const lines = buffered.split("\n");
    buffered = lines.pop()!;
    for (const line of lines) {
      if (!line.startsWith("data: {")) continue;
      const chunk = JSON.parse(line.slice(6));
      if (chunk.type === "text-delta") {
        firstChunkMs ||= performance.now() - started;
        deltas++;
        text += new TextEncoder().encode(chunk.delta).length;
      }
      if (chunk.type === "finish") status = chunk.messageMetadata?.status;
    }
  }
  resolveDone();
  await follower.polling;
  const cpu = (await cpuMs(server.pid)) - cpuBefore;
  const streamWal = await walBytes(lsn);
  // What the reply left for vacuum: the log rows it deleted; the message row it replaced and the
  // pending entries of the GIN search indexes (a vacuum moves them into the index).
  await db.query("vacuum conversation_store.reply_log");
  const logVacuumWal = (await walBytes(lsn)) - streamWal;
  await db.query("vacuum public.conversation_messages, public.conversations");
  const wal = await walBytes(lsn);
  const messagesVacuumWal = wal - streamWal - logVacuumWal;
  const fpi = (await walFpi()) - fpiBefore;
  const floor = await fetchFloorMs(chunks);
  const sizes = follower.sizes;
  return {
    chunks,
    status,
    reply_bytes: text,
    browser_deltas: deltas,
    wal_bytes: wal,
    wal_stream_bytes: streamWal,
    wal_log_vacuum_bytes: logVacuumWal,
    wal_messages_vacuum_bytes: messagesVacuumWal,
    wal_per_reply_byte: round(wal / text, 2),
    wal_stream_per_reply_byte: round(streamWal / text, 2),
    wal_fpi: fpi,
    server_cpu_ms: cpu,
    server_cpu_ms_per_chunk: round(cpu / chunks, 3),
    fetch_floor_cpu_ms: floor,
    fetch_floor_cpu_ms_per_chunk: round(floor / chunks, 3),
    follower_polls: sizes.length,
    follower_bytes_per_poll_mean: Math.round(sizes.reduce((a, b) => a + b, 0) / Math.max(sizes.length, 1)),
    follower_bytes_per_poll_max: Math.max(0, ...sizes),
    first_chunk_ms: round(firstChunkMs),
  };
}

// The migrations changed the catalogs a lot: autovacuum would process them about a minute later, in
// the WAL of whichever reply streams then (catalog pages last written before the cluster started,
// so each first touch is a full-page image). Done now, it counts against no reply; pg_statistic
// last, for the rows the analyze itself replaced.
await db.query("vacuum analyze");
await db.query("vacuum pg_catalog.pg_statistic");
await oneReply(50); // warm up: modules, pool, JIT
const results = [];
for (const chunks of LENGTHS) {
  results.push(await oneReply(chunks));
  console.log(JSON.stringify(results.at(-1)));
}
await server.stop();
await db.end();
await model.close();

if (only || natural) Deno.exit(0);
const table = [
  "| chunks | reply bytes | deltas sent | status | WAL (streaming + log vacuum + messages' vacuum) | WAL per reply byte (streaming) | full-page images | server CPU | CPU per chunk (ms) | fetch floor: CPU (per chunk) | follower bytes per poll (mean / max) | first chunk (ms) |",
  "|---|---|---|---|---|---|---|---|---|---|---|---|",
  ...results.map((r) =>
    `| ${r.chunks} | ${r.reply_bytes} | ${r.browser_deltas} | ${r.status} | ${
      round(r.wal_bytes / 1024)
    } KiB (${round(r.wal_stream_bytes / 1024)} + ${round(r.wal_log_vacuum_bytes / 1024)} + ${
      round(r.wal_messages_vacuum_bytes / 1024)
    }) | ${r.wal_per_reply_byte} (${r.wal_stream_per_reply_byte}) | ${r.wal_fpi} | ` +
    `${r.server_cpu_ms} ms | ${r.server_cpu_ms_per_chunk} | ` +
    `${r.fetch_floor_cpu_ms} ms (${r.fetch_floor_cpu_ms_per_chunk}) | ${r.follower_bytes_per_poll_mean} / ` +
    `${r.follower_bytes_per_poll_max} | ${r.first_chunk_ms} |`
  ),
].join("\n");
const when = new Date().toISOString();
await Deno.writeTextFile(
  `${projectRoot}/bench/results/reply.json`,
  JSON.stringify({ when, chunk_ms: CHUNK_MS, poll_ms: POLL_MS, results }, null, 2) + "\n",
);
await Deno.writeTextFile(
  `${projectRoot}/bench/results/reply.md`,
  `# reply benchmark (${when})\n\nOne reply at a time through the local server (one process) on PostgreSQL 15, ` +
    `from an OpenAI-compatible test server streaming one ~5-character chunk every ${CHUNK_MS} ms; ` +
    `CHAT_FLUSH_MS 50; a follower polling every ${POLL_MS} ms. WAL: from the request to the last chunk ` +
    `(streaming), then the vacuum of the reply log and of the messages (their GIN search indexes' ` +
    `pending entries), run right after the reply with autovacuum off; the first figure per reply byte ` +
    `counts all three, the one in brackets the streaming alone (the issue's measure). The fetch floor ` +
    `is a process that only reads the same answer with fetch. Taken on a 2-core VM: CPU figures vary ` +
    `by a third from run to run; WAL, deltas and follower figures are exact counts.\n\n${table}\n`,
);
console.log(table);
