-- A conversation's summary: set, replaced and cleared by its owner or the service role, covering
-- messages 1..through_sequence, with a token count.
begin;
select plan(13);

insert into auth.users (id) values
  ('00000000-0000-4000-8000-0000000000a1'),  -- Alice
  ('00000000-0000-4000-8000-0000000000b1');  -- Bob
insert into public.conversations (id, user_id, last_sequence) values
  ('c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1', 2);

-- ---------------------------------------------------------------- as Alice (authenticated), through the edge functions
select tests.authenticate_as('00000000-0000-4000-8000-0000000000a1');

select is(
  (select (summary, summary_through_sequence, summary_token_count)::text
   from public.set_conversation_summary('c0000000-0000-4000-8000-0000000000a1', 'The user wants a cat video.', 1, 9)),
  '("The user wants a cat video.",1,9)',
  'Alice sets a summary of message 1 with its exact count'
);
select is(
  (select summary from public.set_conversation_summary('c0000000-0000-4000-8000-0000000000a1', 'Cat video, orange cat.', 2, 8)),
  'Cat video, orange cat.',
  'a new summary replaces the old one'
);
select throws_ok(
  $$select public.set_conversation_summary('c0000000-0000-4000-8000-0000000000a1', 'Too far', 5)$$,
  'PT422', 'the summary cannot cover message 5: the last message is 2',
  'a summary cannot cover messages that do not exist'
);
select throws_ok(
  $$select public.set_conversation_summary('c0000000-0000-4000-8000-0000000000a1', 'No end', null)$$,
  '22023', 'a summary needs both its content and through_sequence, or neither to clear it',
  'content needs through_sequence'
);
select throws_ok(
  format($$select public.set_conversation_summary('c0000000-0000-4000-8000-0000000000a1', %L, 1)$$, repeat('s', 100001)),
  '23514', 'new row for relation "conversations" violates check constraint "conversations_summary_max_size"',
  'a summary is bounded like a message'
);
select throws_ok(
  $$update public.conversations set summary = 'direct' where id = 'c0000000-0000-4000-8000-0000000000a1'$$,
  '42501', 'permission denied for table conversations',
  'the summary columns are not writable directly'
);
select is(
  (select (summary, summary_through_sequence, summary_token_count)::text
   from public.set_conversation_summary('c0000000-0000-4000-8000-0000000000a1', null, null)),
  '(,,)',
  'null clears the summary'
);

-- ---------------------------------------------------------------- as Alice, through the Data API (supabase.rpc)
reset role;
set local session authorization authenticator;
set local role authenticated;
select is(
  (select summary_token_count
   from public.set_conversation_summary('c0000000-0000-4000-8000-0000000000a1', 'hello world', 1, 1)),
  14,
  'a direct caller''s count is ignored: the summary gets the estimate'
);
reset role;
reset session authorization;

-- ---------------------------------------------------------------- as Bob (authenticated)
select tests.authenticate_as('00000000-0000-4000-8000-0000000000b1');
select throws_ok(
  $$select public.set_conversation_summary('c0000000-0000-4000-8000-0000000000a1', 'Bob was here', 1)$$,
  'PT404', 'conversation not found',
  'Bob cannot write Alice''s summary'
);

-- ---------------------------------------------------------------- as anon
select tests.authenticate_as_role('anon');
select throws_ok(
  $$select public.set_conversation_summary('c0000000-0000-4000-8000-0000000000a1', 'anon', 1)$$,
  '42501', 'permission denied for function set_conversation_summary',
  'anon cannot call it'
);

-- ---------------------------------------------------------------- as service_role
select tests.authenticate_as_role('service_role');
select is(
  (select summary from public.set_conversation_summary('c0000000-0000-4000-8000-0000000000a1', 'From the agent', 2, 4)),
  'From the agent',
  'the service role writes any conversation''s summary'
);

-- ---------------------------------------------------------------- as the database owner
reset role;
select throws_ok(
  $$update public.conversations set summary_through_sequence = 3 where id = 'c0000000-0000-4000-8000-0000000000a1'$$,
  '23514', 'new row for relation "conversations" violates check constraint "conversations_summary_through_sequence_range"',
  'the table itself keeps the summary within the conversation'
);
select throws_ok(
  $$update public.conversations set summary = null where id = 'c0000000-0000-4000-8000-0000000000a1'$$,
  '23514', 'new row for relation "conversations" violates check constraint "conversations_summary_complete"',
  'a summary is whole or absent'
);

select * from finish();
rollback;
