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
  replyState,
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
function assertEndedWithError(chunks: UIMessageChunk[], conversationId: string, reason: string) {
  const [error, finish] = chunks.slice(-2);
  assert.equal(error.type, "error");
  const state = finish.type === "finish" ? replyState(finish.messageMetadata) : {};
  assert.deepEqual(
    [state.conversation_id, state.status, state.reason],
    [conversationId, "incomplete", reason],
    JSON.stringify(state),
  );
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

/**
 * A chat reply streaming `first`, once the store holds it; `refuse` then makes the store refuse what
 * follows, the model sends `next`, and the call is aborted. Returns the browser's chunks.
 */
async function refusedAfter(
  user: TestUser,
  first: string,
  refuse: (conversationId: string, sequence: number) => Promise<void>,
  next: string,
  reason = "refused",
) {
  const conversationId = crypto.randomUUID();
  const response = postChat(server.url, user, { id: conversationId, messages: [userMessage("Go on")] });
  const model = await server.model.nextCall();
  model.send({ type: "text-start", id: "t" }, { type: "text-delta", id: "t", delta: first });
  const streaming = await eventually(
    () => storedReply(conversationId),
    (r) => r.content === first,
    "the text",
  );
  await refuse(conversationId, streaming.sequence_order);
  model.send({ type: "text-delta", id: "t", delta: next });
  await model.aborted;
  const chunks = await allChunks(await response);
  assertEndedWithError(chunks, conversationId, reason);
  return {
    conversationId,
    chunks,
    reply: await storedReply(conversationId),
    ...await ending(conversationId),
  };
}

/** The owner's update-message of the reply, which must succeed. */
async function ownerUpdates(user: TestUser, conversationId: string, sequence: number, change: object) {
  const update = await call("update-message", {
    token: user.token,
    body: { conversation_id: conversationId, sequence_order: sequence, ...change },
  });
  assert.equal(update.status, 200, JSON.stringify(update.body));
}

test("a reply the store refuses to extend past 100,000 characters ends incomplete with what it has and why", async () => {
  const alice = await newUser();
  const stored = "a".repeat(60_000);
  const ended = await refusedAfter(alice, stored, () => Promise.resolve(), "b".repeat(50_000));
  assert.equal(streamedText(ended.chunks), stored, "the browser got exactly what the store holds");
  assert.deepEqual([ended.reply.content, ended.reply.status], [stored, "incomplete"]);
  assert.equal(ended.metadata?.error?.code, "payload_too_large", "the reason is stored with the reply");
  assert.equal(ended.logged, false, "nothing of it is left to write");
  await nextMessageIsAnswered(alice, ended.conversationId);
});

test("the owner's edit of the streaming text ends the reply incomplete with the owner's text", async () => {
  const alice = await newUser();
  const edit = (conversationId: string, sequence: number) =>
    // Part 1: the text, after the step's start.
    ownerUpdates(alice, conversationId, sequence, {
      part_index: 1,
      part: { type: "text", text: "Edited by me" },
    });
  const ended = await refusedAfter(alice, "Draft", edit, " more");
  assert.equal(streamedText(ended.chunks), "Draft", "the browser never got the refused text");
  assert.deepEqual([ended.reply.content, ended.reply.status], ["Edited by me", "incomplete"]);
  assert.equal(ended.metadata?.error?.code, "content_offset_mismatch");
  await nextMessageIsAnswered(alice, ended.conversationId);
});

test("a reply stopped by its owner ends with an error and a finish, and is not written again", async () => {
  const bob = await newUser();
  const stop = (conversationId: string, sequence: number) =>
    ownerUpdates(bob, conversationId, sequence, { status: "incomplete" });
  const ended = await refusedAfter(bob, "Kept", stop, " and more", "stopped");
  assert.deepEqual([ended.reply.content, ended.reply.status], ["Kept", "incomplete"]);
  assert.equal(ended.metadata, null, "the owner's Stop is no error of the reply");
  assert.equal(ended.logged, false);
});
