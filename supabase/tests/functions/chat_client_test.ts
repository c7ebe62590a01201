/**
 * The `ai` package's own Chat (AbstractChat) and DefaultChatTransport against the local API's chat
 * function: what a browser app using useChat does.
 */
import assert from "node:assert/strict";
import type { UIMessage } from "ai";
import { Chat, StoreChatTransport } from "../../../client/chat.ts";
import { finishPart, textParts } from "../../../local/mock_model.ts";
import { chatServer, eventually, history, storedReply } from "./chat_support.ts";
import { newUser, test, type TestUser } from "./helpers.ts";

const server = chatServer();
const otherInstance = chatServer();
addEventListener("unload", () => {
  server.close();
  otherInstance.close();
});

function chatFor(user: TestUser, id: string, url = server.url) {
  const transport = new StoreChatTransport({ api: url, token: () => user.token });
  let changes = 0;
  const chat = new Chat({ id, transport, onChange: () => changes++ });
  return { chat, transport, changes: () => changes };
}

const textOf = (message: UIMessage | undefined) =>
  message?.parts.map((part) => part.type === "text" ? part.text : "").join("") ?? "";

test("Chat sends a message, streams the reply and ends with the store's reply id", async () => {
  const alice = await newUser();
  const conversationId = crypto.randomUUID();
  const { chat, changes } = chatFor(alice, conversationId);
  const sent = chat.sendMessage({ text: "Hello" });
  const model = await server.model.nextCall();
  model.send(...textParts(["Hello ", "from ", "the store."]), finishPart());
  model.end();
  await sent;
  assert.equal(chat.status, "ready");
  assert.deepEqual(chat.messages.map((m) => [m.role, textOf(m)]), [
    ["user", "Hello"],
    ["assistant", "Hello from the store."],
  ]);
  assert.ok(changes() > 2, "the reply arrived in pieces");
  const stored = await history(alice, conversationId);
  assert.deepEqual(stored.map((m) => m.client_message_id), chat.messages.map((m) => m.id));
  assert.deepEqual(chat.messages[1].metadata, {
    conversation_id: conversationId,
    status: "completed",
    model: "mock-model-id",
    usage: { inputTokens: 10, outputTokens: 10, totalTokens: 20 },
  });
});

test("Chat's stop ends the reply incomplete, with what was streamed", async () => {
  const alice = await newUser();
  const conversationId = crypto.randomUUID();
  const { chat } = chatFor(alice, conversationId);
  const sent = chat.sendMessage({ text: "Talk" });
  const model = await server.model.nextCall();
  model.send({ type: "text-start", id: "t" }, { type: "text-delta", id: "t", delta: "Once upon" });
  await eventually(
    () => Promise.resolve(textOf(chat.lastMessage)),
    (text) => text === "Once upon",
    "the first words",
  );
  await chat.stop();
  await sent;
  await model.aborted;
  const reply = await eventually(
    () => storedReply(conversationId),
    (r) => r.status !== "in_progress",
    "the stop",
  );
  assert.deepEqual([reply.content, reply.status], ["Once upon", "incomplete"]);
  assert.equal(textOf(chat.lastMessage), "Once upon");
});

test("a second Chat resumes a reply mid-stream from another instance, and a third tab follows too", async () => {
  const alice = await newUser();
  const conversationId = crypto.randomUUID();
  const writer = chatFor(alice, conversationId);
  const sent = writer.chat.sendMessage({ text: "Tell me a story" });
  const model = await server.model.nextCall();
  model.send({ type: "text-start", id: "t" }, { type: "text-delta", id: "t", delta: "It was " });
  await eventually(() => storedReply(conversationId), (r) => r.content === "It was ", "the first delta");

  // A reloaded page: the history it loads ends with the user's message; the reply comes by resuming.
  const reloaded = chatFor(alice, conversationId, otherInstance.url);
  const secondTab = chatFor(alice, conversationId, otherInstance.url);
  const resumed = reloaded.chat.resumeStream();
  const followed = secondTab.chat.resumeStream();
  await eventually(
    () => Promise.resolve(textOf(reloaded.chat.lastMessage)),
    (text) => text === "It was ",
    "the replay",
  );
  model.send(
    { type: "text-delta", id: "t", delta: "a dark night." },
    { type: "text-end", id: "t" },
    finishPart(),
  );
  model.end();
  await Promise.all([sent, resumed, followed]);
  for (const { chat } of [writer, reloaded, secondTab]) {
    assert.equal(textOf(chat.lastMessage), "It was a dark night.");
    assert.equal(chat.lastMessage?.id, writer.chat.lastMessage?.id);
  }
  assert.equal(reloaded.chat.status, "ready");
});

test("resuming without a reply in progress leaves the Chat as it was", async () => {
  const alice = await newUser();
  const { chat } = chatFor(alice, crypto.randomUUID());
  const sent = chat.sendMessage({ text: "Hi" });
  const model = await server.model.nextCall();
  model.send(...textParts(["Hi."]), finishPart());
  model.end();
  await sent;
  await chat.resumeStream();
  assert.deepEqual(chat.messages.map(textOf), ["Hi", "Hi."]);
  assert.equal(chat.status, "ready");
});

test("regenerate answers in a fork, and the transport follows the conversation into it", async () => {
  const alice = await newUser();
  const conversationId = crypto.randomUUID();
  const { chat, transport } = chatFor(alice, conversationId);
  const sent = chat.sendMessage({ text: "A name for a cat?" });
  const first = await server.model.nextCall();
  first.send(...textParts(["Tom."]), finishPart());
  first.end();
  await sent;

  const regenerated = chat.regenerate();
  const second = await server.model.nextCall();
  assert.equal(second.options.prompt.at(-1)?.role, "user", "the model answers the user's message again");
  second.send(...textParts(["Felix."]), finishPart());
  second.end();
  await regenerated;
  assert.deepEqual(chat.messages.map(textOf), ["A name for a cat?", "Felix."]);
  const forkId = transport.conversationId!;
  assert.notEqual(forkId, conversationId);
  assert.deepEqual((await history(alice, conversationId)).map((m) => m.content), [
    "A name for a cat?",
    "Tom.",
  ]);
  assert.deepEqual((await history(alice, forkId)).map((m) => m.content), ["A name for a cat?", "Felix."]);

  const next = chat.sendMessage({ text: "Another?" });
  const third = await server.model.nextCall();
  third.send(...textParts(["Luna."]), finishPart());
  third.end();
  await next;
  assert.deepEqual((await history(alice, forkId)).map((m) => m.content), [
    "A name for a cat?",
    "Felix.",
    "Another?",
    "Luna.",
  ]);
});
