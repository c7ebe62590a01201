-- The reply log: part operations on a reply in progress are small rows beside the message, read
-- with it while it streams and folded into it once it is final, with every rule of update_message.
begin;
select plan(24);

insert into auth.users (id) values
  ('00000000-0000-4000-8000-0000000000a1'),  -- Alice
  ('00000000-0000-4000-8000-0000000000b1');  -- Bob
insert into public.conversations (id, user_id, last_sequence) values
  ('c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1', 2),
  ('c0000000-0000-4000-8000-0000000000a2', '00000000-0000-4000-8000-0000000000a1', 2),
  ('c0000000-0000-4000-8000-0000000000a3', '00000000-0000-4000-8000-0000000000a1', 1);
insert into public.conversation_messages (id, conversation_id, user_id, sequence_order, role, content, parts, status, token_count) values
  ('e0000000-0000-4000-8000-0000000000a1', 'c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1',
   1, 'user', 'Hi', null, 'completed', 4),
  ('e0000000-0000-4000-8000-0000000000a2', 'c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1',
   2, 'assistant', null, null, 'in_progress', 0),
  ('e0000000-0000-4000-8000-0000000000a3', 'c0000000-0000-4000-8000-0000000000a2', '00000000-0000-4000-8000-0000000000a1',
   1, 'user', 'Hi', null, 'completed', 4),
  ('e0000000-0000-4000-8000-0000000000a4', 'c0000000-0000-4000-8000-0000000000a2', '00000000-0000-4000-8000-0000000000a1',
   2, 'assistant', null, null, 'in_progress', 0),
  ('e0000000-0000-4000-8000-0000000000a5', 'c0000000-0000-4000-8000-0000000000a3', '00000000-0000-4000-8000-0000000000a1',
   1, 'assistant', null, null, 'in_progress', 0);

set local role authenticated;
set local request.jwt.claims to '{"sub": "00000000-0000-4000-8000-0000000000a1", "role": "authenticated"}';

-- ---------------------------------------------------------------- Alice streams a reply
select lives_ok(
  $$select conversation_store.log_part_operation('c0000000-0000-4000-8000-0000000000a1', 2, 0, '{"type": "text", "text": ""}', null, null);
    select conversation_store.log_part_operation('c0000000-0000-4000-8000-0000000000a1', 2, 0, null, 'Hel', 0);
    select conversation_store.log_part_operation('c0000000-0000-4000-8000-0000000000a1', 2, 0, null, 'lo', 3)$$,
  'the owner sets a part and appends deltas at their offsets'
);
select is(
  (select m.parts from public.conversation_messages m where m.id = 'e0000000-0000-4000-8000-0000000000a2'),
  null,
  'the message row is not rewritten while the reply streams'
);
select is(
  (select conversation_store.live_parts(m) from public.conversation_messages m where m.id = 'e0000000-0000-4000-8000-0000000000a2'),
  '[{"type": "text", "text": "Hello"}]'::jsonb,
  'readers of the reply in progress see the text written so far'
);
select is(
  (select (conversation_store.live_message(m)).content from public.conversation_messages m
   where m.id = 'e0000000-0000-4000-8000-0000000000a2'),
  'Hello',
  'and the content derived from it'
);
select is(
  (public.update_message('c0000000-0000-4000-8000-0000000000a1', 2, p_part_index => 0, p_append_text => ' world', p_text_offset => 5)).parts,
  '[{"type": "text", "text": "Hello world"}]'::jsonb,
  'update_message through the API logs a delta and returns the reply as readers see it'
);
select is(
  (select count(*) from conversation_store.reply_log_after('e0000000-0000-4000-8000-0000000000a2', 0)),
  4::bigint,
  'each operation is one log entry'
);
select lives_ok(
  $$select conversation_store.log_part_operation('c0000000-0000-4000-8000-0000000000a1', 2, 0, null, ' world', 5)$$,
  'a retried delta is accepted'
);
select is(
  (select count(*) from conversation_store.reply_log_after('e0000000-0000-4000-8000-0000000000a2', 0)),
  4::bigint,
  'and logs nothing: the delta is stored once'
);
select is(
  tests.error_of($$select conversation_store.log_part_operation('c0000000-0000-4000-8000-0000000000a1', 2, 0, null, 'x', 3)$$),
  'PT409 content_offset_mismatch {"content_length": 11}',
  'a delta at another offset is refused with the stored length'
);
select is(
  tests.error_of($$select conversation_store.log_part_operation('c0000000-0000-4000-8000-0000000000a1', 2, 2, null, 'x', 0)$$),
  '22023',
  'a delta to a part that does not exist is refused'
);
select is(
  (select array_agg(l.delta order by l.log_position)
   from conversation_store.reply_log_after('e0000000-0000-4000-8000-0000000000a2',
          (select f.log_position from conversation_store.reply_log_after('e0000000-0000-4000-8000-0000000000a2', 0) f
           order by f.log_position offset 2 limit 1)) as l),
  array[' world'],
  'a follower reads only the entries after the last one it saw'
);

-- ---------------------------------------------------------------- limits hold without reading the reply
select is(
  tests.error_of(format($$select conversation_store.log_part_operation('c0000000-0000-4000-8000-0000000000a1', 2, 0, null, %L, 11)$$,
                        repeat('x', 99990))),
  '23514',
  'a delta that would make the reply longer than 100,000 characters is refused'
);
select lives_ok(
  format($$select conversation_store.log_part_operation('c0000000-0000-4000-8000-0000000000a1', 2, 0, null, %L, 11)$$,
         repeat('x', 99989)),
  'a delta that reaches exactly 100,000 characters is stored'
);

-- ---------------------------------------------------------------- another user
set local request.jwt.claims to '{"sub": "00000000-0000-4000-8000-0000000000b1", "role": "authenticated"}';
select is(
  tests.error_of($$select conversation_store.log_part_operation('c0000000-0000-4000-8000-0000000000a1', 2, 0, null, 'x', 100000)$$),
  'PT404',
  'another user cannot write to the reply'
);
select is(
  (select count(*) from conversation_store.reply_log_after('e0000000-0000-4000-8000-0000000000a2', 0)),
  0::bigint,
  'nor read its log'
);
select is(
  conversation_store.reply_log_position('e0000000-0000-4000-8000-0000000000a2'),
  0::bigint,
  'nor learn how far it is'
);
select is(
  tests.error_of($$select * from conversation_store.reply_log$$),
  '42501',
  'the log table is not readable directly'
);

-- ---------------------------------------------------------------- the reply ends: the log is folded
set local request.jwt.claims to '{"sub": "00000000-0000-4000-8000-0000000000a1", "role": "authenticated"}';
select is(
  (select (m.parts -> 0 ->> 'text') = 'Hello world' || repeat('x', 99989) and char_length(m.content) = 100000
   from public.update_message('c0000000-0000-4000-8000-0000000000a1', 2, p_status => 'completed') as m),
  true,
  'finishing a reply stores its parts and content as the log had them'
);
select is(
  (select count(*) from conversation_store.reply_log_after('e0000000-0000-4000-8000-0000000000a2', 0)),
  0::bigint,
  'and empties its log'
);

-- A reply whose writer went quiet is taken over by the next message, with what its log holds.
select conversation_store.log_part_operation('c0000000-0000-4000-8000-0000000000a2', 2, 0, '{"type": "reasoning", "text": "Think"}', null, null);
select conversation_store.log_part_operation('c0000000-0000-4000-8000-0000000000a2', 2, 1, '{"type": "text", "text": ""}', null, null);
select conversation_store.log_part_operation('c0000000-0000-4000-8000-0000000000a2', 2, 1, null, 'Half a', 0);
reset role;
alter table public.conversation_messages disable trigger conversation_messages_touch_updated_at;
update public.conversation_messages set updated_at = now() - interval '1 hour' where id = 'e0000000-0000-4000-8000-0000000000a4';
alter table public.conversation_messages enable trigger conversation_messages_touch_updated_at;
set local role authenticated;
select lives_ok(
  $$select public.append_messages('c0000000-0000-4000-8000-0000000000a2', '[{"role": "user", "content": "Still there?"}]')$$,
  'the next message takes over a stale reply'
);
select is(
  (select jsonb_build_object('status', m.status, 'parts', m.parts, 'content', m.content)
   from public.conversation_messages m where m.id = 'e0000000-0000-4000-8000-0000000000a4'),
  '{"status": "incomplete", "parts": [{"type": "reasoning", "text": "Think"}, {"type": "text", "text": "Half a"}], "content": "Half a"}'::jsonb,
  'which is final with the parts its log held'
);
select is(
  (select m.reasoning_token_count > 0 from public.conversation_messages m where m.id = 'e0000000-0000-4000-8000-0000000000a4'),
  true,
  'and estimates derived from them'
);
select is(
  tests.error_of($$select conversation_store.log_part_operation('c0000000-0000-4000-8000-0000000000a2', 2, 1, null, 'x', 6)$$),
  'PT409 message_final',
  'a final reply takes no more deltas'
);

-- A conversation deleted while its reply streams takes the reply's log along.
select conversation_store.log_part_operation('c0000000-0000-4000-8000-0000000000a3', 1, 0, '{"type": "text", "text": "Bye"}', null, null);
reset role;
delete from public.conversations where id = 'c0000000-0000-4000-8000-0000000000a3';
select is(
  (select count(*) from conversation_store.reply_log l where l.message_id = 'e0000000-0000-4000-8000-0000000000a5'),
  0::bigint,
  'deleting a reply in progress deletes its log'
);

select * from finish();
rollback;
