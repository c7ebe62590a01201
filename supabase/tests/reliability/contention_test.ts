/**
 * Ordering under contention, over HTTP: 200 concurrent appends to one conversation and 500 spread
 * over 20, single messages and batches mixed. Every conversation ends numbered 1..N, every
 * acknowledged message is stored exactly once, and every request gets a 2xx or a documented 409.
 */
import assert from "node:assert/strict";
import { call, newUser, startConversation, test, type TestUser } from "../functions/helpers.ts";
import { assertGapFree, storedKeys } from "./checks.ts";

async function appendConcurrently(user: TestUser, targets: string[], label: string) {
  const requests = targets.map((conversationId, index) => {
    const size = index % 4 === 0 ? 1 + (index % 5) : 1; // every fourth request is a batch of 1..5
    const messages = Array.from({ length: size }, (_, n) => ({
      role: "user",
      content: `${label} ${index}.${n}`,
      client_message_id: `${label}-${index}-${n}`,
    }));
    // Every tenth request states an expectation that is almost certainly stale by the time it runs.
    const expected = index % 10 === 9 ? { expected_last_sequence: 0 } : {};
    return { conversationId, messages, expected };
  });
  const replies = await Promise.all(requests.map((request) =>
    call("append-message", {
      token: user.token,
      body: { conversation_id: request.conversationId, messages: request.messages, ...request.expected },
    })
  ));
  const acknowledged = new Set<string>();
  replies.forEach((reply, index) => {
    if (reply.status === 409) {
      assert.equal(reply.body.error.code, "sequence_conflict");
      assert.ok(
        "expected_last_sequence" in requests[index].expected,
        "only a stated expectation can conflict",
      );
      return;
    }
    assert.equal(reply.status, 201, JSON.stringify(reply.body));
    for (const message of reply.body.messages) acknowledged.add(message.client_message_id);
  });
  const sent = new Set(
    requests.flatMap((request) => request.messages.map((message) => message.client_message_id)),
  );
  return { replies, acknowledged, sent };
}

test("200 concurrent appends to one conversation are numbered 1..N, each stored once", async () => {
  const alice = await newUser();
  const id = await startConversation(alice);
  const { acknowledged, sent } = await appendConcurrently(alice, Array(200).fill(id), "hot");
  await assertGapFree([id]);
  const stored = await storedKeys([id]);
  for (const key of acknowledged) assert.equal(stored.get(key), 1, `${key} is stored exactly once`);
  for (const key of stored.keys()) {
    assert.ok(acknowledged.has(key) && sent.has(key), `${key} was acknowledged`);
  }
  assert.ok(acknowledged.size >= 200 * 0.8);
});

test("500 concurrent appends spread over 20 conversations are numbered 1..N, each stored once", async () => {
  const alice = await newUser();
  const ids: string[] = [];
  for (let n = 0; n < 20; n++) ids.push(await startConversation(alice));
  const targets = Array.from({ length: 500 }, (_, index) => ids[(index * 7) % 20]);
  const { acknowledged } = await appendConcurrently(alice, targets, "spread");
  await assertGapFree(ids);
  const stored = await storedKeys(ids);
  assert.equal(stored.size, acknowledged.size, "nothing is stored that was not acknowledged");
  for (const key of acknowledged) assert.equal(stored.get(key), 1, `${key} is stored exactly once`);
});
