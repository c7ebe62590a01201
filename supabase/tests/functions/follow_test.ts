/**
 * Following a reply in progress (chat's resume) whichever way it is written: by part operations,
 * which the store logs and a follower reads incrementally, and by content deltas
 * (update-message's append_content, as the client library's reply writer sends them).
 */
import assert from "node:assert/strict";
import type { UIMessageChunk } from "ai";
import { chatServer, chunksOf, replyInProgress, rest, streamedText, until } from "./chat_support.ts";
import { call, newUser, test } from "./helpers.ts";

const server = chatServer();
addEventListener("unload", () => server.close());

/** Reads the resumed stream until `text` has arrived. */
async function followUntil(chunks: AsyncGenerator<UIMessageChunk>, seen: UIMessageChunk[], text: string) {
  await until(chunks, () => streamedText(seen) === text, seen);
}

for (
  const [how, write] of [
    [
      "part operations",
      (sequence: number, text: string, offset: number) => ({
        sequence_order: sequence,
        ...(offset === 0 && text === "" ? { part_index: 0, part: { type: "text", text: "" } } : {
          part_index: 0,
          append_text: text,
          text_offset: offset,
        }),
      }),
    ],
    [
      "content deltas",
      (sequence: number, text: string, offset: number) => ({
        sequence_order: sequence,
        append_content: text,
        content_offset: offset,
      }),
    ],
  ] as const
) {
  test(`a resumed stream follows a reply written by ${how} to its end`, async () => {
    const alice = await newUser();
    const { conversationId, sequence } = await replyInProgress(alice);
    const update = async (body: Record<string, unknown>) => {
      const answer = await call("update-message", {
        token: alice.token,
        body: { conversation_id: conversationId, ...body },
      });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
    };
    await update(write(sequence, "", 0));
    const response = await fetch(`${server.url}/${conversationId}/stream`, {
      headers: { authorization: `Bearer ${alice.token}` },
    });
    assert.equal(response.status, 200);
    const chunks = chunksOf(response);
    const seen: UIMessageChunk[] = [];
    await update(write(sequence, "Hello", 0));
    await followUntil(chunks, seen, "Hello");
    await update(write(sequence, " world", 5));
    await followUntil(chunks, seen, "Hello world");
    await update({ sequence_order: sequence, status: "completed" });
    const all = [...seen, ...await rest(chunks)];
    assert.equal(streamedText(all), "Hello world");
    const finish = all.at(-1)!;
    assert.deepEqual(finish.type === "finish" && finish.messageMetadata, {
      conversation_id: conversationId,
      status: "completed",
    });
  });
}
