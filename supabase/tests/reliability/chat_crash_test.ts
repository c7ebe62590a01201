/**
 * The process serving a chat reply is killed mid-stream (SIGKILL: no cleanup runs). The browser was
 * sent only what was stored, so the stored reply is what it received, plus at most the one write
 * that committed before the kill but whose text had not reached the browser yet; a resume replays
 * exactly the stored text, and the next message takes it over: the reply ends incomplete with it.
 */
import assert from "node:assert/strict";
import type { UIMessageChunk } from "ai";
import {
  chunksOf,
  postChat,
  rest,
  storedReply,
  streamedText,
  until,
  userMessage,
} from "../functions/chat_support.ts";
import { databaseUrl, newUser, pool, spawnServer, test } from "../functions/helpers.ts";

test("a chat process killed mid-stream leaves exactly the streamed text, which the next message takes over", async () => {
  const alice = await newUser();
  const conversationId = crypto.randomUUID();
  const doomed = await spawnServer("../functions/fixtures/serve_chat.ts", {
    SUPABASE_DB_URL: databaseUrl,
    CHAT_FLUSH_MS: "20",
  }, /listening (\d+)/);
  const response = await postChat(`${doomed.url}/functions/v1/chat`, alice, {
    id: conversationId,
    messages: [userMessage("Count forever")],
  });
  assert.equal(response.status, 200);
  const chunks = chunksOf(response);
  const seen: UIMessageChunk[] = [];
  // The deltas a write stores reach the browser together (chat/outbox.ts): wait for the text, not a chunk.
  await until(chunks, () => streamedText(seen).includes(" w30 "), seen);
  await doomed.stop("SIGKILL");
  // Whatever was on its way before the connection dropped: read until the stream ends or fails.
  await until(chunks, () => false, seen).catch(() => {});
  const streamed = streamedText(seen);
  assert.match(streamed, /^w1 w2 w3 .*w30 (w\d+ )*$/, "the words in order, up to the kill");

  const reply = await storedReply(conversationId);
  assert.equal(reply.status, "in_progress", "nothing ended the reply");
  assert.ok(reply.content!.startsWith(streamed), "everything the browser was sent is stored");
  const unsent = reply.content!.slice(streamed.length);
  const next = Number(streamed.match(/w(\d+) $/)![1]) + 1;
  assert.match(unsent, new RegExp(`^(w${next} .*)?$`), "beyond it, only the model's next words");

  const survivor = await spawnServer("../functions/fixtures/serve_chat.ts", {
    SUPABASE_DB_URL: databaseUrl,
  }, /listening (\d+)/);
  try {
    const chat = `${survivor.url}/functions/v1/chat`;
    const busy = await postChat(chat, alice, { id: conversationId, messages: [userMessage("Hello?")] });
    assert.equal(busy.status, 409, "a reply silent for less than 60 s is still in progress");
    await busy.body?.cancel();

    // As if a minute had passed without a word from the killed writer.
    // (with triggers off for this statement, since a trigger sets updated_at on every update)
    await pool.query(
      `begin; set local session_replication_role = replica;
       update public.conversation_messages set updated_at = now() - interval '61 seconds'
       where conversation_id = '${conversationId}' and status = 'in_progress'; commit;`,
    );
    const resumed = await fetch(`${chat}/${conversationId}/stream`, {
      headers: { authorization: `Bearer ${alice.token}` },
    });
    const replay = await rest(chunksOf(resumed));
    assert.equal(streamedText(replay), reply.content, "resume replays the stored text");
    const finish = replay.at(-1)!;
    assert.deepEqual(finish.type === "finish" && finish.messageMetadata, {
      conversation_id: conversationId,
      status: "incomplete",
      reason: "taken_over",
    });

    const next = await postChat(
      chat,
      alice,
      { id: conversationId, messages: [userMessage("Stop now")] },
      AbortSignal.timeout(10_000),
    );
    assert.equal(next.status, 200);
    const nextChunks = chunksOf(next);
    await until(nextChunks, (chunk) => chunk.type === "text-delta");
    await nextChunks.return(undefined);
    const takenOver = await pool.query(
      `select content, status from public.conversation_messages where conversation_id = $1 and sequence_order = 2`,
      [conversationId],
    );
    assert.deepEqual(takenOver.rows[0], { content: reply.content, status: "incomplete" });
  } finally {
    await survivor.stop("SIGKILL");
  }
});
