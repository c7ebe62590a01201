-- reply_outcome: how a reply ended is settled whichever path makes it final (the writer's reason,
-- update-message's Stop, append_messages' takeover), only the owner records a reason, and
-- format=ui carries status, reason and error in the reply's metadata; messages stored whole read
-- back as they were.
begin;
select plan(13);

insert into auth.users (id) values
  ('00000000-0000-4000-8000-0000000000a1'),  -- Alice
  ('00000000-0000-4000-8000-0000000000b1');  -- Bob
insert into public.conversations (id, user_id, last_sequence) values
  ('c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1', 2),
  ('c0000000-0000-4000-8000-0000000000a2', '00000000-0000-4000-8000-0000000000a1', 2),
  ('c0000000-0000-4000-8000-0000000000a3', '00000000-0000-4000-8000-0000000000a1', 2);
insert into public.conversation_messages (conversation_id, user_id, sequence_order, role, content, parts, status, token_count, metadata) values
  ('c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1', 1, 'user', 'Hi', null, 'completed', 4, null),
  ('c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1', 2, 'assistant', null,
   '[{"type": "text", "text": "Half"}]', 'in_progress', 3, '{"app": 1}'),
  ('c0000000-0000-4000-8000-0000000000a2', '00000000-0000-4000-8000-0000000000a1', 1, 'user', 'Hi', null, 'completed', 4, null),
  ('c0000000-0000-4000-8000-0000000000a2', '00000000-0000-4000-8000-0000000000a1', 2, 'assistant', null,
   '[{"type": "text", "text": "Kept"}]', 'in_progress', 3, null),
  ('c0000000-0000-4000-8000-0000000000a3', '00000000-0000-4000-8000-0000000000a1', 1, 'user', 'Hi', null, 'completed', 4, null),
  ('c0000000-0000-4000-8000-0000000000a3', '00000000-0000-4000-8000-0000000000a1', 2, 'assistant', 'Whole', null, 'completed', 3, '{"app": 2}');
-- The second conversation's writer went silent an hour ago.
alter table public.conversation_messages disable trigger conversation_messages_touch_updated_at;
update public.conversation_messages set updated_at = now() - interval '1 hour'
where conversation_id = 'c0000000-0000-4000-8000-0000000000a2';
alter table public.conversation_messages enable trigger conversation_messages_touch_updated_at;

set local role authenticated;
set local request.jwt.claims to '{"sub": "00000000-0000-4000-8000-0000000000b1", "role": "authenticated"}';
select is(
  tests.error_of($$select public.set_reply_outcome('c0000000-0000-4000-8000-0000000000a1', 2, 'model_error')$$),
  'PT404',
  'another user cannot record a reason on a reply'
);

set local request.jwt.claims to '{"sub": "00000000-0000-4000-8000-0000000000a1", "role": "authenticated"}';
select is(
  tests.error_of($$select public.set_reply_outcome('c0000000-0000-4000-8000-0000000000a1', 2, 'bored')$$),
  '22023',
  'an unknown reason is refused'
);
select is(
  tests.error_of($$select public.set_reply_outcome('c0000000-0000-4000-8000-0000000000a1', 2, 'model_error',
                   '{"code": "model_error", "message": "x", "stack": "at …"}')$$),
  '22023',
  'an error with fields of its own (a stack) is refused'
);
select is(
  tests.error_of($$select public.set_reply_outcome('c0000000-0000-4000-8000-0000000000a1', 2, 'model_error',
                   jsonb_build_object('code', 'model_error', 'message', repeat('x', 501)))$$),
  '22023',
  'an error message over 500 characters is refused'
);
select is(
  public.set_reply_outcome('c0000000-0000-4000-8000-0000000000a1', 2, 'model_error',
    '{"code": "model_error", "message": "the model answered HTTP 500", "provider_status": 500, "rate_limited": false, "retryable": true}'),
  true,
  'the owner records the reason a reply in progress is about to end with'
);
select is(
  (select (conversation_store.ui_message(m, '{}', true) -> 'metadata')::jsonb from public.conversation_messages m
   where m.conversation_id = 'c0000000-0000-4000-8000-0000000000a1' and m.sequence_order = 2),
  '{"app": 1, "status": "in_progress"}',
  'while in progress, format=ui says in_progress over the stored metadata, not the reason to come'
);
select public.update_message('c0000000-0000-4000-8000-0000000000a1', 2, p_status => 'incomplete');
select is(
  (select (conversation_store.ui_message(m, '{}', true) -> 'metadata')::jsonb from public.conversation_messages m
   where m.conversation_id = 'c0000000-0000-4000-8000-0000000000a1' and m.sequence_order = 2),
  '{"app": 1, "status": "incomplete", "reason": "model_error", "error": {"code": "model_error", "message": "the model answered HTTP 500", "provider_status": 500, "rate_limited": false, "retryable": true}}',
  'once final, format=ui carries the status, the reason and the error'
);
select is(
  public.set_reply_outcome('c0000000-0000-4000-8000-0000000000a1', 2, 'stopped'),
  false,
  'a final reply keeps its outcome'
);

select public.append_messages('c0000000-0000-4000-8000-0000000000a2', '[{"role": "user", "content": "Again"}]');
select is(
  (select (conversation_store.ui_message(m, '{}', true) -> 'metadata')::jsonb from public.conversation_messages m
   where m.conversation_id = 'c0000000-0000-4000-8000-0000000000a2' and m.sequence_order = 2),
  '{"status": "incomplete", "reason": "taken_over"}',
  'a reply its silent writer left, taken over by the next message, reads as taken_over'
);
select is(
  (select (conversation_store.ui_message(m, '{}', true) -> 'metadata')::jsonb from public.conversation_messages m
   where m.conversation_id = 'c0000000-0000-4000-8000-0000000000a3' and m.sequence_order = 2),
  '{"app": 2}',
  'a message stored whole reads back with its own metadata only'
);

reset role;
select is(
  left(tests.error_of($$update public.conversation_messages set reply_outcome = '{"reason": "stopped"}'
                   where conversation_id = 'c0000000-0000-4000-8000-0000000000a3' and sequence_order = 2$$), 5),
  '23514',
  'a completed reply cannot carry a reason'
);
select is(
  left(tests.error_of($$update public.conversation_messages set reply_outcome = '{"reason": "bored"}'
                   where conversation_id = 'c0000000-0000-4000-8000-0000000000a1' and sequence_order = 2$$), 5),
  '23514',
  'a reason outside the vocabulary is refused by the table'
);
select is(
  (select p.prosecdef and p.proconfig = array['search_path=""'] from pg_proc p
   where p.oid = 'public.set_reply_outcome(uuid, integer, text, jsonb)'::regprocedure),
  true,
  'set_reply_outcome is security definer with an empty search_path'
);

select * from finish();
rollback;
