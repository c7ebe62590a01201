/** The typed client against the local API on the real database, including a retry across a dropped connection. */
import assert from "node:assert/strict";
import { createClient } from "@supabase/supabase-js";
import { ConversationStoreError, createConversationStore } from "../../../client/conversation_store.ts";
import { apiUrl, newUser, pool, test, type TestUser } from "../functions/helpers.ts";

function storeFor(user: TestUser, url = apiUrl) {
  const supabase = createClient(url, "local-anon-key", { accessToken: () => Promise.resolve(user.token) });
  return createConversationStore(supabase, { backoffMs: 20 });
}

test("the client starts, appends, pages, updates, lists and removes conversations", async () => {
  const alice = await newUser();
  const store = storeFor(alice);
  const { conversation } = await store.start({
    metadata: { step: "script" },
    messages: [{ role: "system", content: "Be brief." }],
  });
  const appended = await store.append(conversation.id, [
    { role: "user", content: "one" },
    { role: "assistant", content: "two" },
    { role: "user", content: "three" },
  ]);
  assert.deepEqual(appended.messages.map((message) => message.sequence_order), [2, 3, 4]);
  assert.ok(appended.messages.every((message) => message.client_message_id), "every message got a key");

  const seen: number[] = [];
  for await (const page of store.pages(conversation.id, { limit: 3 })) {
    seen.push(...page.messages.map((message) => (message as { sequence_order: number }).sequence_order));
  }
  assert.deepEqual(seen, [1, 2, 3, 4]);
  assert.deepEqual(await store.openaiMessages(conversation.id, { limit: 2 }), [
    { role: "assistant", content: "two" },
    { role: "user", content: "three" },
  ]);

  const updated = await store.update(conversation.id, { metadata: { step: "render", extra: null } });
  assert.deepEqual(updated.conversation.metadata, { step: "render" });
  const listed = await store.list();
  assert.deepEqual(listed.conversations.map((c) => c.id), [conversation.id]);
  assert.deepEqual(await store.remove(conversation.id), {
    conversation_id: conversation.id,
    deleted_messages: 4,
  });
});

test("API errors surface as ConversationStoreError with code, status and details", async () => {
  const alice = await newUser();
  const store = storeFor(alice);
  const { conversation } = await store.start();
  await store.append(conversation.id, { role: "user", content: "first" });
  const conflict = await store.append(conversation.id, { role: "user", content: "late" }, {
    expectedLastSequence: 0,
  })
    .catch((error) => error);
  assert.ok(conflict instanceof ConversationStoreError);
  assert.equal(conflict.code, "sequence_conflict");
  assert.equal(conflict.status, 409);
  assert.equal(conflict.lastSequence, 1);
  const missing = await store.history(crypto.randomUUID()).catch((error) => error);
  assert.equal(missing.code, "not_found");
  assert.equal(missing.status, 404);
});

/**
 * A proxy in front of the API that lets the first request reach the server and then drops the
 * connection before the client sees the answer: the append happened, the client cannot know.
 */
function droppingProxy(upstream: URL) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let dropped = 0;
  (async () => {
    for await (const client of listener) {
      const server = await Deno.connect({ hostname: upstream.hostname, port: Number(upstream.port) });
      const drop = dropped++ === 0;
      client.readable.pipeTo(server.writable).catch(() => {});
      if (drop) {
        const reader = server.readable.getReader();
        reader.read().then(() => {
          client.close();
          server.close();
        }).catch(() => {});
      } else {
        server.readable.pipeTo(client.writable).catch(() => {});
      }
    }
  })();
  return {
    url: `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    close: () => listener.close(),
    dropped: () => dropped,
  };
}

test("an append retried after a dropped connection is stored exactly once", async () => {
  const alice = await newUser();
  const { conversation } = await storeFor(alice).start();
  const proxy = droppingProxy(new URL(apiUrl));
  try {
    const store = storeFor(alice, proxy.url);
    const reply = await store.append(conversation.id, { role: "user", content: "sent once, answered late" });
    assert.ok(proxy.dropped() >= 2, "the first connection was dropped and the client came back");
    assert.equal(reply.messages[0].sequence_order, 1);
    const { rows } = await pool.query(
      "select count(*)::int as copies from public.conversation_messages where conversation_id = $1",
      [conversation.id],
    );
    assert.equal(rows[0].copies, 1, "the retry did not store the message again");
  } finally {
    proxy.close();
  }
});
