-- keep_reply_alive: the heartbeat of a reply written with parts moves updated_at and nothing else,
-- for the owner's reply in progress only.
begin;
select plan(7);

insert into auth.users (id) values
  ('00000000-0000-4000-8000-0000000000a1'),  -- Alice
  ('00000000-0000-4000-8000-0000000000b1');  -- Bob
insert into public.conversations (id, user_id, last_sequence) values
  ('c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1', 3);
insert into public.conversation_messages (conversation_id, user_id, sequence_order, role, content, parts, status, token_count) values
  ('c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1', 1, 'user', 'Hi', null, 'completed', 4),
  ('c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1', 2, 'assistant', 'Hello', null, 'completed', 4),
  ('c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1', 3, 'assistant', null,
   '[{"type": "step-start"}, {"type": "tool-call", "tool_call_id": "c1", "tool_name": "render", "state": "input-available", "input": {}}]',
   'in_progress', 3);
-- The reply as a stale writer left it an hour ago.
alter table public.conversation_messages disable trigger conversation_messages_touch_updated_at;
update public.conversation_messages set updated_at = now() - interval '1 hour';
alter table public.conversation_messages enable trigger conversation_messages_touch_updated_at;
create temporary table before_beat on commit drop as select * from public.conversation_messages where sequence_order = 3;
grant select on before_beat to authenticated;

select tests.authenticate_as('00000000-0000-4000-8000-0000000000b1');
select is(
  tests.error_of($$select public.keep_reply_alive('c0000000-0000-4000-8000-0000000000a1', 3)$$),
  'PT404',
  'another user''s reply is not found'
);

select tests.authenticate_as('00000000-0000-4000-8000-0000000000a1');
select is(
  (public.keep_reply_alive('c0000000-0000-4000-8000-0000000000a1', 3)).updated_at,
  now(),
  'the owner''s heartbeat moves updated_at to now'
);
select is(
  (select to_jsonb(m) - 'updated_at' from public.conversation_messages m where m.sequence_order = 3),
  (select to_jsonb(b) - 'updated_at' from before_beat b),
  'and changes nothing else: the parts, the status and the counts are as they were'
);
select is(
  tests.error_of($$select public.keep_reply_alive('c0000000-0000-4000-8000-0000000000a1', 2)$$),
  'PT409 message_final',
  'a final message has no heartbeat'
);
select is(
  tests.error_of($$select public.keep_reply_alive('c0000000-0000-4000-8000-0000000000a1', 9)$$),
  'PT404',
  'an unknown message is not found'
);

reset role;
set local role anon;
select is(
  tests.error_of($$select public.keep_reply_alive('c0000000-0000-4000-8000-0000000000a1', 3)$$),
  '42501',
  'anon may not call it'
);
reset role;
select is(
  (select p.prosecdef and p.proconfig = array['search_path=""'] from pg_proc p where p.oid = 'public.keep_reply_alive(uuid, integer)'::regprocedure),
  true,
  'security definer with an empty search_path'
);

select * from finish();
rollback;
