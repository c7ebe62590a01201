-- update_message: deltas appended exactly once, replaced text and calls, final statuses that never
-- change again, and who may do it.
begin;
select plan(26);

insert into auth.users (id) values
  ('00000000-0000-4000-8000-0000000000a1'),  -- Alice
  ('00000000-0000-4000-8000-0000000000b1');  -- Bob
insert into public.conversations (id, user_id, last_sequence, updated_at) values
  ('c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1', 3, now() - interval '1 hour');
insert into public.conversation_messages (conversation_id, user_id, sequence_order, role, content, status, token_count) values
  ('c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1', 1, 'user', 'Hi', 'completed', 4),
  ('c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1', 2, 'assistant', '', 'completed', 3),
  ('c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1', 3, 'assistant', '', 'in_progress', 3);
-- A reply's clock as it was before this transaction, so that a change shows in updated_at.
alter table public.conversation_messages disable trigger conversation_messages_touch_updated_at;
update public.conversation_messages set updated_at = now() - interval '1 hour';
alter table public.conversation_messages enable trigger conversation_messages_touch_updated_at;

-- ---------------------------------------------------------------- as Alice (authenticated)
select tests.authenticate_as('00000000-0000-4000-8000-0000000000a1');

select is(
  (public.update_message('c0000000-0000-4000-8000-0000000000a1', 3, p_append_content => 'Hel', p_content_offset => 0)).content,
  'Hel',
  'a delta at the end of the stored text is appended'
);
select is(
  (public.update_message('c0000000-0000-4000-8000-0000000000a1', 3, p_append_content => 'lo', p_content_offset => 3)).content,
  'Hello',
  'the next delta follows'
);
reset role;
alter table public.conversation_messages disable trigger conversation_messages_touch_updated_at;
update public.conversation_messages set updated_at = now() - interval '1 minute' where sequence_order = 3;
alter table public.conversation_messages enable trigger conversation_messages_touch_updated_at;
set local role authenticated;
select is(
  (select (m.content, m.updated_at < now())::text
   from public.update_message('c0000000-0000-4000-8000-0000000000a1', 3, p_append_content => 'lo', p_content_offset => 3) as m),
  '(Hello,t)',
  'a retried delta (the text already ends with it at that offset) changes nothing, not even updated_at'
);
select is(
  (select (m.content, m.updated_at = now())::text
   from public.update_message('c0000000-0000-4000-8000-0000000000a1', 3, p_append_content => '', p_content_offset => 5) as m),
  '(Hello,t)',
  'an empty delta at the end of the text is a heartbeat: it moves only updated_at'
);
select is(
  tests.error_of($$select public.update_message('c0000000-0000-4000-8000-0000000000a1', 3, p_append_content => 'x', p_content_offset => 1)$$),
  'PT409 content_offset_mismatch {"content_length": 5}',
  'a delta for another offset is refused with the stored length'
);
select is(
  tests.error_of($$select public.update_message('c0000000-0000-4000-8000-0000000000a1', 3, p_append_content => 'x', p_content_offset => 9)$$),
  'PT409 content_offset_mismatch {"content_length": 5}',
  'a delta past the end is refused too'
);
select is(
  (public.update_message('c0000000-0000-4000-8000-0000000000a1', 3, p_append_content => ', 世界', p_content_offset => 5)).content,
  'Hello, 世界',
  'offsets count characters (code points)'
);
select is(
  (public.update_message('c0000000-0000-4000-8000-0000000000a1', 3, p_append_content => '!', p_content_offset => 9)).content,
  'Hello, 世界!',
  'the offset after a multi-byte delta is its length in characters'
);
select is(
  (select token_count from public.conversation_messages
   where conversation_id = 'c0000000-0000-4000-8000-0000000000a1' and sequence_order = 3),
  3 + octet_length('Hello, 世界!'),
  'the count follows the text as an estimate while the reply streams'
);
select ok(
  (select updated_at > now() - interval '1 minute' from public.conversation_messages
   where conversation_id = 'c0000000-0000-4000-8000-0000000000a1' and sequence_order = 3),
  'every change moves the reply''s updated_at'
);
select is(
  (public.update_message('c0000000-0000-4000-8000-0000000000a1', 3, p_content => 'Hi there')).content,
  'Hi there',
  'content replaces the text'
);
select throws_ok(
  $$select public.update_message('c0000000-0000-4000-8000-0000000000a1', 3, p_content => 'a', p_append_content => 'b', p_content_offset => 8)$$,
  '22023', 'send content or append_content, not both',
  'content and append_content never come together'
);
select throws_ok(
  $$select public.update_message('c0000000-0000-4000-8000-0000000000a1', 3, p_append_content => 'b')$$,
  '22023', 'append_content and content_offset come together',
  'a delta names its offset'
);
select throws_ok(
  $$select public.update_message('c0000000-0000-4000-8000-0000000000a1', 3, p_status => 'done')$$,
  '22023', 'status must be in_progress, completed or incomplete',
  'a status is one of the three'
);
select throws_ok(
  $$select public.update_message('c0000000-0000-4000-8000-0000000000a1', 3, p_tool_calls => '[{"id": "c"}]')$$,
  '23514', 'new row for relation "conversation_messages" violates check constraint "conversation_messages_tool_calls_shape"',
  'tool calls keep their shape while streaming'
);
select is(
  (public.update_message('c0000000-0000-4000-8000-0000000000a1', 3,
    p_tool_calls => '[{"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]')).tool_calls -> 0 ->> 'id',
  'call_1',
  'a reply may gain tool calls'
);
select throws_ok(
  $$select public.update_message('c0000000-0000-4000-8000-0000000000a1', 99, p_content => 'x')$$,
  'PT404', 'message not found',
  'a message that does not exist is not found'
);
select is(
  (public.update_message('c0000000-0000-4000-8000-0000000000a1', 3, p_status => 'incomplete')).status,
  'incomplete',
  'Stop: the owner ends the reply as incomplete'
);
select is(
  tests.error_of($$select public.update_message('c0000000-0000-4000-8000-0000000000a1', 3, p_append_content => ' more', p_content_offset => 8)$$),
  'PT409 message_final',
  'the worker''s next delta learns that the reply is final'
);
select is(
  tests.error_of($$select public.update_message('c0000000-0000-4000-8000-0000000000a1', 2, p_status => 'in_progress')$$),
  'PT409 message_final',
  'a completed message never becomes a reply in progress again'
);
select ok(
  (select updated_at > now() - interval '1 minute' from public.conversations where id = 'c0000000-0000-4000-8000-0000000000a1'),
  'finishing a reply is activity of the conversation'
);

-- ---------------------------------------------------------------- as Bob (authenticated)
select tests.authenticate_as('00000000-0000-4000-8000-0000000000b1');
select throws_ok(
  $$select public.update_message('c0000000-0000-4000-8000-0000000000a1', 3, p_status => 'completed')$$,
  'PT404', 'conversation not found',
  'Bob cannot touch Alice''s reply'
);

-- ---------------------------------------------------------------- as anon
select tests.authenticate_as_role('anon');
select throws_ok(
  $$select public.update_message('c0000000-0000-4000-8000-0000000000a1', 3, p_status => 'completed')$$,
  '42501', 'permission denied for function update_message',
  'anon cannot call it'
);

-- ---------------------------------------------------------------- as service_role
select tests.authenticate_as_role('service_role');
reset role;
insert into public.conversation_messages (conversation_id, user_id, sequence_order, role, content, status, token_count)
values ('c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1', 4, 'assistant', null, 'in_progress', 3);
set local role service_role;
select throws_ok(
  $$select public.update_message('c0000000-0000-4000-8000-0000000000a1', 4, p_status => 'completed')$$,
  '23514', 'new row for relation "conversation_messages" violates check constraint "conversation_messages_content_required"',
  'a finished reply obeys the rules of every message'
);
select is(
  (public.update_message('c0000000-0000-4000-8000-0000000000a1', 4, p_content => 'Done.', p_status => 'completed')).status,
  'completed',
  'the service role finishes any reply'
);
reset role;
insert into public.conversation_messages (conversation_id, user_id, sequence_order, role, content, status, token_count)
values ('c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1', 5, 'assistant', null, 'in_progress', 3);
set local role service_role;
select is(
  (select (m.status, m.content)::text from public.update_message('c0000000-0000-4000-8000-0000000000a1', 5, p_status => 'incomplete') as m),
  '(incomplete,"")',
  'a reply stopped before its first delta is final, with empty text'
);

select * from finish();
rollback;
