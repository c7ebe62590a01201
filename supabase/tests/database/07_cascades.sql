-- Deleting a conversation takes its messages; deleting a user takes their conversations.
-- (Deletes of any size through the API, in bounded batches: 19_deletes.sql.)
begin;
select plan(8);

insert into auth.users (id) values
  ('00000000-0000-4000-8000-0000000000a1'),  -- Alice
  ('00000000-0000-4000-8000-0000000000b1');  -- Bob
insert into public.conversations (id, user_id) values
  ('c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1'),
  ('c0000000-0000-4000-8000-0000000000a2', '00000000-0000-4000-8000-0000000000a1'),
  ('c0000000-0000-4000-8000-0000000000b1', '00000000-0000-4000-8000-0000000000b1');

-- ---------------------------------------------------------------- as Alice (authenticated)
select tests.authenticate_as('00000000-0000-4000-8000-0000000000a1');
select lives_ok(
  $$select public.append_messages('c0000000-0000-4000-8000-0000000000a1', '[{"role": "user", "content": "one"}, {"role": "user", "content": "two"}]')$$,
  'Alice writes to her first conversation'
);
select lives_ok(
  $$select public.append_messages('c0000000-0000-4000-8000-0000000000a2', '[{"role": "user", "content": "three"}]')$$,
  'Alice writes to her second conversation'
);

select lives_ok(
  $$delete from public.conversations where id = 'c0000000-0000-4000-8000-0000000000a1'$$,
  'Alice deletes her conversation'
);
select is(
  (select count(*)::int from public.conversation_messages where conversation_id = 'c0000000-0000-4000-8000-0000000000a1'),
  0,
  'its messages go with it'
);

-- ---------------------------------------------------------------- as service_role
select tests.authenticate_as_role('service_role');
select lives_ok(
  $$select public.append_messages('c0000000-0000-4000-8000-0000000000b1', '[{"role": "user", "content": "bob"}]')$$,
  'Bob has a message too'
);

-- ---------------------------------------------------------------- as the database owner (Supabase Auth deletes users)
reset role;
delete from auth.users where id = '00000000-0000-4000-8000-0000000000a1';

select is(
  (select count(*)::int from public.conversations where user_id = '00000000-0000-4000-8000-0000000000a1'),
  0,
  'deleting a user deletes their conversations'
);
select is(
  (select count(*)::int from public.conversation_messages where user_id = '00000000-0000-4000-8000-0000000000a1'),
  0,
  'and their messages'
);
select is(
  (select count(*)::int from public.conversation_messages where user_id = '00000000-0000-4000-8000-0000000000b1'),
  1,
  'other users keep theirs'
);

select * from finish();
rollback;
