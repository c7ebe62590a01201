-- update_message's part operations: set or append a part, a text delta to a part exactly once,
-- replays, metadata, the rules they keep; and fork_conversation copying parts.
begin;
select plan(16);

insert into auth.users (id) values ('00000000-0000-4000-8000-0000000000a1');
insert into public.conversations (id, user_id, last_sequence) values
  ('c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1', 3);
insert into public.conversation_messages (conversation_id, user_id, sequence_order, role, content, parts, status, token_count) values
  ('c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1', 1, 'user', 'Hi', '[{"type": "text", "text": "Hi"}]', 'completed', 5),
  ('c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1', 2, 'assistant', null, null, 'in_progress', 3);

select tests.authenticate_as('00000000-0000-4000-8000-0000000000a1');

select is(
  (public.update_message('c0000000-0000-4000-8000-0000000000a1', 2, p_part_index => 0,
                         p_part => '{"type": "reasoning", "text": ""}')).parts,
  '[{"type": "reasoning", "text": ""}]'::jsonb,
  'a part at index = the number of parts is appended (a reply without parts starts from its derived parts, none)'
);
select is(
  (public.update_message('c0000000-0000-4000-8000-0000000000a1', 2, p_part_index => 0, p_append_text => 'Hmm', p_text_offset => 0)).parts,
  '[{"type": "reasoning", "text": "Hmm"}]'::jsonb,
  'a delta at the end of a part''s text is appended'
);
select is(
  (select (m.parts, m.reasoning_token_count)::text
   from public.update_message('c0000000-0000-4000-8000-0000000000a1', 2, p_part_index => 0, p_append_text => 'Hmm', p_text_offset => 0) as m),
  '("[{""text"": ""Hmm"", ""type"": ""reasoning""}]",3)',
  'a retried delta changes nothing; the reasoning estimate is its bytes'
);
select is(
  tests.error_of($$select public.update_message('c0000000-0000-4000-8000-0000000000a1', 2, p_part_index => 0, p_append_text => 'x', p_text_offset => 1)$$),
  'PT409 content_offset_mismatch {"content_length": 3}',
  'a delta at another offset is refused with the stored length'
);
select is(
  (public.update_message('c0000000-0000-4000-8000-0000000000a1', 2, p_part_index => 1,
     p_part => '{"type": "tool-call", "tool_call_id": "c1", "tool_name": "t", "state": "input-available", "input": {"q": 1}}')).tool_calls,
  '[{"id": "c1", "type": "function", "function": {"name": "t", "arguments": "{\"q\": 1}"}}]'::jsonb,
  'a tool-call part appended shows in tool_calls'
);
select is(
  (public.update_message('c0000000-0000-4000-8000-0000000000a1', 2, p_part_index => 1,
     p_part => '{"type": "tool-call", "tool_call_id": "c1", "tool_name": "t", "state": "output-available", "input": {"q": 1}, "output": 7}')).parts -> 1 ->> 'state',
  'output-available',
  'a tool part changes state by replacing it'
);
reset role;
alter table public.conversation_messages disable trigger conversation_messages_touch_updated_at;
update public.conversation_messages set updated_at = now() - interval '1 minute' where sequence_order = 2;
alter table public.conversation_messages enable trigger conversation_messages_touch_updated_at;
set local role authenticated;
select is(
  (select m.updated_at < now()
   from public.update_message('c0000000-0000-4000-8000-0000000000a1', 2, p_part_index => 1,
     p_part => '{"type": "tool-call", "tool_call_id": "c1", "tool_name": "t", "state": "output-available", "input": {"q": 1}, "output": 7}') as m),
  true,
  'setting a part to what it is (a replay) changes nothing, not even updated_at'
);
select is(
  tests.error_of($$select public.update_message('c0000000-0000-4000-8000-0000000000a1', 2, p_part_index => 5, p_part => '{"type": "step-start"}')$$),
  '22023',
  'a part index past the end is refused'
);
select is(
  tests.error_of($$select public.update_message('c0000000-0000-4000-8000-0000000000a1', 2, p_part_index => 1, p_append_text => 'x', p_text_offset => 0)$$),
  '22023',
  'a delta to a part without text is refused'
);
select is(
  tests.error_of($$select public.update_message('c0000000-0000-4000-8000-0000000000a1', 2, p_part_index => 2, p_part => '{"type": "tool-result", "tool_call_id": "c1", "tool_name": "t"}')$$),
  '22023',
  'a part that breaks the role rules is refused'
);
select is(
  tests.error_of($$select public.update_message('c0000000-0000-4000-8000-0000000000a1', 2, p_part_index => 2, p_part => '{"type": "file", "media_type": "a/b", "storage": {"bucket": "conversation-files", "path": "00000000-0000-4000-8000-0000000000b1/x"}}')$$),
  '42501 storage_path_forbidden',
  'a file part in another user''s folder is refused'
);
select is(
  tests.error_of($$select public.update_message('c0000000-0000-4000-8000-0000000000a1', 2, p_append_content => 'x', p_content_offset => 0)$$),
  '22023',
  'a reply written with parts takes no content deltas'
);
select is(
  (select (m.status, m.content, m.metadata)::text
   from public.update_message('c0000000-0000-4000-8000-0000000000a1', 2, p_metadata => '{"finish": "stop"}', p_status => 'incomplete') as m),
  '(incomplete,,"{""finish"": ""stop""}")',
  'metadata is replaced; a reply with parts and no text stops with content null'
);
select is(
  tests.error_of($$select public.update_message('c0000000-0000-4000-8000-0000000000a1', 2, p_part_index => 0, p_append_text => 'x', p_text_offset => 3)$$),
  'PT409 message_final',
  'a final message takes no part operation'
);

-- ---------------------------------------------------------------- forks copy parts
select is(
  (select f.last_sequence from public.fork_conversation('c0000000-0000-4000-8000-0000000000a1', 2,
                                                         'c0000000-0000-4000-8000-0000000000f1') as f),
  2,
  'the fork is made'
);
select is(
  (select array_agg((m.parts, m.metadata, m.reasoning_token_count, m.token_count)::text order by m.sequence_order)
   from public.conversation_messages m where m.conversation_id = 'c0000000-0000-4000-8000-0000000000f1'),
  (select array_agg((m.parts, m.metadata, m.reasoning_token_count, m.token_count)::text order by m.sequence_order)
   from public.conversation_messages m where m.conversation_id = 'c0000000-0000-4000-8000-0000000000a1'),
  'a fork copies parts, metadata and both token counts'
);

select * from finish();
rollback;
