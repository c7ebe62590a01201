/** start-conversation, update-conversation, list-conversations and delete-conversation over HTTP. */
import assert from "node:assert/strict";
import * as api from "../../functions/_shared/schemas.ts";
import { call, newUser, pool, type Reply, serviceRoleToken, startConversation, test } from "./helpers.ts";

test("start-conversation creates the caller's conversation with its first messages", async () => {
  const alice = await newUser();
  const reply = await call("start-conversation", {
    token: alice.token,
    body: {
      video_id: "f0000000-0000-4000-8000-000000000001",
      metadata: { step: "script" },
      messages: [{ role: "system", content: "You write video scripts." }, {
        role: "user",
        content: "A cat video",
      }],
    },
  });
  assert.equal(reply.status, 201);
  const body = api.startConversationResponse.parse(reply.body);
  assert.equal(body.conversation.user_id, alice.id);
  assert.equal(body.conversation.video_id, "f0000000-0000-4000-8000-000000000001");
  assert.deepEqual(body.conversation.metadata, { step: "script" });
  assert.equal(body.conversation.last_sequence, 2);
  assert.deepEqual(body.messages.map((message) => [message.sequence_order, message.role]), [[1, "system"], [
    2,
    "user",
  ]]);
});

test("starting the same id again returns the stored conversation and creates nothing", async () => {
  const alice = await newUser();
  const id = crypto.randomUUID();
  const request = { id, metadata: { v: 1 }, messages: [{ role: "system", content: "Be brief." }] };
  const first = await call("start-conversation", { token: alice.token, body: request });
  const again = await call("start-conversation", {
    token: alice.token,
    body: { ...request, metadata: { v: 2 } },
  });
  assert.equal(first.status, 201);
  assert.equal(again.status, 200);
  assert.deepEqual(again.body.conversation, first.body.conversation);
  assert.deepEqual(again.body.messages, first.body.messages);
  const { rows } = await pool.query(
    "select count(*)::int as n from public.conversation_messages where conversation_id = $1",
    [id],
  );
  assert.equal(rows[0].n, 1, "the replay appended nothing");
});

test("an id owned by another user is a 409 that reveals nothing about it", async () => {
  const alice = await newUser();
  const bob = await newUser();
  const id = await startConversation(alice, { metadata: { secret: "alice's" } });
  const reply = await call("start-conversation", { token: bob.token, body: { id } });
  assert.equal(reply.status, 409);
  assert.deepEqual(reply.body, {
    error: { code: "conversation_exists", message: "a conversation with this id already exists" },
  });
});

test("service_role starts a conversation for the user it names, and must name one", async () => {
  const alice = await newUser();
  await call("list-conversations", { token: alice.token }); // registers alice locally
  const service = await serviceRoleToken();
  const missing = await call("start-conversation", { token: service, body: {} });
  assert.equal(missing.status, 400);
  const reply = await call("start-conversation", { token: service, body: { user_id: alice.id } });
  assert.equal(reply.status, 201);
  assert.equal(reply.body.conversation.user_id, alice.id);
  const listed = await call("list-conversations", { token: alice.token });
  assert.deepEqual(listed.body.conversations.map((c: api.Conversation) => c.id), [
    reply.body.conversation.id,
  ]);
});

test("a user cannot name another owner", async () => {
  const alice = await newUser();
  const bob = await newUser();
  const reply = await call("start-conversation", { token: alice.token, body: { user_id: bob.id } });
  assert.equal(reply.status, 403);
  assert.equal(reply.body.error.code, "forbidden");
});

test("update-conversation merges metadata, sets and clears video_id, and moves updated_at", async () => {
  const alice = await newUser();
  const id = await startConversation(alice, {
    metadata: { video: { step: "script", draft: 1 }, keep: true },
  });
  const before =
    (await call("get-history", { token: alice.token, query: { conversation_id: id } })).body.conversation;
  const patched = await call("update-conversation", {
    token: alice.token,
    method: "PATCH",
    body: {
      conversation_id: id,
      metadata: { video: { step: "render", draft: null } },
      video_id: "f0000000-0000-4000-8000-000000000002",
    },
  });
  assert.equal(patched.status, 200);
  const { conversation } = api.updateConversationResponse.parse(patched.body);
  assert.deepEqual(conversation.metadata, { video: { step: "render" }, keep: true });
  assert.equal(conversation.video_id, "f0000000-0000-4000-8000-000000000002");
  assert.ok(conversation.updated_at > before.updated_at);
  const cleared = await call("update-conversation", {
    token: alice.token,
    body: { conversation_id: id, video_id: null },
  });
  assert.equal(cleared.body.conversation.video_id, null);
  assert.deepEqual(cleared.body.conversation.metadata, conversation.metadata);
});

test("update-conversation needs something to change", async () => {
  const alice = await newUser();
  const id = await startConversation(alice);
  const reply = await call("update-conversation", { token: alice.token, body: { conversation_id: id } });
  assert.equal(reply.status, 400);
});

test("list-conversations pages through the caller's conversations, most recently updated first", async () => {
  const alice = await newUser();
  const bob = await newUser();
  await startConversation(bob);
  const ids: string[] = [];
  for (let n = 0; n < 5; n++) {
    ids.push(
      await startConversation(alice, { video_id: n % 2 ? "f0000000-0000-4000-8000-0000000000aa" : null }),
    );
  }
  // Touch the oldest so that it becomes the most recent.
  await call("update-conversation", {
    token: alice.token,
    body: { conversation_id: ids[0], metadata: { touched: true } },
  });
  const expected = [ids[0], ids[4], ids[3], ids[2], ids[1]];

  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const reply: Reply = await call("list-conversations", {
      token: alice.token,
      query: { limit: 2, ...(cursor ? { cursor } : {}) },
    });
    assert.equal(reply.status, 200);
    const page = api.listConversationsResponse.parse(reply.body);
    seen.push(...page.conversations.map((conversation) => conversation.id));
    assert.equal(page.has_more, page.next_cursor !== null);
    cursor = page.next_cursor;
  } while (cursor);
  assert.deepEqual(seen, expected);

  const byVideo = await call("list-conversations", {
    token: alice.token,
    body: { video_id: "f0000000-0000-4000-8000-0000000000aa" },
  });
  assert.deepEqual(byVideo.body.conversations.map((c: api.Conversation) => c.id), [ids[3], ids[1]]);
  const badCursor = await call("list-conversations", {
    token: alice.token,
    query: { cursor: "bm90LWEtY3Vyc29y" },
  });
  assert.equal(badCursor.status, 400);
});

test("delete-conversation removes the conversation with its messages, once", async () => {
  const alice = await newUser();
  const id = await startConversation(alice, {
    messages: [{ role: "user", content: "a" }, { role: "user", content: "b" }],
  });
  const deleted = await call("delete-conversation", {
    token: alice.token,
    method: "DELETE",
    body: { conversation_id: id },
  });
  assert.equal(deleted.status, 200);
  assert.deepEqual(api.deleteConversationResponse.parse(deleted.body), {
    conversation_id: id,
    deleted_messages: 2,
    storage_objects: [],
  });
  const { rows } = await pool.query(
    "select count(*)::int as n from public.conversation_messages where conversation_id = $1",
    [id],
  );
  assert.equal(rows[0].n, 0);
  const again = await call("delete-conversation", { token: alice.token, body: { conversation_id: id } });
  assert.equal(again.status, 404);
});

test("another user's conversation is indistinguishable from one that does not exist", async () => {
  const alice = await newUser();
  const bob = await newUser();
  const id = await startConversation(alice, { messages: [{ role: "user", content: "private" }] });
  const missing = crypto.randomUUID();
  const attempts = [
    ["get-history", { conversation_id: id }, { conversation_id: missing }],
    ["append-message", { conversation_id: id, message: { role: "user", content: "x" } }, {
      conversation_id: missing,
      message: { role: "user", content: "x" },
    }],
    ["update-conversation", { conversation_id: id, metadata: { x: 1 } }, {
      conversation_id: missing,
      metadata: { x: 1 },
    }],
    ["update-conversation", { conversation_id: id, video_id: null }, {
      conversation_id: missing,
      video_id: null,
    }],
    ["delete-conversation", { conversation_id: id }, { conversation_id: missing }],
  ] as const;
  for (const [name, theirs, nobodys] of attempts) {
    const toTheirs = await call(name, { token: bob.token, body: theirs });
    const toNobodys = await call(name, { token: bob.token, body: nobodys });
    assert.equal(toTheirs.status, 404, name);
    assert.deepEqual(toTheirs.body, toNobodys.body, name);
  }
  const history = await call("get-history", { token: alice.token, query: { conversation_id: id } });
  assert.deepEqual(history.body.messages.map((m: api.Message) => m.content), ["private"]);
  assert.deepEqual(history.body.conversation.metadata, {});
});
