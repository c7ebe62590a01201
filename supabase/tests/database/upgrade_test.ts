/**
 * Upgrading: a database filled by the previous release (its migrations only, its functions, its
 * rules, including shapes it still accepted) is migrated to this release with every row intact,
 * the new columns filled sensibly, and every reader working on the old rows.
 */
import assert from "node:assert/strict";
// @ts-types="npm:@types/pg@8.23.1"
import type pg from "pg";
import {
  databaseUrl,
  LAST_SHIPPED,
  migrateWith,
  PREVIOUS_RELEASE,
  withDatabaseAt,
} from "./upgrade_support.ts";

/** Every row of both tables, in the columns the previous release had. */
const SNAPSHOT = `
  select (select md5(string_agg(row(c.id, c.user_id, c.video_id, c.metadata, c.last_sequence, c.created_at,
                                    c.updated_at)::text, '|' order by c.id)) from public.conversations c) as conversations,
         (select md5(string_agg(row(m.id, m.conversation_id, m.user_id, m.sequence_order, m.role, m.content, m.name,
                                    m.function_call, m.tool_calls, m.tool_call_id, m.client_message_id, m.created_at)::text,
                                '|' order by m.id)) from public.conversation_messages m) as messages,
         (select count(*)::int from public.conversation_messages) as message_count`;

Deno.test({
  name: "a database filled by the previous release migrates to this one with every row intact",
  ignore: databaseUrl === "",
  async fn() {
    await withDatabaseAt(PREVIOUS_RELEASE, async (client, url) => {
      // Filled the way the previous release let clients fill it: through its own functions.
      const alice = "00000000-0000-4000-8000-0000000000a1";
      await client.query(`insert into auth.users (id) values ($1)`, [alice]);
      await client.query(`
        begin;
        select set_config('role', 'authenticated', true),
               set_config('request.jwt.claims', '{"sub": "${alice}", "role": "authenticated"}', true);
        select public.start_conversation(p_id => 'c0000000-0000-4000-8000-000000000001', p_metadata => '{"step": "script"}');
        select public.start_conversation(p_id => 'c0000000-0000-4000-8000-000000000002');
        select public.append_messages('c0000000-0000-4000-8000-000000000001', '[
          {"role": "system", "content": "You write scripts."},
          {"role": "user", "content": "A cat video", "client_message_id": "u1"},
          {"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "render", "arguments": "{}"}}]},
          {"role": "tool", "tool_call_id": "c1", "content": "queued"},
          {"role": "assistant", "content": null, "function_call": {"name": "notify", "arguments": "{}"}},
          {"role": "function", "name": "notify", "content": "sent"},
          {"role": "assistant", "content": "Rendering."}]');
        -- Shapes the previous release still accepted, and this one refuses for new rows.
        select public.append_messages('c0000000-0000-4000-8000-000000000002', '[
          {"role": "user", "content": "legacy"},
          {"role": "assistant", "content": null, "function_call": {"zz": [1, 2]}},
          {"role": "assistant", "content": "odd calls", "tool_calls": [1, "a", null]}]');
        select public.append_messages('c0000000-0000-4000-8000-000000000002',
          jsonb_build_array(jsonb_build_object('role', 'assistant', 'content', 'deep',
            'tool_calls', (repeat('[', 3000) || repeat(']', 3000))::jsonb)));
        commit;`);
      await client.query(
        `
        insert into public.conversations (id, user_id, last_sequence)
        select ('c1000000-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid, '${alice}', 20 from generate_series(1, 50) as n;
        insert into public.conversation_messages (conversation_id, user_id, sequence_order, role, content)
        select c.id, c.user_id, s, case when s % 2 = 1 then 'user' else 'assistant' end, 'message ' || s || ' of ' || c.id
        from public.conversations c cross join generate_series(1, 20) as s where c.id::text like 'c1000000%';`,
      );
      const { rows: [before] } = await client.query(SNAPSHOT);
      assert.equal(before.message_count, 7 + 4 + 1000);

      await migrateWith(url);

      const { rows: [after] } = await client.query(SNAPSHOT);
      assert.deepEqual(after, before, "every row of the previous release is intact, byte for byte");
      const { rows: [filled] } = await client.query(`
        select count(*) filter (where status <> 'completed')::int as not_completed,
               count(*) filter (where updated_at <> created_at)::int as moved,
               count(*) filter (where token_count <> conversation_store.estimate_tokens(content, name, function_call,
                                                                                        tool_calls, tool_call_id))::int as miscounted
        from public.conversation_messages`);
      assert.deepEqual(
        filled,
        { not_completed: 0, moved: 0, miscounted: 0 },
        "old messages are completed, estimated",
      );
      const { rows: [conversations] } = await client.query(`
        select count(*) filter (where expires_at is not null or deleted_at is not null or summary is not null)::int as changed
        from public.conversations`);
      assert.equal(conversations.changed, 0, "old conversations are kept forever, without a summary");

      // Every reader works on the old rows, the odd shapes included.
      const results = await client.query(`
        select set_config('role', 'authenticated', false),
               set_config('request.jwt.claims', '{"sub": "${alice}", "role": "authenticated"}', false);
        select (select count(*)::int from public.conversation_messages m
                where conversation_store.openai_message(m) is not null and conversation_store.message_json(m) is not null)
                 as shaped,
               public.get_context('c0000000-0000-4000-8000-000000000001', 10000) -> 'messages' as window,
               public.get_context('c0000000-0000-4000-8000-000000000002', 10000) ->> 'token_count' as odd_window,
               (public.fork_conversation('c0000000-0000-4000-8000-000000000001', 7)).last_sequence = 7 as forked,
               json_array_length(public.search_conversations('cat') -> 'results') as found`) as unknown as pg.QueryResult[];
      const readers = results[1].rows;
      assert.equal(readers[0].shaped, 1011);
      assert.deepEqual(readers[0].window.map((message: { role: string }) => message.role), [
        "system",
        "user",
        "assistant",
        "tool",
        "assistant",
        "function",
        "assistant",
      ]);
      assert.ok(
        Number(readers[0].odd_window) > 0,
        "a conversation holding legacy shapes still gives a window",
      );
      assert.equal(readers[0].forked, true);
      assert.equal(readers[0].found, 1);
    });
  },
});

/** Every message as the API's old shapes show it, by id. */
const OLD_SHAPES = `
  select coalesce(jsonb_object_agg(m.id, jsonb_build_object(
           'rows', conversation_store.message_json(m)::text, 'openai', conversation_store.openai_message(m)::text)), '{}')
           as shapes,
         -- Fields a later release added to the conversation (its labels) aside, windows are unchanged.
         (select jsonb_agg(jsonb_set(w.window, '{conversation}',
                                     (w.window -> 'conversation') - array['title', 'pinned', 'archived', 'tags'])
                           order by w.id)
          from (select c.id, public.get_context(c.id, 100000)::jsonb as window from public.conversations c
                where c.deleted_at is null) as w) as windows
  from public.conversation_messages m`;

Deno.test({
  name:
    "a database filled at the last shipped migration reads back identical in the old shapes and derives parts",
  ignore: databaseUrl === "",
  async fn() {
    await withDatabaseAt(LAST_SHIPPED, async (client, url) => {
      const alice = "00000000-0000-4000-8000-0000000000a1";
      await client.query(`insert into auth.users (id) values ($1)`, [alice]);
      // Every row shape the release wrote: each role, calls, a tool and a function result, a reply
      // streamed to completion, one stopped, one still in progress, a summary and a fork.
      await client.query(`
        begin;
        select set_config('role', 'authenticated', true),
               set_config('request.jwt.claims', '{"sub": "${alice}", "role": "authenticated"}', true);
        select public.start_conversation(p_id => 'c0000000-0000-4000-8000-000000000001', p_metadata => '{"step": "script"}');
        select public.start_conversation(p_id => 'c0000000-0000-4000-8000-000000000002', p_retention_seconds => 86400);
        select public.append_messages('c0000000-0000-4000-8000-000000000001', '[
          {"role": "system", "content": "You write scripts."},
          {"role": "user", "content": "A cat video", "client_message_id": "u1"},
          {"role": "assistant", "content": "Let me check.", "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "render", "arguments": "{\\"scene\\":1}"}},
            {"id": "c2", "type": "function", "function": {"name": "broken", "arguments": "{not json"}}]},
          {"role": "tool", "tool_call_id": "c1", "content": "{\\"status\\":\\"queued\\"}"},
          {"role": "tool", "tool_call_id": "c2", "content": "error"},
          {"role": "assistant", "content": null, "function_call": {"name": "notify", "arguments": "{}"}},
          {"role": "function", "name": "notify", "content": "sent"},
          {"role": "user", "name": "bob", "content": "Thanks"},
          {"role": "assistant", "status": "in_progress"}]');
        select public.update_message('c0000000-0000-4000-8000-000000000001', 9, p_append_content => 'Done', p_content_offset => 0);
        select public.update_message('c0000000-0000-4000-8000-000000000001', 9, p_status => 'completed');
        select public.append_messages('c0000000-0000-4000-8000-000000000001', '[{"role": "assistant", "status": "in_progress"}]');
        select public.update_message('c0000000-0000-4000-8000-000000000001', 10, p_status => 'incomplete');
        select public.set_conversation_summary('c0000000-0000-4000-8000-000000000001', 'A cat video is rendering.', 4);
        select public.fork_conversation('c0000000-0000-4000-8000-000000000001', 8, 'c0000000-0000-4000-8000-000000000003');
        select public.append_messages('c0000000-0000-4000-8000-000000000002', '[
          {"role": "user", "content": "still streaming?"}, {"role": "assistant", "status": "in_progress"}]');
        select public.update_message('c0000000-0000-4000-8000-000000000002', 2, p_append_content => 'Part', p_content_offset => 0);
        commit;`);
      const { rows: [before] } = await client.query(OLD_SHAPES);
      assert.equal(Object.keys(before.shapes).length, 10 + 2 + 8);

      await migrateWith(url);

      const { rows: [after] } = await client.query(OLD_SHAPES);
      assert.deepEqual(
        after.shapes,
        before.shapes,
        "message_json and openai_message of every old row are unchanged",
      );
      assert.deepEqual(after.windows, before.windows, "context windows of old rows are unchanged");
      const { rows: [columns] } = await client.query(`
        select count(*) filter (where parts is not null or metadata is not null)::int as with_parts,
               count(*) filter (where reasoning_token_count <> 0)::int as with_reasoning
        from public.conversation_messages`);
      assert.deepEqual(columns, { with_parts: 0, with_reasoning: 0 }, "history is not rewritten");

      const { rows } = await client.query(`
        select m.sequence_order, conversation_store.message_parts(m) as parts from public.conversation_messages m
        where m.conversation_id = 'c0000000-0000-4000-8000-000000000001' order by m.sequence_order`);
      const parts = Object.fromEntries(rows.map((row) => [row.sequence_order, row.parts]));
      assert.deepEqual(parts[1], [{ type: "text", text: "You write scripts." }]);
      assert.deepEqual(parts[3], [
        { type: "text", text: "Let me check." },
        {
          type: "tool-call",
          tool_call_id: "c1",
          tool_name: "render",
          state: "input-available",
          input: { scene: 1 },
        },
        {
          type: "tool-call",
          tool_call_id: "c2",
          tool_name: "broken",
          state: "input-available",
          input: "{not json",
        },
      ]);
      assert.deepEqual(parts[4], [
        { type: "tool-result", tool_call_id: "c1", tool_name: "", output: '{"status":"queued"}' },
      ]);
      assert.deepEqual(parts[6], [
        {
          type: "tool-call",
          tool_call_id: "function_call",
          tool_name: "notify",
          state: "input-available",
          input: {},
        },
      ]);
      assert.deepEqual(parts[7], [
        { type: "tool-result", tool_call_id: "function_call", tool_name: "notify", output: "sent" },
      ]);
      assert.deepEqual(parts[9], [{ type: "text", text: "Done" }]);
      assert.deepEqual(parts[10], [{ type: "text", text: "" }]);

      // In format ui (as get-history reads a page), as the owner: results folded into their calls.
      const ui = await client.query(`
        select set_config('role', 'authenticated', false),
               set_config('request.jwt.claims', '{"sub": "${alice}", "role": "authenticated"}', false);
        select json_agg(u.message::jsonb - 'id' order by u.sequence_order) filter (where u.message is not null)
                 as messages,
               json_agg(u.message ->> 'id' order by u.sequence_order) filter (where u.message is not null) as ids
        from conversation_store.ui_messages((
          select array_agg(m) from public.conversation_messages m
          where m.conversation_id = 'c0000000-0000-4000-8000-000000000001'), true) as u;
        reset role;`) as unknown as pg.QueryResult[];
      const [{ messages: uiMessages, ids }] = ui[1].rows;
      assert.deepEqual(uiMessages, [
        { role: "system", parts: [{ type: "text", text: "You write scripts." }] },
        { role: "user", parts: [{ type: "text", text: "A cat video" }] },
        {
          role: "assistant",
          parts: [
            { type: "text", text: "Let me check." },
            {
              type: "tool-render",
              toolCallId: "c1",
              state: "output-available",
              input: { scene: 1 },
              output: '{"status":"queued"}',
            },
            {
              type: "tool-broken",
              toolCallId: "c2",
              state: "output-available",
              input: "{not json",
              output: "error",
            },
          ],
        },
        {
          role: "assistant",
          parts: [{
            type: "tool-notify",
            toolCallId: "function_call",
            state: "output-available",
            input: {},
            output: "sent",
          }],
        },
        { role: "user", parts: [{ type: "text", text: "Thanks" }] },
        { role: "assistant", parts: [{ type: "text", text: "Done" }] },
        // A reply that ended incomplete says so (without a reason: none was kept then).
        { role: "assistant", parts: [{ type: "text", text: "" }], metadata: { status: "incomplete" } },
      ], "old rows read correct in format ui: tool and function results folded into their calls");
      assert.equal(ids[1], "u1", "a UIMessage id is the client_message_id where one was set");

      // The reply left in progress by the old release streams on, into parts.
      const streamed = await client.query(`
        select set_config('role', 'authenticated', false),
               set_config('request.jwt.claims', '{"sub": "${alice}", "role": "authenticated"}', false);
        select m.content, m.parts from public.update_message('c0000000-0000-4000-8000-000000000002', 2,
          p_part_index => 0, p_append_text => 'ly', p_text_offset => 4) as m`) as unknown as pg.QueryResult[];
      assert.deepEqual(streamed[1].rows[0], { content: "Partly", parts: [{ type: "text", text: "Partly" }] });
    });
  },
});
