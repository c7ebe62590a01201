/**
 * Upgrading from the parts release (20261206000500) over 20261207000900_function_contracts.sql: the
 * JSON merge patch moves from public to conversation_store and every public function gains its
 * contract as a comment. Rows written by the previous release stay as they were, and merging
 * metadata (update_conversation_metadata, fork_conversation's p_metadata) works on them.
 */
import assert from "node:assert/strict";
import { databaseUrl, migrateWith, PARTS_RELEASE, rowsAsTheyAre, withDatabaseAt } from "./upgrade_support.ts";

const ALICE = "00000000-0000-4000-8000-0000000000a1";
const AS_ALICE = `select set_config('role', 'authenticated', false),
                         set_config('request.jwt.claims', '{"sub": "${ALICE}", "role": "authenticated"}', false)`;

Deno.test({
  name:
    "after the upgrade old rows are intact, their metadata merges through the moved helper, and public holds no helper",
  ignore: databaseUrl === "",
  async fn() {
    await withDatabaseAt(PARTS_RELEASE, async (client, url) => {
      await client.query("insert into auth.users (id) values ($1)", [ALICE]);
      await client.query(`
        ${AS_ALICE};
        select public.start_conversation(p_id => 'c0000000-0000-4000-8000-000000000001',
                                         p_metadata => '{"video": {"step": "script", "draft": 1}, "keep": true}');
        select public.append_messages('c0000000-0000-4000-8000-000000000001', '[
          {"role": "user", "parts": [{"type": "text", "text": "A cat video"}]},
          {"role": "assistant", "content": "Scripting."}]');
        select public.update_conversation_metadata('c0000000-0000-4000-8000-000000000001', '{"video": {"draft": 2}}');
        reset role;`);
      const rows = await rowsAsTheyAre(client);
      const before = await rows();

      await migrateWith(url);

      const after = await rows();
      assert.deepEqual(after, before, "every row of the previous release is intact");
      const results = await client.query(`
        ${AS_ALICE};
        select (public.update_conversation_metadata('c0000000-0000-4000-8000-000000000001',
                  '{"video": {"step": "render", "draft": null}}')).metadata as updated,
               (public.fork_conversation('c0000000-0000-4000-8000-000000000001', 2, p_metadata => '{"fork": 1}')).metadata
                 as forked;
        reset role;
        select to_regprocedure('public.jsonb_merge_patch(jsonb, jsonb)') is null as moved,
               obj_description('public.update_conversation_metadata(uuid, jsonb)'::regprocedure, 'pg_proc')
                 like 'Input: a conversation id%' as commented;`) as unknown as Array<
        { rows: Record<string, unknown>[] }
      >;
      assert.deepEqual(results[1].rows[0], {
        updated: { video: { step: "render" }, keep: true },
        forked: { video: { step: "render" }, keep: true, fork: 1 },
      });
      assert.deepEqual(results[3].rows[0], { moved: true, commented: true });
    });
  },
});
