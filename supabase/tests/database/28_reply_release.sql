-- Reload or Stop through the store: release_reply and resume_reply mark the owner's reply in
-- progress only; resume_reply answers nothing for another user's conversation or one that does not
-- exist (no oracle); reply_release_state tells a released reply from a resumed one; a new message's
-- stop_released_reply ends a released reply, never a resumed one.
begin;
select plan(15);

insert into auth.users (id) values
  ('00000000-0000-4000-8000-0000000000a1'),  -- Alice
  ('00000000-0000-4000-8000-0000000000b1');  -- Bob
insert into public.conversations (id, user_id, last_sequence) values
  ('c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1', 2),
  ('c0000000-0000-4000-8000-0000000000a2', '00000000-0000-4000-8000-0000000000a1', 2);
insert into public.conversation_messages (conversation_id, user_id, sequence_order, role, content, parts, status, token_count) values
  ('c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1', 1, 'user', 'Hi', null, 'completed', 4),
  ('c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1', 2, 'assistant', null,
   '[{"type": "text", "text": "Half"}]', 'in_progress', 3),
  ('c0000000-0000-4000-8000-0000000000a2', '00000000-0000-4000-8000-0000000000a1', 1, 'user', 'Hi', null, 'completed', 4),
  ('c0000000-0000-4000-8000-0000000000a2', '00000000-0000-4000-8000-0000000000a1', 2, 'assistant', 'Done', null, 'completed', 3);

set local role authenticated;
set local request.jwt.claims to '{"sub": "00000000-0000-4000-8000-0000000000b1", "role": "authenticated"}';
select is(
  (select count(*) from public.resume_reply('c0000000-0000-4000-8000-0000000000a1'))::int,
  0,
  'another user''s resume finds nothing, as for a conversation that does not exist'
);
select is(public.release_reply('c0000000-0000-4000-8000-0000000000a1', 2), false, 'another user cannot release a reply');
select is(public.stop_released_reply('c0000000-0000-4000-8000-0000000000a1'), false, 'nor stop one');
select is(
  (select row(s.status, s.released_seconds)::text from public.reply_release_state('c0000000-0000-4000-8000-0000000000a1', 2) s),
  '(,)',
  'nor read its state'
);

set local request.jwt.claims to '{"sub": "00000000-0000-4000-8000-0000000000a1", "role": "authenticated"}';
select is(
  (select count(*) from public.resume_reply('c0000000-0000-4000-8000-0000000000a2'))::int,
  0,
  'a conversation without a reply in progress has nothing to resume'
);
select is(
  (select count(*) from public.resume_reply(gen_random_uuid()))::int,
  0,
  'nor has one that does not exist'
);
select is(
  (select s.released_seconds from public.reply_release_state('c0000000-0000-4000-8000-0000000000a1', 2) s),
  null,
  'a reply never released is not released'
);
select is(public.stop_released_reply('c0000000-0000-4000-8000-0000000000a1'), false,
  'a new message leaves a reply nobody released streaming');
select is(public.release_reply('c0000000-0000-4000-8000-0000000000a1', 2), true, 'the owner''s closed request releases the reply');
select is(
  (select s.status || ' ' || (s.released_seconds >= 0)::text
   from public.reply_release_state('c0000000-0000-4000-8000-0000000000a1', 2) s),
  'in_progress true',
  'the writer reads it released, with how long ago by the database''s clock'
);
-- A resume a moment later (now() is the transaction's time: move the release back instead).
reset role;
update conversation_store.reply_releases set released_at = released_at - interval '1 second';
set local role authenticated;
select is(
  (select m.sequence_order from public.resume_reply('c0000000-0000-4000-8000-0000000000a1') m),
  2,
  'the owner''s resume answers the reply in progress'
);
select is(
  (select s.released_seconds from public.reply_release_state('c0000000-0000-4000-8000-0000000000a1', 2) s),
  null,
  'resumed after its release, the reply is not released any more'
);
select is(public.stop_released_reply('c0000000-0000-4000-8000-0000000000a1'), false,
  'a new message does not end a resumed reply');
reset role;
update conversation_store.reply_releases set resumed_at = resumed_at - interval '1 second';
set local role authenticated;
select public.release_reply('c0000000-0000-4000-8000-0000000000a1', 2);
select is(public.stop_released_reply('c0000000-0000-4000-8000-0000000000a1'), true,
  'released again and not resumed since, a new message ends it');
select is(
  (select row(m.status, m.reply_outcome, m.parts = '[{"type": "text", "text": "Half"}]')::text
   from public.conversation_messages m
   where m.conversation_id = 'c0000000-0000-4000-8000-0000000000a1' and m.sequence_order = 2),
  '(incomplete,"{""reason"": ""stopped""}",t)',
  'as stopped, with what it holds'
);

select * from finish();
rollback;
