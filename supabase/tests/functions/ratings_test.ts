/** rate-message over HTTP, and the ratings get-history returns with a page. */
import assert from "node:assert/strict";
import * as api from "../../functions/_shared/schemas.ts";
import { call, newUser, pool, serviceRoleToken, startConversation, test, type TestUser } from "./helpers.ts";

/** A conversation of `user` with a user message (1) and an assistant reply (2). */
async function conversationWithReply(user: TestUser): Promise<string> {
  return await startConversation(user, {
    messages: [
      { role: "user", content: "What is the capital of Portugal?" },
      { role: "assistant", content: "Lisbon.", client_message_id: "reply-1" },
    ],
  });
}

async function ratingsOf(conversationId: string): Promise<number> {
  const { rows } = await pool.query(
    "select count(*)::int as n from public.message_ratings where conversation_id = $1",
    [
      conversationId,
    ],
  );
  return rows[0].n;
}

function rate(user: TestUser, body: Record<string, unknown>) {
  return call("rate-message", { token: user.token, body });
}

test("a user rates their assistant reply, and get-history returns the rating with the page", async () => {
  const alice = await newUser();
  const id = await conversationWithReply(alice);
  const rated = await rate(alice, {
    conversation_id: id,
    sequence_order: 2,
    rating: "up",
    reason: "accurate",
    comment: "Short and right",
  });
  assert.equal(rated.status, 200, JSON.stringify(rated.body));
  const body = api.rateMessageResponse.parse(rated.body);
  assert.deepEqual(
    [body.rating?.sequence_order, body.rating?.client_message_id, body.rating?.rating, body.rating?.reason],
    [2, "reply-1", "up", "accurate"],
  );
  for (const format of ["rows", "ui", "openai"]) {
    const history = await call("get-history", { token: alice.token, query: { conversation_id: id, format } });
    const page = api.getHistoryResponse.parse(history.body);
    assert.deepEqual(page.ratings, [body.rating], format);
  }
});

test("a second rating replaces the first, and a null rating removes it", async () => {
  const alice = await newUser();
  const id = await conversationWithReply(alice);
  await rate(alice, { conversation_id: id, sequence_order: 2, rating: "up", comment: "good" });
  const replaced = await rate(alice, {
    conversation_id: id,
    sequence_order: 2,
    rating: "down",
    reason: "wrong",
  });
  assert.deepEqual([replaced.body.rating.rating, replaced.body.rating.comment], ["down", null]);
  let history = await call("get-history", { token: alice.token, query: { conversation_id: id } });
  assert.deepEqual(history.body.ratings.map((r: api.Rating) => r.rating), ["down"]);
  const removed = await rate(alice, { conversation_id: id, sequence_order: 2, rating: null });
  assert.deepEqual([removed.status, removed.body], [200, { rating: null }]);
  history = await call("get-history", { token: alice.token, query: { conversation_id: id } });
  assert.deepEqual(history.body.ratings, []);
});

test("only the caller's finished assistant messages can be rated", async () => {
  const alice = await newUser();
  const bob = await newUser();
  const id = await conversationWithReply(alice);
  const userMessage = await rate(alice, { conversation_id: id, sequence_order: 1, rating: "up" });
  assert.deepEqual([userMessage.status, userMessage.body.error.code], [422, "message_not_rateable"]);
  const missing = await rate(alice, { conversation_id: id, sequence_order: 3, rating: "up" });
  assert.equal(missing.status, 404);
  const others = await rate(bob, { conversation_id: id, sequence_order: 2, rating: "down" });
  assert.equal(others.status, 404);
  const forged = await rate(bob, { conversation_id: crypto.randomUUID(), sequence_order: 2, rating: "down" });
  assert.equal(forged.status, 404);
  assert.equal(await ratingsOf(id), 0);
});

test("malformed ratings are a 400 and store nothing", async () => {
  const alice = await newUser();
  const id = await conversationWithReply(alice);
  const bad = [
    { rating: "meh" },
    { rating: "up", reason: "Not A Code" },
    { rating: "up", reason: "x".repeat(65) },
    { rating: "up", comment: "x".repeat(2001) },
    { rating: null, comment: "why" },
    { rating: "up", sequence_order: 0 },
    {},
    { rating: "up", extra: true },
  ];
  for (const fields of bad) {
    const reply = await rate(alice, { conversation_id: id, sequence_order: 2, ...fields });
    assert.equal(reply.status, 400, JSON.stringify(fields));
  }
  assert.equal(await ratingsOf(id), 0);
});

test("the service role reads every rating with the reply it rates, and a deleted conversation takes its ratings", async () => {
  const alice = await newUser();
  const id = await conversationWithReply(alice);
  await rate(alice, { conversation_id: id, sequence_order: 2, rating: "down", reason: "too_short" });
  const client = await pool.connect();
  try {
    await client.query("begin");
    await client.query("set local role service_role");
    const { rows } = await client.query(
      "select rating, reason, reply, user_id, model from public.message_rating_evaluations where conversation_id = $1",
      [id],
    );
    assert.deepEqual(rows, [{
      rating: "down",
      reason: "too_short",
      reply: "Lisbon.",
      user_id: alice.id,
      model: null,
    }]);
  } finally {
    await client.query("rollback");
    client.release();
  }
  const history = await call("get-history", {
    token: await serviceRoleToken(),
    query: { conversation_id: id },
  });
  assert.equal(history.body.ratings.length, 1, "the service role reads the owner's ratings with the page");
  assert.equal(
    (await call("delete-conversation", { token: alice.token, body: { conversation_id: id } })).status,
    200,
  );
  assert.equal(await ratingsOf(id), 0);
});
