/**
 * Exactly-once under retries: a client that sends every append twice or more with the same
 * client_message_id (including retries of requests that succeeded, and identical requests racing)
 * never stores a message twice, and every replay answers with the rows stored first.
 */
import assert from "node:assert/strict";
import { call, newUser, startConversation, test } from "../functions/helpers.ts";
import { assertGapFree, storedKeys } from "./checks.ts";

test("identical appends racing each other store the message once and answer with the same rows", async () => {
  const alice = await newUser();
  const id = await startConversation(alice);
  const rounds = 50;
  for (let round = 0; round < rounds; round++) {
    const body = {
      conversation_id: id,
      messages: [{ role: "user", content: `round ${round}`, client_message_id: `race-${round}` }],
    };
    const replies = await Promise.all(
      Array.from({ length: 4 }, () => call("append-message", { token: alice.token, body })),
    );
    const statuses = replies.map((reply) => reply.status).sort();
    assert.deepEqual(statuses, [200, 200, 200, 201], "one request stores, the others replay");
    for (const reply of replies) assert.deepEqual(reply.body.messages, replies[0].body.messages);
  }
  await assertGapFree([id]);
  const stored = await storedKeys([id]);
  assert.equal(stored.size, rounds);
  for (const copies of stored.values()) assert.equal(copies, 1);
});

test("retrying a batch that succeeded, in parts and whole, returns the stored rows and adds nothing", async () => {
  const alice = await newUser();
  const id = await startConversation(alice);
  const batch = Array.from(
    { length: 5 },
    (_, n) => ({ role: "user", content: `m${n}`, client_message_id: `b-${n}` }),
  );
  const first = await call("append-message", {
    token: alice.token,
    body: { conversation_id: id, messages: batch },
  });
  assert.equal(first.status, 201);
  const whole = await call("append-message", {
    token: alice.token,
    body: { conversation_id: id, messages: batch },
  });
  assert.equal(whole.status, 200);
  assert.deepEqual(whole.body.messages, first.body.messages);
  const part = await call("append-message", {
    token: alice.token,
    body: { conversation_id: id, messages: batch.slice(1, 3), expected_last_sequence: 0 },
  });
  assert.equal(part.status, 200, "a full replay ignores a stale expectation");
  assert.deepEqual(part.body.messages, first.body.messages.slice(1, 3));
  const extended = await call("append-message", {
    token: alice.token,
    body: {
      conversation_id: id,
      messages: [...batch, { role: "user", content: "new", client_message_id: "b-5" }],
    },
  });
  assert.equal(extended.status, 201);
  assert.deepEqual(extended.body.messages.map((m: { sequence_order: number }) => m.sequence_order), [
    1,
    2,
    3,
    4,
    5,
    6,
  ]);
  await assertGapFree([id]);
});
