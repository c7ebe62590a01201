/**
 * Upgrade (issue 25): a database at the parts release, with replies completed, stopped and still in
 * progress written through its functions, migrated on: every row is intact, messages read back in
 * format=ui as before except that replies not completed now say so, and the new functions (release,
 * resume, outcome) work on the old rows.
 */
import assert from "node:assert/strict";
// @ts-types="npm:@types/pg@8.23.1"
import type pg from "pg";
import { databaseUrl, migrateWith, PARTS_RELEASE, withDatabaseAt } from "./upgrade_support.ts";

const ALICE = "00000000-0000-4000-8000-0000000000a1";
const DONE = "c0000000-0000-4000-8000-000000000001";
const STOPPED = "c0000000-0000-4000-8000-000000000002";
const STREAMING = "c0000000-0000-4000-8000-000000000003";

/** Runs `statements` in one transaction as Alice, signed in; the last one's rows. */
async function asAlice(client: pg.Client, statements: Array<[string, unknown[]?]>) {
  await client.query("begin");
  try {
    await client.query("set local role authenticated");
    await client.query("select set_config('request.jwt.claims', $1, true)", [
      JSON.stringify({ sub: ALICE, role: "authenticated" }),
    ]);
    let rows: Record<string, unknown>[] = [];
    for (const [text, values] of statements) rows = (await client.query(text, values)).rows;
    await client.query("commit");
    return rows;
  } catch (error) {
    await client.query("rollback");
    throw error;
  }
}

/** A conversation with a user message and a reply in progress whose parts hold `text`. */
function turn(conversationId: string, text: string): Array<[string, unknown[]?]> {
  return [
    ["select from public.start_conversation(null, '{}'::jsonb, $1)", [conversationId]],
    [
      "select from public.append_messages($1, $2::jsonb)",
      [
        conversationId,
        JSON.stringify([
          { role: "user", content: "Hi", client_message_id: `u-${conversationId}` },
          {
            role: "assistant",
            content: null,
            status: "in_progress",
            client_message_id: `r-${conversationId}`,
          },
        ]),
      ],
    ],
    [
      "select from public.update_message($1, 2, p_part_index => 0, p_part => $2::jsonb)",
      [conversationId, JSON.stringify({ type: "text", text })],
    ],
  ];
}

const everyRow = (client: pg.Client) =>
  client.query(
    `select to_jsonb(m) - 'reply_outcome' as row from public.conversation_messages m order by m.conversation_id, m.sequence_order`,
  ).then((result) => result.rows.map((row) => row.row));

const uiMetadata = (client: pg.Client, conversationId: string) =>
  asAlice(client, [[
    `select (conversation_store.ui_message(m, '{}', true) -> 'metadata')::jsonb as metadata
     from public.conversation_messages m where m.conversation_id = $1 and m.sequence_order = 2`,
    [conversationId],
  ]]).then((rows) => rows[0].metadata);

Deno.test({
  name:
    "replies written before the upgrade are intact after it, say their state in format=ui, and can be released, resumed and ended",
  ignore: databaseUrl === "",
  async fn() {
    await withDatabaseAt(PARTS_RELEASE, async (client, url) => {
      await client.query("insert into auth.users (id) values ($1)", [ALICE]);
      await asAlice(client, [
        ...turn(DONE, "Finished."),
        ["select from public.update_message($1, 2, p_status => 'completed')", [DONE]],
        ...turn(STOPPED, "Half"),
        ["select from public.update_message($1, 2, p_status => 'incomplete')", [STOPPED]],
        ...turn(STREAMING, "Still going"),
      ]);
      const before = await everyRow(client);
      assert.equal(before.length, 6);

      await migrateWith(url);

      assert.deepEqual(await everyRow(client), before, "every row as it was");
      const { rows: outcomes } = await client.query(
        "select count(*)::int as set from public.conversation_messages where reply_outcome is not null",
      );
      assert.equal(outcomes[0].set, 0, "no outcome is invented for replies that ended before");
      assert.equal(await uiMetadata(client, DONE), null, "a completed reply reads back as before");
      assert.deepEqual(
        await uiMetadata(client, STOPPED),
        { status: "incomplete" },
        "stopped: no reason is known",
      );
      assert.deepEqual(await uiMetadata(client, STREAMING), { status: "in_progress" });

      // The reply in progress since before the upgrade: released, resumed, then ended by its writer.
      const [released] = await asAlice(client, [["select public.release_reply($1, 2) as done", [STREAMING]]]);
      assert.equal(released.done, true);
      const resumed = await asAlice(client, [["select m.sequence_order from public.resume_reply($1) m", [
        STREAMING,
      ]]]);
      assert.deepEqual(resumed, [{ sequence_order: 2 }]);
      await asAlice(client, [
        ["select public.set_reply_outcome($1, 2, 'time_limit')", [STREAMING]],
        ["select from public.update_message($1, 2, p_status => 'incomplete')", [STREAMING]],
      ]);
      assert.deepEqual(await uiMetadata(client, STREAMING), { status: "incomplete", reason: "time_limit" });
    });
  },
});
