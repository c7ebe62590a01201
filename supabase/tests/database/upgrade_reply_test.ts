/**
 * Upgrading to the reply log (issue 32): replies written by the previous release, finished or left
 * in progress, with parts or with content alone, read exactly as before after the migration, and a
 * reply left in progress is extended (through the log) and finished afterwards.
 */
import assert from "node:assert/strict";
// @ts-types="npm:@types/pg@8.23.1"
import type pg from "pg";
import { asUser, databaseUrl, migrateWith, PARTS_RELEASE, withDatabaseAt } from "./upgrade_support.ts";

const alice = "00000000-0000-4000-8000-0000000000a1";
const FINISHED = "c0000000-0000-4000-8000-000000000001";
const STREAMING = "c0000000-0000-4000-8000-000000000002";
const CONTENT_ONLY = "c0000000-0000-4000-8000-000000000003";

/** Every message row as JSON, without the column this release adds (reply_outcome): what "reads exactly as before" compares. */
const ROWS =
  `select jsonb_agg(to_jsonb(m) - 'reply_outcome' order by m.conversation_id, m.sequence_order) as rows
              from public.conversation_messages m`;

/** Runs `sql` in one transaction as Alice. */
const asAlice = (client: pg.Client, sql: string) => asUser(client, alice, sql);

Deno.test({
  name:
    "replies of the previous release read as before after the upgrade, and one left in progress is extended and finished",
  ignore: databaseUrl === "",
  async fn() {
    await withDatabaseAt(PARTS_RELEASE, async (client, url) => {
      await client.query(`insert into auth.users (id) values ($1)`, [alice]);
      // Written the way the previous release's chat function wrote replies: part operations.
      for (const id of [FINISHED, STREAMING, CONTENT_ONLY]) {
        await asAlice(
          client,
          `select public.start_conversation(p_id => '${id}');
           select public.append_messages('${id}', '[{"role": "user", "content": "Tell me", "client_message_id": "u-${id}"},
             {"role": "assistant", "content": null, "status": "in_progress", "client_message_id": "r-${id}"}]')`,
        );
      }
      for (const id of [FINISHED, STREAMING]) {
        await asAlice(
          client,
          `select public.update_message('${id}', 2, p_part_index => 0, p_part => '{"type": "reasoning", "text": "Hmm"}');
           select public.update_message('${id}', 2, p_part_index => 1, p_part => '{"type": "text", "text": ""}');
           select public.update_message('${id}', 2, p_part_index => 1, p_append_text => 'Once upon', p_text_offset => 0);
           select public.update_message('${id}', 2, p_part_index => 1, p_append_text => ' a time', p_text_offset => 9)`,
        );
      }
      await asAlice(client, `select public.update_message('${FINISHED}', 2, p_status => 'completed')`);
      await asAlice(
        client,
        `select public.update_message('${CONTENT_ONLY}', 2, p_append_content => 'Plain', p_content_offset => 0)`,
      );
      const { rows: [before] } = await client.query(ROWS);

      await migrateWith(url);

      const { rows: [after] } = await client.query(ROWS);
      assert.deepEqual(after, before, "every reply row is as the previous release left it");
      const [live] = await asAlice(
        client,
        `select jsonb_agg(to_jsonb(conversation_store.live_message(m)) - 'reply_outcome' order by m.conversation_id) as rows
         from public.conversation_messages m where m.sequence_order = 2`,
      );
      assert.deepEqual(
        live.rows,
        before.rows.filter((row: { sequence_order: number }) => row.sequence_order === 2),
        "readers see each reply as stored",
      );

      // The reply left in progress goes on where it stopped, through the log, and finishes.
      await asAlice(
        client,
        `select conversation_store.log_part_operation('${STREAMING}', 2, 1, null, ', a cat', 16);
         select conversation_store.log_part_operation('${STREAMING}', 2, 2, '{"type": "step-start"}', null, null)`,
      );
      const [streaming] = await asAlice(
        client,
        `select conversation_store.live_parts(m) as parts, m.parts as stored
         from public.conversation_messages m where m.conversation_id = '${STREAMING}' and m.sequence_order = 2`,
      );
      const parts = [
        { type: "reasoning", text: "Hmm" },
        { type: "text", text: "Once upon a time, a cat" },
        { type: "step-start" },
      ];
      assert.deepEqual(streaming.parts, parts, "readers see the old text and the new");
      assert.deepEqual(
        streaming.stored,
        parts.slice(0, 2).with(1, { type: "text", text: "Once upon a time" }),
      );
      const [finished] = await asAlice(
        client,
        `select m.parts, m.content, m.status
         from public.update_message('${STREAMING}', 2, p_status => 'completed') as m`,
      );
      assert.deepEqual(finished, { parts, content: "Once upon a time, a cat", status: "completed" });

      // A reply written with content alone goes on as before (its deltas are not part operations).
      const [plain] = await asAlice(
        client,
        `select m.content, m.status from public.update_message('${CONTENT_ONLY}', 2,
           p_append_content => ' text', p_content_offset => 5, p_status => 'completed') as m`,
      );
      assert.deepEqual(plain, { content: "Plain text", status: "completed" });
    });
  },
});
