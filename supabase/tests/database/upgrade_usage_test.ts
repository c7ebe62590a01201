/**
 * Upgrading a database of the parts-and-chat release to the usage ledger: every stored row reads
 * back as before (old replies carry no usage), and the new things work on old rows: an old user is
 * on default, can reserve and record for an old reply, whose history then carries its usage, and
 * erase-all still erases everything.
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

/** Every message in every history format, as text. */
const EVERYTHING = `
  select (select jsonb_object_agg(m.id, jsonb_build_object(
            'rows', conversation_store.message_json(m)::text,
            'ui', (select jsonb_agg(u.message::text) from conversation_store.ui_messages(array[m], true) as u),
            'openai', conversation_store.openai_messages(m)::text)) from public.conversation_messages m) as messages`;

Deno.test({
  name:
    "a database of the previous release migrates with every row intact, and usage works on its old replies",
  ignore: databaseUrl === "",
  async fn() {
    await withDatabaseAt(PARTS_RELEASE, async (client, url) => {
      await client.query(`insert into auth.users (id) values ($1)`, [ALICE]);
      await asUser(
        client,
        ALICE,
        `
        select public.start_conversation(p_id => 'c0000000-0000-4000-8000-000000000001');
        select public.append_messages('c0000000-0000-4000-8000-000000000001', '[
          {"role": "user", "parts": [{"type": "text", "text": "Hello"}], "client_message_id": "u1"},
          {"role": "assistant", "parts": [{"type": "text", "text": "Hi"}], "client_message_id": "r1", "status": "in_progress"}]');
        select public.update_message('c0000000-0000-4000-8000-000000000001', 2, p_part_index => 0,
                                     p_append_text => ' there', p_text_offset => 2);
        select public.update_message('c0000000-0000-4000-8000-000000000001', 2, p_status => 'completed');
        select public.fork_conversation('c0000000-0000-4000-8000-000000000001', 1, 'c0000000-0000-4000-8000-000000000002')`,
      );
      const rows = await rowsAsTheyAre(client);
      const { rows: [before] } = await client.query(EVERYTHING);
      const rowsBefore = await rows();
      assert.equal(Object.keys(before.messages).length, 3);

      await migrateWith(url);

      const { rows: [after] } = await client.query(EVERYTHING);
      assert.deepEqual(after, before, "every message in every format is unchanged");
      assert.deepEqual(await rows(), rowsBefore, "every row is intact");

      const [used] = await asUser(
        client,
        ALICE,
        `select public.get_usage_limits() ->> 'plan' as plan,
                public.record_usage(
                  (public.reserve_usage(100, p_message_id => (select m.id from public.conversation_messages m
                    where m.client_message_id = 'r1')) ->> 'reservation_id')::uuid,
                  '{"inputTokens": 5, "outputTokens": 2}', 'old-model') ->> 'total_tokens' as total`,
      );
      assert.deepEqual(
        used,
        { plan: "default", total: "7" },
        "an old user is on default and is accounted for",
      );
      const [reply] = await asUser(
        client,
        ALICE,
        `select conversation_store.with_reply_usage(conversation_store.message_json(m), m, false) -> 'usage' as usage
         from public.conversation_messages m where m.client_message_id = 'r1'`,
      );
      assert.deepEqual(
        reply.usage,
        { inputTokens: 5, outputTokens: 2, totalTokens: 7 },
        "an old reply carries its usage",
      );

      const [erased] = await asUser(
        client,
        ALICE,
        `select d.done from public.delete_all_conversations() as d`,
      );
      const [left] = await asUser(client, ALICE, `select count(*)::int as entries from public.usage_ledger`);
      assert.deepEqual({ ...erased, ...left }, { done: true, entries: 0 }, "erase-all erases the ledger too");
    });
  },
});
