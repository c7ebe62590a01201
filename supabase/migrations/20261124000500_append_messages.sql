-- public.append_messages: the only way messages are written. Numbers them atomically and gap-free.
--
-- Input: a conversation id; p_messages, a JSON array of 1..100 message objects with the fields
--   role, content, name, function_call, tool_calls, tool_call_id, client_message_id;
--   optionally the sequence number the caller believes is the conversation's last.
-- Guarantees, under any concurrency:
--   * All or nothing: the batch is stored with consecutive sequence numbers after the current last.
--   * The conversation row is locked before numbers are handed out, so concurrent appends to one
--     conversation queue behind each other; numbering needs no max()+1 and no retries.
--   * A message whose client_message_id is already stored is not stored again; the stored row is
--     returned instead. When every message is such a replay nothing is written and
--     p_expected_last_sequence is not checked, so retrying a successful call returns its result.
--   * Returns the batch's rows (new and replayed) in sequence order, and sets the transaction-local
--     setting conversation_store.appended_count to the number of rows it inserted, so that callers
--     in the same transaction can tell a replay (0) from an append.
-- Errors (listed in 20261124000400_start_conversation.sql): 22023 malformed batch; PT404 not found or
--   not the caller's; PT422 client_message_id reused for a different message; PT409 stale
--   p_expected_last_sequence (DETAIL {"last_sequence": n}); 23514 a message breaks a table rule.
-- Security definer because clients have no insert on messages and no update on the counter;
--   ownership is checked against auth.uid() (service_role may append anywhere).
create function public.append_messages(
  p_conversation_id uuid,
  p_messages jsonb,
  p_expected_last_sequence integer default null
)
returns setof public.conversation_messages
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_acts_as_service boolean := auth.role() is not distinct from 'service_role';
  v_caller uuid := auth.uid();
  v_problem text;
  v_incoming public.conversation_messages[];
  v_owner uuid;
  v_last integer;
  v_replayed integer;
  v_mismatched text;
  v_appended integer;
begin
  if v_caller is null and not v_acts_as_service then
    raise exception 'not authenticated' using errcode = '42501';
  end if;

  if jsonb_typeof(p_messages) is distinct from 'array' then
    raise exception 'p_messages must be a JSON array' using errcode = '22023';
  end if;
  if jsonb_array_length(p_messages) not between 1 and 100 then
    raise exception 'p_messages must hold 1 to 100 messages, not %', jsonb_array_length(p_messages)
      using errcode = '22023';
  end if;

  -- Check JSON types before reading the messages as rows, which would quietly turn 42 into '42'.
  select format('message %s %s', m.position, checked.problem) into v_problem
  from jsonb_array_elements(p_messages) with ordinality as m(message, position)
  cross join lateral (
    select case
      when jsonb_typeof(m.message) <> 'object' then 'is not an object'
      when exists (
        select from jsonb_object_keys(m.message) as k(key)
        where k.key not in ('role', 'content', 'name', 'function_call', 'tool_calls', 'tool_call_id', 'client_message_id')
      ) then 'has an unknown field'
      when jsonb_typeof(m.message -> 'role') is distinct from 'string' then 'needs a role string'
      when coalesce(jsonb_typeof(m.message -> 'content'), 'null') not in ('string', 'null') then 'has a content that is not a string'
      when coalesce(jsonb_typeof(m.message -> 'name'), 'null') not in ('string', 'null') then 'has a name that is not a string'
      when coalesce(jsonb_typeof(m.message -> 'function_call'), 'null') not in ('object', 'null') then 'has a function_call that is not an object'
      when coalesce(jsonb_typeof(m.message -> 'tool_calls'), 'null') not in ('array', 'null') then 'has tool_calls that are not an array'
      when coalesce(jsonb_typeof(m.message -> 'tool_call_id'), 'null') not in ('string', 'null') then 'has a tool_call_id that is not a string'
      when coalesce(jsonb_typeof(m.message -> 'client_message_id'), 'null') not in ('string', 'null') then 'has a client_message_id that is not a string'
    end as problem
  ) as checked
  where checked.problem is not null
  order by m.position
  limit 1;
  if v_problem is not null then
    raise exception '%', v_problem using errcode = '22023';
  end if;

  -- Read as table rows: a JSON null becomes SQL NULL, also for the jsonb columns.
  select array_agg(jsonb_populate_record(null::public.conversation_messages, m.message) order by m.position)
  into v_incoming
  from jsonb_array_elements(p_messages) with ordinality as m(message, position);

  if (select count(distinct i.client_message_id) <> count(i.client_message_id) from unnest(v_incoming) as i) then
    raise exception 'a client_message_id appears twice in one batch' using errcode = '22023';
  end if;

  -- Lock the counter first: appends to this conversation queue here, so what follows sees a stable
  -- last_sequence and a stable set of stored client_message_ids.
  select c.user_id, c.last_sequence into v_owner, v_last
  from public.conversations c
  where c.id = p_conversation_id
    and (v_acts_as_service or c.user_id = v_caller)
  for no key update;
  if not found then
    raise exception 'conversation not found' using errcode = 'PT404';
  end if;

  select count(*), min(i.client_message_id) filter (
           where (s.role, s.content, s.name, s.function_call, s.tool_calls, s.tool_call_id)
             is distinct from (i.role, i.content, i.name, i.function_call, i.tool_calls, i.tool_call_id)
         )
  into v_replayed, v_mismatched
  from unnest(v_incoming) as i
  join public.conversation_messages s
    on s.conversation_id = p_conversation_id and s.client_message_id = i.client_message_id;
  if v_mismatched is not null then
    raise exception 'client_message_id % is already stored with a different message', v_mismatched
      using errcode = 'PT422';
  end if;

  v_appended := cardinality(v_incoming) - v_replayed;
  if v_appended > 0 and p_expected_last_sequence <> v_last then
    raise exception 'expected last sequence %, but it is %', p_expected_last_sequence, v_last
      using errcode = 'PT409', detail = jsonb_build_object('last_sequence', v_last)::text;
  end if;
  perform set_config('conversation_store.appended_count', v_appended::text, true);

  if v_appended > 0 then
    update public.conversations c
    set last_sequence = v_last + v_appended
    where c.id = p_conversation_id;
  end if;

  return query
  with appended as (
    insert into public.conversation_messages
      (conversation_id, user_id, sequence_order, role, content, name, function_call, tool_calls, tool_call_id, client_message_id)
    select p_conversation_id, v_owner, v_last + row_number() over (order by i.ordinality),
           i.role, i.content, i.name, i.function_call, i.tool_calls, i.tool_call_id, i.client_message_id
    from unnest(v_incoming) with ordinality as i
    where not exists (
      select from public.conversation_messages s
      where s.conversation_id = p_conversation_id and s.client_message_id = i.client_message_id
    )
    returning *
  )
  select * from appended
  union all
  select s.*
  from public.conversation_messages s
  join unnest(v_incoming) as i on s.client_message_id = i.client_message_id
  where s.conversation_id = p_conversation_id
  order by sequence_order;
end;
$$;

revoke all on function public.append_messages(uuid, jsonb, integer) from public, anon, authenticated, service_role;
grant execute on function public.append_messages(uuid, jsonb, integer) to authenticated, service_role;
