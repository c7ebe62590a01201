-- The usage ledger's privileges: a user reads their own entries and writes none, directly or through
-- a function; plans, assignments and prices are the service role's alone.
begin;
select plan(17);

insert into auth.users (id) values
  ('00000000-0000-4000-8000-0000000000a1'),  -- Alice
  ('00000000-0000-4000-8000-0000000000b1');  -- Bob
insert into public.usage_ledger (id, user_id, reserved_tokens, service_records) values
  ('e0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1', 100, false),
  ('e0000000-0000-4000-8000-0000000000a2', '00000000-0000-4000-8000-0000000000a1', 100, true),
  ('e0000000-0000-4000-8000-0000000000b1', '00000000-0000-4000-8000-0000000000b1', 100, false);

-- Alice, a signed-in user
set local role authenticated;
set local request.jwt.claims to '{"sub": "00000000-0000-4000-8000-0000000000a1", "role": "authenticated"}';

select is((select count(*)::integer from public.usage_ledger), 2, 'a user reads only their own ledger entries');
select is(tests.error_of($$insert into public.usage_ledger (user_id, reserved_tokens)
                           values ('00000000-0000-4000-8000-0000000000a1', 1)$$),
          '42501', 'a user cannot add a ledger entry');
select is(tests.error_of($$update public.usage_ledger set total_tokens = 0$$),
          '42501', 'a user cannot change a ledger entry');
select is(tests.error_of($$delete from public.usage_ledger$$), '42501', 'a user cannot delete a ledger entry');
select is(tests.error_of($$select * from public.usage_plans$$), '42501', 'a user cannot read plans');
select is(tests.error_of($$select * from public.usage_plan_assignments$$), '42501', 'a user cannot read assignments');
select is(tests.error_of($$insert into public.usage_plan_assignments values ('00000000-0000-4000-8000-0000000000a1', 'default')$$),
          '42501', 'a user cannot assign a plan directly');
select is(tests.error_of($$select public.assign_usage_plan('00000000-0000-4000-8000-0000000000a1', 'default')$$),
          '42501', 'a user cannot assign a plan through a function');
select is(tests.error_of($$select public.set_usage_plan('default', '{"requests_per_hour": null}')$$),
          '42501', 'a user cannot change a plan''s limits');
select is(tests.error_of($$select public.set_model_price('m', '{"output_per_million": 0}')$$),
          '42501', 'a user cannot set a price');
select is(tests.error_of($$select public.record_usage('e0000000-0000-4000-8000-0000000000a2', '{"outputTokens": 0}')$$),
          'PT404', 'a user cannot record an entry reserved for the service role (a chat reply)');
select is(tests.error_of($$select public.record_usage('e0000000-0000-4000-8000-0000000000b1', '{"outputTokens": 0}')$$),
          'PT404', 'a user cannot record another user''s entry');
select is(tests.error_of($$select public.get_usage('00000000-0000-4000-8000-0000000000b1')$$),
          '42501', 'a user cannot read another user''s usage');

-- anon
set local role anon;
set local request.jwt.claims to '{"role": "anon"}';
select is(tests.error_of($$select public.reserve_usage(10)$$), '42501', 'anon cannot reserve');
select is(tests.error_of($$select * from public.usage_ledger$$), '42501', 'anon reads no ledger');

-- A forged role claim in a user's session
set local role authenticated;
set local request.jwt.claims to '{"sub": "00000000-0000-4000-8000-0000000000a1", "role": "service_role"}';
select is(tests.error_of($$select public.record_usage('e0000000-0000-4000-8000-0000000000a2', '{"outputTokens": 0}')$$),
          'PT404', 'a service_role claim in a user''s session does not make the user the service role');

-- The service role
set local role service_role;
set local request.jwt.claims to '{"role": "service_role"}';
select is((select count(*)::integer from public.usage_ledger), 3, 'the service role reads every ledger entry');

select * from finish();
rollback;
