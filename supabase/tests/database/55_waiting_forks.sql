-- A fork of a conversation whose reply waits for the user (20261207000400_tool_requests.sql): the
-- fork's copy of the reply was never asked by the fork, so it is settled as it is stored; the source
-- still waits and can still be answered there, once.
begin;
select plan(4);

insert into auth.users (id) values ('00000000-0000-4000-8000-0000000000a1');
insert into public.conversations (id, user_id, last_sequence) values
  ('c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1', 2);
insert into public.conversation_messages (conversation_id, user_id, sequence_order, role, content, parts, status, client_message_id, token_count) values
  ('c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1', 1, 'user', 'Render it', null, 'completed', 'q', 4),
  ('c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1', 2, 'assistant', null,
   '[{"type": "tool-call", "tool_call_id": "c1", "tool_name": "render", "state": "approval-requested", "input": {}, "approval": {"id": "a1"}}]',
   'in_progress', 'r', 20);

set local role authenticated;
set local request.jwt.claims to '{"sub": "00000000-0000-4000-8000-0000000000a1", "role": "authenticated"}';
select is((public.await_tool_input('c0000000-0000-4000-8000-0000000000a1', 2)).status, 'awaiting_input', 'the reply waits');
select lives_ok(
  $$select public.fork_conversation('c0000000-0000-4000-8000-0000000000a1', 2, 'f0000000-0000-4000-8000-0000000000a1')$$,
  'a conversation whose reply waits can be forked'
);
select is(
  (select m.status || ' ' || (m.parts -> 0 ->> 'state') from public.conversation_messages m
   where m.conversation_id = 'f0000000-0000-4000-8000-0000000000a1' and m.sequence_order = 2),
  'completed output-denied',
  'the fork''s copy of the waiting reply is settled: nobody can approve it there'
);
select is(
  (select m.status from public.answer_tool_calls('c0000000-0000-4000-8000-0000000000a1', 'r',
     '[{"type": "tool-call", "tool_call_id": "c1", "tool_name": "render", "state": "approval-responded", "input": {}, "approval": {"id": "a1", "approved": true}}]') as m),
  'in_progress',
  'the source still waits, and its request is answered there'
);

select * from finish();
rollback;
