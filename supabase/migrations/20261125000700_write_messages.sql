-- Writing messages, in its final form for this release: start_conversation and append_messages
-- now act as the service role only when the database role and the JWT claim both say so, store
-- token counts, start streamed replies and keep to one reply at a time, and reach only live
-- conversations. Their behaviour is otherwise as documented in 20261124000400 and 20261124000500.
--
-- start_conversation gains p_retention_seconds; as a new parameter changes the function's
-- identity, the old one is dropped first (named arguments keep working; the new one has defaults).

drop function public.start_conversation(uuid, jsonb, uuid, uuid);

-- Input: optional video id, metadata and retention; p_id makes the call idempotent; p_user_id
--   names the owner and is required for the service role (which has no user of its own), optional
--   for a user (own id only).
-- Guarantees: returns the stored row; the same p_id by the same owner returns the row stored
--   first, unchanged, and creates nothing. Sets the transaction-local setting
--   conversation_store.conversation_created to true or false, so that callers in the same
--   transaction can tell a new conversation from a replay.
-- Errors: 22023 the service role names no owner; 42501 not authenticated or p_user_id names
--   someone else; 23505 the id is taken (by another user, or by a deleted conversation);
--   23503 the owner is not a user; 23514 retention out of range or metadata too large.
-- Security definer because clients may not write conversations.user_id; the owner comes from the
--   verified JWT claims, never from a parameter alone.
create function public.start_conversation(
  p_video_id uuid default null,
  p_metadata jsonb default '{}'::jsonb,
  p_id uuid default null,
  p_user_id uuid default null,
  p_retention_seconds integer default null
)
returns public.conversations
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_owner uuid;
  v_conversation public.conversations;
begin
  v_owner := conversation_store.acting_user(p_user_id);
  if v_owner is null then
    raise exception 'service_role must name the owner in p_user_id' using errcode = '22023';
  end if;

  insert into public.conversations (id, user_id, video_id, metadata, retention_seconds)
  values (coalesce(p_id, gen_random_uuid()), v_owner, p_video_id, coalesce(p_metadata, '{}'::jsonb), p_retention_seconds)
  on conflict (id) do nothing
  returning * into v_conversation;
  perform set_config('conversation_store.conversation_created', (v_conversation.id is not null)::text, true);

  if v_conversation.id is null then
    select * into v_conversation
    from public.conversations c
    where c.id = p_id and c.user_id = v_owner and (c.expires_at is null or c.expires_at > now());

    if v_conversation.id is null then
      raise exception 'conversation already exists' using errcode = '23505';
    end if;
  end if;

  return v_conversation;
end;
$$;

revoke all on function public.start_conversation(uuid, jsonb, uuid, uuid, integer) from public, anon, authenticated, service_role;
grant execute on function public.start_conversation(uuid, jsonb, uuid, uuid, integer) to authenticated, service_role;

-- Input: a conversation id; p_messages, a JSON array of 1..100 message objects with the fields
--   role, content, name, function_call, tool_calls, tool_call_id, client_message_id, status
--   ('in_progress', 'completed' default, 'incomplete') and token_count (only from a session that
--   counts tokens: the edge functions); optionally the sequence number the caller believes is last.
-- Guarantees, under any concurrency:
--   * All or nothing: the batch is stored with consecutive sequence numbers after the current last.
--   * The conversation row is locked before numbers are handed out, so concurrent appends to one
--     conversation queue behind each other; numbering needs no max()+1 and no retries.
--   * A message whose client_message_id is already stored is not stored again; the stored row is
--     returned instead. When every message is such a replay nothing is written and neither the
--     reply rule nor p_expected_last_sequence is checked, so retrying a successful call returns
--     its result. A reply started in_progress replays whatever its content became since.
--   * One reply at a time: only an assistant message may be in_progress, only as the batch's last.
--     While the conversation holds a reply in progress nothing is appended; a reply silent for
--     conversation_store.stale_reply_after() is first marked incomplete, in this transaction.
--   * Every stored message has a token_count: the given one from a session that counts tokens,
--     conversation_store.estimate_tokens otherwise.
--   * Returns the batch's rows (new and replayed) in sequence order, and sets the transaction-local
--     setting conversation_store.appended_count to the number of rows it inserted, so that callers
--     in the same transaction can tell a replay (0) from an append.
-- Errors: 42501 not authenticated; 22023 malformed batch; PT404 not found, not live or not the
--   caller's; PT422 client_message_id reused for a different message; PT409 (hint
--   reply_in_progress) a reply is in progress, DETAIL {"sequence_order": n}; PT409 stale
--   p_expected_last_sequence, DETAIL {"last_sequence": n}; 23514 a message breaks a table rule.
-- Security definer because clients have no insert on messages and no update on the counter;
--   ownership is checked against auth.uid() (the service role may append anywhere).
create or replace function public.append_messages(
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
  v_counts_tokens boolean := conversation_store.writer_counts_tokens();
  v_problem text;
  v_incoming public.conversation_messages[];
  v_owner uuid;
  v_last integer;
  v_replayed integer;
  v_mismatched text;
  v_appended integer;
  v_reply_in_progress integer;
begin
  perform conversation_store.acting_user(null); -- 42501 unless a user or the service role calls

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
        where k.key not in ('role', 'content', 'name', 'function_call', 'tool_calls', 'tool_call_id',
                            'client_message_id', 'status', 'token_count')
      ) then 'has an unknown field'
      when jsonb_typeof(m.message -> 'role') is distinct from 'string' then 'needs a role string'
      when coalesce(jsonb_typeof(m.message -> 'content'), 'null') not in ('string', 'null') then 'has a content that is not a string'
      when coalesce(jsonb_typeof(m.message -> 'name'), 'null') not in ('string', 'null') then 'has a name that is not a string'
      when coalesce(jsonb_typeof(m.message -> 'function_call'), 'null') not in ('object', 'null') then 'has a function_call that is not an object'
      when coalesce(jsonb_typeof(m.message -> 'tool_calls'), 'null') not in ('array', 'null') then 'has tool_calls that are not an array'
      when coalesce(jsonb_typeof(m.message -> 'tool_call_id'), 'null') not in ('string', 'null') then 'has a tool_call_id that is not a string'
      when coalesce(jsonb_typeof(m.message -> 'client_message_id'), 'null') not in ('string', 'null') then 'has a client_message_id that is not a string'
      when coalesce(jsonb_typeof(m.message -> 'status'), 'null') not in ('string', 'null') then 'has a status that is not a string'
      when m.message ? 'token_count' and not v_counts_tokens then 'has a token_count, which only the store sets'
      when coalesce(jsonb_typeof(m.message -> 'token_count'), 'number') <> 'number' then 'has a token_count that is not a number'
      when m.message ->> 'status' = 'in_progress' and m.position < jsonb_array_length(p_messages)
        then 'is in_progress but not the last message of the batch'
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
  -- last_sequence, a stable set of stored client_message_ids and a stable reply in progress.
  select c.user_id, c.last_sequence into v_owner, v_last
  from public.conversations c
  where c.id = p_conversation_id and conversation_store.caller_reaches(c)
  for no key update;
  if not found then
    raise exception 'conversation not found' using errcode = 'PT404';
  end if;

  select count(*), min(i.client_message_id) filter (
           where (s.role, s.name, s.tool_call_id) is distinct from (i.role, i.name, i.tool_call_id)
              or (i.status is distinct from 'in_progress'
                  and (s.content, s.function_call, s.tool_calls, s.status)
                      is distinct from (i.content, i.function_call, i.tool_calls, coalesce(i.status, 'completed')))
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
  perform set_config('conversation_store.appended_count', v_appended::text, true);

  if v_appended > 0 then
    -- A reply whose writer went quiet is final from now on, with what it had written.
    update public.conversation_messages m
    set status = 'incomplete',
        content = case when m.function_call is null and m.tool_calls is null then coalesce(m.content, '') else m.content end
    where m.conversation_id = p_conversation_id and m.status = 'in_progress'
      and m.updated_at < now() - conversation_store.stale_reply_after();
    select m.sequence_order into v_reply_in_progress
    from public.conversation_messages m
    where m.conversation_id = p_conversation_id and m.status = 'in_progress';
    if found then
      raise exception 'message % is a reply still in progress', v_reply_in_progress
        using errcode = 'PT409', hint = 'reply_in_progress',
              detail = jsonb_build_object('sequence_order', v_reply_in_progress)::text;
    end if;

    if p_expected_last_sequence <> v_last then
      raise exception 'expected last sequence %, but it is %', p_expected_last_sequence, v_last
        using errcode = 'PT409', hint = 'sequence_conflict',
              detail = jsonb_build_object('last_sequence', v_last)::text;
    end if;

    update public.conversations c
    set last_sequence = v_last + v_appended
    where c.id = p_conversation_id;
  end if;

  return query
  with appended as (
    insert into public.conversation_messages
      (conversation_id, user_id, sequence_order, role, content, name, function_call, tool_calls,
       tool_call_id, client_message_id, status, token_count)
    select p_conversation_id, v_owner, v_last + row_number() over (order by i.ordinality),
           i.role, i.content, i.name, i.function_call, i.tool_calls, i.tool_call_id, i.client_message_id,
           coalesce(i.status, 'completed'),
           coalesce(i.token_count,
                    conversation_store.estimate_tokens(i.content, i.name, i.function_call, i.tool_calls, i.tool_call_id))
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
