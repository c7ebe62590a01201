/**
 * Semantic recall on the embedded database with pgvector (PGlite + @electric-sql/pglite-pgvector),
 * with a deterministic test embedder: the queue filled after each reply, drained with retries,
 * recall ranked by words and meaning, one model per database, deletes that take embeddings along.
 *
 * Runs on its own PGlite (in memory, one connection), not on DATABASE_URL: Debian's PostgreSQL 15
 * has no pgvector. memory_test.ts checks the database without vector (recall full text only).
 */
import assert from "node:assert/strict";
import { PGlite } from "@electric-sql/pglite";
import { btree_gin } from "@electric-sql/pglite/contrib/btree_gin";
import { vector } from "@electric-sql/pglite-pgvector";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { finishPart, ScriptedModel, textParts } from "../../../local/mock_model.ts";
import { LOCAL_JWT_SECRET, localProjectUrl, mintToken } from "../../../local/jwt.ts";
import { migrate } from "../../../tools/db_migrate.ts";
import type { Embedder } from "../../functions/_shared/embeddings.ts";

const DIMENSIONS = 32;
/** Words the test embedder takes for one another: meaning that full text cannot see. */
const SYNONYMS: Record<string, string> = { puppy: "dog", canine: "dog", hound: "dog", automobile: "car" };

/** Bag of words hashed into DIMENSIONS, synonyms folded: texts sharing meaning-words are near. */
function testEmbedder(model = "test-bag-of-words", dimensions = DIMENSIONS): Embedder & { calls: number } {
  const embedder = {
    model,
    dimensions,
    calls: 0,
    embed(texts: string[]) {
      embedder.calls++;
      return Promise.resolve(texts.map((text) => {
        const vector = new Array(dimensions).fill(0);
        for (const raw of text.toLowerCase().match(/[a-z]+/g) ?? []) {
          const word = SYNONYMS[raw] ?? raw;
          let hash = 0;
          for (const char of word) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
          vector[hash % dimensions] += 1;
        }
        vector[0] += 0.01; // never all zeros (cosine distance needs a length)
        return vector;
      }));
    },
  };
  return embedder;
}

const failing: Embedder = {
  model: "test-bag-of-words",
  dimensions: DIMENSIONS,
  embed: () => Promise.reject(new Error("the embedder is down")),
};

const db = await PGlite.create({ extensions: { vector, btree_gin } });
const port = 20_000 + Math.floor(Math.random() * 20_000);
const socket = new PGLiteSocketServer({ db, host: "127.0.0.1", port, maxConnections: 2 });
await socket.start();
const databaseUrl = `postgresql://postgres:postgres@127.0.0.1:${port}/postgres?sslmode=disable`;
await migrate(databaseUrl);
// The functions' pool reads DATABASE_URL and DB_POOL_MAX once, when it is made. The environment is the
// whole test process's: they are put back at once, so that the test files after this one reach the
// database they were given, not this PGlite.
const given = { DATABASE_URL: Deno.env.get("DATABASE_URL"), DB_POOL_MAX: Deno.env.get("DB_POOL_MAX") };
Deno.env.set("DATABASE_URL", databaseUrl);
Deno.env.set("DB_POOL_MAX", "1");
Deno.env.set("SUPABASE_JWT_SECRET", LOCAL_JWT_SECRET);
Deno.env.set("SUPABASE_URL", localProjectUrl());
Deno.env.set("REQUEST_LOG", "off");
const { localApi } = await import("../../../local/api.ts");
const { closePool, configuredPool } = await import("../../functions/_shared/db_pool.ts");
// Made now, while the environment names this PGlite.
const pool = configuredPool();
const { createChatHandler } = await import("../../functions/chat/handler.ts");
const { createRecallHandler } = await import("../../functions/recall/handler.ts");
for (const [name, value] of Object.entries(given)) {
  if (value === undefined) Deno.env.delete(name);
  else Deno.env.set(name, value);
}

let embedder: Embedder = testEmbedder();
const model = new ScriptedModel();
const api = localApi({
  functions: {
    chat: createChatHandler({ model: model.model, embedder: () => embedder, settings: { flushMs: 10 } }),
    recall: createRecallHandler({ embedder: () => embedder }),
  },
});

addEventListener("unload", async () => {
  await closePool();
  await socket.stop();
  await db.close();
});

function test(name: string, fn: () => Promise<void>): void {
  Deno.test({ name, sanitizeOps: false, sanitizeResources: false, fn });
}

interface User {
  id: string;
  token: string;
}

async function newUser(): Promise<User> {
  const id = crypto.randomUUID();
  return { id, token: await mintToken({ role: "authenticated", userId: id }) };
}

async function post(user: User, name: string, body: unknown): Promise<Response> {
  return await api(
    new Request(`http://local/functions/v1/${name}`, {
      method: "POST",
      headers: { authorization: `Bearer ${user.token}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    }),
  );
}

/** One chat turn in `conversationId`: the user says `said`, the model answers `answer`. */
async function chatTurn(user: User, conversationId: string, said: string, answer: string): Promise<void> {
  const response = post(user, "chat", {
    id: conversationId,
    messages: [{ id: crypto.randomUUID(), role: "user", parts: [{ type: "text", text: said }] }],
  });
  const call = await model.nextCall();
  call.send(...textParts([answer]), finishPart());
  call.end();
  await (await response).text();
}

async function sql(text: string, values: unknown[] = []) {
  return (await pool.query(text, values)).rows;
}

/** `text` as the service role, in a transaction of its own. */
async function asServiceRole(text: string, values: unknown[] = []) {
  const client = await pool.connect();
  try {
    await client.query("begin");
    await client.query(
      `select set_config('role', 'service_role', true), set_config('request.jwt.claims', '{"role": "service_role"}', true)`,
    );
    return (await client.query(text, values)).rows;
  } finally {
    await client.query("rollback");
    client.release();
  }
}

/** Waits until `check` holds on the value `read` gives, reading again every few milliseconds. */
async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const embeddedMessages = (conversationId: string) =>
  sql(
    `select count(*)::integer as count from conversation_store.message_embeddings where conversation_id = $1`,
    [conversationId],
  ).then(([row]) => row.count as number);

async function recall(user: User, query: string, exclude?: string) {
  const response = await post(user, "recall", { query, exclude_conversation_id: exclude });
  assert.equal(response.status, 200);
  return await response.json() as {
    mode: string;
    passages: Array<{ conversation_id: string; snippet: string }>;
  };
}

test("after each reply the turn's messages are embedded; recall then finds by meaning what full text misses", async () => {
  const alice = await newUser();
  const bob = await newUser();
  const earlier = crypto.randomUUID();
  await chatTurn(alice, earlier, "My puppy is called Biscuit.", "Biscuit is a lovely name.");
  await eventually(
    () => embeddedMessages(earlier),
    (count) => count === 2,
    "the turn's two messages embedded",
  );
  const [model] = await sql(`select model, dimensions from conversation_store.embedding_model`);
  assert.deepEqual(
    model,
    { model: "test-bag-of-words", dimensions: DIMENSIONS },
    "the first drain set the model",
  );

  const bobs = crypto.randomUUID();
  await chatTurn(bob, bobs, "My hound is called Rex.", "Rex is a fine name.");
  await eventually(() => embeddedMessages(bobs), (count) => count === 2, "Bob's turn embedded");

  const found = await recall(alice, "what is my dog called");
  assert.equal(found.mode, "hybrid");
  assert.ok(found.passages.length > 0);
  assert.ok(found.passages.every((passage) => passage.conversation_id === earlier), "only Alice's messages");
  assert.ok(found.passages.some((passage) => passage.snippet.includes("Biscuit")));

  embedder = testEmbedder("another-model");
  try {
    const wordsOnly = await recall(alice, "dog");
    assert.equal(wordsOnly.mode, "full_text", "an embedder of another model is not used for ranking");
    assert.deepEqual(wordsOnly.passages, [], "full text alone does not know a puppy is a dog");
  } finally {
    embedder = testEmbedder();
  }
});

test("one model and dimension per database: storing vectors of another is refused", async () => {
  const alice = await newUser();
  const conversationId = crypto.randomUUID();
  await chatTurn(alice, conversationId, "I drive an old automobile.", "Old cars have charm.");
  await eventually(() => embeddedMessages(conversationId), (count) => count === 2, "the turn embedded");
  await assert.rejects(
    asServiceRole(`select * from public.claim_embedding_jobs('another-model', 8, 1)`),
    (error: { code?: string; message?: string }) =>
      error.code === "22023" && /embeds with/.test(error.message ?? ""),
  );
  await assert.rejects(
    asServiceRole(
      `select public.store_embeddings('test-bag-of-words', $1, '[{"message_id": "${crypto.randomUUID()}", "embedding": [1, 2]}]')`,
      [
        DIMENSIONS,
      ],
    ),
    (error: { code?: string }) => error.code === "22023",
  );
});

test("a failed drain never fails the reply; its jobs come back after a backoff and are stored then", async () => {
  const alice = await newUser();
  const conversationId = crypto.randomUUID();
  embedder = failing;
  try {
    await chatTurn(alice, conversationId, "My canine loves the beach.", "Beaches are great.");
    const [reply] = await sql(
      `select status from public.conversation_messages where conversation_id = $1 and role = 'assistant'`,
      [conversationId],
    );
    assert.equal(reply.status, "completed");
    const jobs = () =>
      sql(
        `select j.attempts, j.available_at > now() as later from conversation_store.embedding_jobs j
         join public.conversation_messages m on m.id = j.message_id where m.conversation_id = $1`,
        [conversationId],
      );
    await eventually(
      jobs,
      (rows) => rows.length === 2 && rows.every((row) => row.attempts === 1),
      "one failed attempt",
    );
    assert.ok((await jobs()).every((row) => row.later), "retried after a backoff, not at once");
  } finally {
    embedder = testEmbedder();
  }
  // The backoff over (moved here instead of waiting a minute), the next reply drains them.
  await sql(`update conversation_store.embedding_jobs set available_at = now()`);
  await chatTurn(alice, crypto.randomUUID(), "Hello again.", "Hello!");
  await eventually(() => embeddedMessages(conversationId), (count) => count === 2, "the retried jobs stored");
});

test("deleting a conversation deletes its embeddings and queued jobs", async () => {
  const alice = await newUser();
  const conversationId = crypto.randomUUID();
  await chatTurn(alice, conversationId, "My puppy sleeps a lot.", "Puppies do.");
  await eventually(() => embeddedMessages(conversationId), (count) => count === 2, "the turn embedded");
  const deleted = await post(alice, "delete-conversation", { conversation_id: conversationId });
  assert.equal(deleted.status, 200);
  assert.equal(await embeddedMessages(conversationId), 0);
  const [{ count }] = await sql(
    `select count(*)::integer as count from conversation_store.embedding_jobs where user_id = $1`,
    [
      alice.id,
    ],
  );
  assert.equal(count, 0);
});
