/**
 * Hostile input to get-memory, update-memory and recall: other users' data, forged ids and
 * versions, replays, oversized and deep input, many writers at the limit. Every request answers a
 * documented 4xx (never a 500), and nothing is half-stored.
 */
import assert from "node:assert/strict";
import { call, newUser, startConversation, test, type TestUser } from "../functions/helpers.ts";

const remember = (user: TestUser, body: unknown) => call("update-memory", { token: user.token, body });

async function entriesOf(user: TestUser) {
  const reply = await call("get-memory", { token: user.token });
  assert.equal(reply.status, 200);
  return reply.body.entries.map((entry: Record<string, unknown>) => [entry.key, entry.value]);
}

test("hostile update-memory requests answer documented errors and store nothing", async () => {
  const alice = await newUser();
  const bob = await newUser();
  const bobsConversation = await startConversation(bob);
  const kept = await remember(alice, { key: "kept", value: "v" });
  assert.equal(kept.status, 200);
  const cases: Array<[string, unknown, number, string]> = [
    ["another user's id", { key: "k", value: "v", user_id: bob.id }, 403, "forbidden"],
    [
      "another user's conversation",
      { key: "k", value: "v", conversation_id: bobsConversation },
      404,
      "not_found",
    ],
    [
      "an unknown conversation",
      { key: "k", value: "v", conversation_id: crypto.randomUUID() },
      404,
      "not_found",
    ],
    [
      "a forged conversation id",
      { key: "k", value: "v", conversation_id: "1 or 1=1" },
      400,
      "invalid_request",
    ],
    ["a version as text", { key: "k", value: "v", expected_version: "1" }, 400, "invalid_request"],
    ["a negative version", { key: "k", value: "v", expected_version: -1 }, 400, "invalid_request"],
    ["a fractional version", { key: "k", value: "v", expected_version: 1.5 }, 400, "invalid_request"],
    ["a version past 2^53", { key: "k", value: "v", expected_version: 2 ** 60 }, 400, "invalid_request"],
    ["a forged version", { key: "kept", value: "x", expected_version: 999_999_999 }, 409, "memory_conflict"],
    ["a NUL in the key", { key: "a\u0000b", value: "v" }, 400, "invalid_request"],
    ["a lone surrogate in the value", { key: "k", value: "\ud800" }, 400, "invalid_request"],
    ["an object as the value", { key: "k", value: { nested: true } }, 400, "invalid_request"],
    ["a value of 4,001 characters", { key: "k", value: "v".repeat(4001) }, 400, "invalid_request"],
    ["a key of 101 characters", { key: "k".repeat(101), value: "v" }, 400, "invalid_request"],
    ["an unknown field", { key: "k", value: "v", version: 1 }, 400, "invalid_request"],
    ["an array body", [{ key: "k", value: "v" }], 400, "invalid_request"],
  ];
  for (const [name, body, status, code] of cases) {
    const reply = await remember(alice, body);
    assert.equal(reply.status, status, `${name}: ${JSON.stringify(reply.body)}`);
    assert.equal(reply.body.error.code, code, name);
  }
  const deep = await call("update-memory", {
    token: alice.token,
    rawBody: `{"key": "k", "value": ${"[".repeat(5000)}${"]".repeat(5000)}}`,
    headers: { "content-type": "application/json" },
  });
  assert.equal(deep.status, 400);
  const huge = await call("update-memory", {
    token: alice.token,
    rawBody: JSON.stringify({ key: "k", value: "v".repeat(1_100_000) }),
    headers: { "content-type": "application/json" },
  });
  assert.equal(huge.status, 413);
  const wrongMethod = await call("update-memory", { token: alice.token, method: "GET" });
  assert.equal(wrongMethod.status, 405);
  const anonymous = await call("update-memory", { body: { key: "k", value: "v" } });
  assert.equal(anonymous.status, 401);

  assert.deepEqual(await entriesOf(alice), [["kept", "v"]], "nothing but the first entry was stored");
  assert.deepEqual(await entriesOf(bob), [], "nothing reached Bob's memory");
});

test("a write replayed with the same version is applied once: the replay is a memory_conflict", async () => {
  const alice = await newUser();
  const created = await remember(alice, { key: "plan", value: "v1" });
  const body = { key: "plan", value: "v2", expected_version: created.body.entry.version };
  const first = await remember(alice, body);
  const replay = await remember(alice, body);
  assert.equal(first.status, 200);
  assert.equal(replay.status, 409);
  assert.equal(replay.body.error.details.current_version, first.body.entry.version);
  const replayedCreate = await remember(alice, { key: "other", value: "x" });
  const again = await remember(alice, { key: "other", value: "x" });
  assert.deepEqual([replayedCreate.status, again.status], [200, 409]);
});

test("20 requests replacing one entry from the same version at once: exactly one wins, the rest are 409", async () => {
  const alice = await newUser();
  const created = await remember(alice, { key: "city", value: "Lyon" });
  const replies = await Promise.all(
    Array.from(
      { length: 20 },
      (_, n) =>
        remember(alice, { key: "city", value: `city ${n}`, expected_version: created.body.entry.version }),
    ),
  );
  const winners = replies.filter((reply) => reply.status === 200);
  assert.equal(winners.length, 1);
  assert.ok(replies.every((reply) => reply.status === 200 || reply.body.error?.code === "memory_conflict"));
  assert.deepEqual(await entriesOf(alice), [["city", winners[0].body.entry.value]]);
});

test("20 requests creating entries at the bound at once: the bound holds, the rest are 422 memory_full", async () => {
  const alice = await newUser();
  const max = (await call("get-memory", { token: alice.token })).body.max_entries as number;
  for (let n = 0; n < max - 5; n++) {
    assert.equal((await remember(alice, { key: `k${n}`, value: "v" })).status, 200);
  }
  const replies = await Promise.all(
    Array.from({ length: 20 }, (_, n) => remember(alice, { key: `new ${n}`, value: "v" })),
  );
  assert.equal(replies.filter((reply) => reply.status === 200).length, 5);
  assert.ok(replies.every((reply) => reply.status === 200 || reply.body.error?.code === "memory_full"));
  assert.equal((await entriesOf(alice)).length, max);
});

test("hostile get-memory and recall requests reach only the caller's own data", async () => {
  const alice = await newUser();
  const bob = await newUser();
  await startConversation(bob, {
    messages: [{ role: "user", content: "Bob's secret password is swordfish." }],
  });
  await remember(bob, { key: "secret", value: "swordfish" });
  const cases: Array<[string, string, unknown, number]> = [
    ["get-memory naming Bob", "get-memory", { user_id: bob.id }, 403],
    ["recall naming Bob", "recall", { query: "swordfish", user_id: bob.id }, 403],
    ["recall with a forged exclusion", "recall", { query: "swordfish", exclude_conversation_id: "x" }, 400],
    ["recall with a huge limit", "recall", { query: "swordfish", limit: 1_000_000 }, 400],
    ["recall of 257 characters", "recall", { query: "q".repeat(257) }, 400],
  ];
  for (const [name, fn, body, status] of cases) {
    const reply = await call(fn, { token: alice.token, body });
    assert.equal(reply.status, status, `${name}: ${JSON.stringify(reply.body)}`);
  }
  for (const query of ["swordfish", "') or true --", "swordfish | password & !nothing", "* <-> :*", "\\"]) {
    const reply = await call("recall", { token: alice.token, body: { query } });
    assert.equal(reply.status, 200, `${query}: ${JSON.stringify(reply.body)}`);
    assert.deepEqual(reply.body.passages, [], `${query} finds nothing of Bob's`);
  }
  assert.deepEqual(await entriesOf(alice), []);
});
