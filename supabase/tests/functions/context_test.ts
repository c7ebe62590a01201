/** get-context, the summary of update-conversation, and the token counts stored with messages, over HTTP. */
import assert from "node:assert/strict";
import { countTokens } from "gpt-tokenizer/encoding/o200k_base";
import * as api from "../../functions/_shared/schemas.ts";
import { call, newUser, pool, serviceRoleToken, startConversation, test, type TestUser } from "./helpers.ts";

/** o200k_base tokens of a text, as OpenAI counts it, special-looking text included. */
const tokens = (text: string) => countTokens(text, { disallowedSpecial: new Set() });

async function conversationWith(user: TestUser, messages: unknown[]): Promise<string> {
  const reply = await call("start-conversation", { token: user.token, body: { messages } });
  assert.equal(reply.status, 201, JSON.stringify(reply.body));
  return reply.body.conversation.id;
}

/** What a request must not change: the conversation's counter, its messages and its summary. */
async function stateOf(conversationId: string) {
  const { rows: [state] } = await pool.query(
    `select c.last_sequence, c.summary, (select count(*)::int from public.conversation_messages m
                                         where m.conversation_id = c.id) as messages
     from public.conversations c where c.id = $1`,
    [conversationId],
  );
  return state;
}

test("the stored token count is o200k_base's count plus 3 for each message, in any script", async () => {
  const alice = await newUser();
  const texts = [
    "Render the cat video in 4K, please.",
    "function add(a: number, b: number): number {\n  return a + b;\n}",
    "我们今天讨论一下如何渲染这个视频。",
    "🎬✨ 👨‍👩‍👧‍👦 🏳️‍🌈 👍🏽",
    "Text that looks like a special token: <|endoftext|> <|im_start|>",
  ];
  const id = await conversationWith(alice, texts.map((content) => ({ role: "user", content })));
  const history = await call("get-history", { token: alice.token, query: { conversation_id: id } });
  assert.deepEqual(
    history.body.messages.map((message: api.Message) => message.token_count),
    texts.map((text) => tokens(text) + 3),
  );
});

test("tool calls count their names, arguments and ids", async () => {
  const alice = await newUser();
  const call1 = {
    id: "call_render_1",
    type: "function",
    function: { name: "render", arguments: '{"style":"cat"}' },
  };
  const id = await conversationWith(alice, [
    { role: "user", content: "Render it" },
    { role: "assistant", content: null, tool_calls: [call1] },
    { role: "tool", tool_call_id: "call_render_1", content: '{"status":"queued"}' },
    { role: "assistant", content: null, function_call: { name: "notify", arguments: "{}" } },
    { role: "function", name: "notify", content: "sent" },
  ]);
  const history = await call("get-history", { token: alice.token, query: { conversation_id: id } });
  assert.deepEqual(history.body.messages.map((message: api.Message) => message.token_count), [
    tokens("Render it") + 3,
    tokens("render") + tokens('{"style":"cat"}') + 3,
    tokens('{"status":"queued"}') + tokens("call_render_1") + 3,
    tokens("notify") + tokens("{}") + 3,
    tokens("sent") + tokens("notify") + 3,
  ]);
});

test("get-context answers GET and POST with the window, in OpenAI's format by default", async () => {
  const alice = await newUser();
  const id = await conversationWith(alice, [
    { role: "system", content: "You write video scripts." },
    { role: "user", content: "A cat video" },
    { role: "assistant", content: "A cat sleeps in the sun." },
  ]);
  const viaGet = await call("get-context", {
    token: alice.token,
    query: { conversation_id: id, max_tokens: 1000 },
  });
  const viaPost = await call("get-context", {
    token: alice.token,
    body: { conversation_id: id, max_tokens: 1000 },
  });
  assert.equal(viaGet.status, 200);
  assert.deepEqual(viaPost.body, viaGet.body);
  const context = api.getContextResponse.parse(viaGet.body);
  assert.deepEqual(context.messages, [
    { role: "system", content: "You write video scripts." },
    { role: "user", content: "A cat video" },
    { role: "assistant", content: "A cat sleeps in the sun." },
  ]);
  assert.equal(
    context.token_count,
    tokens("You write video scripts.") + tokens("A cat video") + tokens("A cat sleeps in the sun.") + 9,
  );
  assert.equal(context.has_earlier, false);
  assert.equal(context.first_sequence, 2);
  assert.equal(context.conversation.id, id);
});

test("the budget cuts the oldest turns, keeps the system prompt, and says what was left out", async () => {
  const alice = await newUser();
  const turns = Array.from({ length: 20 }, (_, n) => [
    { role: "user", content: `Question number ${n} about the cat video` },
    { role: "assistant", content: `Answer number ${n}: the cat video is rendering.` },
  ]).flat();
  const id = await conversationWith(alice, [{ role: "system", content: "Be brief." }, ...turns]);
  const reply = await call("get-context", {
    token: alice.token,
    query: { conversation_id: id, max_tokens: 100 },
  });
  const context = api.getContextResponse.parse(reply.body);
  assert.ok(context.token_count <= 100);
  assert.deepEqual(context.messages[0], { role: "system", content: "Be brief." });
  assert.equal(context.messages[1].role, "user", "the window starts on a user turn");
  assert.equal(context.has_earlier, true);
  assert.equal(context.messages.length - 1, 41 - context.first_sequence! + 1);
  const rows = await call("get-context", {
    token: alice.token,
    query: { conversation_id: id, max_tokens: 100, format: "rows" },
  });
  const window = api.getContextResponse.parse(rows.body);
  assert.equal(window.summary, null);
  assert.deepEqual(
    (window.messages as api.Message[]).map((message) => message.sequence_order),
    [1, ...Array.from({ length: 41 - context.first_sequence! + 1 }, (_, n) => context.first_sequence! + n)],
  );
  assert.equal(
    window.token_count,
    (window.messages as api.Message[]).reduce((sum, message) => sum + message.token_count, 0),
  );
});

test("a summary replaces what it covers, and the compaction loop shrinks what is sent", async () => {
  const alice = await newUser();
  const turns = Array.from({ length: 10 }, (_, n) => [
    { role: "user", content: `Long question ${n} `.repeat(20) },
    { role: "assistant", content: `Long answer ${n} `.repeat(20) },
  ]).flat();
  const id = await conversationWith(alice, [{ role: "system", content: "Be brief." }, ...turns]);
  const before = api.getContextResponse.parse(
    (await call("get-context", { token: alice.token, query: { conversation_id: id, max_tokens: 400 } })).body,
  );
  assert.equal(before.has_earlier, true);

  const summary = "The user asked ten long questions about a cat video.";
  const update = await call("update-conversation", {
    token: alice.token,
    body: {
      conversation_id: id,
      summary: { content: summary, through_sequence: before.first_sequence! - 1 },
    },
  });
  assert.equal(update.status, 200);
  const conversation = api.updateConversationResponse.parse(update.body).conversation;
  assert.equal(conversation.summary, summary);
  assert.equal(conversation.summary_through_sequence, before.first_sequence! - 1);
  assert.equal(
    conversation.summary_token_count,
    tokens(summary) + 3,
    "the summary is counted as a system message",
  );

  const after = api.getContextResponse.parse(
    (await call("get-context", { token: alice.token, query: { conversation_id: id, max_tokens: 400 } })).body,
  );
  assert.deepEqual(after.messages.slice(0, 2), [
    { role: "system", content: "Be brief." },
    { role: "system", content: summary },
  ]);
  assert.equal(after.first_sequence, before.first_sequence);
  assert.equal(after.has_earlier, false, "everything between the summary and the window is covered");

  const cleared = await call("update-conversation", {
    token: alice.token,
    body: { conversation_id: id, summary: null },
  });
  assert.equal(cleared.body.conversation.summary, null);
});

test("a summary beyond the last message is a 422 that names the last sequence, and writes nothing", async () => {
  const alice = await newUser();
  const id = await conversationWith(alice, [{ role: "user", content: "hi" }]);
  const reply = await call("update-conversation", {
    token: alice.token,
    body: { conversation_id: id, summary: { content: "too far", through_sequence: 5 }, metadata: { x: 1 } },
  });
  assert.equal(reply.status, 422);
  assert.equal(reply.body.error.code, "beyond_last_sequence");
  assert.deepEqual(reply.body.error.details, { last_sequence: 1 });
  const { rows: [row] } = await pool.query(
    "select metadata, summary from public.conversations where id = $1",
    [id],
  );
  assert.deepEqual(
    row,
    { metadata: {}, summary: null },
    "the metadata patch in the same request was rolled back",
  );
});

test("only the owner or the service role writes a summary", async () => {
  const alice = await newUser();
  const bob = await newUser();
  const id = await conversationWith(alice, [{ role: "user", content: "hi" }]);
  const body = { conversation_id: id, summary: { content: "mine", through_sequence: 1 } };
  assert.equal((await call("update-conversation", { token: bob.token, body })).status, 404);
  const asService = await call("update-conversation", { token: await serviceRoleToken(), body });
  assert.equal(asService.status, 200);
  assert.equal(asService.body.conversation.summary, "mine");
});

test("a pinned prompt larger than the budget is a 422 with the tokens it needs", async () => {
  const alice = await newUser();
  const prompt = "You are a careful assistant who writes video scripts.";
  const id = await conversationWith(alice, [{ role: "system", content: prompt }, {
    role: "user",
    content: "hi",
  }]);
  const reply = await call("get-context", {
    token: alice.token,
    query: { conversation_id: id, max_tokens: 5 },
  });
  assert.equal(reply.status, 422);
  assert.equal(reply.body.error.code, "context_budget_exceeded");
  assert.equal(reply.body.error.details.required_tokens, tokens(prompt) + 3);
});

test("get-context refuses bad input with 400 and writes nothing", async () => {
  const alice = await newUser();
  const id = await conversationWith(alice, [{ role: "user", content: "hi" }]);
  const before = await stateOf(id);
  const queries: Record<string, string | number>[] = [
    { conversation_id: id },
    { conversation_id: id, max_tokens: 0 },
    { conversation_id: id, max_tokens: -5 },
    { conversation_id: id, max_tokens: 2_000_001 },
    { conversation_id: id, max_tokens: "many" },
    { conversation_id: id, max_tokens: 10, max_messages: 0 },
    { conversation_id: id, max_tokens: 10, max_messages: 1001 },
    { conversation_id: id, max_tokens: 10, format: "xml" },
    { conversation_id: id, max_tokens: 10, unknown: 1 },
    { conversation_id: "not-a-uuid", max_tokens: 10 },
  ];
  for (const query of queries) {
    const reply = await call("get-context", { token: alice.token, query });
    assert.equal(reply.status, 400, JSON.stringify(query));
    assert.equal(reply.body.error.code, "invalid_request");
  }
  const body = await call("get-context", {
    token: alice.token,
    body: { conversation_id: id, max_tokens: 1e12, extra: true },
  });
  assert.equal(body.status, 400);
  assert.deepEqual(await stateOf(id), before);
});

test("another user's conversation, or one that does not exist, is a 404", async () => {
  const alice = await newUser();
  const bob = await newUser();
  const id = await startConversation(alice);
  for (const conversationId of [id, crypto.randomUUID()]) {
    const reply = await call("get-context", {
      token: bob.token,
      query: { conversation_id: conversationId, max_tokens: 100 },
    });
    assert.equal(reply.status, 404);
    assert.equal(reply.body.error.code, "not_found");
  }
  const asService = await call("get-context", {
    token: await serviceRoleToken(),
    query: { conversation_id: id, max_tokens: 100 },
  });
  assert.equal(asService.status, 200);
});

test("a window never starts with tool results whose call it cut off", async () => {
  const alice = await newUser();
  const toolCall = (n: number) => ({
    id: `call_${n}`,
    type: "function",
    function: { name: "lookup", arguments: `{"n":${n}}` },
  });
  const id = await conversationWith(alice, [
    { role: "user", content: "Look up three things" },
    { role: "assistant", content: null, tool_calls: [toolCall(1), toolCall(2), toolCall(3)] },
    ...[1, 2, 3].map((n) => ({
      role: "tool",
      tool_call_id: `call_${n}`,
      content: `result ${n} `.repeat(30),
    })),
    { role: "assistant", content: "Here is what I found." },
  ]);
  for (let budget = 1; budget <= 400; budget += 7) {
    const context = api.getContextResponse.parse(
      (await call("get-context", { token: alice.token, query: { conversation_id: id, max_tokens: budget } }))
        .body,
    );
    const roles = context.messages.map((message) => message.role);
    const firstTool = roles.indexOf("tool");
    const tools = roles.filter((role) => role === "tool").length;
    assert.ok(
      tools === 0 || (tools === 3 && firstTool > 0 && roles[firstTool - 1] === "assistant"),
      `budget ${budget}: ${roles.join(",")}`,
    );
  }
});
