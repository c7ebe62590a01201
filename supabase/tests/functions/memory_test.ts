/** get-memory, update-memory and recall over HTTP, on the real database. */
import assert from "node:assert/strict";
import { countText } from "../../functions/_shared/token_counts.ts";
import * as api from "../../functions/_shared/schemas.ts";
import { call, newUser, pool, serviceRoleToken, startConversation, test, type TestUser } from "./helpers.ts";

function remember(user: TestUser, body: Record<string, unknown>) {
  return call("update-memory", { token: user.token, body });
}

test("a user creates, reads, replaces and deletes memory entries, each write naming the version it read", async () => {
  const alice = await newUser();
  const conversationId = await startConversation(alice);
  const created = await remember(alice, { key: "name", value: "Alice", conversation_id: conversationId });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  const entry = api.updateMemoryResponse.parse(created.body).entry;
  assert.equal(entry.value, "Alice");
  assert.equal(entry.conversation_id, conversationId);
  assert.equal(entry.token_count, countText("name: Alice") + 3, "the functions store the exact count");

  const read = await call("get-memory", { token: alice.token });
  assert.equal(read.status, 200);
  const memory = api.getMemoryResponse.parse(read.body);
  assert.deepEqual(memory.entries.map((each) => [each.key, each.value, each.version]), [
    ["name", "Alice", entry.version],
  ]);
  assert.equal(memory.total_tokens, entry.token_count);
  assert.ok(memory.max_entries > 0 && memory.max_tokens > 0);

  const replaced = await remember(alice, { key: "name", value: "Alice B.", expected_version: entry.version });
  assert.equal(replaced.status, 200);
  assert.ok(replaced.body.entry.version > entry.version!);
  assert.equal(replaced.body.entry.conversation_id, null, "written from no conversation this time");

  const deleted = await remember(alice, {
    key: "name",
    value: null,
    expected_version: replaced.body.entry.version,
  });
  assert.equal(deleted.status, 200);
  assert.equal(deleted.body.entry.version, null);
  assert.deepEqual((await call("get-memory", { token: alice.token })).body.entries, []);
});

test("a stale write is 409 memory_conflict with the current version, and changes nothing", async () => {
  const alice = await newUser();
  const first = await remember(alice, { key: "diet", value: "vegetarian" });
  const again = await remember(alice, { key: "diet", value: "vegan" });
  assert.equal(again.status, 409);
  assert.equal(again.body.error.code, "memory_conflict");
  assert.deepEqual(again.body.error.details, { key: "diet", current_version: first.body.entry.version });
  const stale = await remember(alice, {
    key: "diet",
    value: "vegan",
    expected_version: first.body.entry.version + 1000,
  });
  assert.equal(stale.status, 409);
  assert.equal(stale.body.error.details.current_version, first.body.entry.version);
  const memory = await call("get-memory", { token: alice.token });
  assert.equal(memory.body.entries[0].value, "vegetarian");
});

test("memory past its bounds is 422 memory_full, and bad keys and values are 400", async () => {
  const alice = await newUser();
  // Entries of about 600 tokens each: the fourth passes 2,000.
  const value = Array.from({ length: 600 }, (_, n) => `w${n}`).join(" ").slice(0, 3900);
  let refused;
  for (let n = 1; n <= 10 && !refused; n++) {
    const reply = await remember(alice, { key: `entry ${n}`, value });
    if (reply.status !== 200) refused = reply;
  }
  assert.equal(refused?.status, 422);
  assert.equal(refused.body.error.code, "memory_full");
  assert.equal(refused.body.error.details.max_tokens, 2000);
  const memory = await call("get-memory", { token: alice.token });
  assert.ok(memory.body.total_tokens <= 2000);
  assert.ok(memory.body.total_tokens + refused.body.error.details.entry_tokens > 2000);
  for (
    const body of [
      { key: "", value: "v" },
      { key: "k".repeat(101), value: "v" },
      { key: "line\nbreak", value: "v" },
      { key: "k", value: "" },
      { key: "k", value: "v".repeat(4001) },
      { key: "k", value: "v", expected_version: 0 },
      { key: "k" },
      { key: "k", value: "v", extra: true },
    ]
  ) {
    const reply = await remember(alice, body);
    assert.equal(reply.status, 400, JSON.stringify(body));
    assert.equal(reply.body.error.code, "invalid_request");
  }
});

test("a user cannot reach another user's memory: not by user_id, not from their conversation", async () => {
  const alice = await newUser();
  const bob = await newUser();
  const bobsConversation = await startConversation(bob);
  await remember(bob, { key: "secret", value: "Bob's" });
  const named = await call("get-memory", { token: alice.token, query: { user_id: bob.id } });
  assert.equal(named.status, 403);
  const written = await remember(alice, { key: "x", value: "y", user_id: bob.id });
  assert.equal(written.status, 403);
  const fromBobs = await remember(alice, { key: "x", value: "y", conversation_id: bobsConversation });
  assert.equal(fromBobs.status, 404);
  assert.deepEqual((await call("get-memory", { token: alice.token })).body.entries, []);
  assert.equal((await call("get-memory")).status, 401);
});

test("the service role reads and writes a user's memory by naming the user, and must name one", async () => {
  const alice = await newUser();
  await remember(alice, { key: "name", value: "Alice" });
  const token = await serviceRoleToken();
  const read = await call("get-memory", { token, query: { user_id: alice.id } });
  assert.equal(read.status, 200);
  assert.equal(read.body.entries[0].value, "Alice");
  const written = await call("update-memory", {
    token,
    body: {
      key: "name",
      value: "Alice C.",
      expected_version: read.body.entries[0].version,
      user_id: alice.id,
    },
  });
  assert.equal(written.status, 200);
  assert.equal((await call("get-memory", { token })).status, 400);
});

test("entries written from a deleted conversation stay the user's; delete-all-conversations erases them", async () => {
  const alice = await newUser();
  const conversationId = await startConversation(alice);
  await remember(alice, { key: "name", value: "Alice", conversation_id: conversationId });
  const deleted = await call("delete-conversation", {
    token: alice.token,
    body: { conversation_id: conversationId },
  });
  assert.equal(deleted.status, 200);
  const kept = await call("get-memory", { token: alice.token });
  assert.equal(kept.body.entries[0].value, "Alice");
  assert.equal(
    kept.body.entries[0].conversation_id,
    null,
    "the reference to the deleted conversation is cleared",
  );

  const erased = await call("delete-all-conversations", { token: alice.token, body: {} });
  assert.equal(erased.status, 200);
  assert.deepEqual((await call("get-memory", { token: alice.token })).body.entries, []);
});

test("recall finds passages of the caller's other conversations, never another user's", async () => {
  const alice = await newUser();
  const bob = await newUser();
  const earlier = await startConversation(alice, {
    messages: [
      { role: "user", content: "My dog is called Biscuit and he loves the beach." },
      { role: "assistant", content: "Biscuit sounds like a happy dog!" },
    ],
  });
  const current = await startConversation(alice, {
    messages: [{ role: "user", content: "What about my dog?" }],
  });
  await startConversation(bob, { messages: [{ role: "user", content: "My dog Rex hates the beach." }] });

  const found = await call("recall", {
    token: alice.token,
    body: { query: "what is the name of my dog", exclude_conversation_id: current },
  });
  assert.equal(found.status, 200, JSON.stringify(found.body));
  const recalled = api.recallResponse.parse(found.body);
  assert.equal(recalled.mode, "full_text");
  assert.ok(recalled.passages.length >= 1);
  assert.ok(
    recalled.passages.every((passage) => passage.conversation_id === earlier),
    "only Alice's other conversation",
  );
  assert.match(recalled.passages[0].snippet, /Biscuit/);
  assert.ok(!recalled.passages.some((passage) => passage.snippet.includes("Rex")));

  const none = await call("recall", { token: alice.token, body: { query: "the and of" } });
  assert.deepEqual(none.body.passages, [], "a query of stop words only finds nothing");
  const bobs = await call("recall", { token: alice.token, body: { query: "dog", user_id: bob.id } });
  assert.equal(bobs.status, 403);
  for (const body of [{ query: "" }, { query: "q".repeat(257) }, { query: "dog", limit: 21 }, {}]) {
    assert.equal((await call("recall", { token: alice.token, body })).status, 400, JSON.stringify(body));
  }
});

test("where the vector extension is absent, the semantic migration leaves nothing behind and recall is full text", async () => {
  const { rows: [{ available }] } = await pool.query(
    "select exists (select from pg_available_extensions where name = 'vector') as available",
  );
  if (available) {
    console.log("skipped: this database has pgvector; semantic_recall_test.ts covers it (on PGlite)");
    return;
  }
  const { rows: [schema] } = await pool.query(`select
    to_regclass('conversation_store.message_embeddings') as embeddings,
    to_regclass('conversation_store.embedding_jobs') as jobs,
    to_regprocedure('public.claim_embedding_jobs(text, integer, integer)') as claim,
    conversation_store.semantic_recall_ready('text-embedding-3-small', 1536) as ready`);
  assert.deepEqual(schema, { embeddings: null, jobs: null, claim: null, ready: false });
  const alice = await newUser();
  await startConversation(alice, { messages: [{ role: "user", content: "I play the cello." }] });
  const found = await call("recall", { token: alice.token, body: { query: "cello" } });
  assert.equal(found.body.mode, "full_text");
  assert.equal(found.body.passages.length, 1);
});

test("the limits the functions check are the database's: a key of 100 and a value of 4,000 characters fit, one more does not", async () => {
  const alice = await newUser();
  const key = "k".repeat(api.MEMORY_KEY_MAX_CHARS);
  const value = "word ".repeat(api.MEMORY_VALUE_MAX_CHARS / 5);
  assert.equal(value.length, api.MEMORY_VALUE_MAX_CHARS);
  const stored = await remember(alice, { key, value });
  assert.equal(stored.status, 200, JSON.stringify(stored.body));
  // The database refuses one more character by itself (supabase.rpc reaches it without the schemas).
  const client = await pool.connect();
  try {
    for (const [longerKey, longerValue] of [[`${key}k`, "v"], ["other", `${value}w`]]) {
      await client.query("begin");
      await client.query(
        "select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)",
        [JSON.stringify({ sub: alice.id, role: "authenticated" })],
      );
      await assert.rejects(
        client.query("select public.write_memory($1, $2)", [longerKey, longerValue]),
        (error: { code?: string }) => error.code === "22023",
      );
      await client.query("rollback");
    }
  } finally {
    client.release();
  }
});
