/**
 * Upgrading to memory and recall: a database filled by the release with message parts and chat
 * (PARTS_RELEASE) through its functions migrates with every row intact; the old rows are recalled,
 * memory starts empty and works for the old users, and erasing and deleting keep working on old rows.
 */
import assert from "node:assert/strict";
import {
  asUser,
  databaseUrl,
  migrateWith,
  PARTS_RELEASE,
  rowsAsTheyAre,
  withDatabaseAt,
} from "./upgrade_support.ts";

const ALICE = "00000000-0000-4000-8000-0000000000a1";
const BOB = "00000000-0000-4000-8000-0000000000b1";

Deno.test({
  name:
    "a database of the parts release migrates to memory and recall with every row intact, and its rows are recalled",
  ignore: databaseUrl === "",
  async fn() {
    await withDatabaseAt(PARTS_RELEASE, async (client, url) => {
      await client.query(`insert into auth.users (id) values ($1), ($2)`, [ALICE, BOB]);
      await asUser(
        client,
        ALICE,
        `select public.start_conversation(p_id => 'c0000000-0000-4000-8000-000000000001');
         select public.append_messages('c0000000-0000-4000-8000-000000000001', '[
           {"role": "user", "content": "We adopted a tortoise named Gustave."},
           {"role": "assistant", "parts": [{"type": "reasoning", "text": "A pet tortoise."}, {"type": "text", "text": "Gustave is a fine name for a tortoise."}]}]');
         select public.start_conversation(p_id => 'c0000000-0000-4000-8000-000000000002');
         select public.append_messages('c0000000-0000-4000-8000-000000000002', '[{"role": "user", "content": "Another topic."}]');`,
      );
      await asUser(
        client,
        BOB,
        `select public.start_conversation(p_id => 'c0000000-0000-4000-8000-0000000000b1');
         select public.append_messages('c0000000-0000-4000-8000-0000000000b1', '[{"role": "user", "content": "My tortoise is Bernard."}]');`,
      );
      const rows = await rowsAsTheyAre(client);
      const before = await rows();
      const { rows: [{ count }] } = await client.query(
        "select count(*)::int from public.conversation_messages",
      );
      assert.equal(count, 4);

      await migrateWith(url);

      const after = await rows();
      assert.deepEqual(after, before, "every row of the previous release is intact, byte for byte");

      // As Alice, in one transaction rolled back at the end.
      await client.query("begin");
      await client.query(
        `select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)`,
        [JSON.stringify({ sub: ALICE, role: "authenticated" })],
      );
      const { rows: [{ recall }] } = await client.query(
        `select public.recall_messages('tortoise name', 8, 'c0000000-0000-4000-8000-000000000002') as recall`,
      );
      assert.equal(recall.mode, "full_text");
      assert.deepEqual(
        recall.passages.map((passage: { conversation_id: string; sequence_order: number }) => [
          passage.conversation_id,
          passage.sequence_order,
        ]).toSorted(),
        [["c0000000-0000-4000-8000-000000000001", 1], ["c0000000-0000-4000-8000-000000000001", 2]],
        "an old user's old messages are recalled, none of Bob's",
      );
      const { rows: [{ memory }] } = await client.query(`select public.get_memory() as memory`);
      assert.deepEqual(memory.entries, [], "memory starts empty");
      const { rows: [{ entry }] } = await client.query(
        `select public.write_memory('pet', 'a tortoise named Gustave', null, 'c0000000-0000-4000-8000-000000000001') as entry`,
      );
      assert.equal(
        entry.conversation_id,
        "c0000000-0000-4000-8000-000000000001",
        "written from an old conversation",
      );
      const { rows: [erased] } = await client.query(`select * from public.delete_all_conversations()`);
      assert.equal(erased.done, true);
      const { rows: [{ left }] } = await client.query(
        `select count(*)::int as left from public.memory_entries`,
      );
      assert.equal(left, 0, "erasing an old user's data erases their memory too");
      await client.query("rollback");
    });
  },
});
