/**
 * Tools that ask first (issue 29): approvals and client-side tool outputs through `chat`, over HTTP,
 * on the real database, with the AI SDK's mock model. The browser's answers are built the way a
 * reloaded page builds them: from get-history format=ui, changed as addToolApprovalResponse and
 * addToolOutput change them (client/chat's Chat does it live in chat_client_test.ts).
 */
import assert from "node:assert/strict";
import type { UIMessage } from "ai";
import { finishPart, textParts, toolCallParts } from "../../../local/mock_model.ts";
import { toolApproval as appToolApproval, tools as appTools } from "../../functions/chat/tools.ts";
import {
  allChunks,
  chatServer,
  postChat,
  replyState,
  storedReply,
  streamedText,
  userMessage,
} from "./chat_support.ts";
import { askingApproval, askingTools } from "./asking_tools.ts";
import { call, newUser, pool, test, type TestUser } from "./helpers.ts";

/** Runs of the `launch` tool, by the input's name: a tool that must run once per approval. */
const launches: string[] = [];
const testTools = askingTools(launches);
const server = chatServer({ tools: testTools, toolApproval: askingApproval });
const video = chatServer({ tools: appTools, toolApproval: appToolApproval });
const quickExpiry = chatServer({
  tools: testTools,
  toolApproval: askingApproval,
  settings: { approvalMaxAgeSeconds: 60 },
});
// Vouches for each browser output it accepts, as a provenance stamp would.
const vouching = chatServer({
  tools: testTools,
  toolApproval: askingApproval,
  vouchForOutput: (answer) => ({ ...answer, result_provider_metadata: { test: { vouched: true } } }),
});
addEventListener("unload", () => {
  for (const each of [server, video, quickExpiry, vouching]) each.close();
});

type Server = typeof server;

/** The stored conversation as a reloaded page reads it (get-history format=ui). */
async function reloaded(user: TestUser, conversationId: string): Promise<UIMessage[]> {
  const reply = await call("get-history", {
    token: user.token,
    query: { conversation_id: conversationId, format: "ui" },
  });
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
  return reply.body.messages;
}

type ToolUIPart = Extract<UIMessage["parts"][number], { toolCallId: string }>;
const toolPart = (message: UIMessage, toolCallId = "call-1") =>
  message.parts.find((part) => "toolCallId" in part && part.toolCallId === toolCallId) as ToolUIPart;

/** The reply with the approval answered, as addToolApprovalResponse leaves it. */
function approved(reply: UIMessage, approved: boolean, toolCallId = "call-1", reason?: string): UIMessage {
  return withPart(reply, toolCallId, (part) => ({
    ...part,
    state: "approval-responded",
    approval: { id: (part as { approval: { id: string } }).approval.id, approved, reason },
  }));
}

/** The reply with a client-side tool's output, as addToolOutput leaves it. */
function withOutput(reply: UIMessage, output: unknown, toolCallId = "call-1"): UIMessage {
  return withPart(reply, toolCallId, (part) => ({ ...part, state: "output-available", output }));
}

function withPart(reply: UIMessage, toolCallId: string, change: (part: ToolUIPart) => unknown): UIMessage {
  return {
    ...reply,
    parts: reply.parts.map((part) =>
      "toolCallId" in part && part.toolCallId === toolCallId ? change(part) : part
    ) as UIMessage["parts"],
  };
}

/** A conversation whose reply called `toolName` and now waits for the user; returns its stored reply. */
async function waitingReply(
  user: TestUser,
  target: Server,
  toolName: string,
  input: unknown,
): Promise<{ conversationId: string; reply: UIMessage }> {
  const conversationId = crypto.randomUUID();
  const response = postChat(target.url, user, {
    id: conversationId,
    messages: [userMessage(`Use ${toolName}`)],
  });
  const step = await target.model.nextCall();
  step.send(...textParts(["Let me do that."]), ...toolCallParts(toolName, input));
  step.end();
  const chunks = await allChunks(await response);
  const finish = chunks.at(-1);
  assert.deepEqual(finish?.type === "finish" && replyState(finish.messageMetadata), {
    conversation_id: conversationId,
    status: "awaiting_input",
  });
  const messages = await reloaded(user, conversationId);
  return { conversationId, reply: messages.at(-1)! };
}

/** Sends the answered reply back, as useChat does, and answers the model's next call with `text`. */
async function answer(
  user: TestUser,
  target: Server,
  conversationId: string,
  reply: UIMessage,
  text: string,
) {
  const response = postChat(target.url, user, { id: conversationId, messages: [reply], messageId: reply.id });
  const next = await target.model.nextCall();
  next.send(...textParts([text]), finishPart());
  next.end();
  return { chunks: await allChunks(await response), prompt: next.options.prompt };
}

/** Sends the answered reply back and expects a refusal: no model call, no tool run. */
async function refused(user: TestUser, target: Server, conversationId: string, reply: UIMessage) {
  const response = await postChat(target.url, user, { id: conversationId, messages: [reply] });
  return { status: response.status, body: await response.json() };
}

test("a call that needs approval ends the reply waiting for the user, stored with its request, and the conversation is not blocked", async () => {
  const alice = await newUser();
  const { conversationId, reply } = await waitingReply(alice, server, "launch", { name: "waiting" });
  const part = toolPart(reply);
  assert.equal(part.type, "tool-launch");
  assert.equal(part.state, "approval-requested");
  assert.deepEqual(part.input, { name: "waiting" });
  assert.equal((await storedReply(conversationId)).status, "awaiting_input");
  assert.deepEqual(launches.filter((name) => name === "waiting"), [], "nothing ran before the approval");
  const listed = await call("list-conversations", { token: alice.token });
  const conversation = listed.body.conversations.find((c: { id: string }) => c.id === conversationId);
  assert.equal(conversation.awaiting_input, true, "list-conversations says it waits for the user");
});

test("an approved call runs once and the same reply continues, with the tool's output and the model's answer", async () => {
  const alice = await newUser();
  const { conversationId, reply } = await waitingReply(alice, server, "launch", { name: "approved" });
  const { chunks, prompt } = await answer(alice, server, conversationId, approved(reply, true), "Launched.");
  assert.deepEqual(chunks[0], {
    type: "start",
    messageId: reply.id,
    messageMetadata: { conversation_id: conversationId },
  });
  assert.ok(chunks.some((chunk) => chunk.type === "tool-output-available" && chunk.toolCallId === "call-1"));
  assert.equal(streamedText(chunks), "Launched.");
  assert.deepEqual(launches.filter((name) => name === "approved"), ["approved"]);
  assert.equal(prompt.at(-1)?.role, "tool", "the model reads the tool's result");
  const stored = (await reloaded(alice, conversationId)).at(-1)!;
  assert.equal(stored.id, reply.id, "one reply, continued");
  assert.equal(toolPart(stored).state, "output-available");
  assert.deepEqual((toolPart(stored) as { output: unknown }).output, { launched: "approved" });
  assert.equal((await storedReply(conversationId)).status, "completed");
  const listed = await call("list-conversations", { token: alice.token });
  assert.equal(
    listed.body.conversations.find((c: { id: string }) => c.id === conversationId).awaiting_input,
    false,
  );
});

test("a replayed approval is refused with tool_call_answered and the tool does not run again", async () => {
  const alice = await newUser();
  const { conversationId, reply } = await waitingReply(alice, server, "launch", { name: "replayed" });
  const answered = approved(reply, true);
  await answer(alice, server, conversationId, answered, "Done.");
  const replay = await refused(alice, server, conversationId, answered);
  assert.equal(replay.status, 409);
  assert.equal(replay.body.error.code, "tool_call_answered");
  assert.deepEqual(launches.filter((name) => name === "replayed"), ["replayed"]);
});

test("two approvals racing run the tool once: one continues the reply, the other is refused", async () => {
  const alice = await newUser();
  const { conversationId, reply } = await waitingReply(alice, server, "launch", { name: "raced" });
  const answered = approved(reply, true);
  const responses = await Promise.all(
    [1, 2].map(() => postChat(server.url, alice, { id: conversationId, messages: [answered] })),
  );
  const next = await server.model.nextCall();
  next.send(...textParts(["Once."]), finishPart());
  next.end();
  const statuses = await Promise.all(responses.map(async (response) => {
    if (response.status === 200) await allChunks(response);
    else await response.json();
    return response.status;
  }));
  assert.deepEqual(statuses.toSorted(), [200, 409]);
  assert.deepEqual(launches.filter((name) => name === "raced"), ["raced"]);
});

test("a denied call becomes output-denied, final, and the model is told; the tool never runs", async () => {
  const alice = await newUser();
  const { conversationId, reply } = await waitingReply(alice, server, "launch", { name: "denied" });
  const { chunks, prompt } = await answer(
    alice,
    server,
    conversationId,
    approved(reply, false, "call-1", "too expensive"),
    "Understood, I will not launch it.",
  );
  assert.ok(chunks.some((chunk) => chunk.type === "tool-output-denied" && chunk.toolCallId === "call-1"));
  assert.deepEqual(launches.filter((name) => name === "denied"), []);
  const told = JSON.stringify(prompt.at(-1));
  assert.match(told, /execution-denied/);
  assert.match(told, /too expensive/);
  const stored = toolPart((await reloaded(alice, conversationId)).at(-1)!);
  assert.equal(stored.state, "output-denied");
  const again = await refused(alice, server, conversationId, approved(reply, true));
  assert.equal(again.body.error.code, "tool_call_answered", "a denial is final: approving later is refused");
  assert.deepEqual(launches.filter((name) => name === "denied"), []);
});

test("an approval answered after the maximum age is denied, and the tool does not run", async () => {
  const alice = await newUser();
  const { conversationId, reply } = await waitingReply(alice, quickExpiry, "launch", { name: "expired" });
  // The reply asked two minutes ago (the server's setting allows one).
  await pool.query(
    `alter table public.conversation_messages disable trigger conversation_messages_touch_updated_at;
     update public.conversation_messages set updated_at = now() - interval '2 minutes'
       where conversation_id = '${conversationId}' and status = 'awaiting_input';
     alter table public.conversation_messages enable trigger conversation_messages_touch_updated_at;`,
  );
  const { chunks, prompt } = await answer(
    alice,
    quickExpiry,
    conversationId,
    approved(reply, true),
    "It expired.",
  );
  assert.ok(chunks.some((chunk) => chunk.type === "tool-output-denied"));
  assert.match(JSON.stringify(prompt.at(-1)), /the approval request expired/);
  assert.deepEqual(launches.filter((name) => name === "expired"), []);
});

test("forged answers are refused with tool_response_mismatch and run nothing: another call id, a changed input, another approval id", async () => {
  const alice = await newUser();
  const { conversationId, reply } = await waitingReply(alice, server, "launch", { name: "forged" });
  const otherCall = withPart(approved(reply, true), "call-1", (part) => ({ ...part, toolCallId: "call-9" }));
  const changedInput = withPart(
    approved(reply, true),
    "call-1",
    (part) => ({ ...part, input: { name: "evil" } }),
  );
  const otherApproval = withPart(approved(reply, true), "call-1", (part) => ({
    ...part,
    approval: { id: "forged-approval", approved: true },
  }));
  const otherTool = withPart(
    approved(reply, true),
    "call-1",
    (part) => ({ ...part, type: "tool-pick_color" }),
  );
  for (const forged of [otherCall, changedInput, otherApproval, otherTool]) {
    const answer = await refused(alice, server, conversationId, forged);
    assert.equal(answer.status, 422, JSON.stringify(answer.body));
    assert.equal(answer.body.error.code, "tool_response_mismatch");
  }
  assert.deepEqual(launches.filter((name) => name === "forged" || name === "evil"), []);
  assert.equal((await storedReply(conversationId)).status, "awaiting_input", "the request still waits");
});

test("another user's waiting request cannot be answered, nor one from another conversation", async () => {
  const alice = await newUser();
  const mallory = await newUser();
  const { conversationId, reply } = await waitingReply(alice, server, "launch", { name: "stolen" });
  const answered = approved(reply, true);
  const stolen = await refused(mallory, server, conversationId, answered);
  assert.equal(stolen.status, 404);
  const own = await waitingReply(mallory, server, "launch", { name: "mallory" });
  const crossed = await refused(mallory, server, own.conversationId, answered);
  assert.equal(crossed.status, 404, "alice's reply id is not a reply of mallory's conversation");
  assert.deepEqual(launches.filter((name) => name === "stolen"), []);
  assert.equal((await storedReply(conversationId)).status, "awaiting_input");
});

test("a client-side tool's output continues the reply once; a second output for it is refused", async () => {
  const alice = await newUser();
  const { conversationId, reply } = await waitingReply(alice, server, "pick_color", {});
  assert.equal(toolPart(reply).state, "input-available");
  const answered = withOutput(reply, { color: "teal" });
  const { prompt } = await answer(alice, server, conversationId, answered, "Teal it is.");
  assert.match(JSON.stringify(prompt.at(-1)), /teal/);
  const stored = toolPart((await reloaded(alice, conversationId)).at(-1)!);
  assert.deepEqual([stored.state, (stored as { output: unknown }).output], ["output-available", {
    color: "teal",
  }]);
  const second = await refused(alice, server, conversationId, withOutput(reply, { color: "red" }));
  assert.equal(second.body.error.code, "tool_call_answered");
});

test("a new message instead of an answer settles the waiting call as denied, and the model reads a valid history", async () => {
  const alice = await newUser();
  const { conversationId } = await waitingReply(alice, server, "launch", { name: "ignored" });
  const response = postChat(server.url, alice, { id: conversationId, messages: [userMessage("Never mind")] });
  const next = await server.model.nextCall();
  // The SDK reads an output-denied call to the model as its denial reason.
  assert.match(JSON.stringify(next.options.prompt), /the conversation went on without an answer/);
  next.send(...textParts(["OK."]), finishPart());
  next.end();
  await allChunks(await response);
  const [, settled] = await reloaded(alice, conversationId);
  assert.equal(toolPart(settled).state, "output-denied");
  assert.deepEqual(launches.filter((name) => name === "ignored"), []);
});

test("the video example: start_video_render asks first and, approved, records the render job in the conversation's metadata", async () => {
  const alice = await newUser();
  const { conversationId, reply } = await waitingReply(alice, video, "start_video_render", {
    prompt: "a cat",
  });
  assert.equal(toolPart(reply).state, "approval-requested");
  await answer(alice, video, conversationId, approved(reply, true), "Rendering.");
  const conversation = await call("get-history", {
    token: alice.token,
    query: { conversation_id: conversationId },
  });
  const job = conversation.body.conversation.metadata.video_render;
  assert.deepEqual([job.prompt, job.state, job.progress], ["a cat", "queued", 0]);
});

test("an accepted browser output keeps the function's vouching in its result metadata, never the browser's own", async () => {
  const alice = await newUser();
  const { conversationId, reply } = await waitingReply(alice, vouching, "pick_color", {});
  const answered = withPart(reply, "call-1", (part) => ({
    ...part,
    state: "output-available",
    output: { color: "teal" },
    resultProviderMetadata: { test: { vouched: "by the browser" } },
  }));
  await answer(alice, vouching, conversationId, answered, "Teal.");
  const { rows: [row] } = await pool.query(
    `select p -> 'result_provider_metadata' as metadata
     from public.conversation_messages m, jsonb_array_elements(m.parts) p
     where m.conversation_id = $1 and p ->> 'tool_call_id' = 'call-1'`,
    [conversationId],
  );
  assert.deepEqual(row.metadata, { test: { vouched: true } });
});
