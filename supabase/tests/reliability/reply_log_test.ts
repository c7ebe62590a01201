/**
 * The reply log under hostile use, over HTTP (update-message's part operations, which the log
 * stores): racing writers at one offset, racing writers at the size limit, another user's forged
 * ids, deep parts, and a delete while the reply streams. Whatever the race, the reply read back is
 * one consistent text within the limits, and its log never outlives it.
 */
import assert from "node:assert/strict";
import { call, newUser, pool, test, type TestUser } from "../functions/helpers.ts";
import { replyInProgress } from "../functions/chat_support.ts";

/** A reply in progress with one empty text part, in a new conversation of `user`. */
async function streamingReply(user: TestUser) {
  const { conversationId, sequence } = await replyInProgress(user);
  const part = await operation(user, conversationId, sequence, {
    part_index: 0,
    part: { type: "text", text: "" },
  });
  assert.equal(part.status, 200, JSON.stringify(part.body));
  return { conversationId, sequence };
}

function operation(user: TestUser, conversationId: string, sequence: number, body: Record<string, unknown>) {
  return call("update-message", {
    token: user.token,
    body: { conversation_id: conversationId, sequence_order: sequence, ...body },
  });
}

const textOf = async (user: TestUser, conversationId: string) => {
  const history = await call("get-history", {
    token: user.token,
    query: { conversation_id: conversationId },
  });
  return history.body.messages.at(-1).content as string;
};

test("writers racing at one offset store exactly one delta, and the others are told why", async () => {
  const alice = await newUser();
  const { conversationId, sequence } = await streamingReply(alice);
  const answers = await Promise.all(
    Array.from({ length: 16 }, (_, i) =>
      operation(alice, conversationId, sequence, {
        part_index: 0,
        append_text: i % 2 === 0 ? "same" : `other${i}`,
        text_offset: 0,
      })),
  );
  const text = await textOf(alice, conversationId);
  assert.ok(text === "same" || /^other\d+$/.test(text), text);
  for (const answer of answers) {
    assert.ok(answer.status === 200 || answer.status === 409, JSON.stringify(answer.body));
    if (answer.status === 409) assert.equal(answer.body.error.code, "content_offset_mismatch");
  }
  const stored = answers.filter((answer) => answer.status === 200);
  assert.ok(stored.length >= 1, "one writer won");
  for (const answer of stored) assert.equal(answer.body.message.content, text, "a 200 is the stored text");
});

test("writers racing past the size limit never store more than 100,000 characters", async () => {
  const alice = await newUser();
  const { conversationId, sequence } = await streamingReply(alice);
  const [xs, ys] = ["x".repeat(30_000), "y".repeat(30_000)];
  let refused = false;
  // Rounds of deltas at the stored length, each raced by a duplicate (a retry) and an impostor.
  for (let round = 0; round < 8 && !refused; round++) {
    const offset = (await textOf(alice, conversationId)).length;
    const answers = await Promise.all(
      [xs, xs, ys].map((text) =>
        operation(alice, conversationId, sequence, { part_index: 0, append_text: text, text_offset: offset })
      ),
    );
    for (const answer of answers) {
      assert.ok([200, 409, 413].includes(answer.status), JSON.stringify(answer.body));
    }
    refused = answers.some((answer) => answer.body.error?.code === "payload_too_large");
  }
  assert.ok(refused, "the limit was reached");
  const text = await textOf(alice, conversationId);
  assert.equal(text.length, 90_000, "three whole deltas: a fourth would pass the limit");
  assert.match(text, /^(x{30000}|y{30000})*$/, "only whole deltas, each once");
});

test("another user's forged ids reach no reply, and deep or unknown parts are refused", async () => {
  const alice = await newUser();
  const mallory = await newUser();
  const { conversationId, sequence } = await streamingReply(alice);
  const forged = await operation(mallory, conversationId, sequence, {
    part_index: 0,
    append_text: "pwned",
    text_offset: 0,
  });
  assert.equal(forged.status, 404);
  let deep: unknown = "bottom";
  for (let i = 0; i < 40; i++) deep = [deep];
  const tooDeep = await operation(alice, conversationId, sequence, {
    part_index: 1,
    part: { type: "data", name: "x", data: deep },
  });
  assert.equal(tooDeep.status, 400);
  const unknown = await operation(alice, conversationId, sequence, {
    part_index: 1,
    part: { type: "text", text: "", secret: true },
  });
  assert.equal(unknown.status, 400);
  assert.equal(await textOf(alice, conversationId), "", "the reply is as it was");
  const { rows: [{ count }] } = await pool.query(
    `select count(*)::int from conversation_store.reply_log l
     join public.conversation_messages m on m.id = l.message_id where m.conversation_id = $1`,
    [conversationId],
  );
  assert.equal(count, 1, "only the owner's first part is logged");
});

test("a conversation deleted while its reply streams leaves no log behind, and a late delta is not found", async () => {
  const alice = await newUser();
  const { conversationId, sequence } = await streamingReply(alice);
  const { rows: [{ id }] } = await pool.query(
    `select id from public.conversation_messages where conversation_id = $1 and sequence_order = $2`,
    [conversationId, sequence],
  );
  const writes = Array.from(
    { length: 10 },
    (_, i) => operation(alice, conversationId, sequence, { part_index: 0, append_text: "w", text_offset: i }),
  );
  const deleted = await call("delete-conversation", {
    token: alice.token,
    body: { conversation_id: conversationId },
  });
  assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
  for (const answer of await Promise.all(writes)) {
    assert.ok([200, 404, 409].includes(answer.status), JSON.stringify(answer.body));
  }
  const late = await operation(alice, conversationId, sequence, {
    part_index: 0,
    append_text: "w",
    text_offset: 10,
  });
  assert.equal(late.status, 404);
  const { rows: [{ count }] } = await pool.query(
    `select count(*)::int from conversation_store.reply_log where message_id = $1`,
    [id],
  );
  assert.equal(count, 0);
});
