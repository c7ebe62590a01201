/** Titles, pins, archive flags and tags over HTTP: update-conversation, list-conversations, search, get-history. */
import assert from "node:assert/strict";
import * as api from "../../functions/_shared/schemas.ts";
import { encodeCursor } from "../../functions/_shared/cursors.ts";
import { call, newUser, pool, startConversation, test, type TestUser } from "./helpers.ts";

async function label(user: TestUser, conversationId: string, fields: Record<string, unknown>) {
  const reply = await call("update-conversation", {
    token: user.token,
    body: { conversation_id: conversationId, ...fields },
  });
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
  return api.conversation.parse(reply.body.conversation);
}

async function listIds(user: TestUser, query: Record<string, string | number> = {}): Promise<string[]> {
  const reply = await call("list-conversations", { token: user.token, query });
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
  return reply.body.conversations.map((c: api.Conversation) => c.id);
}

/** Every id of a listing, read one conversation a page through next_cursor. */
async function pageThrough(user: TestUser, query: Record<string, string | number> = {}): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const reply: { status: number; body: { conversations: api.Conversation[]; next_cursor: string | null } } =
      await call("list-conversations", {
        token: user.token,
        query: { ...query, limit: 1, ...(cursor === null ? {} : { cursor }) },
      });
    assert.equal(reply.status, 200);
    ids.push(...reply.body.conversations.map((c) => c.id));
    cursor = reply.body.next_cursor;
  } while (cursor !== null);
  return ids;
}

test("update-conversation sets a title, a pin, the archive flag and tags, normalised as stored", async () => {
  const alice = await newUser();
  const id = await startConversation(alice);
  const labelled = await label(alice, id, {
    title: "  Trip\n to   Lisbon ",
    pinned: true,
    tags: ["Travel", " travel ", "Work  Stuff"],
  });
  assert.equal(labelled.title, "Trip to Lisbon");
  assert.equal(labelled.pinned, true);
  assert.equal(labelled.archived, false);
  assert.deepEqual(labelled.tags, ["travel", "work stuff"]);
  const history = await call("get-history", { token: alice.token, query: { conversation_id: id } });
  assert.deepEqual(
    [history.body.conversation.title, history.body.conversation.pinned, history.body.conversation.tags],
    ["Trip to Lisbon", true, ["travel", "work stuff"]],
  );
  const cleared = await label(alice, id, { title: null, tags: null, pinned: false });
  assert.deepEqual([cleared.title, cleared.tags, cleared.pinned], [null, [], false]);
});

test("a new conversation has no title, no pin, no tags and is not archived", async () => {
  const alice = await newUser();
  const reply = await call("start-conversation", { token: alice.token, body: {} });
  const conversation = api.conversation.parse(reply.body.conversation);
  assert.deepEqual(
    [conversation.title, conversation.pinned, conversation.archived, conversation.tags],
    [null, false, false, []],
  );
});

test("list-conversations puts pinned conversations first and pages exactly across the pin", async () => {
  const alice = await newUser();
  const [oldest, middle, newest] = [
    await startConversation(alice),
    await startConversation(alice),
    await startConversation(alice),
  ];
  await label(alice, oldest, { pinned: true });
  // Pinning moved updated_at; touch the others so that the pin alone puts `oldest` first.
  await label(alice, middle, { metadata: { n: 1 } });
  await label(alice, newest, { metadata: { n: 2 } });
  assert.deepEqual(await listIds(alice), [oldest, newest, middle]);
  assert.deepEqual(await pageThrough(alice), [oldest, newest, middle]);
});

test("archived conversations leave the list unless asked for, and archived=true lists only them", async () => {
  const alice = await newUser();
  const kept = await startConversation(alice);
  const archived = await startConversation(alice);
  await label(alice, archived, { archived: true, pinned: true });
  assert.deepEqual(await listIds(alice), [kept]);
  assert.deepEqual(await listIds(alice, { archived: "true" }), [archived]);
  assert.deepEqual(await listIds(alice, { archived: "false" }), [kept]);
  const unarchived = await label(alice, archived, { archived: false });
  assert.equal(unarchived.archived, false);
  assert.deepEqual(await listIds(alice), [archived, kept]);
});

test("a tag filter lists the conversations carrying the tag, whatever its case and spacing, page by page", async () => {
  const alice = await newUser();
  const bob = await newUser();
  const ids = [];
  for (let i = 0; i < 4; i++) ids.push(await startConversation(alice));
  await label(alice, ids[0], { tags: ["work"] });
  await label(alice, ids[1], { tags: ["home"] });
  await label(alice, ids[2], { tags: ["Work", "urgent"], pinned: true });
  await label(alice, ids[3], { tags: ["work"], archived: true });
  const bobs = await startConversation(bob);
  await label(bob, bobs, { tags: ["work"] });
  assert.deepEqual(await listIds(alice, { tag: " WORK " }), [ids[2], ids[0]]);
  assert.deepEqual(await pageThrough(alice, { tag: "work" }), [ids[2], ids[0]]);
  assert.deepEqual(await listIds(alice, { tag: "work", archived: "true" }), [ids[3]]);
  assert.deepEqual(await listIds(alice, { tag: "nothing" }), []);
});

test("a list cursor of the release before pins continues among unpinned conversations", async () => {
  const alice = await newUser();
  const first = await startConversation(alice);
  const second = await startConversation(alice);
  const page = await call("list-conversations", { token: alice.token, query: { limit: 1 } });
  assert.deepEqual(page.body.conversations.map((c: api.Conversation) => c.id), [second]);
  const older = encodeCursor([page.body.conversations[0].updated_at, second]);
  assert.deepEqual(await listIds(alice, { cursor: older }), [first]);
});

test("search-conversations matches titles and filters by archive and tag as the list does", async () => {
  const alice = await newUser();
  const titled = await startConversation(alice);
  await label(alice, titled, { title: "Quarterly zeppelin budget", tags: ["finance"] });
  const search = (query: Record<string, string>) =>
    call("search-conversations", { token: alice.token, query: { q: "zeppelin", ...query } });
  const found = await search({});
  assert.equal(found.status, 200);
  assert.deepEqual(found.body.results.map((r: { conversation: api.Conversation }) => r.conversation.id), [
    titled,
  ]);
  assert.deepEqual(found.body.results[0].matches, [], "a title match has no message matches");
  assert.equal(found.body.results[0].conversation.title, "Quarterly zeppelin budget");
  assert.equal((await search({ tag: "Finance" })).body.results.length, 1);
  assert.equal((await search({ tag: "home" })).body.results.length, 0);
  await label(alice, titled, { archived: true });
  assert.equal((await search({})).body.results.length, 0);
  assert.equal((await search({ archived: "true" })).body.results.length, 1);
});

test("labels out of bounds are a 400 and change nothing", async () => {
  const alice = await newUser();
  const id = await startConversation(alice);
  await label(alice, id, { title: "Kept", tags: ["kept"] });
  const refused = [
    { title: "x".repeat(201) },
    { title: "bell\u0007" },
    { tags: Array.from({ length: 11 }, (_, i) => `t${i}`) },
    { tags: ["t".repeat(33)] },
    { tags: ["a,b"] },
    { tags: ["   "] },
    { tags: [1] },
    { tags: "work" },
    { pinned: "yes" },
    { archived: null },
  ];
  for (const fields of refused) {
    const reply = await call("update-conversation", {
      token: alice.token,
      body: { conversation_id: id, ...fields },
    });
    assert.equal(reply.status, 400, JSON.stringify(fields));
    assert.equal(reply.body.error.code, "invalid_request");
  }
  const bad = await call("list-conversations", { token: alice.token, query: { tag: "a,b" } });
  assert.equal(bad.status, 400);
  const history = await call("get-history", { token: alice.token, query: { conversation_id: id } });
  assert.deepEqual([history.body.conversation.title, history.body.conversation.tags], ["Kept", ["kept"]]);
});

test("a user cannot label another user's conversation", async () => {
  const alice = await newUser();
  const bob = await newUser();
  const id = await startConversation(alice);
  const reply = await call("update-conversation", {
    token: bob.token,
    body: { conversation_id: id, title: "Mine", pinned: true },
  });
  assert.equal(reply.status, 404);
  const history = await call("get-history", { token: alice.token, query: { conversation_id: id } });
  assert.deepEqual([history.body.conversation.title, history.body.conversation.pinned], [null, false]);
});

test("the label bounds of schemas.ts are the table's own", async () => {
  const alice = await newUser();
  const id = await startConversation(alice);
  const fits = async (set: string, values: unknown[]) => {
    try {
      await pool.query(`update public.conversations set ${set} where id = $1`, [id, ...values]);
      return true;
    } catch (error) {
      assert.equal((error as { code?: string }).code, "23514");
      return false;
    }
  };
  const tags = (count: number, length = 1) =>
    Array.from({ length: count }, (_, n) => `${n}`.padStart(length, "t"));
  assert.equal(await fits("title = $2", ["x".repeat(api.TITLE_MAX_CHARS)]), true);
  assert.equal(await fits("title = $2", ["x".repeat(api.TITLE_MAX_CHARS + 1)]), false);
  assert.equal(await fits("tags = $2", [tags(api.TAGS_MAX)]), true);
  assert.equal(await fits("tags = $2", [tags(api.TAGS_MAX + 1)]), false);
  assert.equal(await fits("tags = $2", [tags(1, api.TAG_MAX_CHARS)]), true);
  assert.equal(await fits("tags = $2", [tags(1, api.TAG_MAX_CHARS + 1)]), false);
});
