/**
 * Hostile input against the reply marks and outcomes (issue 25), straight at the database as
 * supabase.rpc() reaches it: another user's forged ids, anon, malformed and oversized outcomes,
 * a release replayed many times racing resumes, and an outcome racing the reply's end.
 */
import assert from "node:assert/strict";
import { newUser, pool, test } from "../functions/helpers.ts";

/** Runs `statement` as `userId` (or anon, for null) and commits; its rows, or the SQLSTATE it failed with. */
async function asUser(userId: string | null, statement: string, values: unknown[] = []) {
  const client = await pool.connect();
  try {
    await client.query("begin");
    await client.query(
      "select set_config('role', $2, true), set_config('request.jwt.claims', $1, true)",
      [
        JSON.stringify({ sub: userId, role: userId ? "authenticated" : "anon" }),
        userId ? "authenticated" : "anon",
      ],
    );
    const { rows } = await client.query(statement, values);
    await client.query("commit");
    return { rows, error: null as string | null };
  } catch (error) {
    await client.query("rollback");
    return { rows: [], error: (error as { code?: string }).code ?? "unknown" };
  } finally {
    client.release();
  }
}

/** A conversation of `userId` with a user message and a reply in progress at sequence 2. */
async function replyInProgress(userId: string): Promise<string> {
  await pool.query("insert into auth.users (id) values ($1) on conflict (id) do nothing", [userId]);
  const conversationId = crypto.randomUUID();
  const started = await asUser(
    userId,
    `select from public.start_conversation(null, '{}'::jsonb, $1::uuid),
       public.append_messages($1::uuid, $2::jsonb)`,
    [
      conversationId,
      JSON.stringify([{ role: "user", content: "Hi" }, {
        role: "assistant",
        content: null,
        status: "in_progress",
      }]),
    ],
  );
  assert.equal(started.error, null);
  return conversationId;
}

async function theReply(conversationId: string) {
  const { rows: [reply] } = await pool.query(
    `select m.status, m.reply_outcome, m.updated_at, r.released_at, r.resumed_at
     from public.conversation_messages m left join conversation_store.reply_releases r on r.message_id = m.id
     where m.conversation_id = $1 and m.sequence_order = 2`,
    [conversationId],
  );
  return reply;
}

test("another user's forged ids reach nothing: release, resume, state, stop and outcome of someone's reply change and reveal nothing", async () => {
  const [alice, bob] = [await newUser(), await newUser()];
  const conversationId = await replyInProgress(alice.id);
  const before = await theReply(conversationId);
  const attempts = {
    release: `select public.release_reply('${conversationId}', 2) as answer`,
    resume: `select count(*)::int as answer from public.resume_reply('${conversationId}')`,
    state:
      `select row(s.status, s.released_seconds)::text as answer from public.reply_release_state('${conversationId}', 2) s`,
    stop: `select public.stop_released_reply('${conversationId}') as answer`,
  };
  const expected = { release: false, resume: 0, state: "(,)", stop: false };
  for (const [name, statement] of Object.entries(attempts)) {
    const mine = await asUser(bob.id, statement);
    assert.deepEqual(mine.rows, [{ answer: expected[name as keyof typeof expected] }], name);
    // The same call for a conversation that does not exist answers the same: no oracle.
    const nowhere = await asUser(bob.id, statement.replaceAll(conversationId, crypto.randomUUID()));
    assert.deepEqual(nowhere.rows, mine.rows, `${name} of nothing`);
  }
  const outcome = await asUser(bob.id, `select public.set_reply_outcome('${conversationId}', 2, 'stopped')`);
  assert.equal(outcome.error, "PT404");
  for (const statement of Object.values(attempts)) {
    assert.equal((await asUser(null, statement)).error, "42501", "anon may not");
  }
  assert.deepEqual(
    await theReply(conversationId),
    before,
    "the reply, its marks and its outcome as they were",
  );
});

test("malformed, oversized and deep outcomes are refused and nothing is recorded", async () => {
  const alice = await newUser();
  const conversationId = await replyInProgress(alice.id);
  const deep = "[".repeat(5000) + "]".repeat(5000);
  const refused: Array<[string, string]> = [
    ["an unknown reason", `select public.set_reply_outcome($1, 2, 'done; drop table public.conversations')`],
    ["a null reason", `select public.set_reply_outcome($1, 2, null)`],
    ["an error that is not an object", `select public.set_reply_outcome($1, 2, 'model_error', '"boom"')`],
    ["an error without a message", `select public.set_reply_outcome($1, 2, 'model_error', '{"code": "x"}')`],
    [
      "a message of 10,000 characters",
      `select public.set_reply_outcome($1, 2, 'model_error', jsonb_build_object('code', 'x', 'message', repeat('y', 10000)))`,
    ],
    [
      "a stack, a URL or anything else beside the fields",
      `select public.set_reply_outcome($1, 2, 'model_error', '{"code": "x", "message": "y", "url": "http://10.0.0.7"}')`,
    ],
    [
      "a provider status that is an object",
      `select public.set_reply_outcome($1, 2, 'model_error', jsonb_build_object('code', 'x', 'message', 'y', 'provider_status', '${deep}'::jsonb))`,
    ],
    [
      "a retryable flag that is a string",
      `select public.set_reply_outcome($1, 2, 'model_error', '{"code": "x", "message": "y", "retryable": "yes"}')`,
    ],
  ];
  for (const [what, statement] of refused) {
    const answer = await asUser(alice.id, statement, [conversationId]);
    assert.ok(answer.error === "22023" || answer.error === "54001", `${what}: ${answer.error}`);
  }
  assert.equal((await theReply(conversationId)).reply_outcome, null);
});

test("a release replayed many times racing resumes, reads and a new message keeps one mark per reply, never deadlocks, and never moves the reply's updated_at", async () => {
  const alice = await newUser();
  const conversationId = await replyInProgress(alice.id);
  const { updated_at: before } = await theReply(conversationId);
  const statements = [
    `select public.release_reply('${conversationId}', 2)`,
    `select from public.resume_reply('${conversationId}')`,
    `select from public.reply_release_state('${conversationId}', 2)`,
  ];
  const results = await Promise.all(
    Array.from({ length: 60 }, (_, index) => asUser(alice.id, statements[index % statements.length])),
  );
  assert.deepEqual(results.filter((result) => result.error !== null), [], "no call failed");
  const { rows } = await pool.query(
    `select count(*)::int as marks from conversation_store.reply_releases r
     join public.conversation_messages m on m.id = r.message_id where m.conversation_id = $1`,
    [conversationId],
  );
  assert.equal(rows[0].marks, 1);
  const after = await theReply(conversationId);
  assert.deepEqual([after.status, after.updated_at], ["in_progress", before], "marks are no heartbeat");

  // The last word wins: released after every resume, a new message ends the reply as stopped.
  await asUser(alice.id, statements[0]);
  const [stop, outcome] = await Promise.all([
    asUser(alice.id, `select public.stop_released_reply('${conversationId}') as stopped`),
    asUser(alice.id, `select public.set_reply_outcome('${conversationId}', 2, 'time_limit') as recorded`),
  ]);
  assert.equal(stop.rows[0].stopped, true);
  const ended = await theReply(conversationId);
  assert.equal(ended.status, "incomplete");
  // The outcome raced the end: recorded before it (time_limit) or refused after it (stopped kept).
  assert.deepEqual(ended.reply_outcome, { reason: outcome.rows[0].recorded ? "time_limit" : "stopped" });
});
