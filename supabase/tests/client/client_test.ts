/**
 * The typed client against the local API on the real database: every call, and a retry across a
 * dropped connection. Streamed replies are in reply_writer_test.ts, the AI SDK in ai_sdk_test.ts.
 */
import assert from "node:assert/strict";
import { ConversationStoreError, type Message } from "../../../client/conversation_store.ts";
import { apiUrl, newUser, pool, serviceRoleToken, test } from "../functions/helpers.ts";
import { storeFor } from "./fixtures.ts";

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
  assert.deepEqual((await store.message(conversation.id, 3)).content, "two");

  const updated = await store.update(conversation.id, { metadata: { step: "render", extra: null } });
  assert.deepEqual(updated.conversation.metadata, { step: "render" });
  const listed = await store.list();
  assert.deepEqual(listed.conversations.map((c) => c.id), [conversation.id]);
  assert.deepEqual(await store.remove(conversation.id), {
    conversation_id: conversation.id,
    deleted_messages: 4,
    storage_objects: [],
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
    const store = storeFor(alice, { url: proxy.url });
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

test("the context is the model-ready window: system prompt, summary, newest whole tool units, token counts", async () => {
  const alice = await newUser();
  const store = storeFor(alice);
  const { conversation } = await store.start({ messages: [{ role: "system", content: "You plan trips." }] });
  const call = {
    id: "call_1",
    type: "function" as const,
    function: { name: "weather", arguments: '{"city":"Oslo"}' },
  };
  await store.append(conversation.id, [
    { role: "user", content: "Shall I go to Oslo?" },
    { role: "assistant", content: null, tool_calls: [call] },
    { role: "tool", tool_call_id: "call_1", content: '{"sky":"rain"}' },
    { role: "assistant", content: "Take an umbrella." },
    { role: "user", content: "And Bergen?" },
  ]);

  const whole = await store.context(conversation.id, { maxTokens: 10_000 });
  assert.deepEqual(whole.messages, [
    { role: "system", content: "You plan trips." },
    { role: "user", content: "Shall I go to Oslo?" },
    { role: "assistant", tool_calls: [call] },
    { role: "tool", tool_call_id: "call_1", content: '{"sky":"rain"}' },
    { role: "assistant", content: "Take an umbrella." },
    { role: "user", content: "And Bergen?" },
  ]);
  assert.equal(whole.has_earlier, false);

  // Rows carry each message's count; a budget just short of the tool unit leaves it out whole.
  const rows = await store.contextRows(conversation.id, { maxTokens: 10_000 });
  assert.equal(rows.token_count, rows.messages.reduce((sum, message) => sum + message.token_count, 0));
  const [system, question, toolCall, toolResult, answer, followUp] = rows.messages;
  const tight = system.token_count + toolCall.token_count + toolResult.token_count + answer.token_count +
    followUp.token_count - 1;
  const cut = await store.contextRows(conversation.id, { maxTokens: tight });
  assert.deepEqual(cut.messages.map((message) => message.sequence_order), [1, 6]);
  assert.equal(cut.first_sequence, 6);
  assert.equal(cut.has_earlier, true);
  assert.ok(question.token_count > 0);

  // Compaction: summarize what was left out, and the window starts with the summary.
  await store.update(conversation.id, { summary: { content: "Oslo: rain, umbrella.", through_sequence: 5 } });
  const compacted = await store.context(conversation.id, { maxTokens: tight });
  assert.deepEqual(compacted.messages.map((message) => [message.role, message.content]), [
    ["system", "You plan trips."],
    ["system", "Oslo: rain, umbrella."],
    ["user", "And Bergen?"],
  ]);
  assert.equal(compacted.has_earlier, false);
});

test("a fork copies history through a message and then goes its own way", async () => {
  const alice = await newUser();
  const store = storeFor(alice);
  const { conversation } = await store.start({ metadata: { topic: "cats" } });
  await store.append(conversation.id, [
    { role: "user", content: "Name a cat." },
    { role: "assistant", content: "Tom." },
    { role: "user", content: "Another." },
  ]);

  const forkId = crypto.randomUUID();
  const fork = await store.fork(conversation.id, 2, { id: forkId, metadata: { branch: "edit" } });
  assert.equal(fork.copied_messages, 2);
  assert.equal(fork.conversation.forked_from_conversation_id, conversation.id);
  assert.equal(fork.conversation.forked_from_sequence, 2);
  assert.deepEqual(fork.conversation.metadata, { topic: "cats", branch: "edit" });
  assert.equal((await store.fork(conversation.id, 2, { id: forkId })).conversation.id, forkId, "idempotent");

  await store.append(forkId, { role: "user", content: "A black one." });
  assert.equal((await store.message(forkId, 3)).content, "A black one.");
  assert.equal((await store.message(conversation.id, 3)).content, "Another.", "the source is untouched");
  const forks = await store.list({ forked_from_conversation_id: conversation.id });
  assert.deepEqual(forks.conversations.map((c) => c.id), [forkId]);
});

test("search finds the caller's conversations at the matching message, page by page", async () => {
  const alice = await newUser();
  const bob = await newUser();
  const store = storeFor(alice);
  const ids: string[] = [];
  for (let n = 1; n <= 3; n++) {
    const { conversation } = await store.start();
    await store.append(conversation.id, [
      { role: "user", content: `Plan number ${n}` },
      { role: "assistant", content: `Rendering the <b>timeline</b> for video ${n}` },
    ]);
    ids.push(conversation.id);
  }
  const { conversation: bobs } = await storeFor(bob).start();
  await storeFor(bob).append(bobs.id, { role: "user", content: "rendering my timeline" });

  const first = await store.search("render timeline", { limit: 2 });
  assert.equal(first.results.length, 2);
  assert.equal(first.has_more, true);
  const [match] = first.results[0].matches;
  assert.equal(match.sequence_order, 2);
  assert.equal(match.role, "assistant");
  assert.match(match.snippet, /<b>timeline<\/b>/, "snippets are text, markup included as written");
  const highlighted = match.highlights.map(([start, end]) =>
    Array.from(match.snippet).slice(start, end).join("")
  );
  assert.deepEqual(highlighted, ["Rendering", "timeline"]);

  const found: string[] = [];
  for await (const page of store.searchPages("render timeline", { limit: 2 })) {
    found.push(...page.results.map((result) => result.conversation.id));
  }
  assert.deepEqual(found.toSorted(), ids.toSorted(), "every one of Alice's, none of Bob's");
});

test("retention is set at the start, changed or cleared later, and shows as expires_at", async () => {
  const alice = await newUser();
  const store = storeFor(alice);
  const { conversation } = await store.start({ retention_seconds: 3600 });
  assert.equal(conversation.retention_seconds, 3600);
  assert.equal(Date.parse(conversation.expires_at!) - Date.parse(conversation.updated_at), 3600_000);

  const kept = await store.update(conversation.id, { retention_seconds: null });
  assert.equal(kept.conversation.expires_at, null);
  const shortened = await store.update(conversation.id, { retention_seconds: 60 });
  assert.equal(
    Date.parse(shortened.conversation.expires_at!) - Date.parse(shortened.conversation.updated_at),
    60_000,
  );
});

test("removeAll erases every conversation of the caller, and a service role erases a named user's", async () => {
  const alice = await newUser();
  const bob = await newUser();
  const store = storeFor(alice);
  for (let n = 0; n < 3; n++) {
    const { conversation } = await store.start();
    await store.append(conversation.id, [{ role: "user", content: "a" }, { role: "user", content: "b" }]);
  }
  const { conversation: bobs } = await storeFor(bob).start({ messages: [{ role: "user", content: "mine" }] });

  assert.deepEqual(await store.removeAll(), {
    deleted_conversations: 3,
    deleted_messages: 6,
    storage_objects: [],
  });
  assert.deepEqual((await store.list()).conversations, []);
  assert.equal((await storeFor(bob).list()).conversations.length, 1, "Bob's conversation stays");

  const service = storeFor({ id: "service", token: await serviceRoleToken() });
  assert.deepEqual(await service.removeAll({ user_id: bob.id }), {
    deleted_conversations: 1,
    deleted_messages: 1,
    storage_objects: [],
  });
  const gone = await storeFor(bob).history(bobs.id).catch((error) => error);
  assert.equal(gone.code, "not_found");
});

test("the compaction loop of docs/feed-a-model.md replaces what the window left out with a summary, then stops", async () => {
  const store = storeFor(await newUser());
  const { conversation } = await store.start({
    messages: [{ role: "system", content: "You write scripts." }],
  });
  for (let turn = 1; turn <= 6; turn++) {
    await store.append(conversation.id, [
      { role: "user", content: `Question ${turn}: what happens in scene ${turn} of the cat video?` },
      {
        role: "assistant",
        content: `In scene ${turn} the cat ${"naps in the sun, ".repeat(turn)}and wakes.`,
      },
    ]);
  }
  const summarized: number[][] = [];
  const summarize = (previous: string | null, older: Message[]) => {
    summarized.push(older.map((message) => message.sequence_order));
    return Promise.resolve(`${previous ?? "So far:"} ${older.length} more messages about the cat video.`);
  };

  // As in docs/feed-a-model.md:
  const budget = { maxTokens: 150 };
  let window = await store.context(conversation.id, budget);
  assert.equal(window.has_earlier, true);
  while (window.has_earlier) {
    const { summary, summary_through_sequence, last_sequence } = window.conversation;
    const after = summary_through_sequence ?? 0;
    const through = (window.first_sequence ?? last_sequence + 1) - 1;
    const page = await store.history(conversation.id, { after, limit: Math.min(through - after, 1000) });
    const older = page.messages as Message[];
    await store.update(conversation.id, {
      summary: { content: await summarize(summary, older), through_sequence: older.at(-1)!.sequence_order },
    });
    window = await store.context(conversation.id, budget);
  }

  const covered = summarized.flat();
  assert.deepEqual(
    covered,
    Array.from({ length: covered.length }, (_, index) => index + 1),
    "each message once",
  );
  assert.equal(window.conversation.summary_through_sequence, window.first_sequence! - 1);
  assert.deepEqual(window.messages.slice(0, 2).map((message) => message.role), ["system", "system"]);
  assert.equal(window.messages[1].content, window.conversation.summary);
  assert.ok(window.token_count <= 150);
});
