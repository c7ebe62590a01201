/**
 * A reply the store refuses to extend ends cleanly (issue 26, point 3): the model call is aborted,
 * the reply is stored incomplete with what the store holds and the reason, the browser gets an
 * error chunk and a finish, and nothing more is written, so the next message is taken at once.
 */
import assert from "node:assert/strict";
import type { UIMessageChunk } from "ai";
import { finishPart, textParts } from "../../../local/mock_model.ts";
import {
  allChunks,
  chatServer,
  eventually,
  postChat,
  storedReply,
  streamedText,
  userMessage,
} from "../functions/chat_support.ts";
import { call, newUser, pool, test, type TestUser } from "../functions/helpers.ts";

const server = chatServer();
addEventListener("unload", () => server.close());

/** The reply's stored metadata and whether anything of it is still in the log. */
async function ending(conversationId: string) {
  const { rows: [row] } = await pool.query(
    `select m.metadata, exists (select from conversation_store.reply_log l where l.message_id = m.id) as logged
     from public.conversation_messages m
     where m.conversation_id = $1 and m.role = 'assistant' order by m.sequence_order desc limit 1`,
    [conversationId],
  );
  return row as { metadata: { error?: { code: string; message: string } } | null; logged: boolean };
}

/** The last two chunks the browser got: the error, then the finish with the reply's status. */
function assertEndedWithError(chunks: UIMessageChunk[], conversationId: string) {
  const [error, finish] = chunks.slice(-2);
  assert.equal(error.type, "error");
  assert.deepEqual(finish.type === "finish" && finish.messageMetadata, {
    conversation_id: conversationId,
    status: "incomplete",
  });
}

/** The next message of the conversation is answered at once: no reply is left in progress. */
async function nextMessageIsAnswered(user: TestUser, conversationId: string) {
  const next = postChat(server.url, user, { id: conversationId, messages: [userMessage("Next one")] });
  const model = await server.model.nextCall();
  model.send(...textParts(["Fine."]), finishPart());
  model.end();
  const response = await next;
  assert.equal(response.status, 200, "the conversation takes the next message");
  assert.equal(streamedText(await allChunks(response)), "Fine.");
}

test("a reply the store refuses to extend past 100,000 characters ends incomplete with what it has and why", async () => {
  const alice = await newUser();
  const conversationId = crypto.randomUUID();
  const response = postChat(server.url, alice, { id: conversationId, messages: [userMessage("Go on")] });
  const model = await server.model.nextCall();
  const stored = "a".repeat(60_000);
  model.send({ type: "text-start", id: "t" }, { type: "text-delta", id: "t", delta: stored });
  await eventually(() => storedReply(conversationId), (r) => r.content === stored, "the first delta");
  model.send({ type: "text-delta", id: "t", delta: "b".repeat(50_000) });
  await model.aborted;

  const chunks = await allChunks(await response);
  assertEndedWithError(chunks, conversationId);
  assert.equal(streamedText(chunks), stored, "the browser got exactly what the store holds");
  const reply = await storedReply(conversationId);
  assert.deepEqual([reply.content, reply.status], [stored, "incomplete"]);
  const { metadata, logged } = await ending(conversationId);
  assert.equal(metadata?.error?.code, "payload_too_large", "the reason is stored with the reply");
  assert.equal(logged, false, "nothing of it is left to write");
  await nextMessageIsAnswered(alice, conversationId);
});

test("the owner's edit of the streaming text ends the reply incomplete with the owner's text", async () => {
  const alice = await newUser();
  const conversationId = crypto.randomUUID();
  const response = postChat(server.url, alice, { id: conversationId, messages: [userMessage("Draft it")] });
  const model = await server.model.nextCall();
  model.send({ type: "text-start", id: "t" }, { type: "text-delta", id: "t", delta: "Draft" });
  const streaming = await eventually(
    () => storedReply(conversationId),
    (r) => r.content === "Draft",
    "the draft",
  );
  const edit = await call("update-message", {
    token: alice.token,
    body: {
      conversation_id: conversationId,
      sequence_order: streaming.sequence_order,
      part_index: 1, // after the step's start
      part: { type: "text", text: "Edited by me" },
    },
  });
  assert.equal(edit.status, 200);
  model.send({ type: "text-delta", id: "t", delta: " more" });
  await model.aborted;

  const chunks = await allChunks(await response);
  assertEndedWithError(chunks, conversationId);
  assert.equal(streamedText(chunks), "Draft", "the browser never got the refused text");
  const reply = await storedReply(conversationId);
  assert.deepEqual([reply.content, reply.status], ["Edited by me", "incomplete"]);
  assert.equal((await ending(conversationId)).metadata?.error?.code, "content_offset_mismatch");
  await nextMessageIsAnswered(alice, conversationId);
});

test("a reply stopped by its owner ends with an error and a finish, and is not written again", async () => {
  const bob = await newUser();
  const conversationId = crypto.randomUUID();
  const response = postChat(server.url, bob, { id: conversationId, messages: [userMessage("Stop me")] });
  const model = await server.model.nextCall();
  model.send({ type: "text-start", id: "t" }, { type: "text-delta", id: "t", delta: "Kept" });
  const streaming = await eventually(
    () => storedReply(conversationId),
    (r) => r.content === "Kept",
    "the text",
  );
  const stop = await call("update-message", {
    token: bob.token,
    body: { conversation_id: conversationId, sequence_order: streaming.sequence_order, status: "incomplete" },
  });
  assert.equal(stop.status, 200);
  model.send({ type: "text-delta", id: "t", delta: " and more" });
  await model.aborted;

  assertEndedWithError(await allChunks(await response), conversationId);
  const reply = await storedReply(conversationId);
  assert.deepEqual([reply.content, reply.status], ["Kept", "incomplete"]);
  assert.equal((await ending(conversationId)).metadata, null, "the owner's Stop is no error of the reply");
});
