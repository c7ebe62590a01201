-- Row Level Security: each user reaches only their own rows, anon reaches nothing, messages are
-- append-only for clients, and no direct write can forge an owner or a sequence number.
begin;
select plan(36);

-- Users and data, created as the migration owner
insert into auth.users (id) values
  ('00000000-0000-4000-8000-0000000000a1'),  -- Alice
  ('00000000-0000-4000-8000-0000000000b1');  -- Bob
insert into public.conversations (id, user_id, metadata) values
  ('c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1', '{"owner": "alice"}'),
  ('c0000000-0000-4000-8000-0000000000b1', '00000000-0000-4000-8000-0000000000b1', '{"owner": "bob"}');
insert into public.conversation_messages (conversation_id, user_id, sequence_order, role, content, token_count) values
  ('c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1', 1, 'user', 'alice says hi', 6),
  ('c0000000-0000-4000-8000-0000000000b1', '00000000-0000-4000-8000-0000000000b1', 1, 'user', 'bob says hi', 6);
update public.conversations set last_sequence = 1;

-- Policies are written as the house style asks: to authenticated, auth.uid() evaluated once
select is(
  (select count(*)::int from pg_policies where schemaname = 'public' and tablename in ('conversations', 'conversation_messages')),
  5,
  'five policies guard the two tables'
);
select is(
  (select count(*)::int from pg_policies
   where schemaname = 'public' and tablename in ('conversations', 'conversation_messages')
     and roles = '{authenticated}'
     and coalesce(qual, '') || coalesce(with_check, '') like '%( SELECT auth.uid() AS uid)%'
     and coalesce(qual, '') || coalesce(with_check, '') not like '%= auth.uid()%'),
  5,
  'every policy is scoped to authenticated and uses (select auth.uid())'
);

-- ---------------------------------------------------------------- as Alice (authenticated)
select tests.authenticate_as('00000000-0000-4000-8000-0000000000a1');

select results_eq(
  'select id from public.conversations',
  $$values ('c0000000-0000-4000-8000-0000000000a1'::uuid)$$,
  'Alice sees only her conversation'
);
select results_eq(
  'select content from public.conversation_messages',
  $$values ('alice says hi')$$,
  'Alice sees only her messages'
);
select is_empty(
  $$select 1 from public.conversation_messages where conversation_id = 'c0000000-0000-4000-8000-0000000000b1'$$,
  'Alice cannot read Bob''s messages even by naming his conversation'
);
select lives_ok(
  $$insert into public.conversations (id, metadata) values ('c0000000-0000-4000-8000-0000000000a2', '{}')$$,
  'Alice creates a conversation directly through the Data API'
);
select is(
  (select user_id from public.conversations where id = 'c0000000-0000-4000-8000-0000000000a2'),
  '00000000-0000-4000-8000-0000000000a1'::uuid,
  'the owner of a directly created conversation defaults to the caller'
);
select throws_ok(
  $$insert into public.conversations (id, user_id) values (gen_random_uuid(), '00000000-0000-4000-8000-0000000000b1')$$,
  '42501', 'permission denied for table conversations',
  'Alice cannot create a conversation for Bob'
);
select throws_ok(
  $$insert into public.conversations (last_sequence) values (5)$$,
  '42501', 'permission denied for table conversations',
  'Alice cannot set the counter on insert'
);
select throws_ok(
  $$update public.conversations set user_id = '00000000-0000-4000-8000-0000000000b1' where id = 'c0000000-0000-4000-8000-0000000000a1'$$,
  '42501', 'permission denied for table conversations',
  'Alice cannot move her conversation to Bob'
);
select throws_ok(
  $$update public.conversations set last_sequence = 0 where id = 'c0000000-0000-4000-8000-0000000000a1'$$,
  '42501', 'permission denied for table conversations',
  'Alice cannot rewind the counter'
);
select lives_ok(
  $$update public.conversations set metadata = '{"step": 2}' where id = 'c0000000-0000-4000-8000-0000000000a1'$$,
  'Alice edits her own metadata'
);
select results_eq(
  $$with changed as (update public.conversations set metadata = '{"hacked": true}'
                     where id = 'c0000000-0000-4000-8000-0000000000b1' returning 1) select count(*)::int from changed$$,
  array[0],
  'Alice''s update of Bob''s conversation changes nothing'
);
select results_eq(
  $$with removed as (delete from public.conversations where id = 'c0000000-0000-4000-8000-0000000000b1' returning 1)
    select count(*)::int from removed$$,
  array[0],
  'Alice''s delete of Bob''s conversation removes nothing'
);
select throws_ok(
  $$insert into public.conversation_messages (conversation_id, user_id, sequence_order, role, content)
    values ('c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1', 2, 'user', 'forged')$$,
  '42501', 'permission denied for table conversation_messages',
  'Alice cannot insert a message directly, even into her own conversation'
);
select throws_ok(
  $$update public.conversation_messages set content = 'rewritten'$$,
  '42501', 'permission denied for table conversation_messages',
  'Alice cannot rewrite messages'
);
select throws_ok(
  $$delete from public.conversation_messages$$,
  '42501', 'permission denied for table conversation_messages',
  'Alice cannot delete single messages'
);
select throws_ok(
  $$select public.append_messages('c0000000-0000-4000-8000-0000000000b1', '[{"role": "user", "content": "intrusion"}]')$$,
  'PT404', 'conversation not found',
  'Alice cannot append to Bob''s conversation through the function'
);
select throws_ok(
  $$select public.update_conversation_metadata('c0000000-0000-4000-8000-0000000000b1', '{"hacked": true}')$$,
  'PT404', 'conversation not found',
  'Alice cannot patch Bob''s metadata through the function'
);
select throws_ok(
  $$select public.start_conversation(p_user_id => '00000000-0000-4000-8000-0000000000b1')$$,
  '42501', 'p_user_id may only name the caller',
  'Alice cannot start a conversation on Bob''s behalf'
);
select throws_ok(
  $$select public.start_conversation(p_id => 'c0000000-0000-4000-8000-0000000000b1')$$,
  '23505', 'conversation already exists',
  'Alice cannot claim Bob''s conversation id, and learns nothing about it'
);

-- ---------------------------------------------------------------- as Bob (authenticated)
select tests.authenticate_as('00000000-0000-4000-8000-0000000000b1');

select results_eq(
  $$select metadata from public.conversations$$,
  $$values ('{"owner": "bob"}'::jsonb)$$,
  'Bob sees only his conversation, untouched by Alice'
);
select results_eq(
  'select content from public.conversation_messages',
  $$values ('bob says hi')$$,
  'Bob''s messages are untouched and Alice''s stay invisible to him'
);

-- ---------------------------------------------------------------- as anon
reset role;
select tests.authenticate_as_role('anon');

select throws_ok('select 1 from public.conversations', '42501', 'permission denied for table conversations',
  'anon cannot read conversations');
select throws_ok('select 1 from public.conversation_messages', '42501', 'permission denied for table conversation_messages',
  'anon cannot read messages');
select throws_ok($$insert into public.conversations (metadata) values ('{}')$$, '42501',
  'permission denied for table conversations', 'anon cannot create conversations');
select throws_ok(
  $$select public.append_messages('c0000000-0000-4000-8000-0000000000a1', '[{"role": "user", "content": "x"}]')$$,
  '42501', 'permission denied for function append_messages', 'anon cannot append');
select throws_ok($$select public.start_conversation()$$, '42501', 'permission denied for function start_conversation',
  'anon cannot start conversations');
select throws_ok(
  $$select public.update_conversation_metadata('c0000000-0000-4000-8000-0000000000a1', '{}')$$,
  '42501', 'permission denied for function update_conversation_metadata', 'anon cannot patch metadata');

-- ---------------------------------------------------------------- as service_role
reset role;
select tests.authenticate_as_role('service_role');

select is((select count(*)::int from public.conversations), 3, 'service_role reads every conversation');
select is((select count(*)::int from public.conversation_messages), 2, 'service_role reads every message');
select is(
  (select count(*)::int from public.append_messages('c0000000-0000-4000-8000-0000000000b1',
    '[{"role": "assistant", "content": "from the agent"}]')),
  1,
  'service_role appends to any conversation'
);
select throws_ok(
  $$update public.conversations set user_id = '00000000-0000-4000-8000-0000000000a1' where id = 'c0000000-0000-4000-8000-0000000000b1'$$,
  '42501', 'permission denied for table conversations',
  'not even service_role moves a conversation to another owner'
);
select throws_ok(
  $$insert into public.conversation_messages (conversation_id, user_id, sequence_order, role, content)
    values ('c0000000-0000-4000-8000-0000000000b1', '00000000-0000-4000-8000-0000000000b1', 9, 'user', 'forged')$$,
  '42501', 'permission denied for table conversation_messages',
  'service_role writes messages only through append_messages'
);

reset role;
select results_eq(
  $$select sequence_order from public.conversation_messages
    where conversation_id = 'c0000000-0000-4000-8000-0000000000b1' order by sequence_order$$,
  array[1, 2],
  'Bob''s conversation holds exactly its own message and the agent''s, numbered without gaps'
);
select is(
  (select metadata from public.conversations where id = 'c0000000-0000-4000-8000-0000000000a1'),
  '{"step": 2}'::jsonb,
  'Alice''s own edit is kept'
);

select * from finish();
rollback;
