/**
 * Imports under attack: racing imports of one file store it once, a tree with a cycle or dangling
 * parents ends, another user's Storage files cannot be smuggled in, replayed cursors store nothing
 * twice, and the same file imported by two users gives each their own copies.
 */
import assert from "node:assert/strict";
import { call, newUser, pool, test, type TestUser } from "../functions/helpers.ts";

function linear(id: string, count: number) {
  const mapping: Record<string, unknown> = { root: { parent: null, children: ["n0"], message: null } };
  for (let n = 0; n < count; n++) {
    mapping[`n${n}`] = {
      parent: n === 0 ? "root" : `n${n - 1}`,
      children: n + 1 < count ? [`n${n + 1}`] : [],
      message: {
        author: { role: n % 2 ? "assistant" : "user" },
        content: { content_type: "text", parts: [`m${n}`] },
      },
    };
  }
  return { id, title: id, mapping, current_node: `n${count - 1}` };
}

async function stored(user: TestUser) {
  const { rows } = await pool.query(
    `select count(distinct c.id)::int as conversations, count(m.id)::int as messages
     from public.conversations c left join public.conversation_messages m on m.conversation_id = c.id
     where c.user_id = $1`,
    [user.id],
  );
  return rows[0];
}

test("racing imports of one file store it once", async () => {
  const alice = await newUser();
  const file = Array.from({ length: 6 }, (_, n) => linear(`race-${n}`, 30));
  const replies = await Promise.all(
    Array.from({ length: 4 }, () => call("import-conversations", { token: alice.token, body: { file } })),
  );
  for (const reply of replies) {
    assert.ok([200, 409].includes(reply.status), JSON.stringify(reply.body));
  }
  // A loser retries, as a client does after a 409.
  const retry = await call("import-conversations", { token: alice.token, body: { file } });
  assert.equal(retry.status, 200);
  assert.deepEqual(await stored(alice), { conversations: 6, messages: 180 });
});

test("a replayed cursor stores nothing twice, and two users get their own copies", async () => {
  const alice = await newUser();
  const bob = await newUser();
  const file = Array.from({ length: 3 }, (_, n) => linear(`shared-${n}`, 1000));
  const first = await call("import-conversations", { token: alice.token, body: { file } });
  const second = await call("import-conversations", {
    token: alice.token,
    body: { file, cursor: first.body.next_cursor },
  });
  const replay = await call("import-conversations", {
    token: alice.token,
    body: { file, cursor: first.body.next_cursor },
  });
  assert.deepEqual([first.status, second.status, replay.status], [200, 200, 200]);
  assert.ok(replay.body.imported.every((entry: { appended: number }) => entry.appended === 0));
  assert.deepEqual(await stored(alice), { conversations: 3, messages: 3000 });
  await call("import-conversations", { token: bob.token, body: { file } });
  assert.deepEqual(await stored(bob), { conversations: 2, messages: 2000 }, "Bob's first call is his own");
  const ids = await pool.query(
    "select user_id, id from public.conversations where user_id = any ($1::uuid[])",
    [
      [alice.id, bob.id],
    ],
  );
  assert.equal(new Set(ids.rows.map((row) => row.id)).size, 5, "no conversation is shared between them");
});

test("a tree with a cycle or a dangling parent ends, keeping the messages it can reach", async () => {
  const alice = await newUser();
  const file = [{
    id: "cycle",
    title: "Loop",
    mapping: {
      a: { parent: "b", children: ["b"], message: { author: { role: "user" }, content: { parts: ["A"] } } },
      b: {
        parent: "a",
        children: ["a"],
        message: { author: { role: "assistant" }, content: { parts: ["B"] } },
      },
      c: { parent: "gone", children: [], message: { author: { role: "user" }, content: { parts: ["C"] } } },
    },
    current_node: "b",
  }];
  const reply = await call("import-conversations", { token: alice.token, body: { file } });
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
  assert.deepEqual(await stored(alice), { conversations: 2, messages: 3 });
});

test("an export page cannot bring in another user's Storage files", async () => {
  const alice = await newUser();
  const mallory = await newUser();
  const file = {
    format: "conversation-store/export",
    version: 1,
    exported_at: new Date().toISOString(),
    next_cursor: null,
    conversations: [{
      conversation: {
        id: crypto.randomUUID(),
        user_id: mallory.id,
        video_id: null,
        title: "Smuggled",
        pinned: false,
        archived: false,
        tags: [],
        metadata: {},
        last_sequence: 1,
        created_at: "2026-01-01T00:00:00+00:00",
        updated_at: "2026-01-01T00:00:00+00:00",
        retention_seconds: null,
        expires_at: null,
        summary: null,
        summary_through_sequence: null,
        summary_token_count: null,
        forked_from_conversation_id: null,
        forked_from_sequence: null,
      },
      first_sequence: 1,
      complete: true,
      ratings: [],
      messages: [{
        id: crypto.randomUUID(),
        conversation_id: crypto.randomUUID(),
        sequence_order: 1,
        role: "user",
        content: null,
        name: null,
        function_call: null,
        tool_calls: null,
        tool_call_id: null,
        client_message_id: null,
        status: "completed",
        token_count: 1,
        created_at: "2026-01-01T00:00:00+00:00",
        updated_at: "2026-01-01T00:00:00+00:00",
        parts: [{
          type: "file",
          media_type: "image/png",
          storage: { bucket: "conversation-files", path: `${alice.id}/private.png` },
        }],
      }],
    }],
  };
  const reply = await call("import-conversations", { token: mallory.token, body: { file } });
  assert.deepEqual([reply.status, reply.body.error.code], [403, "storage_path_forbidden"]);
  assert.deepEqual(await stored(mallory), { conversations: 0, messages: 0 });
});
