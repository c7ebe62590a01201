/** append-message and get-history over HTTP: numbering, replays, conflicts, pages, formats. */
import assert from "node:assert/strict";
import * as api from "../../functions/_shared/schemas.ts";
import { appendMany, call, newUser, startConversation, test } from "./helpers.ts";

test("append-message stores a message and a batch with consecutive numbers", async () => {
  const alice = await newUser();
  const id = await startConversation(alice);
  const one = await call("append-message", {
    token: alice.token,
    body: { conversation_id: id, message: { role: "user", content: "Make me a video" } },
  });
  assert.equal(one.status, 201);
  const first = api.appendMessageResponse.parse(one.body);
  assert.equal(first.conversation.last_sequence, 1);
  assert.equal(first.messages[0].sequence_order, 1);
  const batch = await call("append-message", {
    token: alice.token,
    body: {
      conversation_id: id,
      messages: [
        {
          role: "assistant",
          content: null,
          tool_calls: [{ id: "call_1", type: "function", function: { name: "render", arguments: "{}" } }],
        },
        { role: "tool", tool_call_id: "call_1", content: '{"status":"queued"}' },
        { role: "assistant", content: "Rendering has started." },
      ],
    },
  });
  assert.equal(batch.status, 201);
  const appended = api.appendMessageResponse.parse(batch.body);
  assert.deepEqual(appended.messages.map((message) => message.sequence_order), [2, 3, 4]);
  assert.equal(appended.conversation.last_sequence, 4);
  assert.ok(appended.conversation.updated_at > first.conversation.updated_at);
});

test("a retry with the same client_message_id returns the stored rows with 200", async () => {
  const alice = await newUser();
  const id = await startConversation(alice);
  const body = {
    conversation_id: id,
    messages: [{ role: "user", content: "hello", client_message_id: "m-1" }, {
      role: "user",
      content: "again",
      client_message_id: "m-2",
    }],
  };
  const first = await call("append-message", { token: alice.token, body });
  const retry = await call("append-message", { token: alice.token, body });
  assert.equal(first.status, 201);
  assert.equal(retry.status, 200);
  assert.deepEqual(retry.body.messages, first.body.messages);
  assert.equal(retry.body.conversation.last_sequence, 2);
  const conflicting = await call("append-message", {
    token: alice.token,
    body: { conversation_id: id, message: { role: "user", content: "different", client_message_id: "m-1" } },
  });
  assert.equal(conflicting.status, 422);
  assert.equal(conflicting.body.error.code, "idempotency_conflict");
});

test("a stale expected_last_sequence is a 409 that tells the current last sequence", async () => {
  const alice = await newUser();
  const id = await startConversation(alice);
  await appendMany(alice, id, 3);
  const stale = await call("append-message", {
    token: alice.token,
    body: { conversation_id: id, message: { role: "assistant", content: "late" }, expected_last_sequence: 2 },
  });
  assert.equal(stale.status, 409);
  assert.equal(stale.body.error.code, "sequence_conflict");
  assert.deepEqual(stale.body.error.details, { last_sequence: 3 });
  const current = await call("append-message", {
    token: alice.token,
    body: {
      conversation_id: id,
      message: { role: "assistant", content: "on time" },
      expected_last_sequence: 3,
    },
  });
  assert.equal(current.status, 201);
  assert.equal(current.body.messages[0].sequence_order, 4);
});

test("append-message refuses requests that break the message rules", async () => {
  const alice = await newUser();
  const id = await startConversation(alice);
  const cases: Array<[unknown, number]> = [
    [{ conversation_id: id }, 400],
    [{
      conversation_id: id,
      message: { role: "user", content: "a" },
      messages: [{ role: "user", content: "b" }],
    }, 400],
    [{ conversation_id: id, messages: [] }, 400],
    [{ conversation_id: id, message: { role: "tool", content: "no id" } }, 400],
    [{ conversation_id: id, message: { role: "user", content: "x".repeat(100_001) } }, 413],
  ];
  for (const [body, status] of cases) {
    const reply = await call("append-message", { token: alice.token, body });
    assert.equal(reply.status, status, JSON.stringify(body).slice(0, 120));
    api.errorBody.parse(reply.body);
  }
  const history = await call("get-history", { token: alice.token, query: { conversation_id: id } });
  assert.equal(history.body.messages.length, 0);
});

test("get-history pages forward and backward without missing or repeating a message", async () => {
  const alice = await newUser();
  const id = await startConversation(alice);
  await call("append-message", {
    token: alice.token,
    body: {
      conversation_id: id,
      messages: Array.from({ length: 10 }, (_, n) => ({ role: "user", content: `m${n + 1}` })),
    },
  });

  for (const order of ["asc", "desc"] as const) {
    const seen: number[] = [];
    let cursor: number | null = null;
    do {
      const query: Record<string, string | number> = { conversation_id: id, limit: 3, order };
      if (cursor !== null) query[order === "asc" ? "after" : "before"] = cursor;
      const reply = await call("get-history", { token: alice.token, query });
      assert.equal(reply.status, 200);
      const page = api.getHistoryResponse.parse(reply.body);
      seen.push(...(page.messages as api.Message[]).map((message) => message.sequence_order));
      cursor = page.next_cursor;
    } while (cursor !== null);
    const expected = Array.from({ length: 10 }, (_, n) => n + 1);
    assert.deepEqual(seen, order === "asc" ? expected : expected.reverse());
  }

  const newest = await call("get-history", {
    token: alice.token,
    body: { conversation_id: id, order: "desc", limit: 3 },
  });
  assert.deepEqual(newest.body.messages.map((m: api.Message) => m.content).reverse(), ["m8", "m9", "m10"]);
  const window = await call("get-history", {
    token: alice.token,
    query: { conversation_id: id, after: 2, before: 6 },
  });
  assert.deepEqual(window.body.messages.map((m: api.Message) => m.sequence_order), [3, 4, 5]);
  assert.equal(window.body.has_more, false);
});

test("format=openai returns the messages a chat model takes, with only the keys that are set", async () => {
  const alice = await newUser();
  const id = await startConversation(alice, {
    messages: [
      { role: "system", content: "You are helpful." },
      { role: "user", content: "Weather?", name: "alice" },
      {
        role: "assistant",
        content: null,
        tool_calls: [{ id: "c1", type: "function", function: { name: "weather", arguments: "{}" } }],
      },
      { role: "tool", tool_call_id: "c1", content: "sunny" },
      { role: "assistant", content: null, function_call: { name: "legacy", arguments: "{}" } },
      { role: "function", name: "legacy", content: "ok" },
    ],
  });
  const reply = await call("get-history", {
    token: alice.token,
    query: { conversation_id: id, format: "openai" },
  });
  assert.equal(reply.status, 200);
  assert.deepEqual(reply.body.messages, [
    { role: "system", content: "You are helpful." },
    { role: "user", content: "Weather?", name: "alice" },
    {
      role: "assistant",
      tool_calls: [{ id: "c1", type: "function", function: { name: "weather", arguments: "{}" } }],
    },
    { role: "tool", content: "sunny", tool_call_id: "c1" },
    { role: "assistant", function_call: { name: "legacy", arguments: "{}" } },
    { role: "function", content: "ok", name: "legacy" },
  ]);
});

test("get-history validates its query", async () => {
  const alice = await newUser();
  const id = await startConversation(alice);
  const queries: Array<Record<string, string | number>> = [
    { conversation_id: "nope" },
    { conversation_id: id, limit: 0 },
    { conversation_id: id, limit: 1001 },
    { conversation_id: id, limit: "ten" },
    { conversation_id: id, order: "sideways" },
    { conversation_id: id, after: -1 },
    { conversation_id: id, format: "xml" },
  ];
  for (const query of queries) {
    const reply = await call("get-history", { token: alice.token, query });
    assert.equal(reply.status, 400, JSON.stringify(query));
  }
});
