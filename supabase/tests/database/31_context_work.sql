-- get_context's work per call is bounded by its token budget, also for messages of many parts that
-- a model does not read (issue 26): every part costs at least a token, so a window of 16,000 tokens
-- reads at most 16 messages of 1,000 parts, however many such messages the conversation holds.
begin;
select plan(3);

insert into auth.users (id) values ('00000000-0000-4000-8000-0000000000a1');
insert into public.conversations (id, user_id, expires_at) values
  ('c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1', null);

-- ---------------------------------------------------------------- as Alice
set local role authenticated;
set local request.jwt.claims to '{"sub": "00000000-0000-4000-8000-0000000000a1", "role": "authenticated"}';

select public.append_messages('c0000000-0000-4000-8000-0000000000a1', jsonb_build_array(jsonb_build_object(
  'role', case when n % 2 = 1 then 'user' else 'assistant' end,
  'parts', '[{"type": "text", "text": "hello"}]'::jsonb
    || (select jsonb_agg(jsonb_build_object('type', 'data', 'name', 'd', 'data', k)) from generate_series(1, 999) as k))))
from generate_series(1, 40) as n;

select cmp_ok(
  (select min(m.token_count) from public.conversation_messages m where m.conversation_id = 'c0000000-0000-4000-8000-0000000000a1'),
  '>=', 1000, 'a message of 1,000 parts costs at least 1,000 tokens, though a model reads one word of it');
select cmp_ok(
  json_array_length(public.get_context('c0000000-0000-4000-8000-0000000000a1', 16000, 1000, 'ui') -> 'messages'),
  '<=', 16, 'a window of 16,000 tokens holds at most 16 of them');
select is(
  (public.get_context('c0000000-0000-4000-8000-0000000000a1', 16000, 1000, 'ui') ->> 'has_earlier')::boolean,
  true, 'and says the older ones were left out');

select * from finish();
rollback;
