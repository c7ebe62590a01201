/**
 * Hostile input and races for a conversation's labels (title, pinned, archived, tags): malformed
 * labels are 4xx and store nothing, another user's or a forged id is 404, the Data API meets the
 * same bounds, and conversation_tags stays equal to the conversations it mirrors under concurrent
 * label changes and appends.
 */
import assert from "node:assert/strict";
import { call, newUser, pool, startConversation, test } from "../functions/helpers.ts";
import { asUserDirectly } from "./checks.ts";

/** Every conversation_tags row that disagrees with its conversation, and every tag without a row. */
async function tagMismatches(conversationIds: string[]): Promise<unknown[]> {
  // The rows conversation_tags should hold, against those it holds: any difference either way.
  const { rows } = await pool.query(
    `with expected as (
       select c.id as conversation_id, wanted.tag, c.user_id, c.archived, c.pinned, c.updated_at
       from public.conversations c cross join unnest(c.tags) as wanted(tag)
       where c.id = any ($1::uuid[])),
     held as (
       select t.conversation_id, t.tag, t.user_id, t.archived, t.pinned, t.updated_at
       from public.conversation_tags t where t.conversation_id = any ($1::uuid[]))
     (select 'missing' as problem, * from expected except select 'missing', * from held)
     union all
     (select 'extra', * from held except select 'extra', * from expected)`,
    [conversationIds],
  );
  return rows;
}

test("malformed labels are a 4xx and leave the conversation as it was", async () => {
  const alice = await newUser();
  const id = await startConversation(alice);
  await call("update-conversation", {
    token: alice.token,
    body: { conversation_id: id, title: "Kept", tags: ["kept"] },
  });
  const before = (await pool.query("select * from public.conversations where id = $1", [id])).rows[0];
  const hostile: Array<[Record<string, unknown>, number]> = [
    [{ title: "x".repeat(300_000) }, 400],
    [{ title: "nul\u0000" }, 400],
    [{ title: "lone \ud800 surrogate" }, 400],
    [{ title: { text: "object" } }, 400],
    [{ tags: [["nested"]] }, 400],
    [{ tags: Array.from({ length: 10_000 }, (_, n) => `t${n}`) }, 400],
    [{ tags: ["tab\u0007bell"] }, 400],
    [{ tags: { 0: "work" } }, 400],
    [{ pinned: 1 }, 400],
    [{ archived: "true" }, 400],
  ];
  for (const [fields, status] of hostile) {
    const reply = await call("update-conversation", {
      token: alice.token,
      body: { conversation_id: id, ...fields },
    });
    assert.equal(reply.status, status, JSON.stringify(fields).slice(0, 80));
    assert.ok(reply.body.error?.code, "the error shape");
  }
  const after = (await pool.query("select * from public.conversations where id = $1", [id])).rows[0];
  assert.deepEqual(after, before);
});

test("labelling a forged id or another user's conversation is a 404 that changes nothing", async () => {
  const alice = await newUser();
  const mallory = await newUser();
  const id = await startConversation(alice);
  for (const target of [id, crypto.randomUUID()]) {
    const reply = await call("update-conversation", {
      token: mallory.token,
      body: { conversation_id: target, title: "owned", archived: true, tags: ["x"] },
    });
    assert.equal(reply.status, 404);
  }
  const { rows } = await pool.query("select title, archived, tags from public.conversations where id = $1", [
    id,
  ]);
  assert.deepEqual(rows[0], { title: null, archived: false, tags: [] });
  const listed = await call("list-conversations", { token: mallory.token, query: { tag: "x" } });
  assert.deepEqual(listed.body.conversations, []);
});

test("the Data API meets the same label bounds and cannot forge a generated title or another's tags", async () => {
  const alice = await newUser();
  const bob = await newUser();
  const id = await startConversation(alice);
  const update = (set: string, user = alice.id) =>
    asUserDirectly(user, `update public.conversations set ${set} where id = '${id}'`);
  assert.equal((await update(`title = repeat('x', 201)`)).error, "23514");
  assert.equal((await update(`tags = array['a','b','c','d','e','f','g','h','i','j','k']`)).error, "23514");
  assert.equal((await update(`title_source = 'generated'`)).error, "42501");
  assert.equal((await update(`tags = array['mine']`, bob.id)).rowCount, 0);
  const forged = await asUserDirectly(
    bob.id,
    `insert into public.conversation_tags values ('${id}', 'forged', '${bob.id}', false, true, now())`,
  );
  assert.equal(forged.error, "42501");
  assert.deepEqual(await tagMismatches([id]), []);
});

test("conversation_tags stays equal to the tags and sort key under concurrent label changes and appends", async () => {
  const alice = await newUser();
  const ids = [await startConversation(alice), await startConversation(alice)];
  const requests = [];
  for (let n = 0; n < 40; n++) {
    const id = ids[n % 2];
    requests.push(
      n % 3 === 0
        ? call("append-message", {
          token: alice.token,
          body: { conversation_id: id, message: { role: "user", content: `race ${n}` } },
        })
        : call("update-conversation", {
          token: alice.token,
          body: {
            conversation_id: id,
            tags: [`t${n % 4}`, `t${n % 5}`],
            pinned: n % 2 === 0,
            archived: n % 7 === 0,
          },
        }),
    );
  }
  const replies = await Promise.all(requests);
  assert.deepEqual(replies.filter((reply) => reply.status >= 300).map((reply) => reply.body), []);
  assert.deepEqual(await tagMismatches(ids), []);
  // Each tag lists exactly the conversations carrying it.
  for (const tag of ["t0", "t1", "t2", "t3", "t4"]) {
    const carrying = (await pool.query(
      "select id from public.conversations where id = any ($1::uuid[]) and $2 = any (tags) order by id",
      [ids, tag],
    )).rows.map((row) => row.id);
    const listed = [
      ...(await call("list-conversations", { token: alice.token, query: { tag } })).body.conversations,
      ...(await call("list-conversations", { token: alice.token, query: { tag, archived: "true" } })).body
        .conversations,
    ].map((conversation: { id: string }) => conversation.id).sort();
    assert.deepEqual(listed, carrying, tag);
  }
});
