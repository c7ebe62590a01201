/**
 * Tools that ask first, driven by the `ai` package's own Chat (what useChat runs in a browser):
 * addToolApprovalResponse and addToolOutput with sendAutomaticallyWhen continue the same reply
 * through the chat function, live and after a reload.
 */
import assert from "node:assert/strict";
import {
  lastAssistantMessageIsCompleteWithApprovalResponses,
  lastAssistantMessageIsCompleteWithToolCalls,
  type UIMessage,
} from "ai";
import { Chat, StoreChatTransport } from "../../../client/chat.ts";
import { finishPart, textParts, toolCallParts } from "../../../local/mock_model.ts";
import { askingApproval, askingTools } from "./asking_tools.ts";
import { chatServer, eventually, storedReply } from "./chat_support.ts";
import { call, newUser, test, type TestUser } from "./helpers.ts";

const runs: string[] = [];
const server = chatServer({ tools: askingTools(runs), toolApproval: askingApproval });
addEventListener("unload", () => server.close());

function chatFor(user: TestUser, id: string, messages: UIMessage[] = []) {
  const transport = new StoreChatTransport({ api: server.url, token: () => user.token });
  return new Chat({
    id,
    messages,
    transport,
    sendAutomaticallyWhen: (options) =>
      lastAssistantMessageIsCompleteWithApprovalResponses(options) ||
      lastAssistantMessageIsCompleteWithToolCalls(options),
  });
}

type ToolUIPart = Extract<UIMessage["parts"][number], { toolCallId: string }>;
const toolPartOf = (message: UIMessage | undefined) =>
  message?.parts.find((part): part is ToolUIPart => "toolCallId" in part);
const textOf = (message: UIMessage | undefined) =>
  message?.parts.map((part) => part.type === "text" ? part.text : "").join("") ?? "";

/** Sends `text`; the model calls `toolName`; resolves once the Chat shows the waiting call. */
async function askForTool(chat: Chat, toolName: string, input: unknown): Promise<ToolUIPart> {
  const sent = chat.sendMessage({ text: `Please use ${toolName}` });
  const step = await server.model.nextCall();
  step.send(...textParts(["Asking. "]), ...toolCallParts(toolName, input));
  step.end();
  await sent;
  return toolPartOf(chat.lastMessage)!;
}

/** The model's answer to the continued reply; resolves once the reply is final and the Chat idle. */
async function continued(chat: Chat, conversationId: string, text: string) {
  const next = await server.model.nextCall();
  next.send(...textParts([text]), finishPart());
  next.end();
  await eventually(() => storedReply(conversationId), (reply) => reply.status === "completed", "the reply");
  await eventually(() => Promise.resolve(chat.status), (status) => status === "ready", "the Chat");
  return next.options.prompt;
}

test("Chat's addToolApprovalResponse approves a call and the same reply continues with the tool's output", async () => {
  const alice = await newUser();
  const conversationId = crypto.randomUUID();
  const chat = chatFor(alice, conversationId);
  const part = await askForTool(chat, "launch", { name: "chat-approved" });
  assert.equal(part.state, "approval-requested");
  const replyId = chat.lastMessage!.id;
  await chat.addToolApprovalResponse({
    id: (part as { approval: { id: string } }).approval.id,
    approved: true,
  });
  await continued(chat, conversationId, "Launched.");
  assert.deepEqual(runs.filter((name) => name === "chat-approved"), ["chat-approved"]);
  assert.equal(chat.messages.length, 2, "one user message and one reply");
  assert.equal(chat.lastMessage!.id, replyId);
  assert.equal(toolPartOf(chat.lastMessage)!.state, "output-available");
  assert.equal(textOf(chat.lastMessage), "Asking. Launched.");
});

test("Chat's denial ends the call output-denied and the model answers without running it", async () => {
  const alice = await newUser();
  const conversationId = crypto.randomUUID();
  const chat = chatFor(alice, conversationId);
  const part = await askForTool(chat, "launch", { name: "chat-denied" });
  await chat.addToolApprovalResponse({
    id: (part as { approval: { id: string } }).approval.id,
    approved: false,
    reason: "not now",
  });
  await continued(chat, conversationId, "As you wish.");
  assert.deepEqual(runs.filter((name) => name === "chat-denied"), []);
  assert.equal(toolPartOf(chat.lastMessage)!.state, "output-denied");
});

test("Chat's addToolOutput answers a client-side tool and the reply continues with the model reading it", async () => {
  const alice = await newUser();
  const conversationId = crypto.randomUUID();
  const chat = chatFor(alice, conversationId);
  const part = await askForTool(chat, "pick_color", {});
  assert.equal(part.state, "input-available");
  await chat.addToolOutput({ tool: "pick_color", toolCallId: part.toolCallId, output: { color: "teal" } });
  const prompt = await continued(chat, conversationId, "Teal it is.");
  assert.match(JSON.stringify(prompt.at(-1)), /teal/);
  assert.equal(toolPartOf(chat.lastMessage)!.state, "output-available");
});

test("after a reload, a Chat built from get-history format=ui shows the pending request and can still approve it", async () => {
  const alice = await newUser();
  const conversationId = crypto.randomUUID();
  await askForTool(chatFor(alice, conversationId), "launch", { name: "chat-reloaded" });
  const page = await call("get-history", {
    token: alice.token,
    query: { conversation_id: conversationId, format: "ui" },
  });
  const reloaded = chatFor(alice, conversationId, page.body.messages);
  const part = toolPartOf(reloaded.lastMessage)!;
  assert.equal(part.state, "approval-requested", "the request is shown after the reload");
  await reloaded.addToolApprovalResponse({
    id: (part as { approval: { id: string } }).approval.id,
    approved: true,
  });
  await continued(reloaded, conversationId, "Done after the reload.");
  assert.deepEqual(runs.filter((name) => name === "chat-reloaded"), ["chat-reloaded"]);
  assert.equal(toolPartOf(reloaded.lastMessage)!.state, "output-available");
});
