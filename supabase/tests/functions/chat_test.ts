/** The chat function over HTTP, on the real database, with the AI SDK's mock model driven by the test. */
import assert from "node:assert/strict";
import { finishPart, reasoningParts, textParts, toolCallParts } from "../../../local/mock_model.ts";
import { tools } from "../../functions/chat/tools.ts";
import {
  allChunks,
  chatServer,
  chunksOf,
  eventually,
  history,
  postChat,
  rest,
  storedReply,
  streamedText,
  until,
  userMessage,
} from "./chat_support.ts";
import type { UIMessageChunk } from "ai";
import { call, newUser, test } from "./helpers.ts";

const server = chatServer();
const otherInstance = chatServer();
const toolServer = chatServer({ tools });
const detached = chatServer({ settings: { onDisconnect: "continue" } });
// Storage signs URLs for the caller's own files; here a signer that names what it was asked for.
const signed = (bucket: string, path: string) => `https://storage.test/${bucket}/${path}?signed`;
const withFiles = chatServer({ storageUrls: () => (bucket, path) => Promise.resolve(signed(bucket, path)) });
addEventListener("unload", () => {
  for (const each of [server, otherInstance, toolServer, detached, withFiles]) each.close();
});

test("a message streams a reply in the UI message stream protocol, stored as it was streamed", async () => {
  const alice = await newUser();
  const conversationId = crypto.randomUUID();
  const sent = userMessage("Hello");
  const response = postChat(server.url, alice, {
    id: conversationId,
    messages: [sent],
    trigger: "submit-message",
  });
  const model = await server.model.nextCall();
  model.send(...textParts(["Hi ", "there", ", Alice!"]), finishPart());
  model.end();
  const answer = await response;
  assert.equal(answer.status, 200);
  assert.equal(answer.headers.get("x-vercel-ai-ui-message-stream"), "v1");
  assert.equal(answer.headers.get("content-type"), "text/event-stream");
  assert.equal(answer.headers.get("x-conversation-id"), conversationId);
  const chunks = await allChunks(answer);
  assert.equal(streamedText(chunks), "Hi there, Alice!");
  const start = chunks[0];
  assert.equal(start.type, "start");
  const finish = chunks.at(-1)!;
  assert.equal(finish.type, "finish");
  assert.deepEqual(finish.type === "finish" && finish.messageMetadata, {
    conversation_id: conversationId,
    status: "completed",
    model: "mock-model-id",
    usage: { inputTokens: 10, outputTokens: 10, totalTokens: 20 },
  });

  const messages = await history(alice, conversationId);
  assert.deepEqual(messages.map((m) => [m.role, m.content, m.status, m.client_message_id]), [
    ["user", "Hello", "completed", sent.id],
    ["assistant", "Hi there, Alice!", "completed", start.type === "start" && start.messageId],
  ]);
  assert.equal(model.options.prompt.at(-1)?.role, "user", "the model read the user's message");
});

test("the same user message sent again is stored once and answered with the stored reply", async () => {
  const alice = await newUser();
  const conversationId = crypto.randomUUID();
  const sent = userMessage("Once");
  const first = postChat(server.url, alice, { id: conversationId, messages: [sent] });
  const model = await server.model.nextCall();
  model.send(...textParts(["Only ", "once."]), finishPart());
  model.end();
  const firstChunks = await allChunks(await first);

  const again = await postChat(server.url, alice, { id: conversationId, messages: [sent] });
  assert.equal(again.status, 200);
  const againChunks = await allChunks(again);
  assert.equal(streamedText(againChunks), "Only once.");
  assert.deepEqual(againChunks[0], firstChunks[0], "the same reply id");
  assert.equal((await history(alice, conversationId)).length, 2);
});

test("a second message while a reply streams is refused with 409 reply_in_progress", async () => {
  const alice = await newUser();
  const conversationId = crypto.randomUUID();
  const first = postChat(server.url, alice, { id: conversationId, messages: [userMessage("First")] });
  const model = await server.model.nextCall();
  const second = await postChat(server.url, alice, { id: conversationId, messages: [userMessage("Second")] });
  assert.equal(second.status, 409);
  assert.equal((await second.json()).error.code, "reply_in_progress");
  model.send(...textParts(["Done."]), finishPart());
  model.end();
  assert.equal(streamedText(await allChunks(await first)), "Done.");
  assert.deepEqual((await history(alice, conversationId)).map((m) => m.content), ["First", "Done."]);
});

test("a model error mid-stream stores the reply incomplete with its text, and the browser gets a safe error chunk", async () => {
  const alice = await newUser();
  const conversationId = crypto.randomUUID();
  const response = postChat(server.url, alice, { id: conversationId, messages: [userMessage("Fail")] });
  const model = await server.model.nextCall();
  model.send({ type: "text-start", id: "t" }, { type: "text-delta", id: "t", delta: "Half a" });
  const chunks = chunksOf(await response);
  await until(chunks, (chunk) => chunk.type === "text-delta");
  model.fail(new Error("the provider hung up"));
  const after = (await rest(chunks)).map((chunk) =>
    chunk.type === "error" ? `error: ${chunk.errorText}` : chunk.type
  );
  assert.ok(after.includes("error: model_error: the model failed"), after.join());
  assert.ok(!after.join().includes("hung up"), "the provider's own text stays in the log");
  const reply = await storedReply(conversationId);
  assert.deepEqual([reply.content, reply.status], ["Half a", "incomplete"]);
});

test("closing the request stops the model and stores the reply incomplete with all text so far", async () => {
  const alice = await newUser();
  const conversationId = crypto.randomUUID();
  const abort = new AbortController();
  const response = await (async () => {
    const pending = postChat(
      server.url,
      alice,
      { id: conversationId, messages: [userMessage("Stop me")] },
      abort.signal,
    );
    const model = await server.model.nextCall();
    model.send({ type: "text-start", id: "t" }, { type: "text-delta", id: "t", delta: "So far" });
    return { answer: await pending, model };
  })();
  await until(chunksOf(response.answer), (chunk) => chunk.type === "text-delta");
  abort.abort();
  await response.model.aborted;
  const reply = await eventually(
    () => storedReply(conversationId),
    (r) => r.status !== "in_progress",
    "the reply to end",
  );
  assert.deepEqual([reply.content, reply.status], ["So far", "incomplete"]);
});

test("the owner's incomplete update stops the model; the reply keeps what was stored", async () => {
  const alice = await newUser();
  const conversationId = crypto.randomUUID();
  const response = postChat(server.url, alice, { id: conversationId, messages: [userMessage("Stop")] });
  const model = await server.model.nextCall();
  model.send({ type: "text-start", id: "t" }, { type: "text-delta", id: "t", delta: "Kept" });
  const stored = await eventually(
    () => storedReply(conversationId),
    (r) => r.content === "Kept",
    "the first delta",
  );
  const stop = await call("update-message", {
    token: alice.token,
    body: { conversation_id: conversationId, sequence_order: stored.sequence_order, status: "incomplete" },
  });
  assert.equal(stop.status, 200);
  model.send({ type: "text-delta", id: "t", delta: " and more" });
  await model.aborted;
  const chunks = await allChunks(await response);
  const finish = chunks.at(-1)!;
  const { usage, ...metadata } = (finish.type === "finish" && finish.messageMetadata) as Record<
    string,
    unknown
  >;
  assert.deepEqual(metadata, {
    conversation_id: conversationId,
    status: "incomplete",
    reason: "stopped",
    model: "mock-model-id",
  });
  assert.equal((usage as { estimated?: boolean }).estimated, true, "a stopped reply's usage is an estimate");
  const reply = await storedReply(conversationId);
  assert.deepEqual([reply.content, reply.status], ["Kept", "incomplete"]);
});

test("resume answers 204 without a reply in progress, else replays and follows it from another instance", async () => {
  const alice = await newUser();
  const conversationId = crypto.randomUUID();
  const resume = (path: string) =>
    fetch(`${otherInstance.url}${path}`, { headers: { authorization: `Bearer ${alice.token}` } });

  const none = await resume(`?conversation_id=${conversationId}`);
  assert.equal(none.status, 204, "a conversation not stored yet");
  await none.body?.cancel();

  const writing = postChat(server.url, alice, { id: conversationId, messages: [userMessage("Long one")] });
  const model = await server.model.nextCall();
  model.send(...reasoningParts("Two parts."), { type: "text-start", id: "t" }, {
    type: "text-delta",
    id: "t",
    delta: "Part one. ",
  });
  await eventually(() => storedReply(conversationId), (r) => r.content === "Part one. ", "the first delta");

  const [byQuery, byPath] = await Promise.all([
    resume(`?conversation_id=${conversationId}`),
    resume(`/${conversationId}/stream`),
  ]);
  assert.equal(byQuery.status, 200);
  assert.equal(byPath.headers.get("x-vercel-ai-ui-message-stream"), "v1");
  const followed = chunksOf(byQuery);
  const replayed: UIMessageChunk[] = [];
  await until(followed, (chunk) => chunk.type === "text-delta", replayed);
  assert.equal(streamedText(replayed), "Part one. ");
  assert.deepEqual(
    replayed.filter((chunk) => chunk.type === "reasoning-delta").map((chunk) => chunk.delta),
    ["Two parts."],
    "the replay has the reasoning stored before the text",
  );
  model.send(
    { type: "text-delta", id: "t", delta: "Part two." },
    { type: "text-end", id: "t" },
    finishPart(),
  );
  model.end();
  const following = await rest(followed);
  assert.equal(streamedText([...replayed, ...following]), "Part one. Part two.");
  assert.equal(streamedText(await allChunks(byPath)), "Part one. Part two.");
  const finish = following.at(-1)!;
  assert.deepEqual(finish.type === "finish" && finish.messageMetadata, {
    conversation_id: conversationId,
    status: "completed",
  });
  assert.equal(streamedText(await allChunks(await writing)), "Part one. Part two.");

  const after = await resume(`/${conversationId}/stream`);
  assert.equal(after.status, 204);
});

test("bad input is refused with 400 and no token with 401, and nothing is stored", async () => {
  const alice = await newUser();
  const conversationId = crypto.randomUUID();
  const cases: Array<[string, unknown]> = [
    ["a bad UUID", { id: "not-a-uuid", messages: [userMessage("x")] }],
    ["no messages", { id: conversationId, messages: [] }],
    ["the last message not the user's", {
      id: conversationId,
      messages: [{ ...userMessage("x"), role: "assistant" }],
    }],
    ["an unknown trigger", {
      id: conversationId,
      messages: [userMessage("x")],
      trigger: "delete-everything",
    }],
    ["an empty message", { id: conversationId, messages: [{ id: "m", role: "user", parts: [] }] }],
  ];
  for (const [what, body] of cases) {
    const response = await postChat(server.url, alice, body);
    assert.equal(response.status, 400, what);
    assert.equal((await response.json()).error.code, "invalid_request", what);
  }
  const anonymous = await fetch(server.url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ id: conversationId, messages: [userMessage("x")] }),
  });
  assert.equal(anonymous.status, 401);
  await anonymous.body?.cancel();
  const resume = await fetch(`${server.url}/${conversationId}/stream`);
  assert.equal(resume.status, 401);
  await resume.body?.cancel();
  const list = await call("list-conversations", { token: alice.token });
  assert.deepEqual(list.body.conversations, []);
});

test("a user message with an image and a Storage file is stored with its parts; the model reads both", async () => {
  const alice = await newUser();
  const conversationId = crypto.randomUUID();
  const image = "data:image/png;base64,iVBORw0KGgo=";
  const sent = {
    id: crypto.randomUUID(),
    role: "user",
    parts: [
      { type: "text", text: "What is in these?" },
      { type: "file", mediaType: "image/png", filename: "dot.png", url: image },
      {
        type: "file",
        mediaType: "application/pdf",
        url: `storage://conversation-files/${alice.id}/brief.pdf`,
      },
      { type: "data-video", id: "v1", data: { step: "storyboard" } },
    ],
  };
  const response = postChat(withFiles.url, alice, { id: conversationId, messages: [sent] });
  const model = await withFiles.model.nextCall();
  const read = JSON.stringify(model.options.prompt.at(-1));
  assert.ok(read.includes("iVBORw0KGgo="), `the model reads the image: ${read}`);
  assert.ok(
    read.includes(signed("conversation-files", `${alice.id}/brief.pdf`)),
    "and the Storage file, signed",
  );
  assert.ok(!read.includes("storyboard"), "a data part is the app's, not the model's");
  model.send(...textParts(["A dot and a brief."]), finishPart());
  model.end();
  await allChunks(await response);

  const ui = await call("get-history", {
    token: alice.token,
    query: { conversation_id: conversationId, format: "ui" },
  });
  assert.deepEqual(ui.body.messages[0], sent, "stored as it was sent");
});

test("a part the store cannot hold is refused (400) and a file in another user's folder forbidden (403); no message is stored", async () => {
  const [alice, bob] = [await newUser(), await newUser()];
  const conversationId = crypto.randomUUID();
  const refused = await postChat(server.url, alice, {
    id: conversationId,
    messages: [{ id: "m1", role: "user", parts: [{ type: "steering-message", text: "x" }] }],
  });
  assert.equal(refused.status, 400);
  assert.match((await refused.json()).error.message, /steering-message/);
  const forbidden = await postChat(server.url, alice, {
    id: conversationId,
    messages: [{
      id: "m2",
      role: "user",
      parts: [{
        type: "file",
        mediaType: "image/png",
        url: `storage://conversation-files/${bob.id}/secret.png`,
      }],
    }],
  });
  assert.equal(forbidden.status, 403);
  assert.equal((await forbidden.json()).error.code, "storage_path_forbidden");
  const stored = await call("get-history", {
    token: alice.token,
    query: { conversation_id: conversationId },
  });
  assert.deepEqual(stored.status === 200 ? stored.body.messages : [], []);
});

test("a tool of the tools module runs server-side; its call and result stream, and the model answers with it", async () => {
  const alice = await newUser();
  const conversationId = crypto.randomUUID();
  const response = postChat(toolServer.url, alice, {
    id: conversationId,
    messages: [userMessage("What time is it?")],
  });
  const step1 = await toolServer.model.nextCall();
  assert.deepEqual(step1.options.tools?.map((tool) => tool.name), [
    "get_time",
    "start_video_render",
    "get_video_status",
    "memory",
    "recall",
  ]);
  step1.send(...reasoningParts("Time needs the tool."), ...toolCallParts("get_time", { time_zone: "UTC" }));
  step1.end();
  const step2 = await toolServer.model.nextCall();
  const result = step2.options.prompt.at(-1);
  assert.equal(result?.role, "tool", "the model reads the tool's result");
  step2.send(...textParts(["It is now."]), finishPart());
  step2.end();
  const chunks = await allChunks(await response);
  const types = chunks.map((chunk) => chunk.type);
  assert.ok(types.indexOf("tool-input-available") < types.indexOf("tool-output-available"), types.join());
  const output = chunks.find((chunk) => chunk.type === "tool-output-available");
  assert.equal(
    output?.type === "tool-output-available" && (output.output as { time_zone: string }).time_zone,
    "UTC",
  );
  assert.equal(types.filter((type) => type === "start-step").length, 2);
  const reply = await storedReply(conversationId);
  assert.deepEqual([reply.content, reply.status], ["It is now.", "completed"]);

  // Stored as parts: what the browser was sent, tool state and reasoning included.
  const stored = (await history(alice, conversationId)).at(-1)!;
  const parts = stored.parts as Array<Record<string, unknown>>;
  assert.deepEqual(parts.map((part) => part.type), [
    "step-start",
    "reasoning",
    "tool-call",
    "step-start",
    "text",
  ]);
  assert.equal(parts[1].text, "Time needs the tool.");
  assert.deepEqual([parts[2].tool_name, parts[2].state, parts[2].input], ["get_time", "output-available", {
    time_zone: "UTC",
  }]);
  assert.equal((parts[2].output as { time_zone: string }).time_zone, "UTC");
  const [call] = stored.tool_calls as Array<{ id: string; function: { name: string; arguments: string } }>;
  assert.deepEqual([call.id, call.function.name, JSON.parse(call.function.arguments)], [
    parts[2].tool_call_id,
    "get_time",
    { time_zone: "UTC" },
  ], "tool_calls are derived from the tool part");
  assert.ok(reply.reasoning_token_count > 0, "reasoning is counted apart");
});

test("with CHAT_ON_DISCONNECT=continue a closed request does not stop the reply, which a resume then follows", async () => {
  const alice = await newUser();
  const conversationId = crypto.randomUUID();
  const abort = new AbortController();
  const pending = postChat(
    detached.url,
    alice,
    { id: conversationId, messages: [userMessage("Go on")] },
    abort.signal,
  );
  const model = await detached.model.nextCall();
  model.send({ type: "text-start", id: "t" }, { type: "text-delta", id: "t", delta: "Still " });
  await until(chunksOf(await pending), (chunk) => chunk.type === "text-delta");
  abort.abort();
  const resumed = await fetch(`${detached.url}/${conversationId}/stream`, {
    headers: { authorization: `Bearer ${alice.token}` },
  });
  assert.equal(resumed.status, 200);
  model.send({ type: "text-delta", id: "t", delta: "going." }, { type: "text-end", id: "t" }, finishPart());
  model.end();
  assert.equal(streamedText(await allChunks(resumed)), "Still going.");
  const reply = await storedReply(conversationId);
  assert.deepEqual([reply.content, reply.status], ["Still going.", "completed"]);
});

test("regenerate answers in a fork through the message before the reply, named in a header and the metadata", async () => {
  const alice = await newUser();
  const conversationId = crypto.randomUUID();
  const sent = userMessage("Pick a colour");
  const first = postChat(server.url, alice, { id: conversationId, messages: [sent] });
  const model = await server.model.nextCall();
  model.send(...textParts(["Red."]), finishPart());
  model.end();
  const start = (await allChunks(await first))[0];
  const replyId = start.type === "start" ? start.messageId : undefined;

  const again = postChat(server.url, alice, {
    id: conversationId,
    messages: [sent],
    trigger: "regenerate-message",
    messageId: replyId,
  });
  const second = await server.model.nextCall();
  second.send(...textParts(["Blue."]), finishPart());
  second.end();
  const answer = await again;
  const forkId = answer.headers.get("x-conversation-id")!;
  assert.notEqual(forkId, conversationId);
  const chunks = await allChunks(answer);
  assert.deepEqual(chunks[0].type === "start" && chunks[0].messageMetadata, { conversation_id: forkId });
  assert.deepEqual((await history(alice, forkId)).map((m) => m.content), ["Pick a colour", "Blue."]);
  assert.deepEqual((await history(alice, conversationId)).map((m) => m.content), ["Pick a colour", "Red."]);

  const unknown = await postChat(server.url, alice, {
    id: conversationId,
    messages: [sent],
    trigger: "regenerate-message",
    messageId: "no-such-reply",
  });
  assert.equal(unknown.status, 404);
  await unknown.body?.cancel();
});

test("without a model configured, chat answers 503 model_not_configured and stores nothing", async () => {
  const alice = await newUser();
  const conversationId = crypto.randomUUID();
  const response = await call("chat", {
    token: alice.token,
    body: { id: conversationId, messages: [userMessage("Hi")] },
  });
  assert.equal(response.status, 503);
  assert.equal(response.body.error.code, "model_not_configured");
  assert.equal(
    (await call("get-history", { token: alice.token, query: { conversation_id: conversationId } })).status,
    404,
  );
});
