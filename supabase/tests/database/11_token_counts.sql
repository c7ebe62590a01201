-- Token counts: exact from the edge functions, a never-lower estimate from anyone else, bounded.
-- The Data API logs in as authenticator; this file plays it with SET SESSION AUTHORIZATION, which
-- needs a superuser (the test command's throwaway cluster).
begin;
select plan(13);

insert into auth.users (id) values ('00000000-0000-4000-8000-0000000000a1');  -- Alice
insert into public.conversations (id, user_id) values
  ('c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1');

-- ---------------------------------------------------------------- the estimate
select is(conversation_store.estimate_tokens('hello world', null, null, null, null), 14,
  'the estimate is 3 + one token per UTF-8 byte');
select is(conversation_store.estimate_tokens('日本語', null, null, null, null), 12,
  'three bytes per character of Japanese count three tokens each');
select is(
  conversation_store.estimate_tokens(null, 'render', '{"name": "f", "arguments": "{}"}', null, null),
  3 + 6 + octet_length('{"name": "f", "arguments": "{}"}'),
  'names and calls count with their JSON text, longer than what the model reads'
);

select is(conversation_store.writer_counts_tokens(), true, 'a session of the tables'' owner counts tokens');

-- ---------------------------------------------------------------- as Alice, through the edge functions (the tables' owner logs in)
select tests.authenticate_as('00000000-0000-4000-8000-0000000000a1');

select results_eq(
  $$select token_count from public.append_messages('c0000000-0000-4000-8000-0000000000a1',
    '[{"role": "user", "content": "hello world", "token_count": 5}]')$$,
  array[5],
  'the edge functions'' exact count is stored as given'
);
select throws_ok(
  $$select public.append_messages('c0000000-0000-4000-8000-0000000000a1',
    '[{"role": "user", "content": "x", "token_count": -1}]')$$,
  '23514', 'new row for relation "conversation_messages" violates check constraint "conversation_messages_token_count_range"',
  'a count is never negative'
);
select throws_ok(
  $$select public.append_messages('c0000000-0000-4000-8000-0000000000a1',
    '[{"role": "user", "content": "x", "token_count": 1000001}]')$$,
  '23514', 'new row for relation "conversation_messages" violates check constraint "conversation_messages_token_count_range"',
  'a count is bounded'
);
select throws_ok(
  $$select public.append_messages('c0000000-0000-4000-8000-0000000000a1',
    '[{"role": "user", "content": "x", "token_count": "5"}]')$$,
  '22023', 'message 1 has a token_count that is not a number',
  'a count is a number'
);

-- ---------------------------------------------------------------- as Alice, through the Data API (supabase.rpc)
reset role;
set local session authorization authenticator;
set local role authenticated;

select throws_ok(
  $$select public.append_messages('c0000000-0000-4000-8000-0000000000a1',
    '[{"role": "user", "content": "hello world", "token_count": 1}]')$$,
  '22023', 'message 1 has a token_count, which only the store sets',
  'a direct caller cannot hand in a count'
);
select results_eq(
  $$select token_count from public.append_messages('c0000000-0000-4000-8000-0000000000a1',
    '[{"role": "user", "content": "hello world"}]')$$,
  array[14],
  'a direct write gets the estimate, never below the real count (5 for this text)'
);
select results_eq(
  $$select token_count from public.append_messages('c0000000-0000-4000-8000-0000000000a1',
    '[{"role": "assistant", "content": "partial", "status": "in_progress"}]')$$,
  array[10],
  'a reply started directly gets the estimate too'
);
select is(
  conversation_store.set_exact_token_count(
    (select id from public.conversation_messages where content = 'hello world' and token_count = 14), 1),
  false,
  'a Data API session cannot lower a stored count'
);

-- ---------------------------------------------------------------- as the database owner
reset role;
reset session authorization;
select results_eq(
  $$select token_count from public.conversation_messages
    where conversation_id = 'c0000000-0000-4000-8000-0000000000a1' order by sequence_order$$,
  array[5, 14, 10],
  'the stored counts are the exact one and the two estimates'
);

select * from finish();
rollback;
