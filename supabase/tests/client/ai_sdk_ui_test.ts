/**
 * The AI SDK adapter's UIMessage half: saveUIMessages stores a chat's messages exactly once, and
 * what loadUIMessages reads back goes to the SDK's convertToModelMessages; the example of
 * docs/ai-sdk-messages.md with the SDK's mock model (ui_round_trip_test.ts checks the round trip
 * over generated messages).
 */
import assert from "node:assert/strict";
import { createIdGenerator, simulateReadableStream, stepCountIs, streamText, tool, type UIMessage } from "ai";
import { MockLanguageModelV4 } from "ai/test";
import type { LanguageModelV4StreamPart } from "@ai-sdk/provider";
import { z } from "zod";
import {
  loadUIMessages,
  resolveStorageUrls,
  saveUIMessages,
  toModelPromptFromUI,
} from "../../../client/ai_sdk.ts";
import { ConversationStoreError, type Message } from "../../../client/conversation_store.ts";
import { newUser, pool, test } from "../functions/helpers.ts";
import { storeFor } from "./fixtures.ts";

const question: UIMessage = { id: "u1", role: "user", parts: [{ type: "text", text: "Weather in Paris?" }] };
const answer: UIMessage = {
  id: "a1",
  role: "assistant",
  metadata: { model: "mock" },
  parts: [
    { type: "step-start" },
    { type: "reasoning", text: "Ask the tool.", providerMetadata: { openai: { itemId: "rs_1" } } },
    {
      type: "tool-weather",
      toolCallId: "call_1",
      state: "output-available",
      input: { city: "Paris" },
      output: { celsius: 21 },
    },
    { type: "step-start" },
    { type: "text", text: "Sunny, 21 °C.", state: "done" },
  ],
};

async function storedRows(store: ReturnType<typeof storeFor>, conversationId: string): Promise<Message[]> {
  return (await store.history(conversationId)).messages as Message[];
}

test("saveUIMessages appends only what the store does not hold yet, and a second call stores nothing", async () => {
  const store = storeFor(await newUser());
  const { conversation } = await store.start();
  assert.deepEqual(
    (await saveUIMessages(store, conversation.id, [question])).appended.map((m) => m.client_message_id),
    [
      "u1",
    ],
  );
  const { appended } = await saveUIMessages(store, conversation.id, [question, answer]);
  assert.deepEqual(appended.map((m) => [m.sequence_order, m.client_message_id]), [[2, "a1"]]);
  assert.deepEqual((await saveUIMessages(store, conversation.id, [question, answer])).appended, []);

  const rows = await storedRows(store, conversation.id);
  assert.deepEqual(rows.map((row) => row.client_message_id), ["u1", "a1"]);
  assert.equal(rows[1].content, "Sunny, 21 °C.");
  assert.deepEqual(rows[1].metadata, { model: "mock" });
  // Derived by the database: the input as JSON text (its own spacing).
  const [call] = rows[1].tool_calls as Array<{ id: string; function: { name: string; arguments: string } }>;
  assert.deepEqual([call.id, call.function.name, JSON.parse(call.function.arguments)], [
    "call_1",
    "weather",
    { city: "Paris" },
  ]);
});

test("a message read from a row without a client_message_id is known by its row id", async () => {
  const store = storeFor(await newUser());
  const { conversation, messages: [row] } = await store.start({
    messages: [{ role: "user", content: "Hi" }],
  });
  // A row written by a direct rpc without one; format=ui names it by its row id.
  await pool.query("update public.conversation_messages set client_message_id = null where id = $1", [
    row.id,
  ]);
  const read: UIMessage = { id: row.id, role: "user", parts: [{ type: "text", text: "Hi" }] };
  const reply: UIMessage = { id: "a1", role: "assistant", parts: [{ type: "text", text: "Hello." }] };
  const { appended } = await saveUIMessages(store, conversation.id, [read, reply]);
  assert.deepEqual(appended.map((m) => m.client_message_id), ["a1"]);
  assert.equal((await storedRows(store, conversation.id)).length, 2);
});

test("saving only the newest message of a long conversation reads one short page, not the history", async () => {
  const calls: string[] = [];
  const counting: typeof fetch = (input, init) => {
    calls.push(new URL(input instanceof Request ? input.url : input).pathname.split("/").at(-1)!);
    return fetch(input, init);
  };
  const store = storeFor(await newUser(), { fetch: counting });
  const turns = Array.from({ length: 150 }, (_, n) => ({ role: "user" as const, content: `turn ${n}` }));
  const { conversation } = await store.start({ messages: turns.slice(0, 100) });
  await store.append(conversation.id, turns.slice(100));
  calls.length = 0;
  const { appended } = await saveUIMessages(store, conversation.id, [question]);
  assert.deepEqual(appended.map((m) => m.sequence_order), [151]);
  assert.deepEqual(calls, ["get-history", "append-message"]);
});

test("a stored message whose parts changed is refused with idempotency_conflict, nothing written", async () => {
  const store = storeFor(await newUser());
  const { conversation } = await store.start();
  await saveUIMessages(store, conversation.id, [question, answer]);
  const changed: UIMessage = { ...answer, parts: [...answer.parts, { type: "text", text: " More." }] };
  await assert.rejects(
    saveUIMessages(store, conversation.id, [question, changed, { ...question, id: "u2" }]),
    (error: unknown) =>
      error instanceof ConversationStoreError && error.code === "idempotency_conflict" &&
      error.status === 422,
  );
  assert.equal((await storedRows(store, conversation.id)).length, 2);
});

test("a message that cannot be stored is refused before anything is written", async () => {
  const store = storeFor(await newUser());
  const { conversation } = await store.start();
  const steering = {
    id: "a1",
    role: "assistant",
    parts: [{ type: "steering-message", text: "faster" }],
  } as unknown as UIMessage;
  await assert.rejects(
    saveUIMessages(store, conversation.id, [question, steering]),
    (error: unknown) =>
      error instanceof ConversationStoreError && error.code === "invalid_request" && error.status === 400 &&
      error.message === "part 0 (steering-message) cannot be stored: the store has no steering-message part",
  );
  assert.equal((await storedRows(store, conversation.id)).length, 0);
});

test("the UIMessage window leaves out a call without its output, and keeps reasoning only when asked", async () => {
  const store = storeFor(await newUser());
  const { conversation } = await store.start();
  const pending: UIMessage = {
    id: "a2",
    role: "assistant",
    parts: [{
      type: "tool-weather",
      toolCallId: "call_2",
      state: "input-available",
      input: { city: "Rome" },
    }],
  };
  await saveUIMessages(store, conversation.id, [question, answer, { ...question, id: "u2" }, pending]);
  const ids = async (includeReasoning: boolean) =>
    (await store.uiContext(conversation.id, { maxTokens: 10_000, includeReasoning })).messages;
  const [withReasoning, without] = [await ids(true), await ids(false)];
  assert.deepEqual(withReasoning.map((message) => message.id), ["u1", "a1", "u2"]);
  assert.deepEqual(withReasoning[1], answer);
  assert.deepEqual(
    without[1].parts.map((part) => part.type),
    answer.parts.flatMap((part) => part.type === "reasoning" ? [] : [part.type]),
  );
});

Deno.test("Storage files are resolved before the model reads them, and refused without a resolver", async () => {
  const photo: UIMessage = {
    id: "u1",
    role: "user",
    parts: [
      { type: "text", text: "What is this?" },
      { type: "file", mediaType: "image/png", url: "storage://conversation-files/user-1/photos/cat.png" },
    ],
  };
  const asked: string[] = [];
  const resolved = await resolveStorageUrls([photo], (bucket, path) => {
    asked.push(`${bucket} ${path}`);
    return Promise.resolve(`https://files.example/${path}?token=t`);
  });
  assert.deepEqual(asked, ["conversation-files user-1/photos/cat.png"]);
  assert.deepEqual(resolved[0].parts[1], {
    type: "file",
    mediaType: "image/png",
    url: "https://files.example/user-1/photos/cat.png?token=t",
  });
  await assert.rejects(toModelPromptFromUI([photo]), TypeError);
});

const usage = {
  inputTokens: { total: 10, noCache: 10, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: 5, text: 5, reasoning: 0 },
};

/** One model step, streamed as a provider streams it. */
function step(chunks: LanguageModelV4StreamPart[], calls: boolean) {
  return {
    stream: simulateReadableStream<LanguageModelV4StreamPart>({
      chunks: [
        { type: "stream-start", warnings: [] },
        ...chunks,
        {
          type: "finish",
          usage,
          finishReason: calls
            ? { unified: "tool-calls", raw: "tool_calls" }
            : { unified: "stop", raw: "stop" },
        },
      ],
    }),
  };
}

/** JSON as it travels: undefined values gone. */
const asJson = <T>(value: T): T => JSON.parse(JSON.stringify(value));

test("the three lines of docs/ai-sdk-messages.md store a streamed reply and read it back as the SDK built it", async () => {
  const store = storeFor(await newUser());
  const { conversation } = await store.start();
  const chatId = conversation.id;
  const model = new MockLanguageModelV4({
    doStream: [
      step([
        { type: "reasoning-start", id: "r1", providerMetadata: { openai: { itemId: "rs_1" } } },
        { type: "reasoning-delta", id: "r1", delta: "A picture: describe it." },
        {
          type: "reasoning-end",
          id: "r1",
          providerMetadata: { openai: { itemId: "rs_1", reasoningEncryptedContent: "gAAAA" } },
        },
        { type: "tool-call", toolCallId: "call_1", toolName: "describe", input: '{"detail":"high"}' },
      ], true),
      step([
        { type: "text-start", id: "t1" },
        { type: "text-delta", id: "t1", delta: "A cat " },
        { type: "text-delta", id: "t1", delta: "on a sofa." },
        { type: "text-end", id: "t1" },
      ], false),
    ],
  });
  const describe = tool({
    inputSchema: z.object({ detail: z.enum(["low", "high"]) }),
    execute: () => ({ objects: ["cat", "sofa"] }),
  });
  const picture: UIMessage = {
    id: "u1",
    role: "user",
    parts: [
      { type: "text", text: "What is in this picture?" },
      {
        type: "file",
        mediaType: "image/png",
        filename: "cat.png",
        url: "data:image/png;base64,iVBORw0KGgo=",
      },
    ],
  };

  let saved: Promise<unknown> = Promise.resolve();
  let finished: UIMessage[] = [];
  // The three lines, as a route handler has them (the user's message from useChat's request):
  const messages = [...(await loadUIMessages(store, chatId)), picture];
  const result = streamText({
    model,
    tools: { describe },
    stopWhen: stepCountIs(2),
    // As signedStorageUrls(supabase) would, without a Storage server.
    ...(await toModelPromptFromUI(messages, { resolveStorageUrl: (_bucket, path) => Promise.resolve(path) })),
  });
  const response = result.toUIMessageStreamResponse({
    originalMessages: messages,
    generateMessageId: createIdGenerator({ prefix: "msg" }),
    onFinish: ({ messages }) => {
      finished = messages;
      saved = saveUIMessages(store, chatId, messages);
    },
  });
  await response.text();
  await saved;

  assert.deepEqual(finished.map((message) => message.role), ["user", "assistant"]);
  const reply = asJson(finished[1]);
  assert.deepEqual(reply.parts.map((part) => part.type), [
    "step-start",
    "reasoning",
    "tool-describe",
    "step-start",
    "text",
  ]);
  // Read back: what the SDK built, but the reasoning part's stream id (not kept: ui_parts.ts).
  const { id: _streamId, ...reasoning } = reply.parts[1] as { id?: string };
  reply.parts[1] = reasoning as UIMessage["parts"][number];
  assert.deepEqual(await loadUIMessages(store, chatId), [asJson(picture), reply]);

  // The model was sent the image, and its second step the tool's result.
  const [first, second] = model.doStreamCalls;
  assert.deepEqual(asJson(first.prompt.at(-1)), {
    role: "user",
    content: [
      { type: "text", text: "What is in this picture?" },
      {
        type: "file",
        mediaType: "image/png",
        filename: "cat.png",
        data: { type: "data", data: "iVBORw0KGgo=" },
      },
    ],
  });
  assert.equal(second.prompt.at(-1)?.role, "tool");
});

test("the budgeted recipe of docs/ai-sdk-messages.md: each turn saves the user's message, reads the window, saves the reply", async () => {
  const store = storeFor(await newUser());
  const { conversation } = await store.start({ messages: [{ role: "system", content: "Be brief." }] });
  const chatId = conversation.id;
  const reply = (text: string) =>
    step([
      { type: "text-start", id: "t" },
      { type: "text-delta", id: "t", delta: text },
      { type: "text-end", id: "t" },
    ], false);
  const model = new MockLanguageModelV4({ doStream: [reply("Hello."), reply("Still here.")] });

  for (const [n, text] of ["Hi", "Still there?"].entries()) {
    const message: UIMessage = { id: `u${n}`, role: "user", parts: [{ type: "text", text }] };
    let saved: Promise<unknown> = Promise.resolve();
    // The recipe:
    await saveUIMessages(store, chatId, [message]);
    const window = await store.uiContext(chatId, { maxTokens: 100_000, includeReasoning: true });
    const result = streamText({ model, ...(await toModelPromptFromUI(window.messages)) });
    await result.toUIMessageStreamResponse({
      originalMessages: [message],
      generateMessageId: createIdGenerator({ prefix: "msg" }),
      onFinish: ({ messages }) => {
        saved = saveUIMessages(store, chatId, messages);
      },
    }).text();
    await saved;
  }

  const history = await loadUIMessages(store, chatId);
  assert.deepEqual(
    history.map((message) => [message.role, message.parts.map((part) => (part as { text?: string }).text)]),
    [
      ["system", ["Be brief."]],
      ["user", ["Hi"]],
      ["assistant", [undefined, "Hello."]],
      ["user", ["Still there?"]],
      ["assistant", [undefined, "Still here."]],
    ],
  );
  // The second call read the first turn from the store's window, the system prompt as instructions.
  assert.deepEqual(asJson(model.doStreamCalls[1].prompt).map((message) => message.role), [
    "system",
    "user",
    "assistant",
    "user",
  ]);
});
