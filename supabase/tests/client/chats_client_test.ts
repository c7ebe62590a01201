/** The typed client's part of a user's own chats: labels, ratings, share links, export and import. */
import assert from "node:assert/strict";
import { call, newUser, test } from "../functions/helpers.ts";
import { storeFor } from "./fixtures.ts";

test("through the client a user labels, rates and shares a chat, exports it, and another user imports it", async () => {
  const alice = await newUser();
  const store = storeFor(alice);
  const { conversation } = await store.start({
    messages: [{ role: "user", content: "Plan Lisbon" }, { role: "assistant", content: "Tram 28." }],
  });
  await store.update(conversation.id, { title: "Lisbon", pinned: true, tags: ["Travel"] });
  assert.deepEqual(
    (await store.list({ tag: "travel" })).conversations.map((c) => [c.title, c.pinned, c.tags]),
    [["Lisbon", true, ["travel"]]],
  );
  assert.equal((await store.rate(conversation.id, 2, "up", { reason: "helpful" })).rating?.rating, "up");
  const link = await store.share(conversation.id, { include_reasoning: true });
  const shared = await call("get-shared-conversation", { query: { token: link.token } });
  assert.equal(shared.body.conversation.title, "Lisbon");

  const pages = [];
  for await (const page of store.exportPages({ maxMessages: 1 })) pages.push(page);
  assert.equal(pages.length, 2);
  const bob = storeFor(await newUser());
  for (const page of pages) await bob.importFile(page);
  const again = (await Promise.all(pages.map((page) => bob.importFile(page)))).flat();
  assert.ok(again.every((entry) => entry.appended === 0), "a second import stores nothing");
  const [copy] = (await bob.list()).conversations;
  assert.deepEqual([copy.title, copy.pinned, copy.tags, copy.last_sequence], ["Lisbon", true, ["travel"], 2]);
  assert.deepEqual((await bob.history(copy.id)).ratings.map((r) => r.rating), ["up"]);
});
