/** Messages with parts over HTTP: append, start, update (part operations), fork, and bad input. */
import assert from "node:assert/strict";
import * as api from "../../functions/_shared/schemas.ts";
import { call, newUser, pool, startConversation, test, type TestUser } from "./helpers.ts";

/** A realistic AI SDK reply: reasoning with provider metadata, a tool call with output, an image, data. */
export function assistantParts(): unknown[] {
  return [
    { type: "step-start" },
    {
      type: "reasoning",
      text: "The user wants a render; check the queue first.",
      state: "done",
      provider_metadata: { openai: { itemId: "rs_1", reasoningEncryptedContent: "gAAAAB…" } },
    },
    {
      type: "tool-call",
      tool_call_id: "call_1",
      tool_name: "render",
      state: "output-available",
      input: { scene: 3, quality: "high" },
      output: { status: "queued", position: 2 },
    },
    { type: "text", text: "Rendering has started. ", state: "done" },
    {
      type: "file",
      media_type: "image/png",
      url: "https://example.com/preview.png",
      filename: "preview.png",
    },
    { type: "text", text: "Here is a preview." },
    { type: "data", name: "progress", id: "p1", data: { percent: 40 } },
    { type: "source", source_type: "url", source_id: "s1", url: "https://example.com/docs", title: "Docs" },
  ];
}

async function append(user: TestUser, conversationId: string, message: Record<string, unknown>) {
  return await call("append-message", {
    token: user.token,
    body: { conversation_id: conversationId, message },
  });
}

test("append-message stores parts as sent and derives content and tool_calls from them", async () => {
  const alice = await newUser();
  const id = await startConversation(alice);
  const parts = assistantParts();
  const reply = await append(alice, id, { role: "assistant", parts, metadata: { model: "gpt-5" } });
  assert.equal(reply.status, 201);
  const [message] = api.appendMessageResponse.parse(reply.body).messages;
  assert.deepEqual(message.parts, parts);
  assert.deepEqual(message.metadata, { model: "gpt-5" });
  assert.equal(message.content, "Rendering has started. Here is a preview.");
  assert.deepEqual(message.tool_calls, [
    {
      id: "call_1",
      type: "function",
      function: { name: "render", arguments: '{"scene": 3, "quality": "high"}' },
    },
  ]);
  const { rows: [counts] } = await pool.query(
    "select token_count, reasoning_token_count from public.conversation_messages where id = $1",
    [message.id],
  );
  assert.ok(counts.token_count > 1000, "the file counts FILE_TOKEN_ESTIMATE");
  assert.ok(counts.reasoning_token_count > 0 && counts.reasoning_token_count < 20);

  const history = await call("get-history", { token: alice.token, query: { conversation_id: id } });
  assert.equal(history.status, 200);
  assert.deepEqual(history.body.messages[0].parts, parts);
});

test("a tool message written as a tool-result part reads back as an OpenAI tool message", async () => {
  const alice = await newUser();
  const id = await startConversation(alice, {
    messages: [
      {
        role: "assistant",
        parts: [{
          type: "tool-call",
          tool_call_id: "c1",
          tool_name: "weather",
          state: "input-available",
          input: {},
        }],
      },
      {
        role: "tool",
        parts: [{ type: "tool-result", tool_call_id: "c1", tool_name: "weather", output: "sunny" }],
      },
    ],
  });
  const history = await call("get-history", {
    token: alice.token,
    query: { conversation_id: id, format: "openai" },
  });
  assert.deepEqual(history.body.messages[1], { role: "tool", content: "sunny", tool_call_id: "c1" });
});

test("a replay compares parts and metadata", async () => {
  const alice = await newUser();
  const id = await startConversation(alice);
  const message = { role: "user", parts: [{ type: "text", text: "hi" }], client_message_id: "u1" };
  assert.equal((await append(alice, id, message)).status, 201);
  assert.equal((await append(alice, id, message)).status, 200);
  const other = await append(alice, id, { ...message, parts: [{ type: "text", text: "hello" }] });
  assert.equal(other.status, 422);
  const metadata = await append(alice, id, { ...message, metadata: { a: 1 } });
  assert.equal(metadata.status, 422);
});

test("bad parts are refused with the documented codes, and nothing is stored", async () => {
  const alice = await newUser();
  const id = await startConversation(alice);
  const cases: Array<[Record<string, unknown>, number, string]> = [
    [{ role: "user", content: "x", parts: [{ type: "text", text: "x" }] }, 400, "invalid_request"],
    [{ role: "user", parts: [{ type: "video", text: "x" }] }, 400, "invalid_request"],
    [{ role: "user", parts: [{ type: "text", text: "x", extra: 1 }] }, 400, "invalid_request"],
    [{ role: "user", parts: [{ type: "text", text: 1 }] }, 400, "invalid_request"],
    [{ role: "user", parts: [] }, 400, "invalid_request"],
    [
      {
        role: "user",
        parts: [{ type: "tool-call", tool_call_id: "c", tool_name: "t", state: "input-available" }],
      },
      400,
      "invalid_request",
    ],
    [{ role: "user", parts: [{ type: "file", media_type: "image/png" }] }, 400, "invalid_request"],
    [
      { role: "user", parts: [{ type: "file", media_type: "image/png", url: "ftp://x" }] },
      400,
      "invalid_request",
    ],
    [{ role: "user", parts: [{ type: "data", name: "a b", data: 1 }] }, 400, "invalid_request"],
    [{ role: "user", parts: [{ type: "text", text: "x" }], metadata: [1] }, 400, "invalid_request"],
    [{ role: "tool", parts: [{ type: "text", text: "x" }] }, 400, "invalid_request"],
    [
      {
        role: "user",
        parts: [{
          type: "file",
          media_type: "image/png",
          url: `data:image/png;base64,${"A".repeat(70_000)}`,
        }],
      },
      413,
      "payload_too_large",
    ],
    [
      {
        role: "user",
        parts: [{
          type: "file",
          media_type: "image/png",
          storage: { bucket: "conversation-files", path: `${crypto.randomUUID()}/a.png` },
        }],
      },
      403,
      "storage_path_forbidden",
    ],
    [
      {
        role: "user",
        parts: [{
          type: "file",
          media_type: "image/png",
          storage: { bucket: "b", path: `${alice.id}/../x.png` },
        }],
      },
      400,
      "invalid_request",
    ],
  ];
  for (const [message, status, code] of cases) {
    const reply = await append(alice, id, message);
    assert.equal(reply.status, status, JSON.stringify(message).slice(0, 200));
    assert.equal(reply.body.error.code, code);
  }
  const own = await append(alice, id, {
    role: "user",
    parts: [{
      type: "file",
      media_type: "image/png",
      storage: { bucket: "conversation-files", path: `${alice.id}/a.png` },
    }],
  });
  assert.equal(own.status, 201);
  assert.equal(own.body.conversation.last_sequence, 1);
});

test("update-message streams a reply into parts exactly once and finishes it with exact counts", async () => {
  const alice = await newUser();
  const id = await startConversation(alice, { messages: [{ role: "user", content: "render it" }] });
  assert.equal((await append(alice, id, { role: "assistant", status: "in_progress" })).status, 201);
  const update = (body: Record<string, unknown>) =>
    call("update-message", { token: alice.token, body: { conversation_id: id, sequence_order: 2, ...body } });

  assert.equal((await update({ part_index: 0, part: { type: "reasoning", text: "" } })).status, 200);
  assert.equal((await update({ part_index: 0, append_text: "Think", text_offset: 0 })).status, 200);
  const retried = await update({ part_index: 0, append_text: "Think", text_offset: 0 });
  assert.equal(retried.status, 200);
  assert.equal(retried.body.message.parts[0].text, "Think");
  const mismatch = await update({ part_index: 0, append_text: "!", text_offset: 9 });
  assert.equal(mismatch.status, 409);
  assert.equal(mismatch.body.error.code, "content_offset_mismatch");
  assert.deepEqual(mismatch.body.error.details, { content_length: 5 });

  const call1 = {
    type: "tool-call",
    tool_call_id: "c1",
    tool_name: "render",
    state: "input-available",
    input: { a: 1 },
  };
  assert.equal((await update({ part_index: 1, part: call1 })).status, 200);
  const done = { ...call1, state: "output-available", output: { ok: true } };
  assert.equal((await update({ part_index: 1, part: done })).status, 200);
  assert.equal((await update({ part_index: 2, part: { type: "text", text: "" } })).status, 200);
  assert.equal((await update({ part_index: 2, append_text: "Done.", text_offset: 0 })).status, 200);
  const outOfRange = await update({ part_index: 9, part: { type: "text", text: "x" } });
  assert.equal(outOfRange.status, 400);
  const notText = await update({ part_index: 1, append_text: "x", text_offset: 0 });
  assert.equal(notText.status, 400);
  const withContent = await update({ append_content: "x", content_offset: 5 });
  assert.equal(withContent.status, 400);

  const final = await update({ metadata: { finish: "stop" }, status: "completed" });
  assert.equal(final.status, 200);
  const message = api.updateMessageResponse.parse(final.body).message;
  assert.equal(message.content, "Done.");
  assert.deepEqual(message.metadata, { finish: "stop" });
  assert.deepEqual(message.tool_calls, [
    { id: "c1", type: "function", function: { name: "render", arguments: '{"a": 1}' } },
  ]);
  assert.deepEqual(message.parts?.[1], done);
  const { rows: [counts] } = await pool.query(
    "select token_count, reasoning_token_count from public.conversation_messages where id = $1",
    [message.id],
  );
  assert.equal(counts.reasoning_token_count, 1, "'Think' is one o200k_base token");
  assert.equal(message.token_count, counts.token_count);
  const after = await update({ part_index: 2, append_text: "x", text_offset: 5 });
  assert.equal(after.body.error.code, "message_final");
});

test("a part operation on a reply written without parts starts from its derived parts", async () => {
  const alice = await newUser();
  const id = await startConversation(alice);
  await append(alice, id, { role: "assistant", status: "in_progress", content: "Hello" });
  const reply = await call("update-message", {
    token: alice.token,
    body: { conversation_id: id, sequence_order: 1, part_index: 0, append_text: " world", text_offset: 5 },
  });
  assert.equal(reply.status, 200);
  assert.deepEqual(reply.body.message.parts, [{ type: "text", text: "Hello world" }]);
  assert.equal(reply.body.message.content, "Hello world");
});

test("fork-conversation copies parts, metadata and reasoning counts", async () => {
  const alice = await newUser();
  const id = await startConversation(alice, {
    messages: [{ role: "assistant", parts: assistantParts(), metadata: { m: 1 } }],
  });
  const fork = await call("fork-conversation", {
    token: alice.token,
    body: { conversation_id: id, through_sequence: 1 },
  });
  assert.equal(fork.status, 201);
  const { rows } = await pool.query(
    `select parts, metadata, reasoning_token_count, token_count from public.conversation_messages
     where conversation_id = any($1) order by conversation_id = $2`,
    [[id, fork.body.conversation.id], id],
  );
  assert.deepEqual(rows[0], rows[1]);
  assert.deepEqual(rows[0].parts, assistantParts());
});

test("deletes answer the Storage objects their messages referenced, once each, and queue them", async () => {
  const alice = await newUser();
  const file = (path: string) => ({
    type: "file",
    media_type: "image/png",
    storage: { bucket: "conversation-files", path: `${alice.id}/${path}` },
  });
  const messages = [
    { role: "user", parts: [file("a.png"), file("b.png")] },
    { role: "user", parts: [file("a.png"), { type: "text", text: "again" }] },
  ];
  const first = await startConversation(alice, { messages });
  const second = await startConversation(alice, { messages: [{ role: "user", parts: [file("c.png")] }] });
  const deleted = await call("delete-conversation", { token: alice.token, body: { conversation_id: first } });
  assert.equal(deleted.status, 200);
  const body = api.deleteConversationResponse.parse(deleted.body);
  assert.deepEqual(
    body.storage_objects.map((object) => object.path).sort(),
    [`${alice.id}/a.png`, `${alice.id}/b.png`],
  );
  assert.ok(body.storage_objects.every((object) => object.bucket === "conversation-files"));

  const erased = await call("delete-all-conversations", { token: alice.token, body: {} });
  assert.deepEqual(api.deleteAllConversationsResponse.parse(erased.body).storage_objects, [
    { bucket: "conversation-files", path: `${alice.id}/c.png` },
  ]);
  const { rows } = await pool.query(
    "select path from conversation_store.storage_objects_to_remove where user_id = $1 order by path",
    [alice.id],
  );
  assert.deepEqual(
    rows.map((row) => row.path),
    ["a.png", "b.png", "c.png"].map((name) => `${alice.id}/${name}`),
  );
  assert.ok(second);
});
