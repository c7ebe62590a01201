/**
 * Share links under attack: any string as a token is a 404 (never a 500, never a hint), links race
 * to the per-conversation limit and stop exactly there, and the Data API neither reads nor writes
 * another user's links.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { call, newUser, pool, startConversation, test } from "../functions/helpers.ts";
import { asUserDirectly } from "./checks.ts";

async function sharedConversation() {
  const alice = await newUser();
  const id = await startConversation(alice, { messages: [{ role: "user", content: "share me" }] });
  return { alice, id };
}

test("any string as a share token is the same 404", async () => {
  const { alice, id } = await sharedConversation();
  const link = await call("share-conversation", { token: alice.token, body: { conversation_id: id } });
  assert.equal(link.status, 201);
  const miss = await call("get-shared-conversation", { query: { token: "A".repeat(43) } });
  assert.equal(miss.status, 404);
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(
        fc.string({ maxLength: 100 }),
        fc.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        fc.constant(link.body.token).map((token: string) => token.toUpperCase()),
      ),
      async (token) => {
        fc.pre(token !== link.body.token);
        const reply = await call("get-shared-conversation", { query: { token } });
        assert.equal(reply.status, 404, token);
        assert.deepEqual(reply.body, miss.body);
      },
    ),
    { numRuns: 60 },
  );
});

test("links racing to a conversation's limit stop exactly at it", async () => {
  const { alice, id } = await sharedConversation();
  const { rows: [{ limit }] } = await pool.query(
    "select conversation_store.shares_per_conversation() as limit",
  );
  for (let n = 0; n < limit - 5; n++) {
    await pool.query(
      `insert into public.conversation_shares (token_hash, conversation_id, user_id, through_sequence)
       values (sha256(convert_to($1, 'UTF8')), $2, $3, 1)`,
      [`seed-${n}`, id, alice.id],
    );
  }
  const replies = await Promise.all(
    Array.from(
      { length: 12 },
      () => call("share-conversation", { token: alice.token, body: { conversation_id: id } }),
    ),
  );
  const statuses = replies.map((reply) => reply.status).sort();
  assert.deepEqual(statuses, [...Array(5).fill(201), ...Array(7).fill(422)]);
  assert.ok(
    replies.filter((reply) => reply.status === 422).every((reply) =>
      reply.body.error.code === "share_limit_reached"
    ),
  );
  const { rows: [{ n }] } = await pool.query(
    "select count(*)::int as n from public.conversation_shares where conversation_id = $1",
    [id],
  );
  assert.equal(n, limit);
  const tokens = replies.filter((reply) => reply.status === 201).map((reply) => reply.body.token);
  assert.equal(new Set(tokens).size, tokens.length, "every token is new");
});

test("through the Data API a user reads only their own links and writes none", async () => {
  const { alice, id } = await sharedConversation();
  const bob = await newUser();
  await call("share-conversation", { token: alice.token, body: { conversation_id: id } });
  await call("list-conversations", { token: bob.token }); // registers Bob
  assert.equal((await asUserDirectly(alice.id, "select * from public.conversation_shares")).rowCount, 1);
  assert.equal((await asUserDirectly(bob.id, "select * from public.conversation_shares")).rowCount, 0);
  const attempts = [
    `insert into public.conversation_shares (token_hash, conversation_id, user_id, through_sequence)
     values (sha256('x'), '${id}', '${bob.id}', 1)`,
    `update public.conversation_shares set through_sequence = 99`,
    `delete from public.conversation_shares`,
  ];
  for (const statement of attempts) {
    assert.equal((await asUserDirectly(alice.id, statement)).error, "42501", statement);
  }
  const anon = await asUserDirectly(bob.id, "select * from public.conversation_shares", { role: "anon" });
  assert.equal(anon.rowCount, 0);
});
