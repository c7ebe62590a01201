/**
 * Upgrading to replies that wait for the user (issue 29): conversations of the previous release,
 * whose replies hold tool calls in every state (a finished one ended on an approval request, as
 * that release's chat left it, and one still in progress), read exactly as before after the
 * migration; the reply in progress can then wait for the user and be answered once, and the old
 * finished request, which nobody can answer any more, is refused rather than run.
 */
import assert from "node:assert/strict";
// @ts-types="npm:@types/pg@8.23.1"
import type pg from "pg";
import { asUser, databaseUrl, migrateWith, PARTS_RELEASE, withDatabaseAt } from "./upgrade_support.ts";

const alice = "00000000-0000-4000-8000-0000000000a1";
const FINISHED = "c0000000-0000-4000-8000-000000000001";
const STREAMING = "c0000000-0000-4000-8000-000000000002";

const ROWS =
  `select jsonb_agg(to_jsonb(m) - 'reply_outcome' order by m.conversation_id, m.sequence_order) as rows
              from public.conversation_messages m`;

const REQUEST = {
  type: "tool-call",
  tool_call_id: "c1",
  tool_name: "start_video_render",
  state: "approval-requested",
  input: { prompt: "a cat" },
  approval: { id: "a1" },
};
const APPROVED = JSON.stringify([{
  ...REQUEST,
  state: "approval-responded",
  approval: { id: "a1", approved: true },
}]);

/** Runs `sql` in one transaction as Alice. */
const asAlice = (client: pg.Client, sql: string) => asUser(client, alice, sql);

async function errorOf(client: pg.Client, sql: string): Promise<string> {
  try {
    await asAlice(client, sql);
    return "no error";
  } catch (error) {
    await client.query("rollback");
    const { code, hint } = error as { code: string; hint?: string };
    return [code, hint].filter(Boolean).join(" ");
  }
}

Deno.test({
  name:
    "tool calls stored by the previous release read as before after the upgrade; a reply in progress can then wait and be answered once",
  ignore: databaseUrl === "",
  async fn() {
    await withDatabaseAt(PARTS_RELEASE, async (client, url) => {
      await client.query(`insert into auth.users (id) values ($1)`, [alice]);
      for (const id of [FINISHED, STREAMING]) {
        await asAlice(
          client,
          `select public.start_conversation(p_id => '${id}');
           select public.append_messages('${id}', '[{"role": "user", "content": "Render a cat", "client_message_id": "u-${id}"},
             {"role": "assistant", "content": null, "status": "in_progress", "client_message_id": "r-${id}"}]');
           select public.update_message('${id}', 2, p_part_index => 0, p_part => '{"type": "step-start"}');
           select public.update_message('${id}', 2, p_part_index => 1, p_part => '${
            JSON.stringify(REQUEST)
          }')`,
        );
      }
      // The previous release's chat ended a reply on an approval request as completed.
      await asAlice(client, `select public.update_message('${FINISHED}', 2, p_status => 'completed')`);
      const { rows: [before] } = await client.query(ROWS);

      await migrateWith(url);

      const { rows: [after] } = await client.query(ROWS);
      assert.deepEqual(after, before, "every message row is as the previous release left it");
      const [waiting] = await asAlice(
        client,
        `select array_agg(conversation_store.awaits_user(c) order by c.id) as flags from public.conversations c`,
      );
      assert.deepEqual(
        waiting.flags,
        [false, false],
        "no conversation of the old release waits for the user",
      );

      assert.equal(
        await errorOf(
          client,
          `select public.answer_tool_calls('${FINISHED}', 'r-${FINISHED}', '${APPROVED}')`,
        ),
        "PT422 tool_response_mismatch",
        "an old finished request does not wait for an answer: nothing runs",
      );

      const [awaiting] = await asAlice(
        client,
        `select m.status from public.await_tool_input('${STREAMING}', 2) as m`,
      );
      assert.equal(awaiting.status, "awaiting_input");
      const [answered] = await asAlice(
        client,
        `select m.status, m.parts -> 1 -> 'approval' as approval
         from public.answer_tool_calls('${STREAMING}', 'r-${STREAMING}', '${APPROVED}') as m`,
      );
      assert.deepEqual(answered, { status: "in_progress", approval: { id: "a1", approved: true } });
      assert.equal(
        await errorOf(
          client,
          `select public.answer_tool_calls('${STREAMING}', 'r-${STREAMING}', '${APPROVED}')`,
        ),
        "PT409 tool_call_answered",
      );
      const [finished] = await asAlice(
        client,
        `select m.status from public.update_message('${STREAMING}', 2, p_status => 'completed') as m`,
      );
      assert.equal(finished.status, "completed");
    });
  },
});
