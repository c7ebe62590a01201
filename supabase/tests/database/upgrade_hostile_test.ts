/**
 * Upgrading to the hostile-input rules (issue 26, 20261207000200): a database filled by the release
 * with message parts, including what that release still accepted and this one refuses (a bucket id
 * with "/", a javascript: source, data 40 levels deep, metadata 40 levels deep), migrates with every
 * row intact; the old rows still read; new writes meet the new rules, and a regeneration claim works
 * on an old conversation.
 */
import assert from "node:assert/strict";
import { databaseUrl, migrateWith, PARTS_RELEASE, rowsAsTheyAre, withDatabaseAt } from "./upgrade_support.ts";

const ALICE = "00000000-0000-4000-8000-0000000000a1";
const CONVERSATION = "c0000000-0000-4000-8000-000000000001";

const AS_ALICE = `select set_config('role', 'authenticated', true),
  set_config('request.jwt.claims', '{"sub": "${ALICE}", "role": "authenticated"}', true)`;

const deep = (depth: number) => "[".repeat(depth) + "]".repeat(depth);

Deno.test({
  name: "rows the parts release accepted survive the hostile-input rules, which hold for every new write",
  ignore: databaseUrl === "",
  async fn() {
    await withDatabaseAt(PARTS_RELEASE, async (client, url) => {
      await client.query(`insert into auth.users (id) values ($1)`, [ALICE]);
      await client.query(`
        begin;
        ${AS_ALICE};
        select public.start_conversation(p_id => '${CONVERSATION}', p_metadata => '{"a": ${deep(40)}}');
        select public.append_messages('${CONVERSATION}', '[
          {"role": "user", "client_message_id": "u1", "parts": [
            {"type": "text", "text": "Look"},
            {"type": "file", "media_type": "image/png",
             "storage": {"bucket": "conversation-files/x", "path": "${ALICE}/a.png"}},
            {"type": "source", "source_type": "url", "source_id": "s", "url": "javascript:alert(1)"},
            {"type": "data", "name": "d", "data": ${deep(40)}}]},
          {"role": "assistant", "content": "Seen."}]');
        commit;`);
      const rows = await rowsAsTheyAre(client);
      const before = await rows();

      await migrateWith(url);

      const after = await rows();
      assert.deepEqual(after, before, "every row intact, byte for byte");
      const context = await client.query(`
        begin;
        ${AS_ALICE};
        select public.get_context('${CONVERSATION}', 16000, 1000, 'ui') as context;
        commit;`) as unknown as Array<{ rows: Array<{ context: { messages: unknown[] } }> }>;
      assert.equal(context[2].rows[0].context.messages.length, 2, "the old rows still make a window");
      const { rows: files } = await client.query(`
        select file.bucket, file.path from public.conversation_messages m
        cross join lateral conversation_store.storage_objects(m.parts) as file
        where m.conversation_id = '${CONVERSATION}'`);
      assert.deepEqual(files, [], "the old file part whose bucket held a slash is never named for removal");

      const refused = async (statement: string) => {
        await client.query("begin");
        try {
          await client.query(AS_ALICE);
          await client.query(statement);
          return null;
        } catch (error) {
          return (error as { code: string }).code;
        } finally {
          await client.query("rollback");
        }
      };
      assert.equal(
        await refused(`select public.append_messages('${CONVERSATION}', '[{"role": "user", "parts": [
          {"type": "file", "media_type": "image/png", "storage": {"bucket": "conversation-files/x", "path": "${ALICE}/b.png"}}]}]')`),
        "22023",
        "a new bucket id with a slash is refused",
      );
      assert.equal(
        await refused(
          `update public.conversations set metadata = metadata || '{"b": 1}' where id = '${CONVERSATION}'`,
        ),
        "23514",
        "a change to the old, too-deep metadata must bring it within the rule",
      );
      assert.equal(
        await refused(
          `update public.conversations set metadata = '{"step": "render"}' where id = '${CONVERSATION}'`,
        ),
        null,
        "and one that does is stored",
      );
      assert.equal(
        await refused(`select conversation_store.claim_regeneration('${CONVERSATION}')`),
        null,
        "an old conversation can be regenerated",
      );
    });
  },
});
