/** Streamed replies (update-message, one reply at a time) and fork-conversation, over HTTP. */
import assert from "node:assert/strict";
import { countTokens } from "gpt-tokenizer/encoding/o200k_base";
import * as api from "../../functions/_shared/schemas.ts";
import { call, newUser, pool, serviceRoleToken, startConversation, test, type TestUser } from "./helpers.ts";

/** Starts a reply in a new conversation of `user`, after one user message; returns ids. */
async function replyInProgress(user: TestUser) {
  const conversationId = await startConversation(user, {
    messages: [{ role: "user", content: "Tell me about cats" }],
  });
  const started = await call("append-message", {
    token: user.token,
    body: {
      conversation_id: conversationId,
      message: { role: "assistant", content: "", status: "in_progress", client_message_id: "reply-1" },
    },
  });
  assert.equal(started.status, 201, JSON.stringify(started.body));
  assert.equal(started.body.messages[0].status, "in_progress");
  return { conversationId, sequence: started.body.messages[0].sequence_order as number };
}

const delta = (conversationId: string, sequence: number, text: string, offset: number) => ({
  conversation_id: conversationId,
  sequence_order: sequence,
  append_content: text,
  content_offset: offset,
});

test("a reply streams in deltas, and a retried delta is stored once", async () => {
  const alice = await newUser();
  const { conversationId, sequence } = await replyInProgress(alice);
  const first = await call("update-message", {
    token: alice.token,
    body: delta(conversationId, sequence, "Cats ", 0),
  });
  assert.equal(first.status, 200);
  assert.equal(api.updateMessageResponse.parse(first.body).message.content, "Cats ");
  const viaPatch = await call("update-message", {
    token: alice.token,
    method: "PATCH",
    body: delta(conversationId, sequence, "purr.", 5),
  });
  assert.equal(viaPatch.body.message.content, "Cats purr.");
  const retry = await call("update-message", {
    token: alice.token,
    body: delta(conversationId, sequence, "purr.", 5),
  });
  assert.equal(retry.status, 200);
  assert.equal(retry.body.message.content, "Cats purr.", "the retry changed nothing");
  const mismatch = await call("update-message", {
    token: alice.token,
    body: delta(conversationId, sequence, "!", 3),
  });
  assert.equal(mismatch.status, 409);
  assert.equal(mismatch.body.error.code, "content_offset_mismatch");
  assert.deepEqual(mismatch.body.error.details, { content_length: 10 });
});

test("while a reply is in progress appends are refused, and readers see it as it is", async () => {
  const alice = await newUser();
  const { conversationId, sequence } = await replyInProgress(alice);
  await call("update-message", {
    token: alice.token,
    body: delta(conversationId, sequence, "Half an ans", 0),
  });
  const append = await call("append-message", {
    token: alice.token,
    body: { conversation_id: conversationId, message: { role: "user", content: "another question" } },
  });
  assert.equal(append.status, 409);
  assert.equal(append.body.error.code, "reply_in_progress");
  assert.deepEqual(append.body.error.details, { sequence_order: sequence });

  const history = api.getHistoryResponse.parse(
    (await call("get-history", { token: alice.token, query: { conversation_id: conversationId } })).body,
  );
  const reply = (history.messages as api.Message[]).at(-1)!;
  assert.deepEqual([reply.status, reply.content], ["in_progress", "Half an ans"]);
  assert.ok(reply.updated_at >= reply.created_at);
  assert.equal(history.conversation.last_sequence, 2);

  const context = api.getContextResponse.parse(
    (await call("get-context", {
      token: alice.token,
      query: { conversation_id: conversationId, max_tokens: 1000 },
    }))
      .body,
  );
  assert.deepEqual(
    context.messages,
    [{ role: "user", content: "Tell me about cats" }],
    "context leaves it out",
  );
});

test("finishing a reply makes it final, counts it exactly, and opens the conversation again", async () => {
  const alice = await newUser();
  const { conversationId, sequence } = await replyInProgress(alice);
  await call("update-message", {
    token: alice.token,
    body: delta(conversationId, sequence, "Cats sleep ", 0),
  });
  const finished = await call("update-message", {
    token: alice.token,
    body: { ...delta(conversationId, sequence, "sixteen hours a day.", 11), status: "completed" },
  });
  assert.equal(finished.status, 200);
  const message = api.updateMessageResponse.parse(finished.body).message;
  assert.equal(message.status, "completed");
  assert.equal(message.content, "Cats sleep sixteen hours a day.");
  assert.equal(
    message.token_count,
    countTokens("Cats sleep sixteen hours a day.") + 3,
    "the final count is exact",
  );
  const { rows: [stored] } = await pool.query(
    "select token_count from public.conversation_messages where id = $1",
    [message.id],
  );
  assert.equal(stored.token_count, message.token_count);

  const late = await call("update-message", {
    token: alice.token,
    body: delta(conversationId, sequence, " More.", 31),
  });
  assert.equal(late.status, 409);
  assert.equal(late.body.error.code, "message_final");
  const next = await call("append-message", {
    token: alice.token,
    body: { conversation_id: conversationId, message: { role: "user", content: "Why?" } },
  });
  assert.equal(next.status, 201);
});

test("Stop in the browser ends the reply, and the worker's next delta learns it", async () => {
  const alice = await newUser();
  const { conversationId, sequence } = await replyInProgress(alice);
  const worker = await serviceRoleToken();
  await call("update-message", { token: worker, body: delta(conversationId, sequence, "Once upon a ", 0) });
  const stop = await call("update-message", {
    token: alice.token,
    body: { conversation_id: conversationId, sequence_order: sequence, status: "incomplete" },
  });
  assert.equal(stop.body.message.status, "incomplete");
  const next = await call("update-message", {
    token: worker,
    body: delta(conversationId, sequence, "time", 12),
  });
  assert.equal(next.status, 409);
  assert.equal(next.body.error.code, "message_final");
  const context = await call("get-context", {
    token: alice.token,
    query: { conversation_id: conversationId, max_tokens: 1000 },
  });
  assert.equal(context.body.messages.at(-1).content, "Once upon a ", "a stopped reply is still context");
});

test("two writers racing to start a reply: exactly one wins, the other gets 409", async () => {
  const alice = await newUser();
  const conversationId = await startConversation(alice, { messages: [{ role: "user", content: "hi" }] });
  for (let round = 0; round < 10; round++) {
    const start = () =>
      call("append-message", {
        token: alice.token,
        body: {
          conversation_id: conversationId,
          message: { role: "assistant", content: "", status: "in_progress" },
        },
      });
    const replies = await Promise.all([start(), start()]);
    assert.deepEqual(replies.map((reply) => reply.status).sort(), [201, 409]);
    const winner = replies.find((reply) => reply.status === 201)!;
    const loser = replies.find((reply) => reply.status === 409)!;
    assert.equal(loser.body.error.code, "reply_in_progress");
    const sequence = winner.body.messages[0].sequence_order;
    assert.deepEqual(loser.body.error.details, { sequence_order: sequence });
    await call("update-message", {
      token: alice.token,
      body: {
        conversation_id: conversationId,
        sequence_order: sequence,
        content: "done",
        status: "completed",
      },
    });
  }
  const { rows: [counts] } = await pool.query(
    `select count(*)::int as messages, count(*) filter (where status = 'in_progress')::int as in_progress
     from public.conversation_messages where conversation_id = $1`,
    [conversationId],
  );
  assert.deepEqual(counts, { messages: 11, in_progress: 0 });
});

test("50 concurrent retries of the same delta store it once", async () => {
  const alice = await newUser();
  const { conversationId, sequence } = await replyInProgress(alice);
  const replies = await Promise.all(
    Array.from(
      { length: 50 },
      () => call("update-message", { token: alice.token, body: delta(conversationId, sequence, "purr ", 0) }),
    ),
  );
  assert.deepEqual([...new Set(replies.map((reply) => reply.status))], [200]);
  const { rows: [stored] } = await pool.query(
    "select content from public.conversation_messages where conversation_id = $1 and sequence_order = $2",
    [conversationId, sequence],
  );
  assert.equal(stored.content, "purr ");
});

test("a reply whose writer went quiet is taken over by the next append", async () => {
  const alice = await newUser();
  const { conversationId, sequence } = await replyInProgress(alice);
  await call("update-message", { token: alice.token, body: delta(conversationId, sequence, "I was cut", 0) });
  // The writer went quiet longer than the stale limit: its last update is moved back in time.
  const client = await pool.connect();
  try {
    await client.query("begin");
    await client.query(
      "alter table public.conversation_messages disable trigger conversation_messages_touch_updated_at",
    );
    await client.query(
      `update public.conversation_messages set updated_at = now() - conversation_store.stale_reply_after() - interval '1 second'
       where conversation_id = $1 and sequence_order = $2`,
      [conversationId, sequence],
    );
    await client.query(
      "alter table public.conversation_messages enable trigger conversation_messages_touch_updated_at",
    );
    await client.query("commit");
  } finally {
    client.release();
  }
  const append = await call("append-message", {
    token: alice.token,
    body: { conversation_id: conversationId, message: { role: "user", content: "Are you there?" } },
  });
  assert.equal(append.status, 201);
  const history = await call("get-history", {
    token: alice.token,
    query: { conversation_id: conversationId },
  });
  const stale = history.body.messages[sequence - 1];
  assert.deepEqual([stale.status, stale.content], ["incomplete", "I was cut"]);
});

test("update-message refuses bad input with 400, other users with 404", async () => {
  const alice = await newUser();
  const bob = await newUser();
  const { conversationId, sequence } = await replyInProgress(alice);
  const bodies = [
    { conversation_id: conversationId, sequence_order: sequence },
    {
      conversation_id: conversationId,
      sequence_order: sequence,
      content: "a",
      append_content: "b",
      content_offset: 0,
    },
    { conversation_id: conversationId, sequence_order: sequence, append_content: "b" },
    { conversation_id: conversationId, sequence_order: sequence, content_offset: 0 },
    { conversation_id: conversationId, sequence_order: sequence, status: "done" },
    { conversation_id: conversationId, sequence_order: 0, content: "x" },
    { conversation_id: conversationId, sequence_order: sequence, content: "x", role: "user" },
    { conversation_id: conversationId, sequence_order: sequence, tool_calls: [{ id: "c" }] },
    { conversation_id: conversationId, sequence_order: sequence, append_content: "x", content_offset: -1 },
  ];
  for (const body of bodies) {
    const reply = await call("update-message", { token: alice.token, body });
    assert.equal(reply.status, 400, JSON.stringify(body));
    assert.equal(reply.body.error.code, "invalid_request");
  }
  const bobs = await call("update-message", {
    token: bob.token,
    body: { conversation_id: conversationId, sequence_order: sequence, status: "incomplete" },
  });
  assert.equal(bobs.status, 404);
  const missing = await call("update-message", {
    token: alice.token,
    body: { conversation_id: conversationId, sequence_order: 99, content: "x" },
  });
  assert.equal(missing.status, 404);
  const finalMessage = await call("update-message", {
    token: alice.token,
    body: { conversation_id: conversationId, sequence_order: 1, status: "completed" },
  });
  assert.equal(finalMessage.status, 409, "message 1 is a completed user message");
  assert.equal(finalMessage.body.error.code, "message_final");
});

test("a fork copies the first messages into a new conversation, and the same id replays it", async () => {
  const alice = await newUser();
  const source = await startConversation(alice, {
    metadata: { step: "script" },
    messages: [
      { role: "system", content: "You write scripts.", client_message_id: "s" },
      { role: "user", content: "A cat video", client_message_id: "u1" },
      { role: "assistant", content: "A cat sleeps.", client_message_id: "a1" },
      { role: "user", content: "Funnier", client_message_id: "u2" },
    ],
  });
  const id = crypto.randomUUID();
  const body = { conversation_id: source, through_sequence: 2, id, metadata: { branch: "regenerate" } };
  const fork = await call("fork-conversation", { token: alice.token, body });
  assert.equal(fork.status, 201);
  const forked = api.forkConversationResponse.parse(fork.body);
  assert.equal(forked.copied_messages, 2);
  assert.equal(forked.conversation.id, id);
  assert.equal(forked.conversation.forked_from_conversation_id, source);
  assert.equal(forked.conversation.forked_from_sequence, 2);
  assert.equal(forked.conversation.last_sequence, 2);
  assert.deepEqual(forked.conversation.metadata, { step: "script", branch: "regenerate" });

  const replay = await call("fork-conversation", { token: alice.token, body });
  assert.equal(replay.status, 200);
  assert.deepEqual(replay.body, fork.body);

  const regenerated = await call("append-message", {
    token: alice.token,
    body: {
      conversation_id: id,
      message: { role: "assistant", content: "A cat dances.", client_message_id: "a1" },
    },
  });
  assert.equal(regenerated.status, 201, "the fork's keys are its own");
  const [sourceHistory, forkHistory] = await Promise.all(
    [source, id].map((conversationId) =>
      call("get-history", {
        token: alice.token,
        query: { conversation_id: conversationId, format: "openai" },
      })
    ),
  );
  assert.deepEqual(sourceHistory.body.messages.map((m: { content: string }) => m.content), [
    "You write scripts.",
    "A cat video",
    "A cat sleeps.",
    "Funnier",
  ]);
  assert.deepEqual(forkHistory.body.messages.map((m: { content: string }) => m.content), [
    "You write scripts.",
    "A cat video",
    "A cat dances.",
  ]);

  const forks = await call("list-conversations", {
    token: alice.token,
    query: { forked_from_conversation_id: source },
  });
  assert.deepEqual(forks.body.conversations.map((c: api.Conversation) => c.id), [id]);
});

test("fork-conversation answers 422, 409, 404 and 400 as documented", async () => {
  const alice = await newUser();
  const bob = await newUser();
  const { conversationId } = await replyInProgress(alice);
  const beyond = await call("fork-conversation", {
    token: alice.token,
    body: { conversation_id: conversationId, through_sequence: 3 },
  });
  assert.equal(beyond.status, 422);
  assert.equal(beyond.body.error.code, "beyond_last_sequence");
  assert.deepEqual(beyond.body.error.details, { last_sequence: 2 });
  const throughReply = await call("fork-conversation", {
    token: alice.token,
    body: { conversation_id: conversationId, through_sequence: 2 },
  });
  assert.equal(throughReply.status, 409);
  assert.equal(throughReply.body.error.code, "reply_in_progress");
  const bobs = await call("fork-conversation", {
    token: bob.token,
    body: { conversation_id: conversationId, through_sequence: 1 },
  });
  assert.equal(bobs.status, 404);
  const taken = await call("fork-conversation", {
    token: alice.token,
    body: { conversation_id: conversationId, through_sequence: 1, id: conversationId },
  });
  assert.equal(taken.status, 409);
  assert.equal(taken.body.error.code, "conversation_exists");
  for (
    const body of [
      { conversation_id: conversationId },
      { conversation_id: conversationId, through_sequence: 0 },
      { conversation_id: conversationId, through_sequence: 1, metadata: [] },
      { conversation_id: conversationId, through_sequence: 1, extra: 1 },
    ]
  ) {
    const reply = await call("fork-conversation", { token: alice.token, body });
    assert.equal(reply.status, 400, JSON.stringify(body));
  }
  const { rows: [{ forks }] } = await pool.query(
    "select count(*)::int as forks from public.conversations where forked_from_conversation_id = $1",
    [conversationId],
  );
  assert.equal(forks, 0, "nothing was forked");
});
