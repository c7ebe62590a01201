/**
 * client/openai.ts: windows as the `openai` package's Responses input items and chat messages
 * (openai_types.ts checks the types against the package; no OpenAI call is made).
 */
import assert from "node:assert/strict";
import type { UIMessage } from "ai";
import { saveUIMessages } from "../../../client/ai_sdk.ts";
import { toChatMessages, toResponsesInput } from "../../../client/openai.ts";
import type { OpenAIMessage } from "../../../client/conversation_store.ts";
import { newUser, test } from "../functions/helpers.ts";
import { storeFor } from "./fixtures.ts";

const signed = (bucket: string, path: string) => Promise.resolve(`https://signed.example/${bucket}/${path}`);

Deno.test("a UI conversation becomes Responses input: messages, reasoning with encrypted content, calls and outputs", async () => {
  const messages: UIMessage[] = [
    { id: "s", role: "system", parts: [{ type: "text", text: "Be brief." }] },
    {
      id: "u",
      role: "user",
      parts: [
        { type: "text", text: "Compare these." },
        { type: "file", mediaType: "image/png", url: "data:image/png;base64,iVBORw0KGgo=" },
        {
          type: "file",
          mediaType: "application/pdf",
          filename: "a.pdf",
          url: "storage://conversation-files/u1/a.pdf",
        },
      ],
    },
    {
      id: "a",
      role: "assistant",
      parts: [
        { type: "step-start" },
        { type: "reasoning", text: "First,", providerMetadata: { openai: { itemId: "rs_1" } } },
        {
          type: "reasoning",
          text: "then.",
          providerMetadata: { openai: { itemId: "rs_1", reasoningEncryptedContent: "gAAA" } },
        },
        { type: "reasoning", text: "Another provider's thought.", providerMetadata: { acme: { sig: "x" } } },
        { type: "text", text: "Looking it up." },
        {
          type: "tool-lookup",
          toolCallId: "call_1",
          state: "output-available",
          input: { q: "a" },
          output: { found: true },
          callProviderMetadata: { openai: { itemId: "fc_1" } },
        },
        {
          type: "dynamic-tool",
          toolName: "fetch",
          toolCallId: "call_2",
          state: "output-error",
          input: {},
          errorText: "404",
        },
        {
          type: "tool-search",
          toolCallId: "ws_1",
          state: "output-available",
          input: {},
          output: "x",
          providerExecuted: true,
        },
        { type: "source-url", sourceId: "s1", url: "https://example.com" },
        { type: "step-start" },
        { type: "text", text: "Both match." },
        { type: "data-note", data: { private: true } },
      ],
    },
  ];
  assert.deepEqual(await toResponsesInput(messages, { resolveStorageUrl: signed }), [
    { role: "system", content: [{ type: "input_text", text: "Be brief." }] },
    {
      role: "user",
      content: [
        { type: "input_text", text: "Compare these." },
        { type: "input_image", detail: "auto", image_url: "data:image/png;base64,iVBORw0KGgo=" },
        {
          type: "input_file",
          file_url: "https://signed.example/conversation-files/u1/a.pdf",
          filename: "a.pdf",
        },
      ],
    },
    {
      type: "reasoning",
      id: "rs_1",
      summary: [{ type: "summary_text", text: "First," }, { type: "summary_text", text: "then." }],
      encrypted_content: "gAAA",
    },
    { role: "assistant", content: "Looking it up." },
    { type: "function_call", call_id: "call_1", name: "lookup", arguments: '{"q":"a"}', id: "fc_1" },
    { type: "function_call_output", call_id: "call_1", output: '{"found":true}' },
    { type: "function_call", call_id: "call_2", name: "fetch", arguments: "{}" },
    { type: "function_call_output", call_id: "call_2", output: "404" },
    { role: "assistant", content: "Both match." },
  ]);
});

Deno.test("a Storage file is refused without a resolver, in both shapes", async () => {
  const photo: UIMessage = {
    id: "u",
    role: "user",
    parts: [{ type: "file", mediaType: "image/png", url: "storage://conversation-files/u1/p.png" }],
  };
  await assert.rejects(toResponsesInput([photo]), TypeError);
  const chat = [{
    role: "user",
    content: [{ type: "image_url", image_url: { url: "storage://conversation-files/u1/p.png" } }],
  }] as unknown as OpenAIMessage[];
  await assert.rejects(toChatMessages(chat), TypeError);
});

Deno.test("chat messages keep their content-part arrays, image URLs of Storage files resolved", async () => {
  const chat = [
    { role: "system", content: "Be brief." },
    {
      role: "user",
      content: [
        { type: "text", text: "What is this?" },
        { type: "image_url", image_url: { url: "storage://conversation-files/u1/p.png" } },
        { type: "image_url", image_url: { url: "https://example.com/q.png" } },
        { type: "file", file: { filename: "a.pdf" } },
      ],
    },
  ] as unknown as OpenAIMessage[];
  assert.deepEqual(await toChatMessages(chat, { resolveStorageUrl: signed }), [
    { role: "system", content: "Be brief." },
    {
      role: "user",
      content: [
        { type: "text", text: "What is this?" },
        { type: "image_url", image_url: { url: "https://signed.example/conversation-files/u1/p.png" } },
        { type: "image_url", image_url: { url: "https://example.com/q.png" } },
        { type: "file", file: { filename: "a.pdf" } },
      ],
    },
  ]);
});

test("a reasoning model's turn stored as UIMessages goes back to the Responses API from the store's window", async () => {
  const user = await newUser();
  const store = storeFor(user);
  const { conversation } = await store.start();
  await saveUIMessages(store, conversation.id, [
    {
      id: "u",
      role: "user",
      parts: [
        { type: "text", text: "Read this." },
        { type: "file", mediaType: "image/png", url: `storage://conversation-files/${user.id}/scan.png` },
      ],
    },
    {
      id: "a",
      role: "assistant",
      parts: [
        { type: "step-start" },
        {
          type: "reasoning",
          text: "A scan.",
          providerMetadata: { openai: { itemId: "rs_9", reasoningEncryptedContent: "gAAAA" } },
        },
        { type: "tool-ocr", toolCallId: "call_9", state: "output-available", input: {}, output: "Hello" },
        { type: "step-start" },
        { type: "text", text: "It says Hello." },
      ],
    },
  ]);
  const input = (window: { messages: UIMessage[] }) =>
    toResponsesInput(window.messages, { resolveStorageUrl: signed });
  const scan = `https://signed.example/conversation-files/${user.id}/scan.png`;
  const [withReasoning, without] = await Promise.all([
    store.uiContext(conversation.id, { maxTokens: 10_000, includeReasoning: true }).then(input),
    store.uiContext(conversation.id, { maxTokens: 10_000 }).then(input),
  ]);
  const turn = [
    {
      role: "user",
      content: [
        { type: "input_text", text: "Read this." },
        { type: "input_image", detail: "auto", image_url: scan },
      ],
    },
    { type: "function_call", call_id: "call_9", name: "ocr", arguments: "{}" },
    { type: "function_call_output", call_id: "call_9", output: "Hello" },
    { role: "assistant", content: "It says Hello." },
  ];
  assert.deepEqual(without, turn);
  assert.deepEqual(withReasoning, [
    turn[0],
    {
      type: "reasoning",
      id: "rs_9",
      summary: [{ type: "summary_text", text: "A scan." }],
      encrypted_content: "gAAAA",
    },
    ...turn.slice(1),
  ]);
});

test("a user message with files comes out of the store's context as chat content parts, Storage images signed", async () => {
  const user = await newUser();
  const store = storeFor(user);
  const { conversation } = await store.start();
  await saveUIMessages(store, conversation.id, [{
    id: "u",
    role: "user",
    parts: [
      { type: "text", text: "Both?" },
      { type: "file", mediaType: "image/png", url: `storage://conversation-files/${user.id}/a.png` },
      {
        type: "file",
        mediaType: "application/pdf",
        filename: "b.pdf",
        url: "data:application/pdf;base64,JVBERi0=",
      },
    ],
  }]);
  const { messages } = await store.context(conversation.id, { maxTokens: 10_000 });
  assert.deepEqual(await toChatMessages(messages, { resolveStorageUrl: signed }), [{
    role: "user",
    content: [
      { type: "text", text: "Both?" },
      { type: "image_url", image_url: { url: `https://signed.example/conversation-files/${user.id}/a.png` } },
      { type: "file", file: { file_data: "data:application/pdf;base64,JVBERi0=", filename: "b.pdf" } },
    ],
  }]);
});
