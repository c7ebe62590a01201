-- Usage reports: a reply's model and usage beside the message in every history format (the user's
-- own only), and the service role's totals per day and model.
begin;
select plan(7);

insert into auth.users (id) values
  ('00000000-0000-4000-8000-0000000000a1'),  -- Alice
  ('00000000-0000-4000-8000-0000000000b1');  -- Bob
insert into public.conversations (id, user_id, last_sequence) values
  ('c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1', 2);
insert into public.conversation_messages (id, conversation_id, user_id, sequence_order, role, content, status, token_count) values
  ('d0000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1',
   1, 'user', 'Hi', 'completed', 4),
  ('d0000000-0000-4000-8000-000000000002', 'c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1',
   2, 'assistant', 'Hello', 'completed', 4);
insert into public.usage_ledger (user_id, conversation_id, message_id, model, status, reserved_tokens,
                                 input_tokens, output_tokens, total_tokens, estimated, settled_at) values
  ('00000000-0000-4000-8000-0000000000a1', 'c0000000-0000-4000-8000-0000000000a1',
   'd0000000-0000-4000-8000-000000000002', 'gpt-test', 'settled', 100, 12, 3, 15, true, now()),
  ('00000000-0000-4000-8000-0000000000b1', null, null, 'gpt-test', 'settled', 100, 1, 1, 2, false, now());

set local role authenticated;
set local request.jwt.claims to '{"sub": "00000000-0000-4000-8000-0000000000a1", "role": "authenticated"}';

select is(
  (select conversation_store.with_reply_usage(json_build_object('role', 'assistant', 'metadata', json_build_object('a', 1)), m, true)::jsonb
   from public.conversation_messages m where m.sequence_order = 2),
  '{"role": "assistant", "metadata": {"a": 1, "model": "gpt-test", "usage": {"inputTokens": 12, "outputTokens": 3, "totalTokens": 15, "estimated": true}}}'::jsonb,
  'format ui: a reply''s model and usage join its metadata'
);
select is(
  (select conversation_store.with_reply_usage(conversation_store.message_json(m), m, false)::jsonb -> 'usage' ->> 'totalTokens'
   from public.conversation_messages m where m.sequence_order = 2),
  '15', 'format rows: usage beside the message''s fields'
);
select is(
  (select conversation_store.with_reply_usage(conversation_store.message_json(m), m, false)::jsonb ? 'usage'
   from public.conversation_messages m where m.sequence_order = 1),
  false, 'a user message carries no usage'
);
select is(
  (select conversation_store.with_reply_usage('{"role": "tool", "content": "x"}', m, false)::jsonb
   from public.conversation_messages m where m.sequence_order = 2),
  '{"role": "tool", "content": "x"}'::jsonb, 'format openai: a tool message an assistant row stands for carries none'
);

set local request.jwt.claims to '{"sub": "00000000-0000-4000-8000-0000000000b1", "role": "authenticated"}';
select is(conversation_store.reply_usage('d0000000-0000-4000-8000-000000000002'), null,
          'another user''s reply usage is not read');

set local role service_role;
set local request.jwt.claims to '{"role": "service_role"}';
select is((public.get_usage() -> 'days' -> 0 ->> 'requests')::integer, 2, 'the service role totals every user''s calls per day and model');
select is((public.get_usage('00000000-0000-4000-8000-0000000000b1') -> 'usage' -> 'day' ->> 'tokens')::integer, 2,
          'the service role reads one user''s usage');

select * from finish();
rollback;
