/** Retention and expiry, delete-all-conversations and search-conversations, over HTTP. */
import assert from "node:assert/strict";
import * as api from "../../functions/_shared/schemas.ts";
import { call, newUser, pool, serviceRoleToken, startConversation, test, type TestUser } from "./helpers.ts";

/** Moves a conversation's last activity back in time, as if the retention had run out. */
async function age(conversationId: string, interval: string): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query("begin");
    await client.query("alter table public.conversations disable trigger conversations_touch_updated_at");
    await client.query(`update public.conversations set updated_at = now() - $2::interval where id = $1`, [
      conversationId,
      interval,
    ]);
    await client.query("alter table public.conversations enable trigger conversations_touch_updated_at");
    await client.query("commit");
  } finally {
    client.release();
  }
}

/** Seeds `conversations` conversations of `perConversation` messages for `user`, set-based. */
async function seed(user: TestUser, conversations: number, perConversation: number): Promise<void> {
  await pool.query("insert into auth.users (id) values ($1) on conflict do nothing", [user.id]);
  await pool.query(
    `with made as (
       insert into public.conversations (user_id, last_sequence)
       select $1, $3 from generate_series(1, $2) returning id
     )
     insert into public.conversation_messages (conversation_id, user_id, sequence_order, role, content, token_count)
     select made.id, $1, n, 'user', 'message ' || n, 5 from made cross join generate_series(1, $3) as n`,
    [user.id, conversations, perConversation],
  );
}

test("retention is set on start and update, shows as expires_at, and null clears it", async () => {
  const alice = await newUser();
  const started = await call("start-conversation", { token: alice.token, body: { retention_seconds: 3600 } });
  assert.equal(started.status, 201);
  const conversation = api.startConversationResponse.parse(started.body).conversation;
  assert.equal(conversation.retention_seconds, 3600);
  assert.equal(Date.parse(conversation.expires_at!) - Date.parse(conversation.updated_at), 3_600_000);
  const shorter = await call("update-conversation", {
    token: alice.token,
    body: { conversation_id: conversation.id, retention_seconds: 60 },
  });
  assert.equal(shorter.body.conversation.retention_seconds, 60);
  const kept = await call("update-conversation", {
    token: alice.token,
    body: { conversation_id: conversation.id, retention_seconds: null },
  });
  assert.deepEqual([kept.body.conversation.retention_seconds, kept.body.conversation.expires_at], [
    null,
    null,
  ]);
  for (const retention of [59, 315_360_001, "soon", 1.5]) {
    const reply = await call("start-conversation", {
      token: alice.token,
      body: { retention_seconds: retention },
    });
    assert.equal(reply.status, 400, String(retention));
  }
});

test("an expired conversation is gone at once: every function answers 404, lists and searches leave it out", async () => {
  const alice = await newUser();
  const id = await startConversation(alice, {
    retention_seconds: 60,
    messages: [{ role: "user", content: "an expiring zebra" }],
  });
  await age(id, "2 minutes");
  const token = alice.token;
  const replies = {
    "get-history": await call("get-history", { token, query: { conversation_id: id } }),
    "get-context": await call("get-context", { token, query: { conversation_id: id, max_tokens: 100 } }),
    "append-message": await call("append-message", {
      token,
      body: { conversation_id: id, message: { role: "user", content: "hello?" } },
    }),
    "update-conversation": await call("update-conversation", {
      token,
      body: { conversation_id: id, metadata: {} },
    }),
    "update-message": await call("update-message", {
      token,
      body: { conversation_id: id, sequence_order: 1, content: "x" },
    }),
    "fork-conversation": await call("fork-conversation", {
      token,
      body: { conversation_id: id, through_sequence: 1 },
    }),
    "delete-conversation": await call("delete-conversation", { token, body: { conversation_id: id } }),
  };
  for (const [name, reply] of Object.entries(replies)) assert.equal(reply.status, 404, name);
  const list = await call("list-conversations", { token });
  assert.deepEqual(list.body.conversations, []);
  const search = await call("search-conversations", { token, query: { q: "zebra" } });
  assert.deepEqual(search.body.results, []);
});

test("delete-all-conversations erases a user with more messages than one batch, across calls", async () => {
  const alice = await newUser();
  await seed(alice, 3, 20_000);
  await startConversation(alice, { messages: [{ role: "user", content: "one more" }] });
  const totals = { deleted_conversations: 0, deleted_messages: 0, calls: 0 };
  let done = false;
  while (!done && totals.calls < 10) {
    const reply = await call("delete-all-conversations", { token: alice.token, body: {} });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    const page = api.deleteAllConversationsResponse.parse(reply.body);
    totals.deleted_conversations += page.deleted_conversations;
    totals.deleted_messages += page.deleted_messages;
    totals.calls++;
    done = page.done;
    const list = await call("list-conversations", { token: alice.token });
    assert.deepEqual(list.body.conversations, [], "everything is gone for the user after the first call");
  }
  assert.deepEqual(totals, { deleted_conversations: 4, deleted_messages: 60_001, calls: 2 });
  const { rows: [left] } = await pool.query(
    "select (select count(*)::int from public.conversations where user_id = $1) as conversations, " +
      "(select count(*)::int from public.conversation_messages where user_id = $1) as messages",
    [alice.id],
  );
  assert.deepEqual(left, { conversations: 0, messages: 0 });
});

test("delete-all-conversations: a user's token with user_id is 403, the service role must name the user", async () => {
  const alice = await newUser();
  const bob = await newUser();
  await startConversation(bob, { messages: [{ role: "user", content: "Bob's" }] });
  const forbidden = await call("delete-all-conversations", { token: alice.token, body: { user_id: bob.id } });
  assert.equal(forbidden.status, 403);
  const service = await serviceRoleToken();
  const unnamed = await call("delete-all-conversations", { token: service, body: {} });
  assert.equal(unnamed.status, 400);
  const viaDelete = await call("delete-all-conversations", {
    token: service,
    method: "DELETE",
    body: { user_id: bob.id },
  });
  assert.deepEqual(viaDelete.body, {
    deleted_conversations: 1,
    deleted_messages: 1,
    done: true,
    storage_objects: [],
  });
  assert.equal((await call("delete-all-conversations", { method: "POST", body: {} })).status, 401);
});

test("delete-conversation of a conversation larger than a batch answers at once; the purge finishes it", async () => {
  const alice = await newUser();
  await seed(alice, 1, 12_000);
  const { rows: [{ id }] } = await pool.query("select id from public.conversations where user_id = $1", [
    alice.id,
  ]);
  const reply = await call("delete-conversation", { token: alice.token, body: { conversation_id: id } });
  assert.deepEqual(reply.body, { conversation_id: id, deleted_messages: 12_000, storage_objects: [] });
  assert.equal(
    (await call("get-history", { token: alice.token, query: { conversation_id: id } })).status,
    404,
  );
  const { rows: [left] } = await pool.query(
    "select count(*)::int as messages, max(sequence_order) as highest from public.conversation_messages where conversation_id = $1",
    [id],
  );
  assert.deepEqual(left, { messages: 2_000, highest: 2_000 }, "the newest 10,000 went in the request");
  const erase = await call("delete-all-conversations", { token: alice.token, body: {} });
  assert.deepEqual(erase.body, {
    deleted_conversations: 0,
    deleted_messages: 0,
    done: true,
    storage_objects: [],
  });
});

test("search-conversations finds the caller's conversations by words, with snippets and highlights", async () => {
  const alice = await newUser();
  const bob = await newUser();
  const cats = await startConversation(alice, {
    messages: [
      { role: "user", content: "Please start rendering the orange cat video." },
      { role: "assistant", content: "Rendered. The <b>orange</b> cat looks great." },
    ],
  });
  await startConversation(alice, { messages: [{ role: "user", content: "A dog video this time." }] });
  await startConversation(bob, { messages: [{ role: "user", content: "Bob renders his own cat videos." }] });
  const viaGet = await call("search-conversations", { token: alice.token, query: { q: "render cat" } });
  const viaPost = await call("search-conversations", { token: alice.token, body: { q: "render cat" } });
  assert.equal(viaGet.status, 200);
  assert.deepEqual(viaPost.body, viaGet.body);
  const page = api.searchConversationsResponse.parse(viaGet.body);
  assert.deepEqual(page.results.map((result) => result.conversation.id), [cats]);
  assert.equal(page.has_more, false);
  const assistant = page.results[0].matches.find((match) => match.role === "assistant")!;
  assert.equal(
    assistant.snippet,
    "Rendered. The <b>orange</b> cat looks great.",
    "the snippet is the text, markup and all",
  );
  assert.deepEqual(
    assistant.highlights.map(([start, end]) => assistant.snippet.slice(start, end)),
    ["Rendered", "cat"],
  );
  const bobsView = await call("search-conversations", { token: bob.token, query: { q: "orange" } });
  assert.deepEqual(bobsView.body.results, []);
});

test("search pages follow the cursor and every query string is safe", async () => {
  const alice = await newUser();
  const ids = [];
  for (let n = 0; n < 5; n++) {
    ids.push(
      await startConversation(alice, { messages: [{ role: "user", content: `giraffe number ${n}` }] }),
    );
  }
  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const reply: Awaited<ReturnType<typeof call>> = await call("search-conversations", {
      token: alice.token,
      query: { q: "giraffe", limit: 2, ...(cursor ? { cursor } : {}) },
    });
    const page = api.searchConversationsResponse.parse(reply.body);
    seen.push(...page.results.map((result) => result.conversation.id));
    cursor = page.next_cursor;
  } while (cursor);
  assert.deepEqual(seen.sort(), ids.sort(), "every conversation exactly once");

  const hostile = [
    '"',
    "'",
    "a & | ! :* <-> (",
    "-",
    "or or or",
    "\\",
    "%_",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ünïcödé",
    "x".repeat(256),
  ];
  for (const q of hostile) {
    const reply = await call("search-conversations", { token: alice.token, query: { q } });
    assert.equal(reply.status, 200, q);
  }
  const refused: Array<Record<string, string | number>> = [
    { q: "" },
    { q: "x".repeat(257) },
    { q: "giraffe", limit: 51 },
    { q: "giraffe", cursor: "not a cursor" },
    { q: "giraffe", cursor: btoa('[0.1, "Jan 1 2020 (x)", "00000000-0000-4000-8000-000000000000"]') },
    { q: "giraffe", user_id: alice.id },
  ];
  for (const query of refused) {
    const reply = await call("search-conversations", { token: alice.token, query });
    assert.equal(reply.status, query.user_id ? 403 : 400, JSON.stringify(query));
  }
  const asService = await call("search-conversations", {
    token: await serviceRoleToken(),
    query: { q: "giraffe", user_id: alice.id, limit: 50 },
  });
  assert.equal(asService.body.results.length, 5);
});
