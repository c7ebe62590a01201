-- get_context: the pinned system prompt, the summary, the newest units that fit, tool calls whole,
-- a user turn first, replies in progress left out; exact budget edges; Row Level Security.
begin;
select plan(30);

insert into auth.users (id) values
  ('00000000-0000-4000-8000-0000000000a1'),  -- Alice
  ('00000000-0000-4000-8000-0000000000b1');  -- Bob
insert into public.conversations (id, user_id) values
  ('c0000000-0000-4000-8000-00000000000a', '00000000-0000-4000-8000-0000000000a1'),  -- the main one
  ('c0000000-0000-4000-8000-00000000000b', '00000000-0000-4000-8000-0000000000a1'),  -- a call missing a result
  ('c0000000-0000-4000-8000-00000000000c', '00000000-0000-4000-8000-0000000000a1'),  -- an orphaned result
  ('c0000000-0000-4000-8000-00000000000d', '00000000-0000-4000-8000-0000000000a1'),  -- function calls
  ('c0000000-0000-4000-8000-00000000000e', '00000000-0000-4000-8000-0000000000a1'),  -- a stopped reply
  ('c0000000-0000-4000-8000-00000000000f', '00000000-0000-4000-8000-0000000000a1');  -- a greeting still streaming

-- Token counts are chosen, not counted, so that every budget edge below is exact.
insert into public.conversation_messages
  (conversation_id, user_id, sequence_order, role, content, tool_calls, tool_call_id, status, token_count,
   function_call, name)
select ('c0000000-0000-4000-8000-00000000000' || c)::uuid, '00000000-0000-4000-8000-0000000000a1', s, r, t,
       tc::jsonb, tid, coalesce(st, 'completed'), n,
       case when c = 'd' and s = 2 then '{"name": "weather", "arguments": "{}"}'::jsonb end,
       case when r = 'function' then 'weather' end
from (values
  ('a', 1, 'system', 'You are helpful.', null, null, null, 10),
  ('a', 2, 'system', 'Be brief.', null, null, null, 5),
  ('a', 3, 'user', 'u1', null, null, null, 20),
  ('a', 4, 'assistant', 'a1', null, null, null, 20),
  ('a', 5, 'user', 'u2', null, null, null, 20),
  ('a', 6, 'assistant', null, '[{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}},
                               {"id": "c2", "type": "function", "function": {"name": "g", "arguments": "{}"}}]', null, null, 15),
  ('a', 7, 'tool', 'r1', null, 'c1', null, 10),
  ('a', 8, 'tool', 'r2', null, 'c2', null, 10),
  ('a', 9, 'assistant', 'a3', null, null, null, 20),
  ('a', 10, 'user', 'u3', null, null, null, 20),
  ('a', 11, 'assistant', 'streaming…', null, null, 'in_progress', 5),
  ('b', 1, 'user', 'u', null, null, null, 5),
  ('b', 2, 'assistant', null, '[{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}},
                               {"id": "c2", "type": "function", "function": {"name": "g", "arguments": "{}"}}]', null, null, 5),
  ('b', 3, 'tool', 'r1', null, 'c1', null, 5),
  ('c', 1, 'user', 'u', null, null, null, 5),
  ('c', 2, 'tool', 'orphan', null, 'x', null, 5),
  ('c', 3, 'assistant', 'a', null, null, null, 5),
  ('d', 1, 'user', 'u', null, null, null, 5),
  ('d', 2, 'assistant', null, null, null, null, 5),
  ('d', 3, 'function', 'sunny', null, null, null, 5),
  ('d', 4, 'assistant', 'It is sunny.', null, null, null, 5),
  ('e', 1, 'user', 'u', null, null, null, 5),
  ('e', 2, 'assistant', 'I was stopp', null, null, 'incomplete', 5),
  ('f', 1, 'system', 'Greet the user.', null, null, null, 5),
  ('f', 2, 'assistant', 'Hel', null, null, 'in_progress', 5)
) as m(c, s, r, t, tc, tid, st, n);
update public.conversations c set last_sequence = (select max(sequence_order) from public.conversation_messages m where m.conversation_id = c.id);

-- The sequence numbers of the window of A, and the fields beside it.
create function pg_temp.window_of(p_conversation uuid, p_budget integer, p_max_messages integer default 1000)
returns text language sql as $$
  select (
    select string_agg(coalesce(m ->> 'content', '∅'), ' ' order by n)
    from json_array_elements(context -> 'messages') with ordinality as e(m, n)
  ) || ' | tokens ' || (context ->> 'token_count') || ' | earlier ' || (context ->> 'has_earlier')
    || ' | first ' || coalesce(context ->> 'first_sequence', '-')
  from public.get_context(p_conversation, p_budget, p_max_messages) as context
$$;
grant execute on function pg_temp.window_of(uuid, integer, integer) to authenticated, service_role;


-- ---------------------------------------------------------------- as Alice (authenticated)
select tests.authenticate_as('00000000-0000-4000-8000-0000000000a1');

-- 1. The pinned prompt
select is(pg_temp.window_of('c0000000-0000-4000-8000-00000000000a', 15),
  'You are helpful. Be brief. | tokens 15 | earlier true | first -',
  'the leading system messages always come first, even when nothing else fits');
select throws_ok(
  $$select public.get_context('c0000000-0000-4000-8000-00000000000a', 14)$$,
  'PT422', 'the pinned system prompt and the summary take 15 tokens, more than the budget of 14',
  'a budget smaller than the pinned prompt is refused'
);
select is(
  tests.error_of($$select public.get_context('c0000000-0000-4000-8000-00000000000a', 14)$$),
  'PT422 context_budget_exceeded {"max_bytes": 4194304, "required_tokens": 15}',
  'the refusal names its code (HINT) and the tokens required (DETAIL)'
);

-- 3. Exact budget edges
select is(pg_temp.window_of('c0000000-0000-4000-8000-00000000000a', 35),
  'You are helpful. Be brief. u3 | tokens 35 | earlier true | first 10',
  'a message that fits exactly is in');
select is(pg_temp.window_of('c0000000-0000-4000-8000-00000000000a', 34),
  'You are helpful. Be brief. | tokens 15 | earlier true | first -',
  'one token over and it is out');

-- 5. A user turn first
select is(pg_temp.window_of('c0000000-0000-4000-8000-00000000000a', 55),
  'You are helpful. Be brief. u3 | tokens 35 | earlier true | first 10',
  'an assistant message that fits before the oldest user message is dropped');
select is(pg_temp.window_of('c0000000-0000-4000-8000-00000000000a', 110),
  'You are helpful. Be brief. u2 ∅ r1 r2 a3 u3 | tokens 110 | earlier true | first 5',
  'the window takes whole turns, tool calls with their results');

-- 4. Tool calls stay whole
select is(pg_temp.window_of('c0000000-0000-4000-8000-00000000000a', 109),
  'You are helpful. Be brief. u3 | tokens 35 | earlier true | first 10',
  'a turn one token short is left out whole, and the window still starts on a user turn');
select is(pg_temp.window_of('c0000000-0000-4000-8000-00000000000a', 150),
  'You are helpful. Be brief. u1 a1 u2 ∅ r1 r2 a3 u3 | tokens 150 | earlier false | first 3',
  'everything fits: nothing earlier is left out');
select is(pg_temp.window_of('c0000000-0000-4000-8000-00000000000a', 1000, 5),
  'You are helpful. Be brief. u3 | tokens 35 | earlier true | first 10',
  'max_messages counts chosen messages: a tool unit that would pass it stays out whole');
select is(pg_temp.window_of('c0000000-0000-4000-8000-00000000000a', 1000, 6),
  'You are helpful. Be brief. u2 ∅ r1 r2 a3 u3 | tokens 110 | earlier true | first 5',
  'max_messages is reached exactly');
select is(pg_temp.window_of('c0000000-0000-4000-8000-00000000000b', 1000),
  'u | tokens 5 | earlier false | first 1',
  'a call still missing a result is left out with the results it has');
select is(pg_temp.window_of('c0000000-0000-4000-8000-00000000000c', 1000),
  'u a | tokens 10 | earlier false | first 1',
  'a tool result without its call is left out');
select is(pg_temp.window_of('c0000000-0000-4000-8000-00000000000d', 1000),
  'u ∅ sunny It is sunny. | tokens 20 | earlier false | first 1',
  'a function_call and its function message travel together');
select is(pg_temp.window_of('c0000000-0000-4000-8000-00000000000d', 14),
  'It is sunny. | tokens 5 | earlier true | first 4',
  'the window never begins with a function result (without a user message that fits, it starts on the assistant)');
select is(
  (select context -> 'messages' -> 1 ->> 'role'
   from public.get_context('c0000000-0000-4000-8000-00000000000d', 1000) as context),
  'assistant',
  'the call comes before its result'
);

-- 6. Replies in progress and stopped
select ok(
  (select not (context::jsonb -> 'messages' @> '[{"content": "streaming…"}]')
   from public.get_context('c0000000-0000-4000-8000-00000000000a', 1000) as context),
  'a reply still in progress is left out'
);
select is(pg_temp.window_of('c0000000-0000-4000-8000-00000000000e', 1000),
  'u I was stopp | tokens 10 | earlier false | first 1',
  'a stopped (incomplete) reply is still context');
select is(pg_temp.window_of('c0000000-0000-4000-8000-00000000000f', 1000),
  'Greet the user. | tokens 5 | earlier false | first -',
  'a reply in progress left out is nothing earlier to summarize');

-- 2. The summary
reset role;
update public.conversations
set summary = 'Earlier: the user asked for cat videos.', summary_through_sequence = 8, summary_token_count = 12
where id = 'c0000000-0000-4000-8000-00000000000a';
set local role authenticated;
select is(pg_temp.window_of('c0000000-0000-4000-8000-00000000000a', 1000),
  'You are helpful. Be brief. Earlier: the user asked for cat videos. u3 | tokens 47 | earlier true | first 10',
  'the summary follows the pinned prompt and replaces what it covers');
select is(
  (select (context -> 'messages' -> 2)::jsonb
   from public.get_context('c0000000-0000-4000-8000-00000000000a', 1000) as context),
  '{"role": "system", "content": "Earlier: the user asked for cat videos."}'::jsonb,
  'in the openai format the summary is one system message'
);
select is(
  (select (context -> 'summary')::jsonb
   from public.get_context('c0000000-0000-4000-8000-00000000000a', 1000, 1000, 'rows') as context),
  '{"content": "Earlier: the user asked for cat videos.", "through_sequence": 8, "token_count": 12}'::jsonb,
  'in the rows format the summary is a field of its own'
);
select is(
  (select json_array_length(context -> 'messages') || ' ' || (context -> 'messages' -> 2 ->> 'sequence_order')
   from public.get_context('c0000000-0000-4000-8000-00000000000a', 1000, 1000, 'rows') as context),
  '3 10',
  'and the rows are the stored messages'
);
select throws_ok(
  $$select public.get_context('c0000000-0000-4000-8000-00000000000a', 26)$$,
  'PT422', 'the pinned system prompt and the summary take 27 tokens, more than the budget of 26',
  'the pinned prompt and the summary together must fit'
);

-- Arguments
select throws_ok(
  $$select public.get_context('c0000000-0000-4000-8000-00000000000a', 0)$$,
  '22023', 'p_max_tokens must be between 1 and 2000000',
  'a budget of 0 is refused'
);
select throws_ok(
  $$select public.get_context('c0000000-0000-4000-8000-00000000000a', 100, 1001)$$,
  '22023', 'p_max_messages must be between 1 and 1000',
  'max_messages is at most 1000'
);
select throws_ok(
  $$select public.get_context('c0000000-0000-4000-8000-00000000000a', 100, 10, 'xml')$$,
  '22023', 'p_format must be openai, rows or ui',
  'the format is openai, rows or ui'
);

-- ---------------------------------------------------------------- as Bob (authenticated)
select tests.authenticate_as('00000000-0000-4000-8000-0000000000b1');
select throws_ok(
  $$select public.get_context('c0000000-0000-4000-8000-00000000000a', 1000)$$,
  'PT404', 'conversation not found',
  'Bob cannot read Alice''s context'
);

-- ---------------------------------------------------------------- as anon
select tests.authenticate_as_role('anon');
select throws_ok(
  $$select public.get_context('c0000000-0000-4000-8000-00000000000a', 1000)$$,
  '42501', 'permission denied for function get_context',
  'anon cannot call it'
);

-- ---------------------------------------------------------------- as service_role
select tests.authenticate_as_role('service_role');
select is(pg_temp.window_of('c0000000-0000-4000-8000-00000000000e', 1000),
  'u I was stopp | tokens 10 | earlier false | first 1',
  'the service role reads any conversation''s context');

select * from finish();
rollback;
