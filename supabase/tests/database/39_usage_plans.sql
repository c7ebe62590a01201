-- Plans: every user is on default, anonymous users on guest, unless assigned another plan; the
-- service role sets a plan's limits (null: unlimited) and assigns plans.
begin;
select plan(12);

insert into auth.users (id) values
  ('00000000-0000-4000-8000-0000000000a1'),  -- Alice
  ('00000000-0000-4000-8000-0000000000c1');  -- Casey, anonymous

set local role authenticated;
set local request.jwt.claims to '{"sub": "00000000-0000-4000-8000-0000000000a1", "role": "authenticated"}';
select is(public.get_usage_limits() ->> 'plan', 'default', 'a signed-in user is on default');
select is(json_array_length(public.get_usage_limits() -> 'limits'), 3, 'default has three limits out of the box');

set local request.jwt.claims to '{"sub": "00000000-0000-4000-8000-0000000000c1", "role": "authenticated", "is_anonymous": true}';
select is(public.get_usage_limits() ->> 'plan', 'guest', 'an anonymous user is on guest');

set local request.jwt.claims to '{"sub": "00000000-0000-4000-8000-0000000000c1", "role": "authenticated", "is_anonymous": false}';
select is(public.get_usage_limits() ->> 'plan', 'default', 'a user whose token says is_anonymous false is on default');

set local role service_role;
set local request.jwt.claims to '{"role": "service_role"}';
select is((public.set_usage_plan('pro', '{"requests_per_hour": 500, "cost_per_month": 20.5}')).requests_per_day,
          null, 'a new plan''s limits not named are unlimited');
select is((public.set_usage_plan('default', '{"requests_per_hour": 7}')).requests_per_day,
          1000, 'an existing plan keeps the limits not named');
select is((public.set_usage_plan('default', '{"tokens_per_day": null}')).tokens_per_day,
          null, 'null makes a limit unlimited');
select is(tests.error_of($$select public.set_usage_plan('default', '{"requests_per_minute": 1}')$$),
          '22023', 'an unknown limit is refused');
select is(tests.error_of($$select public.set_usage_plan('default', '{"requests_per_hour": 1.5}')$$),
          '22023', 'a request limit is a whole number');
select is(tests.error_of($$select public.assign_usage_plan('00000000-0000-4000-8000-0000000000a1', 'platinum')$$),
          'PT404', 'an unknown plan cannot be assigned');
select public.assign_usage_plan('00000000-0000-4000-8000-0000000000a1', 'pro');

set local role authenticated;
set local request.jwt.claims to '{"sub": "00000000-0000-4000-8000-0000000000a1", "role": "authenticated"}';
select is(public.get_usage_limits() -> 'limits' -> 0 ->> 'quota', '500', 'an assigned plan''s limits apply');

set local role service_role;
set local request.jwt.claims to '{"role": "service_role"}';
select public.assign_usage_plan('00000000-0000-4000-8000-0000000000a1', null);
set local role authenticated;
set local request.jwt.claims to '{"sub": "00000000-0000-4000-8000-0000000000a1", "role": "authenticated"}';
select is(public.get_usage_limits() ->> 'plan', 'default', 'an assignment removed puts the user back on default');

select * from finish();
rollback;
