/**
 * The Vercel AI SDK adapter with the SDK's own mock model: what generateText produces is stored
 * through the client, and what the store hands back is exactly what the model is sent next.
 */
import assert from "node:assert/strict";
import { generateText, type ModelMessage, stepCountIs, tool } from "ai";
import { MockLanguageModelV4 } from "ai/test";
import type { LanguageModelV4GenerateResult } from "@ai-sdk/provider";
import { z } from "zod";
import { toModelMessages, toModelPrompt, toStoreMessages } from "../../../client/ai_sdk.ts";
import { newUser, test } from "../functions/helpers.ts";
import { storeFor } from "./fixtures.ts";

const usage = {
  inputTokens: { total: 10, noCache: 10, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: 5, text: 5, reasoning: 0 },
};

function turn(content: LanguageModelV4GenerateResult["content"]): LanguageModelV4GenerateResult {
  const calls = content.some((part) => part.type === "tool-call");
  return {
    content,
    finishReason: calls ? { unified: "tool-calls", raw: "tool_calls" } : { unified: "stop", raw: "stop" },
    usage,
    warnings: [],
  };
}

const weather = tool({
  inputSchema: z.object({ city: z.string() }),
  execute: ({ city }) => ({ city, sky: "sunny", celsius: 21 }),
});

test("a tool-calling turn stored through the client is the next call's prompt, in order, ids matching", async () => {
  const store = storeFor(await newUser());
  const model = new MockLanguageModelV4({
    doGenerate: [
      turn([{ type: "tool-call", toolCallId: "call_paris", toolName: "weather", input: '{"city":"Paris"}' }]),
      turn([{ type: "text", text: "Sunny, 21 °C." }]),
      turn([{ type: "text", text: "No forecast for tomorrow yet." }]),
    ],
  });
  const { conversation } = await store.start({
    messages: [
      { role: "system", content: "You answer weather questions." },
      { role: "user", content: "Weather in Paris?" },
    ],
  });

  const first = await generateText({
    model,
    tools: { weather },
    stopWhen: stepCountIs(3),
    ...toModelPrompt((await store.context(conversation.id, { maxTokens: 8000 })).messages),
  });
  await store.append(conversation.id, toStoreMessages(first.responseMessages));
  await store.append(conversation.id, { role: "user", content: "And tomorrow?" });

  const stored = await store.history(conversation.id, { format: "openai" });
  assert.deepEqual(stored.messages.slice(2, 5), [
    {
      role: "assistant",
      tool_calls: [{
        id: "call_paris",
        type: "function",
        function: { name: "weather", arguments: '{"city":"Paris"}' },
      }],
    },
    { role: "tool", tool_call_id: "call_paris", content: '{"city":"Paris","sky":"sunny","celsius":21}' },
    { role: "assistant", content: "Sunny, 21 °C." },
  ]);

  const second = await generateText({
    model,
    tools: { weather },
    ...toModelPrompt((await store.context(conversation.id, { maxTokens: 8000 })).messages),
  });
  assert.equal(second.text, "No forecast for tomorrow yet.");
  // As JSON: the SDK spells out unset options (providerOptions: undefined), which no provider sends.
  assert.deepEqual(JSON.parse(JSON.stringify(model.doGenerateCalls[2].prompt)), [
    { role: "system", content: "You answer weather questions." },
    { role: "user", content: [{ type: "text", text: "Weather in Paris?" }] },
    {
      role: "assistant",
      content: [{
        type: "tool-call",
        toolCallId: "call_paris",
        toolName: "weather",
        input: { city: "Paris" },
      }],
    },
    {
      role: "tool",
      content: [{
        type: "tool-result",
        toolCallId: "call_paris",
        toolName: "weather",
        output: { type: "text", value: '{"city":"Paris","sky":"sunny","celsius":21}' },
      }],
    },
    { role: "assistant", content: [{ type: "text", text: "Sunny, 21 °C." }] },
    { role: "user", content: [{ type: "text", text: "And tomorrow?" }] },
  ]);
});

Deno.test("parallel calls, text beside a call, and every kind of tool output map to chat messages", () => {
  const response: ModelMessage[] = [
    {
      role: "assistant",
      content: [
        { type: "reasoning", text: "Two cities: two calls." },
        { type: "text", text: "Checking both." },
        { type: "tool-call", toolCallId: "a", toolName: "weather", input: { city: "Oslo" } },
        { type: "tool-call", toolCallId: "b", toolName: "weather", input: { city: "Rome" } },
        { type: "tool-call", toolCallId: "c", toolName: "clock", input: undefined },
      ],
    },
    {
      role: "tool",
      content: [
        {
          type: "tool-result",
          toolCallId: "a",
          toolName: "weather",
          output: { type: "json", value: { sky: "rain" } },
        },
        {
          type: "tool-result",
          toolCallId: "b",
          toolName: "weather",
          output: { type: "error-text", value: "timeout" },
        },
        { type: "tool-result", toolCallId: "c", toolName: "clock", output: { type: "execution-denied" } },
      ],
    },
  ];
  const stored = toStoreMessages(response);
  assert.deepEqual(stored, [
    {
      role: "assistant",
      content: "Checking both.",
      tool_calls: [
        { id: "a", type: "function", function: { name: "weather", arguments: '{"city":"Oslo"}' } },
        { id: "b", type: "function", function: { name: "weather", arguments: '{"city":"Rome"}' } },
        { id: "c", type: "function", function: { name: "clock", arguments: "{}" } },
      ],
    },
    { role: "tool", tool_call_id: "a", content: '{"sky":"rain"}' },
    { role: "tool", tool_call_id: "b", content: "timeout" },
    { role: "tool", tool_call_id: "c", content: "Tool execution denied." },
  ]);

  // Back from the chat format (as get-context returns these), the results are one tool message again.
  const [call, ...results] = stored;
  assert.deepEqual(
    toModelMessages([
      { role: "assistant", content: call.content!, tool_calls: call.tool_calls },
      ...results.map((result) => ({
        role: "tool" as const,
        tool_call_id: result.tool_call_id!,
        content: result.content!,
      })),
    ]),
    [
      {
        role: "assistant",
        content: [
          { type: "text", text: "Checking both." },
          { type: "tool-call", toolCallId: "a", toolName: "weather", input: { city: "Oslo" } },
          { type: "tool-call", toolCallId: "b", toolName: "weather", input: { city: "Rome" } },
          { type: "tool-call", toolCallId: "c", toolName: "clock", input: {} },
        ],
      },
      {
        role: "tool",
        content: [
          {
            type: "tool-result",
            toolCallId: "a",
            toolName: "weather",
            output: { type: "text", value: '{"sky":"rain"}' },
          },
          {
            type: "tool-result",
            toolCallId: "b",
            toolName: "weather",
            output: { type: "text", value: "timeout" },
          },
          {
            type: "tool-result",
            toolCallId: "c",
            toolName: "clock",
            output: { type: "text", value: "Tool execution denied." },
          },
        ],
      },
    ],
  );
});

Deno.test("a legacy function_call and its function message become a matched tool call and result", () => {
  assert.deepEqual(
    toModelMessages([
      { role: "user", content: "Time?" },
      { role: "assistant", function_call: { name: "clock", arguments: '{"zone":"UTC"}' } },
      { role: "function", name: "clock", content: "12:00" },
    ]),
    [
      { role: "user", content: "Time?" },
      {
        role: "assistant",
        content: [{
          type: "tool-call",
          toolCallId: "function_call_1",
          toolName: "clock",
          input: { zone: "UTC" },
        }],
      },
      {
        role: "tool",
        content: [{
          type: "tool-result",
          toolCallId: "function_call_1",
          toolName: "clock",
          output: { type: "text", value: "12:00" },
        }],
      },
    ],
  );
});

Deno.test("parts the chat format cannot hold are refused, not dropped", () => {
  assert.throws(
    () =>
      toStoreMessages([{
        role: "user",
        content: [{
          type: "file",
          mediaType: "image/png",
          data: { type: "url", url: new URL("https://example.com/a.png") },
        }],
      }]),
    { name: "TypeError", message: "a file part of a user message has no place in the store's chat format" },
  );
  assert.throws(() => toModelMessages([{ role: "tool", tool_call_id: "x", content: "orphan" }]), TypeError);
});

Deno.test("the pinned prompt and summary become instructions; a later system message stays a message", () => {
  assert.deepEqual(
    toModelPrompt([
      { role: "system", content: "Be brief." },
      { role: "system", content: "Summary: the user likes cats." },
      { role: "user", content: "Hi" },
      { role: "system", content: "The user is now on mobile." },
    ]),
    {
      instructions: [
        { role: "system", content: "Be brief." },
        { role: "system", content: "Summary: the user likes cats." },
      ],
      messages: [
        { role: "user", content: "Hi" },
        { role: "system", content: "The user is now on mobile." },
      ],
    },
  );
  assert.deepEqual(toModelPrompt([{ role: "user", content: "Hi" }]), {
    instructions: undefined,
    messages: [{ role: "user", content: "Hi" }],
  });
});

Deno.test("a user message with files in format=openai becomes image and file parts; what it cannot carry is refused", () => {
  assert.deepEqual(
    toModelMessages([{
      role: "user",
      content: [
        { type: "text", text: "Compare:" },
        { type: "image_url", image_url: { url: "https://example.com/a.png" } },
        { type: "file", file: { file_data: "data:application/pdf;base64,JVBERi0=", filename: "b.pdf" } },
      ],
    }]),
    [{
      role: "user",
      content: [
        { type: "text", text: "Compare:" },
        { type: "image", image: new URL("https://example.com/a.png") },
        {
          type: "file",
          data: new URL("data:application/pdf;base64,JVBERi0="),
          mediaType: "application/pdf",
          filename: "b.pdf",
        },
      ],
    }],
  );
  for (
    const part of [
      { type: "image_url" as const, image_url: { url: "storage://conversation-files/u/a.png" } },
      { type: "file" as const, file: { filename: "b.pdf" } },
    ]
  ) {
    assert.throws(() => toModelMessages([{ role: "user", content: [part] }]), {
      name: "TypeError",
      message: /cannot be sent from format=openai: use store.uiContext and toModelPromptFromUI$/,
    });
  }
});
