/**
 * `deno task bench:chat [--quick]`: the chat function through the local server (local/serve.ts and
 * its demo model: the AI SDK's mock model streaming a reply of ~45 chunks, one every CHUNK_MS).
 *
 * For 1, 10, 50 and 100 concurrent conversations, each sending one message and reading its reply to
 * the end, it reports the time to the first text chunk (p50, p99), the chunks per second each stream
 * received, the time each reply took beyond the model's own (overhead per chunk), the server's CPU
 * time per chunk (the Edge Runtime allows 2 s of CPU per request), and writes bench/results/chat.{json,md}.
 *
 * Like the other benchmarks, it makes a throwaway PostgreSQL 15 with pg_virtualenv unless DATABASE_URL is set.
 */
import { projectRoot } from "../tools/db_migrate.ts";
import { runInThrowawayCluster, throwawayDatabaseUrl } from "../tools/throwaway_db.ts";
import { LOCAL_JWT_SECRET, mintToken } from "../local/jwt.ts";
import { startServer } from "./server.ts";

const quick = Deno.args.includes("--quick");
const CHUNK_MS = 20;
const CONCURRENCY = quick ? [1, 10] : [1, 10, 50, 100];
const databaseUrl = Deno.env.get("DATABASE_URL") ?? throwawayDatabaseUrl();

if (!databaseUrl) {
  Deno.exit(
    await runInThrowawayCluster(import.meta.url, Deno.args, { maxConnections: 200 }),
  );
}

interface Stream {
  firstChunkMs: number;
  durationMs: number;
  chunks: number;
  ok: boolean;
}

/** The server's CPU time so far (user + system), in ms, from /proc. */
async function cpuMs(pid: number): Promise<number> {
  const fields = (await Deno.readTextFile(`/proc/${pid}/stat`)).split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10; // clock ticks of 10 ms
}

async function oneStream(url: string, token: string): Promise<Stream> {
  const started = performance.now();
  const response = await fetch(`${url}/functions/v1/chat`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({
      id: crypto.randomUUID(),
      messages: [{ id: crypto.randomUUID(), role: "user", parts: [{ type: "text", text: "Benchmark me" }] }],
    }),
  });
  let firstChunkMs = 0;
  let chunks = 0;
  let finished = false;
  for await (const text of response.body!.pipeThrough(new TextDecoderStream())) {
    for (const line of text.split("\n")) {
      if (!line.startsWith("data: {")) continue;
      chunks++;
      if (!firstChunkMs && line.includes('"text-delta"')) firstChunkMs = performance.now() - started;
      if (line.includes('"type":"finish"') && line.includes('"completed"')) finished = true;
    }
  }
  return {
    firstChunkMs,
    durationMs: performance.now() - started,
    chunks,
    ok: response.status === 200 && finished,
  };
}

const percentile = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))];
const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

Deno.env.set("LOCAL_DEMO_CHUNK_MS", String(CHUNK_MS));
Deno.env.delete("CHAT_MODEL");
const server = await startServer(databaseUrl);
const pid = server.pid;
const tokens = await Promise.all(
  Array.from(
    { length: Math.max(...CONCURRENCY) },
    () => mintToken({ role: "authenticated", userId: crypto.randomUUID(), secret: LOCAL_JWT_SECRET }),
  ),
);
await oneStream(server.url, tokens[0]); // warm up: bundles, pool, JIT

const results = [];
for (const concurrency of CONCURRENCY) {
  const cpuBefore = await cpuMs(pid);
  const started = performance.now();
  const streams = await Promise.all(
    tokens.slice(0, concurrency).map((token) => oneStream(server.url, token)),
  );
  const wallMs = performance.now() - started;
  const cpu = (await cpuMs(pid)) - cpuBefore;
  const chunks = streams.reduce((sum, s) => sum + s.chunks, 0);
  // The model alone takes one CHUNK_MS per chunk it emits (all but the start and finish chunks).
  const modelMs = streams.map((s) => (s.chunks - 2) * CHUNK_MS);
  results.push({
    concurrency,
    completed: streams.filter((s) => s.ok).length,
    first_chunk_p50_ms: round(percentile(streams.map((s) => s.firstChunkMs), 0.5)),
    first_chunk_p99_ms: round(percentile(streams.map((s) => s.firstChunkMs), 0.99)),
    chunks_per_s_per_stream: round(percentile(streams.map((s) => s.chunks / (s.durationMs / 1000)), 0.5)),
    model_chunks_per_s: 1000 / CHUNK_MS,
    overhead_per_chunk_ms: round(
      percentile(streams.map((s, i) => (s.durationMs - modelMs[i]) / s.chunks), 0.5),
      2,
    ),
    server_cpu_ms_per_chunk: round(cpu / chunks, 3),
    server_cpu_ms_per_reply: round(cpu / concurrency, 1),
    wall_s: round(wallMs / 1000, 2),
  });
  console.log(JSON.stringify(results.at(-1)));
}
await server.stop();

const header = "| streams | completed | first chunk p50 / p99 (ms) | chunks/s per stream (model: " +
  `${1000 / CHUNK_MS}) | overhead per chunk (ms) | server CPU per chunk (ms) | server CPU per reply (ms) |`;
const table = [
  header,
  "|---|---|---|---|---|---|---|",
  ...results.map((r) =>
    `| ${r.concurrency} | ${r.completed} | ${r.first_chunk_p50_ms} / ${r.first_chunk_p99_ms} | ${r.chunks_per_s_per_stream} | ${r.overhead_per_chunk_ms} | ${r.server_cpu_ms_per_chunk} | ${r.server_cpu_ms_per_reply} |`
  ),
].join("\n");
const when = new Date().toISOString();
await Deno.writeTextFile(
  `${projectRoot}/bench/results/chat.json`,
  JSON.stringify({ when, chunk_ms: CHUNK_MS, results }, null, 2) + "\n",
);
await Deno.writeTextFile(
  `${projectRoot}/bench/results/chat.md`,
  `# chat benchmark (${when})\n\nThe local server (one process, 2 cores shared with PostgreSQL and the load generator), ` +
    `its demo model streaming one chunk every ${CHUNK_MS} ms (~45 chunks a reply), CHAT_FLUSH_MS 50.\n\n${table}\n`,
);
console.log(table);
