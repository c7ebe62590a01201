/** Delete, erase-all and retention take a conversation's tags, ratings and share links with it. */
import assert from "node:assert/strict";
import { call, newUser, pool, startConversation, test, type TestUser } from "./helpers.ts";

/** A tagged, rated and shared conversation of `user`; its id and its link's token. */
async function furnished(user: TestUser, body: Record<string, unknown> = {}) {
  const id = await startConversation(user, {
    ...body,
    messages: [{ role: "user", content: "Hi" }, { role: "assistant", content: "Hello" }],
  });
  await call("update-conversation", {
    token: user.token,
    body: { conversation_id: id, tags: ["kept"], pinned: true },
  });
  await call("rate-message", {
    token: user.token,
    body: { conversation_id: id, sequence_order: 2, rating: "up" },
  });
  const link = await call("share-conversation", { token: user.token, body: { conversation_id: id } });
  assert.equal(link.status, 201);
  return { id, token: link.body.token as string };
}

/** What the new tables still hold of the conversations `ids`. */
async function leftovers(ids: string[]) {
  const { rows: [row] } = await pool.query(
    `select (select count(*)::int from public.conversation_tags where conversation_id = any ($1::uuid[])) as tags,
            (select count(*)::int from public.message_ratings where conversation_id = any ($1::uuid[])) as ratings,
            (select count(*)::int from public.conversation_shares where conversation_id = any ($1::uuid[])) as shares`,
    [ids],
  );
  return row;
}

const readLink = (token: string) => call("get-shared-conversation", { query: { token } });

test("delete-conversation takes its tags, ratings and share links", async () => {
  const alice = await newUser();
  const { id, token } = await furnished(alice);
  assert.deepEqual(await leftovers([id]), { tags: 1, ratings: 1, shares: 1 });
  assert.equal(
    (await call("delete-conversation", { token: alice.token, body: { conversation_id: id } })).status,
    200,
  );
  assert.equal((await readLink(token)).status, 404);
  assert.deepEqual(await leftovers([id]), { tags: 0, ratings: 0, shares: 0 });
});

test("delete-all-conversations erases every tag, rating and link of the user, and nobody else's", async () => {
  const alice = await newUser();
  const bob = await newUser();
  const mine = [await furnished(alice), await furnished(alice)];
  const his = await furnished(bob);
  const erased = await call("delete-all-conversations", { token: alice.token, body: {} });
  assert.equal(erased.status, 200);
  for (const { token } of mine) assert.equal((await readLink(token)).status, 404);
  assert.deepEqual(await leftovers(mine.map(({ id }) => id)), { tags: 0, ratings: 0, shares: 0 });
  assert.equal((await readLink(his.token)).status, 200);
  assert.deepEqual(await leftovers([his.id]), { tags: 1, ratings: 1, shares: 1 });
});

test("an expired conversation's link dies at once, and the purge takes its tags, ratings and links", async () => {
  const alice = await newUser();
  const { id, token } = await furnished(alice, { retention_seconds: 60 });
  await pool.query(
    `alter table public.conversations disable trigger conversations_touch_updated_at;
     update public.conversations set updated_at = now() - interval '2 minutes' where id = '${id}';
     alter table public.conversations enable trigger conversations_touch_updated_at;`,
  );
  assert.equal((await readLink(token)).status, 404, "gone for readers as soon as it expires");
  await pool.query("select public.purge_expired_conversations()");
  assert.deepEqual(await leftovers([id]), { tags: 0, ratings: 0, shares: 0 });
});
