-- Reading and managing usage (issue 28): get_usage for the get-usage function (a user's own usage
-- with their plan's limits; the service role's view of any user, or totals per day and model), the
-- service role's management of plans, assignments and prices (update-usage-limits). Erase-all
-- removes a user's ledger entries (20261207000800_erase_all.sql); retention leaves them: they are
-- billing records, and purge_expired_conversations never reads the ledger.

-- Input: p_user_id (a user: their own id or none; the service role: any user, or none for every
--   user), p_days (1 … 366, the service role's totals).
-- Guarantees: for one user `{ user_id, plan, limits, remaining, reset_seconds, usage, models }`:
--   the plan's limits (null: unlimited), what is left and when each window resets; requests,
--   tokens (settled totals, and tokens still reserved) and cost in the current UTC hour, day and
--   month; the month per model. For the service role without a user: `{ days }`, totals per UTC day
--   and model over the last p_days days, newest first. Reads only.
-- Errors: 42501 not authenticated, or a user naming someone else; 22023 p_days out of range.
-- Security definer because users cannot read plans or assignments; the user comes from the JWT.
create function public.get_usage(p_user_id uuid default null, p_days integer default 30)
returns json
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_user uuid := conversation_store.acting_user(p_user_id);
  v_hour timestamptz := date_trunc('hour', now(), 'UTC');
  v_day timestamptz := date_trunc('day', now(), 'UTC');
  v_month timestamptz := date_trunc('month', now(), 'UTC');
begin
  if p_days is null or p_days not between 1 and 366 then
    raise exception 'p_days must be from 1 to 366' using errcode = '22023';
  end if;
  if v_user is null then
    return json_build_object('days', coalesce((
      select json_agg(json_build_object(
               'day', t.day, 'model', t.model, 'requests', t.requests, 'users', t.users,
               'input_tokens', t.input_tokens, 'cached_input_tokens', t.cached_input_tokens,
               'output_tokens', t.output_tokens, 'reasoning_tokens', t.reasoning_tokens,
               'total_tokens', t.total_tokens, 'reserved_tokens', t.reserved_tokens, 'cost', t.cost)
             order by t.day desc, t.model nulls last)
      from (
        select (date_trunc('day', l.created_at, 'UTC') at time zone 'UTC')::date as day, l.model,
               count(*) as requests, count(distinct l.user_id) as users,
               coalesce(sum(l.input_tokens), 0) as input_tokens,
               coalesce(sum(l.cached_input_tokens), 0) as cached_input_tokens,
               coalesce(sum(l.output_tokens), 0) as output_tokens,
               coalesce(sum(l.reasoning_tokens), 0) as reasoning_tokens,
               coalesce(sum(l.total_tokens), 0) as total_tokens,
               coalesce(sum(l.reserved_tokens) filter (where l.status = 'reserved'), 0) as reserved_tokens,
               sum(l.cost) as cost
        from public.usage_ledger as l
        where l.created_at >= v_day - (p_days - 1) * interval '1 day'
        group by 1, 2
      ) as t), '[]'));
  end if;

  return (
    with allowance as (select * from conversation_store.usage_allowance(v_user)),
    month as (select * from public.usage_ledger as l where l.user_id = v_user and l.created_at >= v_month),
    windows as (
      select w.name, count(m.id) as requests, coalesce(sum(m.total_tokens), 0) as tokens,
             coalesce(sum(m.reserved_tokens) filter (where m.status = 'reserved'), 0) as reserved_tokens,
             coalesce(sum(m.cost), 0) as cost
      from (values ('hour', v_hour), ('day', v_day), ('month', v_month)) as w(name, starts)
      left join month as m on m.created_at >= w.starts
      group by w.name
    )
    select json_build_object(
      'user_id', v_user,
      'plan', (select min(a.plan) from allowance as a),
      'limits', (select json_object_agg(a.policy, a.quota) from allowance as a),
      'remaining', (select json_object_agg(a.policy, a.remaining) from allowance as a),
      'reset_seconds', (select json_object_agg(a.policy, a.reset_seconds) from allowance as a),
      'usage', (select json_object_agg(w.name, json_build_object(
                  'requests', w.requests, 'tokens', w.tokens, 'reserved_tokens', w.reserved_tokens, 'cost', w.cost))
                from windows as w),
      'models', coalesce((
        select json_agg(json_build_object(
                 'model', t.model, 'requests', t.requests, 'input_tokens', t.input_tokens,
                 'cached_input_tokens', t.cached_input_tokens, 'output_tokens', t.output_tokens,
                 'reasoning_tokens', t.reasoning_tokens, 'total_tokens', t.total_tokens,
                 'cost', t.cost, 'priced', t.priced)
               order by t.requests desc, t.model nulls last)
        from (
          select m.model, count(*) as requests,
                 coalesce(sum(m.input_tokens), 0) as input_tokens,
                 coalesce(sum(m.cached_input_tokens), 0) as cached_input_tokens,
                 coalesce(sum(m.output_tokens), 0) as output_tokens,
                 coalesce(sum(m.reasoning_tokens), 0) as reasoning_tokens,
                 coalesce(sum(m.total_tokens), 0) as total_tokens,
                 sum(m.cost) as cost, bool_and(m.priced) filter (where m.status = 'settled') as priced
          from month as m
          group by m.model
        ) as t), '[]')));
end;
$$;

revoke all on function public.get_usage(uuid, integer) from public, anon, authenticated, service_role;
grant execute on function public.get_usage(uuid, integer) to authenticated, service_role;

-- Input: a plan's name (a-z, 0-9, _ and -, up to 50) and limits `{ requests_per_hour?,
--   requests_per_day?, tokens_per_day?, cost_per_month? }`: a number (0 or more, whole but for the
--   cost) or null (unlimited).
-- Guarantees: the plan exists afterwards with the limits given (a new plan's others unlimited, an
--   existing plan's others unchanged); returns it. Takes effect at the next reservation.
-- Errors: 42501 not the service role (and users have no execute grant); 22023 an unknown key or a
--   value out of range.
create function public.set_usage_plan(p_plan text, p_limits jsonb)
returns public.usage_plans
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_plan public.usage_plans;
begin
  if not conversation_store.caller_is_service_role() then
    raise exception 'only the service role manages plans' using errcode = '42501';
  end if;
  if p_plan is null or p_plan !~ '^[a-z0-9_-]{1,50}$' then
    raise exception 'a plan name is 1 to 50 of a-z, 0-9, _ and -' using errcode = '22023';
  end if;
  -- A request limit past an integer fails its cast below (22003), a cost past numeric(14, 6) its column.
  perform conversation_store.check_numbers(p_limits, 'p_limits',
    array['requests_per_hour', 'requests_per_day', 'tokens_per_day', 'cost_per_month'],
    array['requests_per_hour', 'requests_per_day', 'tokens_per_day'], 1e15, true);

  insert into public.usage_plans as p (name, requests_per_hour, requests_per_day, tokens_per_day, cost_per_month)
  values (p_plan, (p_limits ->> 'requests_per_hour')::integer, (p_limits ->> 'requests_per_day')::integer,
          (p_limits ->> 'tokens_per_day')::bigint, (p_limits ->> 'cost_per_month')::numeric)
  on conflict (name) do update
  set requests_per_hour = case when p_limits ? 'requests_per_hour' then excluded.requests_per_hour
                               else p.requests_per_hour end,
      requests_per_day = case when p_limits ? 'requests_per_day' then excluded.requests_per_day
                              else p.requests_per_day end,
      tokens_per_day = case when p_limits ? 'tokens_per_day' then excluded.tokens_per_day else p.tokens_per_day end,
      cost_per_month = case when p_limits ? 'cost_per_month' then excluded.cost_per_month else p.cost_per_month end,
      updated_at = now()
  returning * into v_plan;
  return v_plan;
end;
$$;

revoke all on function public.set_usage_plan(text, jsonb) from public, anon, authenticated, service_role;
grant execute on function public.set_usage_plan(text, jsonb) to service_role;

-- Input: a user and a plan's name, or null to put the user back on default (guest when anonymous).
-- Guarantees: the user is on that plan from the next reservation; returns the plan assigned (null:
--   none, the user is on default, or guest when anonymous).
-- Errors: 42501 not the service role; PT404 no such plan; 23503 no such user.
create function public.assign_usage_plan(p_user_id uuid, p_plan text)
returns text
language plpgsql
volatile
set search_path = ''
as $$
begin
  if not conversation_store.caller_is_service_role() then
    raise exception 'only the service role assigns plans' using errcode = '42501';
  end if;
  if p_user_id is null then
    raise exception 'name the user in p_user_id' using errcode = '22023';
  end if;
  if p_plan is null then
    delete from public.usage_plan_assignments as a where a.user_id = p_user_id;
  else
    perform from public.usage_plans as p where p.name = p_plan;
    if not found then
      raise exception 'plan % not found', p_plan using errcode = 'PT404';
    end if;
    insert into public.usage_plan_assignments as a (user_id, plan) values (p_user_id, p_plan)
    on conflict (user_id) do update set plan = excluded.plan, assigned_at = now();
  end if;
  return p_plan;
end;
$$;

revoke all on function public.assign_usage_plan(uuid, text) from public, anon, authenticated, service_role;
grant execute on function public.assign_usage_plan(uuid, text) to service_role;

-- Input: a model id and its prices `{ input_per_million?, cached_input_per_million?,
--   output_per_million? }` (0 or more; absent: 0 for a new model, unchanged otherwise), or null
--   prices to remove the model's price (its calls then cost 0, priced false).
-- Guarantees: entries settled from now on use these prices; settled entries keep their cost.
-- Errors: 42501 not the service role; 22023 an unknown key or a value out of range.
create function public.set_model_price(p_model text, p_prices jsonb)
returns public.model_prices
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_price public.model_prices;
begin
  if not conversation_store.caller_is_service_role() then
    raise exception 'only the service role sets prices' using errcode = '42501';
  end if;
  if p_model is null or char_length(p_model) not between 1 and 200 then
    raise exception 'a model id is 1 to 200 characters' using errcode = '22023';
  end if;
  if p_prices is null then
    delete from public.model_prices as p where p.model = p_model returning * into v_price;
    return v_price;
  end if;
  perform conversation_store.check_numbers(p_prices, 'p_prices',
    array['input_per_million', 'cached_input_per_million', 'output_per_million'], '{}', 1e8, false);
  insert into public.model_prices as p (model, input_per_million, cached_input_per_million, output_per_million)
  values (p_model, coalesce((p_prices ->> 'input_per_million')::numeric, 0),
          coalesce((p_prices ->> 'cached_input_per_million')::numeric, 0),
          coalesce((p_prices ->> 'output_per_million')::numeric, 0))
  on conflict (model) do update
  set input_per_million = coalesce((p_prices ->> 'input_per_million')::numeric, p.input_per_million),
      cached_input_per_million = coalesce((p_prices ->> 'cached_input_per_million')::numeric,
                                          p.cached_input_per_million),
      output_per_million = coalesce((p_prices ->> 'output_per_million')::numeric, p.output_per_million),
      updated_at = now()
  returning * into v_price;
  return v_price;
end;
$$;

revoke all on function public.set_model_price(text, jsonb) from public, anon, authenticated, service_role;
grant execute on function public.set_model_price(text, jsonb) to service_role;
