/**
 * Upgrade for issue 31 (a user's own chats): a database filled by the parts release through its
 * functions migrates with every row intact, old conversations read untitled, unpinned, unarchived
 * and untagged, and the new things work on old rows: labels, lists pinned first, search by title,
 * ratings, share links, export and import.
 */
import assert from "node:assert/strict";
import { asUser, databaseUrl, migrateWith, PARTS_RELEASE, withDatabaseAt } from "./upgrade_support.ts";

const ALICE = "00000000-0000-4000-8000-0000000000a1";
const CONVERSATION = "c0000000-0000-4000-8000-000000000001";

/** Every row of the release's tables, in its columns. */
const SNAPSHOT = `
  select (select md5(string_agg(row(c.id, c.user_id, c.video_id, c.metadata, c.last_sequence, c.created_at,
                                    c.updated_at, c.retention_seconds, c.expires_at, c.summary)::text,
                                '|' order by c.id)) from public.conversations c) as conversations,
         (select md5(string_agg(row(m.id, m.conversation_id, m.sequence_order, m.role, m.content, m.parts,
                                    m.metadata, m.status, m.token_count, m.created_at, m.updated_at)::text,
                                '|' order by m.id)) from public.conversation_messages m) as messages,
         (select count(*)::int from public.conversation_messages) as message_count`;

Deno.test({
  name:
    "a database filled by the parts release keeps every row, and old conversations take labels, ratings, links and exports",
  ignore: databaseUrl === "",
  async fn() {
    await withDatabaseAt(PARTS_RELEASE, async (client, url) => {
      await client.query(`insert into auth.users (id) values ($1)`, [ALICE]);
      await asUser(
        client,
        ALICE,
        `
        select public.start_conversation(p_id => '${CONVERSATION}', p_metadata => '{"step": "script"}');
        select public.start_conversation(p_id => 'c0000000-0000-4000-8000-000000000002', p_retention_seconds => 86400);
        select public.append_messages('${CONVERSATION}', '[
          {"role": "system", "content": "You plan trips."},
          {"role": "user", "content": "Plan a zeppelin tour", "client_message_id": "u1"},
          {"role": "assistant", "parts": [{"type": "reasoning", "text": "Airships"}, {"type": "text", "text": "Fly from Friedrichshafen."}],
           "metadata": {"model": "old-model"}}]');
        select public.append_messages('c0000000-0000-4000-8000-000000000002', '[{"role": "user", "content": "second"}]')`,
      );
      const { rows: [before] } = await client.query(SNAPSHOT);
      assert.equal(before.message_count, 4);

      await migrateWith(url);

      const { rows: [after] } = await client.query(SNAPSHOT);
      assert.deepEqual(after, before, "every row of the release is intact");
      const { rows: labels } = await client.query(
        `select title, title_source, pinned, archived, tags from public.conversations order by id`,
      );
      assert.deepEqual(
        labels,
        Array(2).fill({ title: null, title_source: null, pinned: false, archived: false, tags: [] }),
      );

      // The new things, on the old rows, as a user calls them.
      await asUser(
        client,
        ALICE,
        `
        update public.conversations set title = 'Zeppelin tour', pinned = true, tags = array['Travel']
        where id = '${CONVERSATION}';
        select public.rate_message('${CONVERSATION}', 3, 'up', 'helpful');
        select public.share_conversation('${CONVERSATION}')`,
      );
      await client.query(`begin`);
      await client.query(`select set_config('role', 'authenticated', true),
                                 set_config('request.jwt.claims', '{"sub": "${ALICE}", "role": "authenticated"}', true)`);
      const { rows: [read] } = await client.query(`
        select json_array_length(public.search_conversations('zeppelin', p_tag => 'travel') -> 'results') as found,
               public.export_conversations() -> 'conversations' -> 0 -> 'messages' -> 2 ->> 'content' as exported,
               (select rating from public.message_ratings) as rating,
               (select count(*)::int from public.conversation_tags) as tag_rows,
               (select through_sequence from public.conversation_shares) as shared_through,
               (select string_agg(c.id::text, ',' order by c.pinned desc, c.updated_at desc, c.id desc)
                from public.conversations c where not c.archived) as listed`);
      await client.query(`rollback`);
      assert.deepEqual(
        { ...read, listed: read.listed.split(",")[0] },
        {
          found: 1,
          exported: "Fly from Friedrichshafen.",
          rating: "up",
          tag_rows: 1,
          shared_through: 3,
          listed: CONVERSATION,
        },
      );
    });
  },
});
