/**
 * chat with memory and recall: the Memory section in the instructions (within the window's budget),
 * the built-in memory and recall tools driven by the AI SDK's mock model, on the real database.
 */
import assert from "node:assert/strict";
import type { LanguageModelV4CallOptions } from "@ai-sdk/provider";
import { finishPart, textParts, toolCallParts } from "../../../local/mock_model.ts";
import { memorySection } from "../../functions/chat/memory.ts";
import { countText } from "../../functions/_shared/token_counts.ts";
import { allChunks, chatServer, history, postChat, userMessage } from "./chat_support.ts";
import { call, newUser, startConversation, test, type TestUser } from "./helpers.ts";

const server = chatServer();
const budgeted = chatServer({ settings: { contextTokens: 700 } });
const forgetful = chatServer({ memory: { memory: false, recall: false } });
addEventListener("unload", () => {
  for (const each of [server, budgeted, forgetful]) each.close();
});

/** The instructions a model call was given (its first system message). */
function instructionsOf(options: LanguageModelV4CallOptions): string {
  const system = options.prompt[0];
  return system.role === "system" ? system.content : "";
}

async function memoryOf(user: TestUser) {
  return (await call("get-memory", { token: user.token })).body;
}

/** The stored tool parts of a conversation's last message. */
async function toolParts(user: TestUser, conversationId: string) {
  const parts = (await history(user, conversationId)).at(-1)!.parts as Array<Record<string, unknown>>;
  return parts.filter((part) => part.type === "tool-call");
}

test("every turn shows the user's memory as data in the instructions' last section, the conversation state as data too", async () => {
  const alice = await newUser();
  await call("update-memory", { token: alice.token, body: { key: "name", value: "Alice" } });
  const conversationId = await startConversation(alice, { metadata: { step: "script" } });
  const response = postChat(server.url, alice, { id: conversationId, messages: [userMessage("Hi")] });
  const model = await server.model.nextCall();
  const instructions = instructionsOf(model.options);
  assert.ok(instructions.indexOf("## Memory") > 0, instructions);
  assert.ok(
    instructions.endsWith('<conversation_data>{"memory":{"name":"Alice"}}</conversation_data>'),
    instructions,
  );
  const state = JSON.stringify(model.options.prompt[1]);
  assert.match(state, /conversation_state.*step.*script/, "the conversation state reaches the model as data");
  assert.deepEqual(model.options.tools?.map((tool) => tool.name), ["memory", "recall"]);
  model.send(...textParts(["Hello Alice"]), finishPart());
  model.end();
  await allChunks(await response);
});

test("the Memory section is counted in the window's budget: get_context gets max_tokens minus its tokens", async () => {
  const alice = await newUser();
  const fact = Array.from({ length: 150 }, (_, n) => `fact${n}`).join(" ");
  await call("update-memory", { token: alice.token, body: { key: "facts", value: fact } });
  const turns = Array.from({ length: 12 }, (_, n) => ({
    role: n % 2 === 0 ? "user" : "assistant",
    content: `turn ${n} ${"words ".repeat(40)}`,
  }));
  const conversationId = await startConversation(alice, { messages: turns });
  const memory = await memoryOf(alice);
  const sectionTokens = countText(`\n\n${memorySection(memory)}`);
  const windowOf = async (maxTokens: number) =>
    (await call("get-context", {
      token: alice.token,
      query: { conversation_id: conversationId, max_tokens: maxTokens, format: "ui" },
    })).body.messages.length;
  // Read while the turn runs: the window holds the new message (the reply in progress is not in it).
  const response = postChat(budgeted.url, alice, { id: conversationId, messages: [userMessage("And?")] });
  const model = await budgeted.model.nextCall();
  const expected = await windowOf(700 - sectionTokens);
  assert.ok(expected < await windowOf(700), "the memory takes room the window would otherwise have");
  const turnsRead = model.options.prompt.filter((message) => message.role !== "system").length;
  assert.equal(turnsRead, expected, "the model reads the window of the smaller budget");
  model.send(...textParts(["Noted."]), finishPart());
  model.end();
  await allChunks(await response);
});

test("the model's memory tool stores an entry as a tool part, and the next conversation's model call holds it", async () => {
  const alice = await newUser();
  const first = crypto.randomUUID();
  const response = postChat(server.url, alice, { id: first, messages: [userMessage("I am vegetarian.")] });
  const step1 = await server.model.nextCall();
  assert.match(instructionsOf(step1.options), /## Memory[\s\S]*Nothing yet\./);
  step1.send(...toolCallParts("memory", { key: "diet", value: "vegetarian" }));
  step1.end();
  const step2 = await server.model.nextCall();
  step2.send(...textParts(["I will remember that."]), finishPart());
  step2.end();
  await allChunks(await response);

  const [part] = await toolParts(alice, first);
  assert.deepEqual([part.tool_name, part.state, part.input, part.output], [
    "memory",
    "output-available",
    { key: "diet", value: "vegetarian" },
    { key: "diet", value: "vegetarian", remembered: true },
  ]);
  const memory = await memoryOf(alice);
  assert.deepEqual(
    memory.entries.map((entry: Record<string, unknown>) => [entry.key, entry.value, entry.conversation_id]),
    [
      ["diet", "vegetarian", first],
    ],
  );

  const second = crypto.randomUUID();
  const next = postChat(server.url, alice, { id: second, messages: [userMessage("Suggest a dinner.")] });
  const call2 = await server.model.nextCall();
  assert.match(instructionsOf(call2.options), /"diet":"vegetarian"/);
  call2.send(...textParts(["A lentil curry."]), finishPart());
  call2.end();
  await allChunks(await next);
});

test("a memory write over a change made meanwhile by another conversation is an error showing it; a second call replaces it", async () => {
  const alice = await newUser();
  const created = await call("update-memory", { token: alice.token, body: { key: "city", value: "Lyon" } });
  const conversationId = crypto.randomUUID();
  const response = postChat(server.url, alice, { id: conversationId, messages: [userMessage("I moved.")] });
  const step1 = await server.model.nextCall();
  // Another conversation (or the user) changes the entry after this turn read it.
  const meanwhile = await call("update-memory", {
    token: alice.token,
    body: { key: "city", value: "Paris", expected_version: created.body.entry.version },
  });
  assert.equal(meanwhile.status, 200);
  step1.send(...toolCallParts("memory", { key: "city", value: "Berlin" }, "call-1"));
  step1.end();
  const step2 = await server.model.nextCall();
  const toolResult = JSON.stringify(step2.options.prompt.at(-1));
  assert.match(toolResult, /another conversation changed \\"city\\" meanwhile: it is now \\"Paris\\"/);
  step2.send(...toolCallParts("memory", { key: "city", value: "Berlin" }, "call-2"));
  step2.end();
  const step3 = await server.model.nextCall();
  step3.send(...textParts(["Berlin it is."]), finishPart());
  step3.end();
  await allChunks(await response);

  const parts = await toolParts(alice, conversationId);
  assert.deepEqual(parts.map((part) => part.state), ["output-error", "output-available"]);
  assert.equal((await memoryOf(alice)).entries[0].value, "Berlin");
});

test("the recall tool finds what the user said in another conversation, and nothing of another user's", async () => {
  const alice = await newUser();
  const bob = await newUser();
  const earlier = await startConversation(alice, {
    messages: [{ role: "user", content: "My sister Clementine lives in Montreal." }],
  });
  await startConversation(bob, {
    messages: [{ role: "user", content: "My sister Clementine lives in Oslo." }],
  });
  const conversationId = crypto.randomUUID();
  const response = postChat(server.url, alice, {
    id: conversationId,
    messages: [userMessage("Where does my sister live?")],
  });
  const step1 = await server.model.nextCall();
  step1.send(...toolCallParts("recall", { query: "sister Clementine" }));
  step1.end();
  const step2 = await server.model.nextCall();
  step2.send(...textParts(["In Montreal."]), finishPart());
  step2.end();
  await allChunks(await response);

  const [part] = await toolParts(alice, conversationId);
  assert.equal(part.state, "output-available");
  const output = part.output as {
    mode: string;
    passages: Array<{ conversation_id: string; snippet: string }>;
  };
  assert.equal(output.mode, "full_text");
  assert.deepEqual(output.passages.map((passage) => passage.conversation_id), [earlier]);
  assert.match(output.passages[0].snippet, /Montreal/);
});

test("an app that turns memory and recall off gets neither the Memory section nor the tools", async () => {
  const alice = await newUser();
  await call("update-memory", { token: alice.token, body: { key: "name", value: "Alice" } });
  const response = postChat(forgetful.url, alice, { id: crypto.randomUUID(), messages: [userMessage("Hi")] });
  const model = await forgetful.model.nextCall();
  assert.ok(!instructionsOf(model.options).includes("## Memory"));
  assert.equal(model.options.tools, undefined);
  model.send(...textParts(["Hello."]), finishPart());
  model.end();
  await allChunks(await response);
});
