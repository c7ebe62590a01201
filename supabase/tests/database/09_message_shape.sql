-- One message shape on every path: what the edge functions refuse, supabase.rpc() cannot store
-- either; rows stored before the rule stay readable.
begin;
select plan(16);

insert into auth.users (id) values ('00000000-0000-4000-8000-0000000000a1');  -- Alice
insert into public.conversations (id, user_id) values
  ('c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1'),
  ('c0000000-0000-4000-8000-0000000000a2', '00000000-0000-4000-8000-0000000000a1');

-- A row written before the shape was enforced (the constraint is NOT VALID, so it stays).
alter table public.conversation_messages drop constraint conversation_messages_tool_calls_shape;
insert into public.conversation_messages (conversation_id, user_id, sequence_order, role, content, tool_calls, token_count)
values ('c0000000-0000-4000-8000-0000000000a2', '00000000-0000-4000-8000-0000000000a1', 1, 'assistant', 'legacy',
        (repeat('[', 6000) || repeat(']', 6000))::jsonb, 3);
update public.conversations set last_sequence = 1 where id = 'c0000000-0000-4000-8000-0000000000a2';
alter table public.conversation_messages
  add constraint conversation_messages_tool_calls_shape
    check (tool_calls is null or conversation_store.is_tool_call_list(tool_calls)) not valid;

-- ---------------------------------------------------------------- as Alice (authenticated), through supabase.rpc()
select tests.authenticate_as('00000000-0000-4000-8000-0000000000a1');

select throws_ok(
  $$select public.append_messages('c0000000-0000-4000-8000-0000000000a1',
    '[{"role": "assistant", "content": null, "function_call": {"zz": [1, 2]}}]')$$,
  '23514', 'new row for relation "conversation_messages" violates check constraint "conversation_messages_function_call_shape"',
  'a function_call without name and arguments is refused'
);
select throws_ok(
  $$select public.append_messages('c0000000-0000-4000-8000-0000000000a1',
    '[{"role": "assistant", "content": null, "function_call": {"name": "f", "arguments": {"a": 1}}}]')$$,
  '23514', 'new row for relation "conversation_messages" violates check constraint "conversation_messages_function_call_shape"',
  'function_call arguments are a string, as OpenAI sends them'
);
select throws_ok(
  $$select public.append_messages('c0000000-0000-4000-8000-0000000000a1',
    '[{"role": "assistant", "content": null, "function_call": {"name": "f"}}]')$$,
  '23514', 'new row for relation "conversation_messages" violates check constraint "conversation_messages_function_call_shape"',
  'a function_call without arguments is refused'
);
select throws_ok(
  $$select public.append_messages('c0000000-0000-4000-8000-0000000000a1',
    '[{"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "function": {"name": "f", "arguments": "{}"}}]}]')$$,
  '23514', 'new row for relation "conversation_messages" violates check constraint "conversation_messages_tool_calls_shape"',
  'a tool call without a type is refused'
);
select throws_ok(
  $$select public.append_messages('c0000000-0000-4000-8000-0000000000a1',
    '[{"role": "assistant", "content": null, "tool_calls": [1, "a", null]}]')$$,
  '23514', 'new row for relation "conversation_messages" violates check constraint "conversation_messages_tool_calls_shape"',
  'tool_calls must be tool call objects'
);
select throws_ok(
  format($$select public.append_messages('c0000000-0000-4000-8000-0000000000a1', %L)$$,
    jsonb_build_array(jsonb_build_object('role', 'assistant', 'content', null,
      'tool_calls', (repeat('[', 6000) || repeat(']', 6000))::jsonb))),
  '23514', 'new row for relation "conversation_messages" violates check constraint "conversation_messages_tool_calls_shape"',
  'tool_calls nested 6,000 deep are refused'
);
select throws_ok(
  $$select public.append_messages('c0000000-0000-4000-8000-0000000000a1',
    '[{"role": "assistant", "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}, "extra": 1}]}]')$$,
  '23514', 'new row for relation "conversation_messages" violates check constraint "conversation_messages_tool_calls_shape"',
  'a tool call carries exactly id, type and function'
);
select throws_ok(
  $$select public.append_messages('c0000000-0000-4000-8000-0000000000a1',
    '[{"role": "assistant", "tool_calls": [{"id": "c1", "type": "code", "function": {"name": "f", "arguments": "{}"}}]}]')$$,
  '23514', 'new row for relation "conversation_messages" violates check constraint "conversation_messages_tool_calls_shape"',
  'a tool call is of type function'
);
select throws_ok(
  format($$select public.append_messages('c0000000-0000-4000-8000-0000000000a1', %L)$$,
    jsonb_build_array(jsonb_build_object('role', 'assistant', 'tool_calls', jsonb_build_array(
      jsonb_build_object('id', repeat('i', 129), 'type', 'function', 'function', '{"name": "f", "arguments": "{}"}'::jsonb))))),
  '23514', 'new row for relation "conversation_messages" violates check constraint "conversation_messages_tool_calls_shape"',
  'a tool call id is at most 128 characters'
);
select throws_ok(
  format($$select public.append_messages('c0000000-0000-4000-8000-0000000000a1', %L)$$,
    jsonb_build_array(jsonb_build_object('role', 'assistant', 'tool_calls',
      (select jsonb_agg(jsonb_build_object('id', 'c' || n, 'type', 'function',
                                           'function', '{"name": "f", "arguments": "{}"}'::jsonb))
       from generate_series(1, 129) as n)))),
  '23514', 'new row for relation "conversation_messages" violates check constraint "conversation_messages_tool_calls_shape"',
  'a message makes at most 128 tool calls'
);
select results_eq(
  $$select sequence_order, role from public.append_messages('c0000000-0000-4000-8000-0000000000a1',
    '[{"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "render", "arguments": "{\"style\": \"cat\"}"}}]},
      {"role": "tool", "tool_call_id": "call_1", "content": "queued"},
      {"role": "assistant", "content": null, "function_call": {"name": "legacy", "arguments": "{}"}},
      {"role": "function", "name": "legacy", "content": "done"}]')$$,
  $$values (1, 'assistant'), (2, 'tool'), (3, 'assistant'), (4, 'function')$$,
  'well-formed tool calls and function calls are stored'
);
select is(
  (select count(*)::int from public.conversation_messages where conversation_id = 'c0000000-0000-4000-8000-0000000000a1'),
  4,
  'nothing malformed was stored'
);

-- ---------------------------------------------------------------- reading a row written before the rule
select is(
  (select json_typeof(conversation_store.openai_message(m) -> 'tool_calls') from public.conversation_messages m
   where m.conversation_id = 'c0000000-0000-4000-8000-0000000000a2'),
  'array',
  'a deeply nested legacy row still turns into OpenAI''s format, in SQL, without recursion in a reader'
);
select is(
  (public.get_context('c0000000-0000-4000-8000-0000000000a2', 1000) ->> 'token_count')::int,
  0,
  'get_context reads a conversation holding a legacy row (a call without results is left out)'
);

-- ---------------------------------------------------------------- as the database owner
reset role;
select throws_ok(
  $$update public.conversation_messages set tool_calls = '[1]' where conversation_id = 'c0000000-0000-4000-8000-0000000000a1' and sequence_order = 1$$,
  '23514', 'new row for relation "conversation_messages" violates check constraint "conversation_messages_tool_calls_shape"',
  'the shape holds for every write, not only for append_messages'
);
select is(
  (select convalidated from pg_constraint where conname = 'conversation_messages_function_call_shape'),
  false,
  'the rule applies from now on without rejecting rows stored before it'
);

select * from finish();
rollback;
