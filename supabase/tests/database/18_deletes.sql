-- Deletes that always finish: a conversation or everything of a user is gone for clients at once;
-- storage beyond a bounded batch is reclaimed by later calls and by the purge.
begin;
select plan(27);

insert into auth.users (id) values
  ('00000000-0000-4000-8000-0000000000a1'),  -- Alice
  ('00000000-0000-4000-8000-0000000000b1'),  -- Bob
  ('00000000-0000-4000-8000-0000000000c1'),  -- Carol, who has thousands of conversations
  ('00000000-0000-4000-8000-0000000000d1');  -- Dave, whose fork sorts after its source
insert into public.conversations (id, user_id, last_sequence) values
  ('c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1', 3),
  ('c0000000-0000-4000-8000-0000000000a2', '00000000-0000-4000-8000-0000000000a1', 10050),
  ('c0000000-0000-4000-8000-0000000000b1', '00000000-0000-4000-8000-0000000000b1', 50010),
  ('c0000000-0000-4000-8000-0000000000b2', '00000000-0000-4000-8000-0000000000b1', 2),
  ('c0000000-0000-4000-8000-0000000000b3', '00000000-0000-4000-8000-0000000000b1', 0);
insert into public.conversation_messages (conversation_id, user_id, sequence_order, role, content, token_count)
select c.id, c.user_id, n, 'user', 'message ' || n, 5
from public.conversations c cross join lateral generate_series(1, c.last_sequence) as n;
insert into public.conversations (id, user_id, last_sequence)
select gen_random_uuid(), '00000000-0000-4000-8000-0000000000c1', 1 from generate_series(1, 2000);
insert into public.conversation_messages (conversation_id, user_id, sequence_order, role, content, token_count)
select id, user_id, 1, 'user', 'hello', 4 from public.conversations where user_id = '00000000-0000-4000-8000-0000000000c1';

-- ---------------------------------------------------------------- as Alice (authenticated)
select tests.authenticate_as('00000000-0000-4000-8000-0000000000a1');

select is(public.delete_conversation('c0000000-0000-4000-8000-0000000000a1'), 3,
  'deleting a conversation reports the messages it held');
select is_empty(
  $$select from public.conversation_messages where conversation_id = 'c0000000-0000-4000-8000-0000000000a1'$$,
  'a small conversation is deleted with its messages in the request'
);
select throws_ok(
  $$select public.delete_conversation('c0000000-0000-4000-8000-0000000000a1')$$,
  'PT404', 'conversation not found',
  'a deleted conversation is not found again'
);
select is(public.delete_conversation('c0000000-0000-4000-8000-0000000000a2'), 10050,
  'a conversation larger than one batch is deleted too');
select is_empty(
  $$select from public.conversations where id = 'c0000000-0000-4000-8000-0000000000a2'$$,
  'it is gone for clients at once'
);
select throws_ok(
  $$select public.get_context('c0000000-0000-4000-8000-0000000000a2', 1000)$$,
  'PT404', 'conversation not found',
  'no function reaches it'
);
select throws_ok(
  $$select public.start_conversation(p_id => 'c0000000-0000-4000-8000-0000000000a2')$$,
  '23505', 'conversation already exists',
  'its id is not reused while its storage is reclaimed'
);

-- ---------------------------------------------------------------- as Bob (authenticated)
select tests.authenticate_as('00000000-0000-4000-8000-0000000000b1');
select throws_ok(
  $$select public.delete_conversation('c0000000-0000-4000-8000-0000000000a2')$$,
  'PT404', 'conversation not found',
  'Bob cannot delete Alice''s conversation'
);
select throws_ok(
  $$select public.delete_all_conversations('00000000-0000-4000-8000-0000000000a1')$$,
  '42501', 'p_user_id may only name the caller',
  'Bob cannot erase Alice'
);
select results_eq(
  $$select deleted_conversations, deleted_messages, done from public.delete_all_conversations()$$,
  $$values (3, 50012::bigint, false)$$,
  'erasing everything of Bob makes his three conversations gone at once, and says there is more to reclaim'
);
select is_empty($$select from public.conversations$$, 'Bob has no conversation left to see');
select results_eq(
  $$select deleted_conversations, deleted_messages, done from public.delete_all_conversations()$$,
  $$values (0, 0::bigint, true)$$,
  'the next call finishes the reclaiming'
);

-- ---------------------------------------------------------------- as Dave (authenticated)
select tests.authenticate_as('00000000-0000-4000-8000-0000000000d1');
select lives_ok(
  $$select public.start_conversation(p_id => ('d0000000-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid)
    from generate_series(0, 10) as n$$,
  'Dave has eleven conversations'
);
select lives_ok(
  $$select public.append_messages('d0000000-0000-4000-8000-000000000000', '[{"role": "user", "content": "hi"}]');
    select public.fork_conversation('d0000000-0000-4000-8000-000000000000', 1, 'dfffffff-0000-4000-8000-000000000000')$$,
  'and a fork of the first, whose id sorts last'
);
select results_eq(
  $$select deleted_conversations, done from public.delete_all_conversations()$$,
  $$values (12, true)$$,
  'erasing him finishes in one call: deleting a source does not hide its fork from the loop'
);

-- ---------------------------------------------------------------- as anon
select tests.authenticate_as_role('anon');
select throws_ok(
  $$select public.delete_all_conversations()$$,
  '42501', 'permission denied for function delete_all_conversations',
  'anon cannot call it'
);

-- ---------------------------------------------------------------- as service_role
select tests.authenticate_as_role('service_role');
select throws_ok(
  $$select public.delete_all_conversations()$$,
  '22023', 'service_role must name the user in p_user_id',
  'the service role names the user'
);
select results_eq(
  $$select deleted_conversations, done from public.delete_all_conversations('00000000-0000-4000-8000-0000000000a1')$$,
  $$values (0, true)$$,
  'a delete-all also reclaims what an earlier delete left (Alice''s 50 oldest messages), and says when nothing is left'
);
select results_eq(
  $$select deleted_conversations, deleted_messages, done from public.delete_all_conversations('00000000-0000-4000-8000-0000000000a1')$$,
  $$values (0, 0::bigint, true)$$,
  'calling it again is harmless'
);
select is(
  public.purge_expired_conversations(),
  0,
  'nothing is left for the purge'
);

-- ---------------------------------------------------------------- as the database owner: what is really stored
reset role;
select is(
  (select count(*)::int from public.conversations
   where user_id in ('00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000b1')),
  0,
  'every deleted conversation is gone from storage'
);
select is(
  (select count(*)::int from public.conversation_messages
   where user_id in ('00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000b1')),
  0,
  'and every message'
);

-- The purge finishes what a delete leaves.
insert into public.conversations (id, user_id, last_sequence) values
  ('c0000000-0000-4000-8000-0000000000a3', '00000000-0000-4000-8000-0000000000a1', 10001);
insert into public.conversation_messages (conversation_id, user_id, sequence_order, role, content, token_count)
select 'c0000000-0000-4000-8000-0000000000a3', '00000000-0000-4000-8000-0000000000a1', n, 'user', 'm', 4
from generate_series(1, 10001) as n;
set local role service_role;
select is(public.delete_conversation('c0000000-0000-4000-8000-0000000000a3'), 10001,
  'the service role deletes a conversation one message larger than a batch');
reset role;
select is(
  (select array_agg(sequence_order) from public.conversation_messages where conversation_id = 'c0000000-0000-4000-8000-0000000000a3'),
  array[1],
  'its newest 10,000 messages are gone in the request'
);
select is(public.purge_expired_conversations(), 1, 'the purge reclaims the rest');

-- Supabase Auth deletes a user: everything of theirs goes with them.
delete from auth.users where id = '00000000-0000-4000-8000-0000000000c1';
select is(
  (select count(*)::int from public.conversations where user_id = '00000000-0000-4000-8000-0000000000c1'),
  0,
  'deleting a user with 2,000 conversations deletes them all'
);
select is(
  (select count(*)::int from public.conversation_messages where user_id = '00000000-0000-4000-8000-0000000000c1'),
  0,
  'with their messages'
);

select * from finish();
rollback;
