-- append_messages: consecutive numbers, all or nothing, idempotent replays, optimistic concurrency.
begin;
select plan(22);

insert into auth.users (id) values ('00000000-0000-4000-8000-0000000000a1');  -- Alice
insert into public.conversations (id, user_id, created_at, updated_at) values
  ('c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1',
   now() - interval '1 hour', now() - interval '1 hour');

-- ---------------------------------------------------------------- as Alice (authenticated)
select tests.authenticate_as('00000000-0000-4000-8000-0000000000a1');

select results_eq(
  $$select sequence_order, role, content from public.append_messages('c0000000-0000-4000-8000-0000000000a1',
    '[{"role": "system", "content": "You are helpful."}, {"role": "user", "content": "Hi"}]')$$,
  $$values (1, 'system', 'You are helpful.'), (2, 'user', 'Hi')$$,
  'a batch is numbered from 1 in the order given'
);
select is(current_setting('conversation_store.appended_count'), '2', 'the function reports how many rows it stored');
select results_eq(
  $$select sequence_order from public.append_messages('c0000000-0000-4000-8000-0000000000a1',
    '[{"role": "assistant", "content": "Hello!", "client_message_id": "m-3"}]')$$,
  array[3],
  'the next append continues the numbering'
);
select is(
  (select last_sequence from public.conversations where id = 'c0000000-0000-4000-8000-0000000000a1'),
  3,
  'the counter holds the last sequence number'
);
select results_eq(
  $$select sequence_order, content from public.append_messages('c0000000-0000-4000-8000-0000000000a1',
    '[{"role": "assistant", "content": "Hello!", "client_message_id": "m-3"}]')$$,
  $$values (3, 'Hello!')$$,
  'a replayed client_message_id returns the stored row'
);
select is(current_setting('conversation_store.appended_count'), '0', 'a replay stores nothing');
select results_eq(
  $$select sequence_order from public.append_messages('c0000000-0000-4000-8000-0000000000a1',
    '[{"role": "assistant", "content": "Hello!", "client_message_id": "m-3"},
      {"role": "user", "content": "Tell me more", "client_message_id": "m-4"}]')$$,
  array[3, 4],
  'a batch mixing a replay and a new message stores only the new one'
);
select throws_ok(
  $$select public.append_messages('c0000000-0000-4000-8000-0000000000a1',
    '[{"role": "user", "content": "Something else", "client_message_id": "m-4"}]')$$,
  'PT422', 'client_message_id m-4 is already stored with a different message',
  'reusing a client_message_id for a different message is refused'
);
select throws_ok(
  $$select public.append_messages('c0000000-0000-4000-8000-0000000000a1',
    '[{"role": "user", "content": "a", "client_message_id": "twice"}, {"role": "user", "content": "b", "client_message_id": "twice"}]')$$,
  '22023', 'a client_message_id appears twice in one batch',
  'a batch cannot repeat a client_message_id'
);
select throws_ok(
  $$select public.append_messages('c0000000-0000-4000-8000-0000000000a1', '[{"role": "user", "content": "late"}]', 2)$$,
  'PT409', 'expected last sequence 2, but it is 4',
  'a stale expected last sequence is refused'
);
select results_eq(
  $$select sequence_order from public.append_messages('c0000000-0000-4000-8000-0000000000a1',
    '[{"role": "user", "content": "on time"}]', 4)$$,
  array[5],
  'a current expected last sequence appends'
);
select results_eq(
  $$select sequence_order from public.append_messages('c0000000-0000-4000-8000-0000000000a1',
    '[{"role": "user", "content": "Tell me more", "client_message_id": "m-4"}]', 1)$$,
  array[4],
  'a full replay answers with the stored rows even when the expectation is stale'
);
select results_eq(
  $$select sequence_order, role, content, function_call ->> 'name'
    from public.append_messages('c0000000-0000-4000-8000-0000000000a1',
    '[{"role": "assistant", "content": null, "function_call": {"name": "render_video", "arguments": "{}"}},
      {"role": "function", "name": "render_video", "content": "{\"status\": \"queued\"}"}]')$$,
  $$values (6, 'assistant', null::text, 'render_video'), (7, 'function', '{"status": "queued"}', null)$$,
  'function calls and their results are stored in the seed''s format'
);
select results_eq(
  $$select sequence_order, tool_calls -> 0 ->> 'id', tool_call_id
    from public.append_messages('c0000000-0000-4000-8000-0000000000a1',
    '[{"role": "assistant", "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
      {"role": "tool", "tool_call_id": "call_1", "content": "42"}]')$$,
  $$values (8, 'call_1', null::text), (9, null, 'call_1')$$,
  'tool calls and tool results are stored in today''s format'
);
select throws_ok(
  $$select public.append_messages('c0000000-0000-4000-8000-0000000000a1',
    '[{"role": "user", "content": "fine"}, {"role": "tool", "content": "no call id"}]')$$,
  '23514',
  'new row for relation "conversation_messages" violates check constraint "conversation_messages_tool_has_tool_call_id"',
  'a tool message needs a tool_call_id'
);
select throws_ok(
  $$select public.append_messages('c0000000-0000-4000-8000-0000000000a1', '[{"role": "function", "content": "x"}]')$$,
  '23514',
  'new row for relation "conversation_messages" violates check constraint "conversation_messages_function_has_name"',
  'a function message needs a name'
);
select throws_ok(
  $$select public.append_messages('c0000000-0000-4000-8000-0000000000a1', '[{"role": "user"}]')$$,
  '23514',
  'new row for relation "conversation_messages" violates check constraint "conversation_messages_content_required"',
  'only an assistant message with a call may omit content'
);
select throws_ok(
  $$select public.append_messages('c0000000-0000-4000-8000-0000000000a1',
    '[{"role": "user", "content": "x", "tool_calls": []}]')$$,
  '23514',
  'new row for relation "conversation_messages" violates check constraint "conversation_messages_calls_only_from_assistant"',
  'only the assistant makes calls'
);
select is(
  (select last_sequence from public.conversations where id = 'c0000000-0000-4000-8000-0000000000a1'),
  9,
  'failed appends leave the counter untouched'
);
select results_eq(
  $$select sequence_order from public.conversation_messages
    where conversation_id = 'c0000000-0000-4000-8000-0000000000a1' order by sequence_order$$,
  array[1, 2, 3, 4, 5, 6, 7, 8, 9],
  'the stored messages are numbered 1..9 with no gap and no duplicate'
);
select throws_ok(
  $$select public.append_messages('c0000000-0000-4000-8000-00000000dead', '[{"role": "user", "content": "x"}]')$$,
  'PT404', 'conversation not found',
  'appending to a conversation that does not exist reads the same as one that is not yours'
);

reset role;
select is(
  (select updated_at from public.conversations where id = 'c0000000-0000-4000-8000-0000000000a1'),
  now(),
  'an append moves updated_at'
);

select * from finish();
rollback;
