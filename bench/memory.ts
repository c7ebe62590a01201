/**
 * `deno task bench:memory [--quick] [--messages=N] [--users=N] [--vector-messages=N]`: what memory and
 * recall cost. The defaults are 100,000 messages of 10 users for full text and 20,000 for the embedded
 * database; `--messages=1000000 --vector-messages=200000` is the large run in bench/results/memory.md.
 *
 * 1. Recall by full text on PostgreSQL 15: MESSAGES messages of USERS users (the bench corpus), then
 *    public.recall_messages as one of them, for a question with a rare word, one with the word every
 *    message holds, and one of ordinary words: latency p50 / p95 over the round trip.
 * 2. Recall ranked by words and meaning on the embedded database (PGlite with pgvector, one process,
 *    WebAssembly): VECTOR_MESSAGES messages with 64-dimension embeddings, HNSW, recall_messages with a
 *    query embedding (mode hybrid).
 * 3. chat's time to the first text chunk with memory off and with memory on (20 entries, about
 *    500 tokens), the model answering at once: what the Memory section (one more read, the
 *    section counted, the tools offered) adds.
 *
 * A throwaway PostgreSQL 15 (pg_virtualenv) unless DATABASE_URL is set. The default sizes are modest on
 * purpose: the machine this runs on is shared. Seeding is set-based SQL (one insert per table), so a
 * million messages take minutes, not hours. Writes bench/results/memory.{json,md}.
 */
// @ts-types="npm:@types/pg@8.23.1"
import pg from "pg";
import { PGlite } from "@electric-sql/pglite";
import { btree_gin } from "@electric-sql/pglite/contrib/btree_gin";
import { vector } from "@electric-sql/pglite-pgvector";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { simulateReadableStream } from "ai";
import { MockLanguageModelV4 } from "ai/test";
import { migrate, projectRoot } from "../tools/db_migrate.ts";
import { runInThrowawayCluster, throwawayDatabaseUrl } from "../tools/throwaway_db.ts";
import { LOCAL_JWT_SECRET, localProjectUrl, mintToken } from "../local/jwt.ts";
import { finishPart, textParts } from "../local/mock_model.ts";
import { corpus } from "./corpus.ts";

const quick = Deno.args.includes("--quick");

/** `--name=N` from the command line (underscores allowed: 1_000_000), or `fallback`. */
function sizeFlag(name: string, fallback: number): number {
  const flag = Deno.args.find((arg) => arg.startsWith(`--${name}=`));
  if (!flag) return fallback;
  const value = Number(flag.slice(name.length + 3).replaceAll("_", ""));
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`--${name} takes a positive whole number`);
  return value;
}

const USERS = sizeFlag("users", 10);
const MESSAGES = sizeFlag("messages", quick ? 20_000 : 100_000);
const VECTOR_MESSAGES = sizeFlag("vector-messages", quick ? 5_000 : 20_000);
const DIMENSIONS = 64;
const PER_CONVERSATION = 50;
const RUNS = quick ? 10 : 40;
const TURNS = quick ? 10 : 30;

const databaseUrl = Deno.env.get("DATABASE_URL") ?? throwawayDatabaseUrl();
if (!databaseUrl) {
  Deno.exit(await runInThrowawayCluster(import.meta.url, Deno.args, { maxConnections: 50 }));
}

const userId = (k: number) => `00000000-0000-4000-9000-${String(100_000_000_000 + k)}`;

function percentile(values: number[], p: number): number {
  const sorted = values.toSorted((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] * 100) / 100;
}

/** `messages` messages for each of `users` users, in conversations of PER_CONVERSATION, from the corpus. */
async function seed(client: pg.Client, users: number, messages: number): Promise<void> {
  const { first, second } = corpus();
  await client.query(`insert into auth.users (id) select unnest($1::uuid[]) on conflict do nothing`, [
    Array.from({ length: users }, (_, k) => userId(k)),
  ]);
  const conversations = Math.ceil(messages / PER_CONVERSATION);
  await client.query(
    `insert into public.conversations (id, user_id, last_sequence)
     select gen_random_uuid(), u.id, $2 from unnest($1::uuid[]) u(id), generate_series(1, $3)`,
    [Array.from({ length: users }, (_, k) => userId(k)), PER_CONVERSATION, conversations],
  );
  await client.query(
    `insert into public.conversation_messages (conversation_id, user_id, sequence_order, role, content, token_count)
     select c.id, c.user_id, s, case when s % 2 = 1 then 'user' else 'assistant' end,
            ($1::text[])[1 + (abs(hashtext(c.id::text)) + s * 7) % 1000] || ' ' ||
            ($2::text[])[1 + (abs(hashtext(c.id::text)) + s * 13) % 1000], 60
     from public.conversations c, generate_series(1, $3) s`,
    [first.map((phrase) => phrase.text), second.map((phrase) => phrase.text), PER_CONVERSATION],
  );
  await client.query("analyze");
}

/** recall_messages as user 0, `runs` times: the round trip's latency in ms, and what it found. */
async function timeRecall(client: pg.Client, query: string, embedding: number[] | null, runs: number) {
  const times: number[] = [];
  let found = { mode: "", passages: [] as unknown[] };
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    await client.query("begin");
    await client.query(
      `select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)`,
      [JSON.stringify({ sub: userId(0), role: "authenticated" })],
    );
    const { rows: [row] } = await client.query(
      `select public.recall_messages($1, 8, null, $2::real[], $3) as recall`,
      [query, embedding, embedding ? "bench" : null],
    );
    await client.query("commit");
    times.push(performance.now() - started);
    found = row.recall;
  }
  return {
    p50_ms: percentile(times, 0.5),
    p95_ms: percentile(times, 0.95),
    passages: found.passages.length,
    mode: found.mode,
  };
}

const QUESTIONS = {
  rare_word: "what did we say about the zeppelin",
  every_message: "how is the project going",
  ordinary_words: "render the video timeline and review the draft",
};

// 1. Full text on PostgreSQL 15
const client = new pg.Client({ connectionString: databaseUrl });
await migrate(databaseUrl);
await client.connect();
let started = performance.now();
await seed(client, USERS, MESSAGES / USERS);
const seedSeconds = Math.round((performance.now() - started) / 100) / 10;
console.log(`seeded ${MESSAGES} messages on PostgreSQL in ${seedSeconds} s`);
const fullText: Record<string, unknown> = {};
for (const [name, question] of Object.entries(QUESTIONS)) {
  fullText[name] = await timeRecall(client, question, null, RUNS);
}
console.log("full text", fullText);

// 3. chat's time to the first text chunk, memory off and on
Deno.env.set("DATABASE_URL", databaseUrl);
Deno.env.set("SUPABASE_JWT_SECRET", LOCAL_JWT_SECRET);
Deno.env.set("SUPABASE_URL", localProjectUrl());
Deno.env.set("REQUEST_LOG", "off");
const { localApi } = await import("../local/api.ts");
const { createChatHandler } = await import("../supabase/functions/chat/handler.ts");
const { memoryEntryTokens } = await import("../supabase/functions/_shared/memory.ts");
const model = new MockLanguageModelV4({
  doStream: () =>
    Promise.resolve({
      stream: simulateReadableStream({
        chunks: [{ type: "stream-start", warnings: [] }, ...textParts(["Hello", " there."]), finishPart()],
        chunkDelayInMs: 0,
      }),
    }),
});
const handlers = {
  off: createChatHandler({ model, memory: { memory: false, recall: false }, settings: { flushMs: 10 } }),
  on: createChatHandler({ model, settings: { flushMs: 10 } }),
};
const servers = Object.fromEntries(
  Object.entries(handlers).map(([name, chat]) => {
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      localApi({ functions: { chat } }),
    );
    return [name, server];
  }),
);
const chatUser = crypto.randomUUID();
const token = await mintToken({ role: "authenticated", userId: chatUser });
await client.query(`insert into auth.users (id) values ($1)`, [chatUser]);
for (let n = 0; n < 20; n++) {
  await client.query(
    `select set_config('role', 'service_role', true), set_config('request.jwt.claims', '{"role": "service_role"}', true),
            public.write_memory($1, $2, null, null, $4, $3)`,
    [`fact ${n}`, corpus().second[n].text, chatUser, memoryEntryTokens(`fact ${n}`, corpus().second[n].text)],
  );
}
const { rows: [memoryUse] } = await client.query(
  `select count(*)::int as entries, sum(token_count)::int as tokens from public.memory_entries where user_id = $1`,
  [chatUser],
);

async function firstChunkMs(port: number): Promise<number> {
  const begun = performance.now();
  const response = await fetch(`http://127.0.0.1:${port}/functions/v1/chat`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({
      id: crypto.randomUUID(),
      messages: [{ id: crypto.randomUUID(), role: "user", parts: [{ type: "text", text: "Hello" }] }],
    }),
  });
  let first = 0;
  for await (const text of response.body!.pipeThrough(new TextDecoderStream())) {
    if (!first && text.includes('"text-delta"')) first = performance.now() - begun;
  }
  return first;
}

const ttfc: Record<string, number[]> = { off: [], on: [] };
for (let turn = 0; turn < TURNS + 3; turn++) {
  for (const name of turn % 2 === 0 ? ["off", "on"] : ["on", "off"]) {
    const ms = await firstChunkMs((servers[name].addr as Deno.NetAddr).port);
    if (turn >= 3) ttfc[name].push(ms); // the first turns warm up both
  }
}
const chatFigures = Object.fromEntries(
  Object.entries(ttfc).map((
    [name, times],
  ) => [name, { p50_ms: percentile(times, 0.5), p95_ms: percentile(times, 0.95) }]),
);
console.log("chat", chatFigures);
for (const server of Object.values(servers)) await server.shutdown();
await client.end();

// 2. Words and meaning on PGlite with pgvector
const db = await PGlite.create({ extensions: { vector, btree_gin } });
const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
const port = (listener.addr as Deno.NetAddr).port;
listener.close();
const socket = new PGLiteSocketServer({ db, host: "127.0.0.1", port, maxConnections: 2 });
await socket.start();
const pgliteUrl = `postgresql://postgres:postgres@127.0.0.1:${port}/postgres?sslmode=disable`;
await migrate(pgliteUrl);
const embedded = new pg.Client({ connectionString: pgliteUrl });
await embedded.connect();
started = performance.now();
await seed(embedded, 2, VECTOR_MESSAGES / 2);
await embedded.query(`select conversation_store.use_embedding_model('bench', ${DIMENSIONS})`);
await embedded.query(`delete from conversation_store.embedding_jobs`);
await embedded.query(
  `insert into conversation_store.message_embeddings (message_id, user_id, conversation_id, embedding)
   select m.id, m.user_id, m.conversation_id,
          (select array_agg(sin(hashtext(m.id::text) * 0.001 + d))::real[] from generate_series(1, ${DIMENSIONS}) d)::extensions.vector
   from public.conversation_messages m`,
);
const vectorSeedSeconds = Math.round((performance.now() - started) / 100) / 10;
console.log(`seeded ${VECTOR_MESSAGES} messages and embeddings on PGlite in ${vectorSeedSeconds} s`);
const queryEmbedding = Array.from({ length: DIMENSIONS }, (_, d) => Math.sin(0.5 + d));
const hybrid = await timeRecall(embedded, QUESTIONS.ordinary_words, queryEmbedding, Math.max(5, RUNS / 4));
const wordsOnEmbedded = await timeRecall(embedded, QUESTIONS.ordinary_words, null, Math.max(5, RUNS / 4));
console.log("embedded", { hybrid, wordsOnEmbedded });
await embedded.end();
await socket.stop();
await db.close();

const results = {
  run_at: new Date().toISOString(),
  machine: "a shared 2-core machine (other work running), PostgreSQL 15 and the load in one place",
  full_text: { messages: MESSAGES, users: USERS, seed_seconds: seedSeconds, runs: RUNS, ...fullText },
  embedded: {
    messages: VECTOR_MESSAGES,
    dimensions: DIMENSIONS,
    seed_seconds: vectorSeedSeconds,
    hybrid,
    full_text: wordsOnEmbedded,
  },
  chat_first_text_chunk: { turns: TURNS, memory: memoryUse, ...chatFigures },
};
await Deno.writeTextFile(`${projectRoot}/bench/results/memory.json`, JSON.stringify(results, null, 2) + "\n");
const row = (name: string, figures: { p50_ms: number; p95_ms: number; passages?: number; mode?: string }) =>
  `| ${name} | ${figures.p50_ms} | ${figures.p95_ms} | ${figures.passages ?? "–"} | ${figures.mode ?? "–"} |`;
await Deno.writeTextFile(
  `${projectRoot}/bench/results/memory.md`,
  `# Memory and recall (bench/memory.ts)

Run at ${results.run_at} on ${results.machine}; figures are round trips from a client in the same process.

## Recall by full text, PostgreSQL 15: ${MESSAGES.toLocaleString("en")} messages of ${USERS} users (${
    (MESSAGES / USERS).toLocaleString("en")
  } for the user asking), seeded in ${seedSeconds} s

| question | p50 (ms) | p95 (ms) | passages | mode |
| --- | --- | --- | --- | --- |
${
    Object.entries(QUESTIONS).map(([name, question]) =>
      row(`${name}: "${question}"`, fullText[name] as { p50_ms: number; p95_ms: number })
    ).join("\n")
  }

## Recall by words and meaning, PGlite with pgvector: ${
    VECTOR_MESSAGES.toLocaleString("en")
  } messages, ${DIMENSIONS} dimensions, HNSW, seeded in ${vectorSeedSeconds} s (messages, then embeddings into the index)

| query | p50 (ms) | p95 (ms) | passages | mode |
| --- | --- | --- | --- | --- |
${row(`hybrid: "${QUESTIONS.ordinary_words}" + embedding`, hybrid)}
${row(`full text only: "${QUESTIONS.ordinary_words}"`, wordsOnEmbedded)}

## chat: time to the first text chunk (the model answers at once), ${TURNS} turns each

| memory | p50 (ms) | p95 (ms) |
| --- | --- | --- |
| off (CHAT_MEMORY=off, CHAT_RECALL=off) | ${chatFigures.off.p50_ms} | ${chatFigures.off.p95_ms} |
| on, ${memoryUse.entries} entries of ${memoryUse.tokens} tokens | ${chatFigures.on.p50_ms} | ${chatFigures.on.p95_ms} |
`,
);
console.log("wrote bench/results/memory.{json,md}");
