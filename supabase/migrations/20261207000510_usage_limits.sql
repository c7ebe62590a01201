-- Limits enforced where they cannot be raced (issue 28): the check and the reservation of a model
-- call happen in the transaction that stores the turn, under a per-user lock, so that with 3
-- requests left, 20 simultaneous requests start exactly 3 replies. Counters kept in application code
-- or a cache overshoot under concurrency; a limit here is exact.
--
--   * public.reserve_usage: before the model is called: checks the caller's plan, records a
--     reserved ledger entry, and returns the reply's maxOutputTokens (at most what the token budget
--     has left). Over a limit it raises PT429 (hint rate_limited or quota_exceeded, DETAIL with
--     retry_after seconds), which rolls back the whole turn: nothing is stored.
--   * public.record_usage: after the call: settles the entry with the usage the provider reported.
--   * Entries whose call never reported (a crashed instance; a reply taken over) are settled with
--     the store's estimate at the user's next reservation, marked estimated.
--   * public.get_usage_limits: the caller's plan, what each limit allows and what is left (chat's
--     RateLimit header fields).

-- Input: a user. Guarantees: the name of the user's plan: the one assigned, else `guest` for an
--   anonymous user (the is_anonymous claim of the caller's verified JWT, or Supabase Auth's
--   auth.users.is_anonymous where that column exists), else `default`.
create function conversation_store.usage_plan_of(p_user_id uuid)
returns text
language sql
stable
set search_path = ''
as $$
  select coalesce(
    (select a.plan from public.usage_plan_assignments as a where a.user_id = p_user_id),
    case
      when (p_user_id = auth.uid() and auth.jwt() ->> 'is_anonymous' = 'true')
        -- to_jsonb: the column is Supabase Auth's, and absent from a bare auth.users.
        or exists (select from auth.users as u where u.id = p_user_id and to_jsonb(u) ->> 'is_anonymous' = 'true')
      then 'guest'
      else 'default'
    end)
$$;

revoke all on function conversation_store.usage_plan_of(uuid) from public, anon, authenticated, service_role;

-- Input: a model and token counts. Guarantees: the cost from public.model_prices (prices per
--   million tokens; cached input at its own price), and whether the model has a price (no price: 0).
create function conversation_store.usage_cost(
  p_model text,
  p_input_tokens integer,
  p_cached_input_tokens integer,
  p_output_tokens integer,
  out cost numeric,
  out priced boolean
)
language sql
stable
set search_path = ''
as $$
  select coalesce((greatest(coalesce(p_input_tokens, 0) - coalesce(p_cached_input_tokens, 0), 0) * p.input_per_million
                   + coalesce(p_cached_input_tokens, 0) * p.cached_input_per_million
                   + coalesce(p_output_tokens, 0) * p.output_per_million) / 1000000, 0),
         p.model is not null
  from (select) as one
  left join public.model_prices as p on p.model = p_model
$$;

revoke all on function conversation_store.usage_cost(text, integer, integer, integer) from public, anon, authenticated, service_role;

-- Input: a user. Guarantees: one row per limit of the user's plan (requests_per_hour,
--   requests_per_day, tokens_per_day, cost_per_month; quota null when unlimited): what was used in
--   the current UTC hour, day or month, what is left, the window's length and the seconds until it
--   resets. A reserved entry counts its reserved tokens, a settled one its total tokens.
create function conversation_store.usage_allowance(p_user_id uuid)
returns table (
  plan text,
  policy text,
  code text,
  quota numeric,
  used numeric,
  remaining numeric,
  window_seconds integer,
  reset_seconds integer
)
language plpgsql
stable
set search_path = ''
as $$
declare
  v_plan public.usage_plans;
  v_hour timestamptz := date_trunc('hour', now(), 'UTC');
  v_day timestamptz := date_trunc('day', now(), 'UTC');
  v_month timestamptz := date_trunc('month', now(), 'UTC');
  v_used record;
begin
  select * into v_plan from public.usage_plans as p where p.name = conversation_store.usage_plan_of(p_user_id);
  select count(*) filter (where l.created_at >= v_hour) as hour_requests,
         count(*) filter (where l.created_at >= v_day) as day_requests,
         coalesce(sum(case when l.status = 'reserved' then l.reserved_tokens else coalesce(l.total_tokens, 0) end)
                    filter (where l.created_at >= v_day), 0) as day_tokens,
         coalesce(sum(l.cost), 0) as month_cost
  into v_used
  from public.usage_ledger as l
  where l.user_id = p_user_id
    -- The month is read only when a cost budget needs it.
    and l.created_at >= case when v_plan.cost_per_month is null then v_day else v_month end;

  return query
  select v_plan.name, w.policy, w.code, w.quota, w.used,
         case when w.quota is null then null else greatest(w.quota - w.used, 0) end,
         extract(epoch from w.length)::integer,
         greatest(ceil(extract(epoch from w.starts + w.length - now())), 1)::integer
  from (values
    ('requests_per_hour', 'rate_limited', v_plan.requests_per_hour::numeric, v_used.hour_requests::numeric,
     v_hour, interval '1 hour'),
    ('requests_per_day', 'rate_limited', v_plan.requests_per_day::numeric, v_used.day_requests::numeric,
     v_day, interval '1 day'),
    ('tokens_per_day', 'quota_exceeded', v_plan.tokens_per_day::numeric, v_used.day_tokens::numeric,
     v_day, interval '1 day'),
    ('cost_per_month', 'quota_exceeded', v_plan.cost_per_month, v_used.month_cost,
     v_month, (v_month + interval '1 month') - v_month)
  ) as w(policy, code, quota, used, starts, length);
end;
$$;

revoke all on function conversation_store.usage_allowance(uuid) from public, anon, authenticated, service_role;

-- Input: a user. Guarantees: the user's reserved entries whose call can no longer report are
--   settled with the store's estimate, marked estimated: an entry of a message that is gone, or
--   final and silent for conversation_store.stale_reply_after() (its writer crashed, or the reply
--   was taken over), or of no message and reserved an hour ago (an app's call never recorded).
--   The estimate is the reply's token count (or the reserved tokens); the input is unknown (null).
create function conversation_store.settle_abandoned_usage(p_user_id uuid)
returns void
language sql
volatile
set search_path = ''
as $$
  with abandoned as (
    select l.id, coalesce(m.token_count, l.reserved_tokens) as output_tokens, l.model
    from public.usage_ledger as l
    left join public.conversation_messages as m on m.id = l.message_id
    where l.user_id = p_user_id and l.status = 'reserved'
      and case
        when l.message_id is null then l.created_at < now() - interval '1 hour'
        else m.id is null
          or (m.status <> 'in_progress' and m.updated_at < now() - conversation_store.stale_reply_after())
      end
  )
  update public.usage_ledger as l
  set status = 'settled', settled_at = now(), estimated = true,
      output_tokens = a.output_tokens, total_tokens = a.output_tokens,
      cost = c.cost, priced = c.priced
  from abandoned as a
  cross join lateral conversation_store.usage_cost(a.model, null, null, a.output_tokens) as c
  where l.id = a.id
$$;

revoke all on function conversation_store.settle_abandoned_usage(uuid) from public, anon, authenticated, service_role;

-- Input: nothing; reads the caller.
-- Guarantees: the caller's plan and its limits as JSON
--   `{ plan, limits: [{ policy, quota, remaining, window_seconds, reset_seconds }] }`, unlimited
--   ones left out. Reads only.
-- Errors: 42501 not a signed-in user.
-- Security definer because users cannot read plans or assignments.
create function public.get_usage_limits()
returns json
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_user uuid := auth.uid();
begin
  if v_user is null or conversation_store.caller_is_service_role() then
    raise exception 'get_usage_limits answers a signed-in user' using errcode = '42501';
  end if;
  return (
    select json_build_object(
      'plan', min(a.plan),
      'limits', coalesce(json_agg(json_build_object(
        'policy', a.policy, 'quota', a.quota, 'remaining', a.remaining,
        'window_seconds', a.window_seconds, 'reset_seconds', a.reset_seconds)) filter (where a.quota is not null), '[]'))
    from conversation_store.usage_allowance(v_user) as a);
end;
$$;

revoke all on function public.get_usage_limits() from public, anon, authenticated, service_role;
grant execute on function public.get_usage_limits() to authenticated;

-- Input: p_max_output_tokens, the most output the call may produce (1 … 100,000,000); optionally
--   the conversation and the message (public.conversation_messages.id, e.g. the reply in progress)
--   the call answers, the model id, and p_service_records (only the service role may then record
--   the usage: chat's replies, so that a user cannot report less than the provider did).
-- Guarantees: under a lock on the caller's usage (so concurrent reservations are counted one after
--   the other), settles abandoned entries, checks every limit of the caller's plan, and records a
--   reserved entry holding the granted output tokens: min(p_max_output_tokens, the token budget
--   left). Returns `{ reservation_id, max_output_tokens, plan, limits }` (limits as
--   get_usage_limits, counting this call). The same message reserved again returns its entry and
--   counts nothing (a replay).
-- Errors: 42501 not a signed-in user; 22023 p_max_output_tokens out of range; PT404 conversation
--   or message not found or not the caller's; PT429 over a limit: hint rate_limited (requests) or
--   quota_exceeded (tokens, cost), DETAIL `{ "limit", "quota", "retry_after" }` (seconds until the
--   window resets).
-- Security definer because users cannot write the ledger or read plans.
create function public.reserve_usage(
  p_max_output_tokens integer,
  p_conversation_id uuid default null,
  p_message_id uuid default null,
  p_model text default null,
  p_service_records boolean default false
)
returns json
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_user uuid := auth.uid();
  v_conversation uuid := p_conversation_id;
  v_existing public.usage_ledger;
  v_limit record;
  v_grant integer := p_max_output_tokens;
  v_limits json[] := '{}';
  v_plan text;
  v_id uuid;
begin
  if v_user is null or conversation_store.caller_is_service_role() then
    raise exception 'reserve_usage is called as the signed-in user' using errcode = '42501';
  end if;
  if p_max_output_tokens is null or p_max_output_tokens not between 1 and 100000000 then
    raise exception 'p_max_output_tokens must be from 1 to 100000000' using errcode = '22023';
  end if;
  if char_length(p_model) > 200 then
    raise exception 'p_model is longer than 200 characters' using errcode = '22023';
  end if;
  if p_message_id is not null then
    select m.conversation_id into v_conversation
    from public.conversation_messages as m
    where m.id = p_message_id and m.user_id = v_user
      and (p_conversation_id is null or m.conversation_id = p_conversation_id);
    if not found then
      raise exception 'message not found' using errcode = 'PT404';
    end if;
  elsif p_conversation_id is not null then
    perform from public.conversations as c
    where c.id = p_conversation_id and conversation_store.caller_reaches(c);
    if not found then
      raise exception 'conversation not found' using errcode = 'PT404';
    end if;
  end if;

  -- One transaction at a time per user from here to its commit: the next one counts this one's entry.
  perform pg_advisory_xact_lock(hashtextextended('conversation_store.usage:' || v_user::text, 0));

  if p_message_id is not null then
    select * into v_existing from public.usage_ledger as l where l.message_id = p_message_id;
    if found then
      return json_build_object('reservation_id', v_existing.id, 'max_output_tokens', v_existing.reserved_tokens,
                               'plan', conversation_store.usage_plan_of(v_user), 'limits', '[]'::json);
    end if;
  end if;

  perform conversation_store.settle_abandoned_usage(v_user);

  for v_limit in select * from conversation_store.usage_allowance(v_user) as a order by a.window_seconds loop
    v_plan := v_limit.plan;
    continue when v_limit.quota is null;
    if v_limit.code = 'rate_limited' and v_limit.remaining < 1
       or v_limit.code = 'quota_exceeded' and v_limit.remaining <= 0 then
      raise exception 'over the % limit of the plan %', v_limit.policy, v_limit.plan
        using errcode = 'PT429', hint = v_limit.code,
              detail = json_build_object('limit', v_limit.policy, 'quota', v_limit.quota,
                                         'retry_after', v_limit.reset_seconds)::text;
    end if;
    if v_limit.policy = 'tokens_per_day' then
      v_grant := least(v_grant, v_limit.remaining)::integer;
    end if;
    v_limits := v_limits || json_build_object(
      'policy', v_limit.policy, 'quota', v_limit.quota,
      'remaining', v_limit.remaining - case v_limit.policy when 'tokens_per_day' then v_grant
                                                          when 'cost_per_month' then 0 else 1 end,
      'window_seconds', v_limit.window_seconds, 'reset_seconds', v_limit.reset_seconds);
  end loop;

  insert into public.usage_ledger (user_id, conversation_id, message_id, model, reserved_tokens, service_records)
  values (v_user, v_conversation, p_message_id, p_model, v_grant, coalesce(p_service_records, false))
  returning id into v_id;

  return json_build_object('reservation_id', v_id, 'max_output_tokens', v_grant, 'plan', v_plan,
                           'limits', array_to_json(v_limits));
end;
$$;

revoke all on function public.reserve_usage(integer, uuid, uuid, text, boolean) from public, anon, authenticated, service_role;
grant execute on function public.reserve_usage(integer, uuid, uuid, text, boolean) to authenticated;

-- Input: a JSON argument (named p_name in messages), the keys it may have, those whose values must
--   be whole numbers, the largest value allowed, and whether a value may be null.
-- Guarantees: returns when p_value is an object of those keys with numbers from 0 to p_max.
-- Errors: 22023 naming the argument and the key, otherwise.
create function conversation_store.check_numbers(
  p_value jsonb,
  p_name text,
  p_keys text[],
  p_whole_keys text[],
  p_max numeric,
  p_nullable boolean
)
returns void
language plpgsql
immutable
set search_path = ''
as $$
declare
  v_key text;
  v_value jsonb;
begin
  if jsonb_typeof(p_value) is distinct from 'object' then
    raise exception '% must be an object of numbers', p_name using errcode = '22023';
  end if;
  for v_key, v_value in select * from jsonb_each(p_value) loop
    if not v_key = any(p_keys) then
      raise exception '% has an unknown key %', p_name, v_key using errcode = '22023';
    end if;
    continue when v_value = 'null'::jsonb and p_nullable;
    if jsonb_typeof(v_value) <> 'number' or v_value::numeric not between 0 and p_max
       or (v_key = any(p_whole_keys) and v_value::numeric <> trunc(v_value::numeric)) then
      raise exception '%.% must be a % from 0 to %', p_name, v_key,
        case when v_key = any(p_whole_keys) then 'whole number' else 'number' end, p_max
        using errcode = '22023';
    end if;
  end loop;
end;
$$;

revoke all on function conversation_store.check_numbers(jsonb, text, text[], text[], numeric, boolean)
  from public, anon, authenticated, service_role;
-- set_usage_plan and set_model_price run as the service role.
grant execute on function conversation_store.check_numbers(jsonb, text, text[], text[], numeric, boolean) to service_role;

-- Input: a reservation (reserve_usage's reservation_id); the usage the provider reported, in the AI
--   SDK's names: `{ inputTokens?, outputTokens?, totalTokens?, reasoningTokens?, cachedInputTokens? }`
--   (whole numbers from 0 to 2^31-1; totalTokens defaults to input + output); the model id (else
--   the reserved one); p_estimated when the counts are an estimate (a reply stopped before the
--   provider reported); optionally the message the call produced, when the reservation named none.
-- Guarantees: the entry is settled once with these counts and their cost (public.model_prices at
--   this moment; priced false and cost 0 for a model without a price) and returned as JSON. A user
--   records only their own entries not reserved for the service role, once: recording a settled
--   entry again returns it unchanged. The service role may record any entry, and replaces an
--   estimate (its own or the store's) with reported counts.
-- Errors: 42501 not signed in; 22023 usage not an object of those counts; PT404 no such entry
--   of the caller's (or one reserved for the service role), or no such message of its user.
-- Security definer because users cannot write the ledger.
create function public.record_usage(
  p_reservation_id uuid,
  p_usage jsonb,
  p_model text default null,
  p_estimated boolean default false,
  p_message_id uuid default null
)
returns json
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_service boolean := conversation_store.caller_is_service_role();
  v_entry public.usage_ledger;
  v_input integer;
  v_cached integer;
  v_output integer;
  v_cost record;
begin
  if not v_service and auth.uid() is null then
    raise exception 'not authenticated' using errcode = '42501';
  end if;
  perform conversation_store.check_numbers(
    p_usage, 'p_usage', c.counts, c.counts, 2147483647, true)
  from (select array['inputTokens', 'outputTokens', 'totalTokens', 'reasoningTokens', 'cachedInputTokens'] as counts) as c;
  if char_length(p_model) > 200 then
    raise exception 'p_model is longer than 200 characters' using errcode = '22023';
  end if;

  select * into v_entry from public.usage_ledger as l
  where l.id = p_reservation_id
    and (v_service or (l.user_id = auth.uid() and not l.service_records))
  for update;
  if not found then
    raise exception 'usage reservation not found' using errcode = 'PT404';
  end if;
  if v_entry.status = 'settled' and not (v_service and v_entry.estimated) then
    return row_to_json(v_entry);
  end if;
  if p_message_id is not null and p_message_id is distinct from v_entry.message_id then
    if v_entry.message_id is not null or not exists (
      select from public.conversation_messages as m where m.id = p_message_id and m.user_id = v_entry.user_id
    ) then
      raise exception 'message not found' using errcode = 'PT404';
    end if;
  end if;

  v_input := (p_usage ->> 'inputTokens')::integer;
  v_cached := (p_usage ->> 'cachedInputTokens')::integer;
  v_output := (p_usage ->> 'outputTokens')::integer;
  select * into v_cost
  from conversation_store.usage_cost(coalesce(p_model, v_entry.model), v_input, v_cached, v_output);

  update public.usage_ledger as l
  set status = 'settled', settled_at = now(), estimated = coalesce(p_estimated, false),
      model = coalesce(p_model, l.model),
      message_id = coalesce(l.message_id, p_message_id),
      conversation_id = coalesce(l.conversation_id,
                                 (select m.conversation_id from public.conversation_messages as m
                                  where m.id = p_message_id)),
      input_tokens = v_input, cached_input_tokens = v_cached, output_tokens = v_output,
      reasoning_tokens = (p_usage ->> 'reasoningTokens')::integer,
      total_tokens = least(coalesce((p_usage ->> 'totalTokens')::bigint,
                                    coalesce(v_input, 0)::bigint + coalesce(v_output, 0)), 2147483647),
      cost = v_cost.cost, priced = v_cost.priced
  where l.id = v_entry.id
  returning * into v_entry;
  return row_to_json(v_entry);
end;
$$;

revoke all on function public.record_usage(uuid, jsonb, text, boolean, uuid) from public, anon, authenticated, service_role;
grant execute on function public.record_usage(uuid, jsonb, text, boolean, uuid) to authenticated, service_role;
