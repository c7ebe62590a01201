-- start_conversation: creates the caller's conversation; a client-chosen id makes it idempotent.
begin;
select plan(12);

insert into auth.users (id) values
  ('00000000-0000-4000-8000-0000000000a1'),  -- Alice
  ('00000000-0000-4000-8000-0000000000b1');  -- Bob

-- ---------------------------------------------------------------- as Alice (authenticated)
select tests.authenticate_as('00000000-0000-4000-8000-0000000000a1');

select is(
  (select user_id from public.start_conversation()),
  '00000000-0000-4000-8000-0000000000a1'::uuid,
  'a conversation belongs to the caller'
);
select is(
  (select row(video_id, metadata, last_sequence)::text from public.start_conversation(
    p_video_id => 'f0000000-0000-4000-8000-000000000001', p_metadata => '{"step": "script"}')),
  row('f0000000-0000-4000-8000-000000000001'::uuid, '{"step": "script"}'::jsonb, 0)::text,
  'video id and metadata are stored, and the counter starts at 0'
);
select is(
  (select id from public.start_conversation(p_id => 'c0000000-0000-4000-8000-0000000000a1', p_metadata => '{"v": 1}')),
  'c0000000-0000-4000-8000-0000000000a1'::uuid,
  'a client-chosen id is used'
);
select is(
  (select metadata from public.start_conversation(p_id => 'c0000000-0000-4000-8000-0000000000a1', p_metadata => '{"v": 2}')),
  '{"v": 1}'::jsonb,
  'the same id again returns the row stored first, unchanged'
);
select is(
  (select count(*)::int from public.conversations where id = 'c0000000-0000-4000-8000-0000000000a1'),
  1,
  'the same id again creates nothing'
);
select is(
  (select user_id from public.start_conversation(p_user_id => '00000000-0000-4000-8000-0000000000a1')),
  '00000000-0000-4000-8000-0000000000a1'::uuid,
  'a user may name themselves as the owner'
);
select throws_ok(
  $$select public.start_conversation(p_metadata => '[1, 2]')$$,
  '23514', 'new row for relation "conversations" violates check constraint "conversations_metadata_is_object"',
  'metadata must be a JSON object'
);

-- ---------------------------------------------------------------- as Bob (authenticated)
select tests.authenticate_as('00000000-0000-4000-8000-0000000000b1');

select throws_ok(
  $$select public.start_conversation(p_id => 'c0000000-0000-4000-8000-0000000000a1')$$,
  '23505', 'conversation already exists',
  'an id that another user owns is refused'
);

-- ---------------------------------------------------------------- as an authenticated role without a user
set local request.jwt.claims to '{"role": "authenticated"}';

select throws_ok($$select public.start_conversation()$$, '42501', 'not authenticated',
  'a caller without a user id cannot start a conversation');

-- ---------------------------------------------------------------- as service_role
reset role;
select tests.authenticate_as_role('service_role');

select throws_ok($$select public.start_conversation()$$, '22023', 'service_role must name the owner in p_user_id',
  'service_role must say whose conversation it starts');
select is(
  (select user_id from public.start_conversation(p_user_id => '00000000-0000-4000-8000-0000000000b1')),
  '00000000-0000-4000-8000-0000000000b1'::uuid,
  'service_role starts a conversation for the user it names'
);
select throws_ok(
  $$select public.start_conversation(p_user_id => '00000000-0000-4000-8000-0000000000ff')$$,
  '23503',
  'insert or update on table "conversations" violates foreign key constraint "conversations_user_id_fkey"',
  'the owner must be a known user'
);

select * from finish();
rollback;
