-- Limits and the ledger: reserve_usage counts requests and holds tokens, refuses with 429 codes
-- and the seconds to wait, caps the output at what is left; record_usage settles once with the
-- price of the model; an abandoned reservation is settled with an estimate; erase-all removes
-- the user's entries.
begin;
select plan(22);

insert into auth.users (id) values ('00000000-0000-4000-8000-0000000000a1');  -- Alice
insert into public.conversations (id, user_id, last_sequence) values
  ('c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1', 2);
insert into public.conversation_messages (id, conversation_id, user_id, sequence_order, role, content, status, token_count) values
  ('d0000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1',
   1, 'user', 'Hi', 'completed', 4),
  ('d0000000-0000-4000-8000-000000000002', 'c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1',
   2, 'assistant', 'Hello there', 'in_progress', 6),
  ('d0000000-0000-4000-8000-000000000003', 'c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1',
   3, 'assistant', 'An older reply', 'completed', 9);
-- The third message as a writer that crashed two minutes ago left it (final, silent).
alter table public.conversation_messages disable trigger conversation_messages_touch_updated_at;
update public.conversation_messages set updated_at = now() - interval '2 minutes' where sequence_order = 3;
alter table public.conversation_messages enable trigger conversation_messages_touch_updated_at;
update public.usage_plans set requests_per_hour = 3, requests_per_day = null, tokens_per_day = 1000 where name = 'default';
insert into public.model_prices (model, input_per_million, cached_input_per_million, output_per_million)
values ('priced-model', 2, 1, 8);

set local role authenticated;
set local request.jwt.claims to '{"sub": "00000000-0000-4000-8000-0000000000a1", "role": "authenticated"}';

create temporary table r (name text primary key, value json) on commit drop;
grant select on r to service_role;

insert into r values ('first', public.reserve_usage(600, 'c0000000-0000-4000-8000-0000000000a1',
                                                    'd0000000-0000-4000-8000-000000000002', 'priced-model', true));
select is((select (value ->> 'max_output_tokens')::integer from r where name = 'first'), 600,
          'a reservation within the budget gets the output it asks for');
select is((select json_array_length(value -> 'limits') from r where name = 'first'), 2,
          'the plan''s limits are returned, unlimited ones left out');
select is((select l ->> 'remaining' from r, json_array_elements(r.value -> 'limits') as l
           where r.name = 'first' and l ->> 'policy' = 'requests_per_hour'), '2',
          'what remains counts this request');
select is(public.reserve_usage(600, null, 'd0000000-0000-4000-8000-000000000002') ->> 'reservation_id',
          (select value ->> 'reservation_id' from r where name = 'first'),
          'the same message reserved again is the same reservation (a replay)');

insert into r values ('second', public.reserve_usage(600));
select is((select (value ->> 'max_output_tokens')::integer from r where name = 'second'), 400,
          'the output is capped at what the token budget has left');
select alike(tests.error_of($$select public.reserve_usage(10)$$), 'PT429 quota_exceeded {"limit" : "tokens_per_day", "quota" : 1000, "retry_after" : %}',
          'with no tokens left a reservation is refused: quota_exceeded, with the seconds to wait');

select is(public.record_usage((select (value ->> 'reservation_id')::uuid from r where name = 'second'),
                              '{"inputTokens": 50, "outputTokens": 30, "reasoningTokens": 10}', 'unpriced-model') ->> 'priced',
          'false', 'a model without a price is recorded as not priced');
select is((select l.cost from public.usage_ledger l where l.id = (select (value ->> 'reservation_id')::uuid from r where name = 'second')),
          0::numeric, 'and costs nothing');
select is((select l.total_tokens from public.usage_ledger l where l.id = (select (value ->> 'reservation_id')::uuid from r where name = 'second')),
          80, 'the total defaults to input plus output');
select is(public.record_usage((select (value ->> 'reservation_id')::uuid from r where name = 'second'),
                              '{"outputTokens": 0}') ->> 'output_tokens',
          '30', 'recording a settled entry again changes nothing');
select is(tests.error_of($$select public.record_usage(gen_random_uuid(), '{"outputTokens": -1}')$$),
          '22023', 'a negative count is refused');
select is(tests.error_of($$select public.record_usage(gen_random_uuid(), '{"promptTokens": 1}')$$),
          '22023', 'an unknown count is refused');

-- The second call settled at 80 of its 400 tokens: 600 reserved + 80 used = 680 of 1000.
insert into r values ('third', public.reserve_usage(1000, p_message_id => 'd0000000-0000-4000-8000-000000000003'));
select is((select (value ->> 'max_output_tokens')::integer from r where name = 'third'), 320,
          'tokens a settled call did not use are available again');
select alike(tests.error_of($$select public.reserve_usage(1)$$),
            'PT429 rate_limited {"limit" : "requests_per_hour", "quota" : 3, "retry_after" : %}',
            'the fourth request of the hour is refused: rate_limited, with the seconds to wait');
select ok((select (tests.error_of($$select public.reserve_usage(1)$$) ~ '"retry_after" : ([1-9][0-9]*)}$')),
          'retry_after is a positive number of seconds');

-- The service role settles chat's reply, replacing nothing once settled.
set local role service_role;
set local request.jwt.claims to '{"role": "service_role"}';
select is(public.record_usage((select (value ->> 'reservation_id')::uuid from r where name = 'first'),
                              '{"inputTokens": 1000000, "cachedInputTokens": 500000, "outputTokens": 250000}') ->> 'cost',
          '3.5000000000', 'the cost is the model''s prices per million: cached input at its own price');

-- The third reservation's reply is final and silent, and never reported: the next reservation
-- settles it with an estimate.
reset role;
update public.usage_plans set requests_per_hour = null, tokens_per_day = null where name = 'default';
set local role authenticated;
set local request.jwt.claims to '{"sub": "00000000-0000-4000-8000-0000000000a1", "role": "authenticated"}';
select lives_ok($$select public.reserve_usage(1)$$, 'with the limits lifted a request is served');
select is((select array[l.status, l.estimated::text, l.output_tokens::text] from public.usage_ledger l
           where l.id = (select (value ->> 'reservation_id')::uuid from r where name = 'third')),
          array['settled', 'true', '9'], 'an abandoned reservation is settled with the reply''s token count, marked estimated');

select is(conversation_store.reply_usage('d0000000-0000-4000-8000-000000000002'),
          '{"model": "priced-model", "usage": {"inputTokens": 1000000, "outputTokens": 250000, "totalTokens": 1250000, "cachedInputTokens": 500000}}'::jsonb,
          'a reply''s model and usage are read with it');
select is((public.get_usage() -> 'usage' -> 'day' ->> 'requests')::integer, 4, 'get_usage counts the day''s requests');

select is((select deleted_conversations from public.delete_all_conversations()), 1, 'erase-all deletes the conversations');
select is((select count(*)::integer from public.usage_ledger), 0, 'and the user''s ledger entries');

select * from finish();
rollback;
