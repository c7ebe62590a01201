/**
 * Reading messages with parts over HTTP: get-history in the rows, ui and openai formats, get-context
 * in ui and with reasoning, search over reasoning and file names, forks, and bad format arguments.
 * The ui format is checked with the AI SDK's own validateUIMessages and convertToModelMessages.
 */
import assert from "node:assert/strict";
import { convertToModelMessages, type UIMessage, validateUIMessages } from "ai";
import * as api from "../../functions/_shared/schemas.ts";
import { FILE_TOKEN_ESTIMATE } from "../../functions/_shared/part_vocabulary.ts";
import { countMessageTokens } from "../../functions/_shared/token_counts.ts";
import { call, newUser, pool, startConversation, test, type TestUser } from "./helpers.ts";

const PDF = "data:application/pdf;base64,JVBERi0xLjQK";

/** A chat as an AI SDK app writes it: files, reasoning, a call answered in its parts, one by a tool row. */
function chat(user: TestUser) {
  return [
    { role: "system", content: "You render videos." },
    {
      role: "user",
      client_message_id: "u1",
      metadata: { createdAt: 1 },
      parts: [
        { type: "text", text: "Render this storyboard." },
        {
          type: "file",
          media_type: "image/png",
          filename: "board.png",
          storage: { bucket: "conversation-files", path: `${user.id}/board.png` },
        },
        { type: "file", media_type: "application/pdf", filename: "script.pdf", url: PDF },
      ],
    },
    {
      role: "assistant",
      client_message_id: "a1",
      parts: [
        { type: "step-start" },
        {
          type: "reasoning",
          text: "The storyboard has nine panels; queue a render.",
          provider_metadata: { openai: { itemId: "rs_1" } },
        },
        {
          type: "tool-call",
          tool_call_id: "call_q",
          tool_name: "queue",
          state: "output-available",
          input: { panels: 9 },
          output: { position: 2 },
        },
        {
          type: "tool-call",
          tool_call_id: "call_r",
          tool_name: "render",
          state: "input-available",
          input: { quality: "high" },
        },
      ],
    },
    {
      role: "tool",
      parts: [{ type: "tool-result", tool_call_id: "call_r", tool_name: "render", output: { job: "j1" } }],
    },
    {
      role: "assistant",
      client_message_id: "a2",
      metadata: { model: "test" },
      parts: [
        { type: "text", text: "Rendering job j1 is queued." },
        { type: "data", name: "job", data: { id: "j1", secret: "zeppelin" } },
      ],
    },
  ];
}

async function chatConversation(user: TestUser): Promise<string> {
  return await startConversation(user, { messages: chat(user) });
}

async function history(user: TestUser, query: Record<string, string | number>) {
  const reply = await call("get-history", { token: user.token, query });
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
  assert.ok(api.getHistoryResponse.safeParse(reply.body).success, "the page has the documented shape");
  return reply.body;
}

async function context(user: TestUser, body: Record<string, unknown>) {
  const reply = await call("get-context", { token: user.token, body });
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
  assert.ok(api.getContextResponse.safeParse(reply.body).success, "the window has the documented shape");
  return reply.body;
}

test("get-history reads a chat with parts back in the rows format exactly as written", async () => {
  const alice = await newUser();
  const id = await chatConversation(alice);
  const page = await history(alice, { conversation_id: id });
  const written = chat(alice);
  assert.deepEqual(page.messages.map((message: api.Message) => message.parts ?? null), [
    null,
    ...written.slice(1).map((message) => message.parts),
  ]);
  assert.deepEqual(page.messages[1].metadata, { createdAt: 1 });
  assert.equal(page.messages[0].content, "You render videos.");
});

test("get-history format=ui is AI SDK UIMessages that validateUIMessages accepts", async () => {
  const alice = await newUser();
  const id = await chatConversation(alice);
  const page = await history(alice, { conversation_id: id, format: "ui" });
  const messages = await validateUIMessages({ messages: page.messages });
  assert.deepEqual(messages.map((message) => message.id).slice(1), ["u1", "a1", "a2"]);
  assert.deepEqual(messages[1], {
    id: "u1",
    role: "user",
    metadata: { createdAt: 1 },
    parts: [
      { type: "text", text: "Render this storyboard." },
      {
        type: "file",
        mediaType: "image/png",
        filename: "board.png",
        url: `storage://conversation-files/${alice.id}/board.png`,
      },
      { type: "file", mediaType: "application/pdf", filename: "script.pdf", url: PDF },
    ],
  });
  assert.deepEqual(messages[2].parts, [
    { type: "step-start" },
    {
      type: "reasoning",
      text: "The storyboard has nine panels; queue a render.",
      providerMetadata: { openai: { itemId: "rs_1" } },
    },
    {
      type: "tool-queue",
      toolCallId: "call_q",
      state: "output-available",
      input: { panels: 9 },
      output: { position: 2 },
    },
    {
      type: "tool-render",
      toolCallId: "call_r",
      state: "output-available",
      input: { quality: "high" },
      output: { job: "j1" },
    },
  ], "the tool row is folded into its call, its JSON output kept");
  assert.equal(messages.length, 4, "the folded tool row is no message of its own");
  assert.deepEqual(messages[3].metadata, { model: "test" });
  assert.deepEqual(messages[3].parts[1], { type: "data-job", data: { id: "j1", secret: "zeppelin" } });
});

test("get-history format=openai: content parts for files, a tool message per answered part, no reasoning", async () => {
  const alice = await newUser();
  const id = await chatConversation(alice);
  const page = await history(alice, { conversation_id: id, format: "openai" });
  const messages = page.messages as api.OpenAIMessage[];
  assert.deepEqual(messages.map((message) => message.role), [
    "system",
    "user",
    "assistant",
    "tool",
    "tool",
    "assistant",
  ]);
  assert.deepEqual(messages[1].content, [
    { type: "text", text: "Render this storyboard." },
    { type: "image_url", image_url: { url: `storage://conversation-files/${alice.id}/board.png` } },
    { type: "file", file: { file_data: PDF, filename: "script.pdf" } },
  ]);
  assert.deepEqual(messages[3], { role: "tool", tool_call_id: "call_q", content: '{"position": 2}' });
  assert.deepEqual(messages[4], { role: "tool", content: '{"job": "j1"}', tool_call_id: "call_r" });
  assert.deepEqual(
    (messages[2] as { tool_calls: api.ToolCall[] }).tool_calls.map((call) => call.id),
    ["call_q", "call_r"],
  );
  assert.ok(!JSON.stringify(messages).includes("nine panels"), "reasoning is never in format=openai");
  // Descending, the synthesized tool message comes before its call, as the page is read backwards.
  const newest = await history(alice, { conversation_id: id, format: "openai", order: "desc", limit: 3 });
  assert.deepEqual(newest.messages.map((message: api.OpenAIMessage) => message.role), [
    "assistant",
    "tool",
    "tool",
    "assistant",
  ]);
});

test("format=ui: a page cut between a call and its result leaves the result its own dynamic-tool message", async () => {
  const alice = await newUser();
  const id = await chatConversation(alice);
  const first = await history(alice, { conversation_id: id, format: "ui", limit: 3 });
  assert.equal(first.next_cursor, 3);
  assert.equal(first.messages[2].parts[3].state, "input-available", "the call waits for its result");
  const second = await history(alice, { conversation_id: id, format: "ui", after: 3 });
  const [result] = await validateUIMessages({ messages: second.messages });
  assert.deepEqual(result.parts, [{
    type: "dynamic-tool",
    toolName: "render",
    toolCallId: "call_r",
    state: "output-available",
    input: null,
    output: { job: "j1" },
  }]);
  assert.equal(result.role, "assistant");
});

test("format=ui: the page's byte budget counts a call and its folded result as one unit", async () => {
  const alice = await newUser();
  const id = await startConversation(alice);
  // Eight messages of 480 KB, then a call of 480 KB and its small result: the budget (4 MiB) is
  // reached at the call, so a page by rows ends there, and a page of UIMessages takes the result too.
  const big = (n: number) => ({ type: "data", name: "blob", data: "x".repeat(480_000 + n) });
  for (let n = 0; n < 8; n++) {
    const reply = await call("append-message", {
      token: alice.token,
      body: {
        conversation_id: id,
        message: { role: "user", parts: [{ type: "text", text: `m${n}` }, big(n)] },
      },
    });
    assert.equal(reply.status, 201, JSON.stringify(reply.body));
  }
  const appended = await call("append-message", {
    token: alice.token,
    body: {
      conversation_id: id,
      messages: [
        {
          role: "assistant",
          parts: [big(9), {
            type: "tool-call",
            tool_call_id: "c1",
            tool_name: "t",
            state: "input-available",
            input: {},
          }],
        },
        { role: "tool", tool_call_id: "c1", content: "done" },
      ],
    },
  });
  assert.equal(appended.status, 201, JSON.stringify(appended.body));
  const rows = await history(alice, { conversation_id: id });
  assert.equal(rows.messages.length, 9);
  assert.equal(rows.has_more, true);
  const ui = await history(alice, { conversation_id: id, format: "ui" });
  assert.equal(ui.messages.length, 9);
  assert.equal(ui.has_more, false, "the folded result came with its call");
  assert.equal(ui.messages[8].parts[1].output, "done");
});

test("get-context format=ui is a valid model window without reasoning unless include_reasoning, which counts it", async () => {
  const alice = await newUser();
  const id = await chatConversation(alice);
  const { rows: counts } = await pool.query(
    `select sum(token_count)::int as tokens, sum(reasoning_token_count)::int as reasoning
     from public.conversation_messages where conversation_id = $1`,
    [id],
  );
  const plain = await context(alice, { conversation_id: id, max_tokens: 100_000, format: "ui" });
  const messages = await validateUIMessages({ messages: plain.messages });
  assert.deepEqual(messages.map((message) => message.role), ["system", "user", "assistant", "assistant"]);
  assert.ok(!JSON.stringify(messages).includes("nine panels"), "no reasoning unless asked");
  assert.equal(plain.token_count, counts[0].tokens);
  const model = await convertToModelMessages(messages as UIMessage[]);
  assert.deepEqual(model.map((message) => message.role), [
    "system",
    "user",
    "assistant",
    "tool",
    "assistant",
  ]);

  // In the query string as in the body.
  const reply = await call("get-context", {
    token: alice.token,
    query: { conversation_id: id, max_tokens: 100_000, format: "ui", include_reasoning: "true" },
  });
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
  assert.equal(reply.body.token_count, counts[0].tokens + counts[0].reasoning);
  assert.ok(counts[0].reasoning > 0);
  assert.equal(reply.body.messages[2].parts[1].type, "reasoning");
  const rows = await context(alice, {
    conversation_id: id,
    max_tokens: 100_000,
    format: "rows",
    include_reasoning: false,
  });
  assert.deepEqual(
    rows.messages[2].parts.map((part: { type: string }) => part.type),
    ["step-start", "tool-call", "tool-call"],
    "rows without reasoning: the parts without the reasoning part",
  );
});

test("get-context keeps a call answered in its own parts and its tool row's call whole, within the budget", async () => {
  const alice = await newUser();
  const id = await chatConversation(alice);
  const { rows } = await pool.query(
    `select sequence_order, token_count from public.conversation_messages where conversation_id = $1
     order by sequence_order`,
    [id],
  );
  const tokens = rows.map((row) => row.token_count);
  const window = await context(alice, { conversation_id: id, max_tokens: 100_000 });
  assert.deepEqual(
    window.messages.map((message: api.OpenAIMessage) => message.role),
    ["system", "user", "assistant", "tool", "tool", "assistant"],
  );
  assert.equal(
    tokens[1],
    countMessageTokens({ parts: [{ type: "text", text: "Render this storyboard." }] }) +
      2 * FILE_TOKEN_ESTIMATE,
    "each file of the user message counts FILE_TOKEN_ESTIMATE, whatever it holds",
  );
  assert.equal(window.token_count, tokens.reduce((sum, count) => sum + count, 0));
  // A budget one token short of the call's unit (the assistant message and its tool row) leaves both out.
  const short = await context(alice, {
    conversation_id: id,
    max_tokens: tokens[0] + tokens[4] + tokens[2] + tokens[3] - 1,
  });
  assert.deepEqual(short.messages.map((message: api.OpenAIMessage) => message.role), ["system", "assistant"]);
  const exact = await context(alice, {
    conversation_id: id,
    max_tokens: tokens[0] + tokens[4] + tokens[2] + tokens[3],
  });
  assert.deepEqual(
    exact.messages.map((message: api.OpenAIMessage) => message.role),
    ["system", "assistant", "tool", "tool", "assistant"],
  );
  assert.equal(exact.first_sequence, 3);
});

test("search-conversations finds reasoning and file names, never data payloads or tool inputs", async () => {
  const alice = await newUser();
  const id = await chatConversation(alice);
  const search = async (q: string) => {
    const reply = await call("search-conversations", { token: alice.token, query: { q } });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    assert.ok(api.searchConversationsResponse.safeParse(reply.body).success);
    return reply.body.results.map((
      result: { conversation: { id: string }; matches: Array<{ sequence_order: number }> },
    ) => [result.conversation.id, result.matches.map((match) => match.sequence_order).sort()]);
  };
  assert.deepEqual(await search("panels"), [[id, [3]]], "a word of the reasoning");
  assert.deepEqual(await search("storyboard"), [[id, [2, 3]]], "text and reasoning alike");
  assert.deepEqual(await search("script.pdf"), [[id, [2]]], "a file name");
  assert.deepEqual(await search("board"), [[id, [2]]], "a word of a file name");
  assert.deepEqual(await search("zeppelin"), [], "never a data payload");
  assert.deepEqual(await search("high"), [], "never a tool input");
});

test("fork-conversation keeps parts: the fork reads back the same in format ui", async () => {
  const alice = await newUser();
  const id = await chatConversation(alice);
  const fork = await call("fork-conversation", {
    token: alice.token,
    body: { conversation_id: id, through_sequence: 4 },
  });
  assert.equal(fork.status, 201, JSON.stringify(fork.body));
  const original = await history(alice, { conversation_id: id, format: "ui", limit: 4 });
  const copy = await history(alice, { conversation_id: fork.body.conversation.id, format: "ui" });
  const withoutRowIds = (messages: api.UIMessage[]) =>
    messages.map((message, index) => index === 0 ? { ...message, id: "" } : message);
  assert.deepEqual(withoutRowIds(copy.messages), withoutRowIds(original.messages));
  assert.equal(copy.messages.length, 3);
});

test("a bad format or include_reasoning is refused with 400 and the usual error shape", async () => {
  const alice = await newUser();
  const id = await chatConversation(alice);
  const refusals = [
    call("get-history", { token: alice.token, query: { conversation_id: id, format: "uimessage" } }),
    call("get-context", {
      token: alice.token,
      query: { conversation_id: id, max_tokens: 100, format: "xml" },
    }),
    call("get-context", {
      token: alice.token,
      query: { conversation_id: id, max_tokens: 100, include_reasoning: "yes" },
    }),
    call("get-context", {
      token: alice.token,
      body: { conversation_id: id, max_tokens: 100, format: "openai", include_reasoning: true },
    }),
  ];
  for (const reply of await Promise.all(refusals)) {
    assert.equal(reply.status, 400, JSON.stringify(reply.body));
    assert.ok(api.errorBody.safeParse(reply.body).success);
    assert.equal(reply.body.error.code, "invalid_request");
  }
});
