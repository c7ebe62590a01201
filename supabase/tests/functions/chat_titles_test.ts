/** chat names a new conversation after its first reply, never over the user's title. */
import assert from "node:assert/strict";
import { simulateReadableStream } from "ai";
import { MockLanguageModelV4 } from "ai/test";
import { createChatHandler } from "../../functions/chat/handler.ts";
import { cleanTitle } from "../../functions/chat/title.ts";
import { finishPart, textParts } from "../../../local/mock_model.ts";
import { allChunks, postChat, userMessage } from "./chat_support.ts";
import { call, localApi, newUser, pool, startConversation, test } from "./helpers.ts";

const usage = {
  inputTokens: { total: 30, noCache: 30, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: 4, text: 4, reasoning: 0 },
};

/** A chat whose model streams `reply` and, asked for a title, answers `title` (or fails). */
function titledChat(title: string | Error) {
  const titleCalls: string[] = [];
  const model = new MockLanguageModelV4({
    doStream: () =>
      Promise.resolve({
        stream: simulateReadableStream({
          chunks: [{ type: "stream-start", warnings: [] }, ...textParts(["Take ", "tram 28."]), finishPart()],
        }),
      }),
    doGenerate: (options) => {
      titleCalls.push(JSON.stringify(options.prompt));
      if (title instanceof Error) return Promise.reject(title);
      return Promise.resolve({
        content: [{ type: "text", text: title }],
        finishReason: { unified: "stop", raw: "stop" },
        usage,
        warnings: [],
      });
    },
  });
  const chat = createChatHandler({ model, settings: { flushMs: 10 } });
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    localApi({ functions: { chat } }),
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}/functions/v1/chat`,
    titleCalls,
    close: () => server.shutdown(),
  };
}

async function conversationOf(id: string) {
  const { rows } = await pool.query("select title, title_source from public.conversations where id = $1", [
    id,
  ]);
  assert.equal(rows.length, 1, "the conversation exists");
  return rows[0];
}

test("the first reply names the conversation and streams the title before the reply finishes", async () => {
  const chat = titledChat('"Lisbon by tram."');
  try {
    const alice = await newUser();
    const id = crypto.randomUUID();
    const chunks = await allChunks(
      await postChat(chat.url, alice, { id, messages: [userMessage("How do I see Lisbon?")] }),
    );
    const types = chunks.map((chunk) => chunk.type);
    assert.deepEqual(types.slice(-2), ["data-conversation-title", "finish"]);
    assert.deepEqual(chunks.at(-2), {
      type: "data-conversation-title",
      data: { title: "Lisbon by tram" },
      transient: true,
    });
    assert.deepEqual(await conversationOf(id), { title: "Lisbon by tram", title_source: "generated" });
    assert.match(chat.titleCalls[0], /How do I see Lisbon\?/);
    assert.match(chat.titleCalls[0], /Take tram 28\./);

    const second = await allChunks(
      await postChat(chat.url, alice, { id, messages: [userMessage("And at night?")] }),
    );
    assert.ok(
      !second.some((chunk) => chunk.type === "data-conversation-title"),
      "only after the first reply",
    );
    assert.equal(chat.titleCalls.length, 1, "one title call per conversation");
    const { rows: ledger } = await pool.query(
      `select output_tokens, input_tokens from public.usage_ledger
       where user_id = $1 and message_id is null and status = 'settled'`,
      [alice.id],
    );
    assert.deepEqual(ledger, [{ output_tokens: 4, input_tokens: 30 }], "the title call is in the ledger");
  } finally {
    await chat.close();
  }
});

test("a title the user set before the first reply is kept, and no title call is made", async () => {
  const chat = titledChat("Generated");
  try {
    const alice = await newUser();
    const id = await startConversation(alice);
    await call("update-conversation", { token: alice.token, body: { conversation_id: id, title: "Mine" } });
    const chunks = await allChunks(await postChat(chat.url, alice, { id, messages: [userMessage("Hello")] }));
    assert.ok(!chunks.some((chunk) => chunk.type === "data-conversation-title"));
    assert.deepEqual(await conversationOf(id), { title: "Mine", title_source: "user" });
    assert.equal(chat.titleCalls.length, 0);
  } finally {
    await chat.close();
  }
});

test("a failing title call leaves the reply whole and the conversation untitled", async () => {
  const chat = titledChat(new Error("title model down"));
  try {
    const alice = await newUser();
    const id = crypto.randomUUID();
    const chunks = await allChunks(await postChat(chat.url, alice, { id, messages: [userMessage("Hello")] }));
    assert.equal(chunks.at(-1)?.type, "finish");
    assert.ok(!chunks.some((chunk) => chunk.type === "error"));
    assert.deepEqual(await conversationOf(id), { title: null, title_source: null });
    const { rows } = await pool.query(
      "select status, content from public.conversation_messages where conversation_id = $1 and role = 'assistant'",
      [id],
    );
    assert.deepEqual(rows, [{ status: "completed", content: "Take tram 28." }]);
  } finally {
    await chat.close();
  }
});

test("a model's answer is cleaned into a title", () => {
  assert.equal(cleanTitle('  "Trip to Lisbon."  \nMore text'), "Trip to Lisbon");
  assert.equal(cleanTitle("Title: **Budget  plan**"), "Budget plan");
  assert.equal(cleanTitle("   "), null);
  assert.equal(cleanTitle("x".repeat(300))?.length, 200);
});
