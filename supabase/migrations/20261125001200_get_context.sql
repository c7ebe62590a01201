-- Model-ready context: the part of a conversation that fits a model's token budget, always valid to
-- send as it is.
--
-- Trimming history by message count breaks three ways: the page can begin with tool results whose
-- call fell outside it (OpenAI refuses that with a 400), it drops the system prompt of a long
-- conversation, and nothing knows what fits. public.get_context builds the window by these rules,
-- in this order:
--   1. the system prompt is pinned: the leading run of system messages always comes first;
--   2. the summary, when set, comes next (a system message in the openai format), and only the
--      messages after it are candidates;
--   3. the newest candidates that fit, in chronological order, within p_max_tokens (counting
--      everything returned) and p_max_messages (counting the candidates chosen), and within
--      conversation_store.page_max_bytes();
--   4. tool calls stay whole: an assistant message with tool_calls and the tool messages answering
--      it (all of its ids, each once, right after it) are one unit, included entirely or not at
--      all; likewise function_call and its function message. A unit missing results, and any
--      result without its call, is left out; the window never begins with a tool or function result;
--   5. it starts on a user turn when a user message fits: what comes before the oldest user
--      message of the window is dropped;
--   6. a reply still in progress is left out.
-- It reads the conversation's tail backwards, a bounded range of sequence numbers at a time, and
-- stops at the first unit that does not fit: the cost follows the window, not the conversation.

-- Input: a conversation id; a token budget (1..2,000,000); at most how many candidates to choose
--   (1..1000); the format of the messages: 'openai' (default) or 'rows'.
-- Guarantees: returns { conversation, messages, token_count, has_earlier, first_sequence }, plus
--   summary ({ content, through_sequence, token_count } or null) in the rows format, where the
--   summary is not a message. token_count is the sum over what is returned; first_sequence is the
--   sequence number of the oldest chosen candidate (null when none is); has_earlier says whether
--   candidates older than it were left out, so the agent knows what to summarise next: the
--   messages after the summary and before first_sequence.
-- Errors: 22023 arguments out of range; PT404 not found, not live or not the caller's; PT422 (hint
--   context_budget_exceeded) the pinned prompt and the summary alone exceed the budget, DETAIL
--   {"required_tokens": n, "max_bytes": n} (exact, unless the prompt alone is over the byte budget:
--   then what was read of it).
-- Security invoker: Row Level Security decides what the caller reaches. JIT is off: its reads are
--   bounded ranges, and compiling their expressions cost more than running them.
create function public.get_context(
  p_conversation_id uuid,
  p_max_tokens integer,
  p_max_messages integer default 1000,
  p_format text default 'openai'
)
returns json
language plpgsql
stable
security invoker
set search_path = ''
set jit = off
as $$
declare
  c_chunk constant integer := 256;
  v_max_bytes constant integer := conversation_store.page_max_bytes();
  v_openai boolean := p_format = 'openai';
  v_conversation public.conversations;
  v_row public.conversation_messages;
  v_json json;
  v_first_other integer;
  v_floor integer;
  -- Pinned prompt and summary: always sent, in this order.
  v_fixed json[] := '{}';
  v_fixed_tokens bigint := 0;
  v_fixed_bytes bigint := 0;
  v_summary json;
  -- The window, newest message first while the tail is walked backwards.
  v_window json[] := '{}';
  v_window_roles text[] := '{}';
  v_window_sequences integer[] := '{}';
  v_window_tokens integer[] := '{}';
  v_tokens bigint := 0;
  v_bytes bigint := 0;
  -- The unit being assembled: results seen (newest first) before the call they answer.
  v_pending json[] := '{}';
  v_pending_ids text[] := '{}';
  v_pending_sequences integer[] := '{}';
  v_pending_tokens integer[] := '{}';
  v_pending_role text;
  v_unit json[];
  v_unit_sequences integer[];
  v_unit_tokens integer[];
  v_unit_bytes bigint;
  v_call_ids text[];
  v_high integer;
  v_low integer;
  v_oldest_user integer;
  v_messages json;
  v_token_count bigint;
  v_first_sequence integer;
  v_has_earlier boolean;
  v_reply_in_progress boolean := false;
begin
  if p_max_tokens is null or p_max_tokens not between 1 and 2000000 then
    raise exception 'p_max_tokens must be between 1 and 2000000' using errcode = '22023';
  end if;
  if p_max_messages is null or p_max_messages not between 1 and 1000 then
    raise exception 'p_max_messages must be between 1 and 1000' using errcode = '22023';
  end if;
  if p_format is null or p_format not in ('openai', 'rows') then
    raise exception 'p_format must be openai or rows' using errcode = '22023';
  end if;

  select * into v_conversation
  from public.conversations c
  where c.id = p_conversation_id and (c.expires_at is null or c.expires_at > now());
  if not found then
    raise exception 'conversation not found' using errcode = 'PT404';
  end if;

  -- 1. The pinned prompt: from message 1 on, a bounded range at a time, up to the first message
  --    that is not a system message. Reading stops past the byte budget (then it is refused
  --    below), so an endless run of system messages costs no more than a page.
  v_low := 1;
  <<pinned>>
  while v_first_other is null and v_low <= v_conversation.last_sequence loop
    for v_row in
      select * from public.conversation_messages m
      where m.conversation_id = p_conversation_id and m.sequence_order between v_low and v_low + c_chunk - 1
      order by m.sequence_order
    loop
      if v_row.role <> 'system' then
        v_first_other := v_row.sequence_order;
        exit pinned;
      end if;
      v_json := case when v_openai then conversation_store.openai_message(v_row)
                     else conversation_store.message_json(v_row) end;
      v_fixed := array_append(v_fixed, v_json);
      v_fixed_tokens := v_fixed_tokens + v_row.token_count;
      v_fixed_bytes := v_fixed_bytes + octet_length(v_json::text);
      exit pinned when v_fixed_bytes > v_max_bytes;
    end loop;
    v_low := v_low + c_chunk;
  end loop;
  v_first_other := coalesce(v_first_other, v_conversation.last_sequence + 1);

  -- 2. The summary.
  v_floor := greatest(v_first_other - 1, coalesce(v_conversation.summary_through_sequence, 0));
  if v_conversation.summary is not null then
    v_json := case when v_openai
      then json_build_object('role', 'system', 'content', v_conversation.summary)
      else json_build_object('content', v_conversation.summary,
                              'through_sequence', v_conversation.summary_through_sequence,
                              'token_count', v_conversation.summary_token_count) end;
    if v_openai then
      v_fixed := array_append(v_fixed, v_json);
    else
      v_summary := v_json;
    end if;
    v_fixed_tokens := v_fixed_tokens + v_conversation.summary_token_count;
    v_fixed_bytes := v_fixed_bytes + octet_length(v_json::text);
  end if;

  if v_fixed_tokens > p_max_tokens or v_fixed_bytes > v_max_bytes then
    raise exception 'the pinned system prompt and the summary take % tokens, more than the budget of %',
      v_fixed_tokens, p_max_tokens
      using errcode = 'PT422', hint = 'context_budget_exceeded',
            detail = jsonb_build_object('required_tokens', v_fixed_tokens, 'max_bytes', v_max_bytes)::text;
  end if;

  -- 3, 4 and 6. The newest candidates that fit, walking back a bounded range at a time.
  v_high := v_conversation.last_sequence;
  <<walk>>
  while v_high > v_floor loop
    v_low := greatest(v_floor + 1, v_high - c_chunk + 1);
    for v_row in
      select * from public.conversation_messages m
      where m.conversation_id = p_conversation_id and m.sequence_order between v_low and v_high
      order by m.sequence_order desc
    loop
      v_json := case when v_openai then conversation_store.openai_message(v_row)
                     else conversation_store.message_json(v_row) end;
      v_unit := null;

      if v_row.status = 'in_progress' then
        v_reply_in_progress := true;
        continue;
      elsif v_row.role = 'tool' then
        if v_pending_role is distinct from 'tool' then
          v_pending := '{}'; v_pending_ids := '{}'; v_pending_sequences := '{}'; v_pending_tokens := '{}';
        end if;
        v_pending_role := 'tool';
        v_pending := array_append(v_pending, v_json);
        v_pending_ids := array_append(v_pending_ids, v_row.tool_call_id);
        v_pending_sequences := array_append(v_pending_sequences, v_row.sequence_order);
        v_pending_tokens := array_append(v_pending_tokens, v_row.token_count);
        continue;
      elsif v_row.role = 'function' then
        -- Only the function message right after the call answers it; a newer one is an orphan.
        v_pending_role := 'function';
        v_pending := array[v_json];
        v_pending_sequences := array[v_row.sequence_order];
        v_pending_tokens := array[v_row.token_count];
        continue;
      elsif v_row.role = 'assistant' and v_row.tool_calls is not null then
        select array_agg(call.value ->> 'id' order by call.value ->> 'id') into v_call_ids
        from jsonb_array_elements(case when jsonb_typeof(v_row.tool_calls) = 'array' then v_row.tool_calls end)
          as call(value);
        if v_pending_role = 'tool'
          and v_call_ids = (select array_agg(id order by id) from unnest(v_pending_ids) as id) then
          v_unit := v_pending || v_json;
          v_unit_sequences := v_pending_sequences || v_row.sequence_order;
          v_unit_tokens := v_pending_tokens || v_row.token_count;
        end if;
      elsif v_row.role = 'assistant' and v_row.function_call is not null then
        if v_pending_role = 'function' then
          v_unit := v_pending || v_json;
          v_unit_sequences := v_pending_sequences || v_row.sequence_order;
          v_unit_tokens := v_pending_tokens || v_row.token_count;
        end if;
      else
        v_unit := array[v_json];
        v_unit_sequences := array[v_row.sequence_order];
        v_unit_tokens := array[v_row.token_count];
      end if;
      -- Whatever was pending belonged to this message or to nothing: either way it is settled.
      v_pending_role := null;
      v_pending := '{}'; v_pending_ids := '{}'; v_pending_sequences := '{}'; v_pending_tokens := '{}';

      continue when v_unit is null;
      v_unit_bytes := (select sum(octet_length(part::text)) from unnest(v_unit) as part);
      exit walk when v_fixed_tokens + v_tokens + (select sum(t) from unnest(v_unit_tokens) as t) > p_max_tokens
        or cardinality(v_window) + cardinality(v_unit) > p_max_messages
        or v_fixed_bytes + v_bytes + v_unit_bytes > v_max_bytes;
      -- One element at a time: plpgsql appends to an array in place, where || would copy it whole.
      for i in 1 .. cardinality(v_unit) loop
        v_window := array_append(v_window, v_unit[i]);
        v_window_sequences := array_append(v_window_sequences, v_unit_sequences[i]);
        v_window_tokens := array_append(v_window_tokens, v_unit_tokens[i]);
        v_window_roles := array_append(v_window_roles, case when i = cardinality(v_unit) then v_row.role end);
      end loop;
      v_tokens := v_tokens + (select sum(t) from unnest(v_unit_tokens) as t);
      v_bytes := v_bytes + v_unit_bytes;
    end loop;
    v_high := v_low - 1;
  end loop;

  -- 5. Start on a user turn: keep the window up to its oldest user message.
  select max(position) into v_oldest_user
  from unnest(v_window_roles) with ordinality as r(role, position)
  where r.role = 'user';
  if v_oldest_user is not null then
    v_window := v_window[1:v_oldest_user];
    v_window_sequences := v_window_sequences[1:v_oldest_user];
    v_window_tokens := v_window_tokens[1:v_oldest_user];
  end if;

  v_messages := coalesce((
    select json_agg(message order by position)
    from (
      select f.message, f.position from unnest(v_fixed) with ordinality as f(message, position)
      union all
      select w.message, cardinality(v_fixed) + cardinality(v_window) + 1 - w.position
      from unnest(v_window) with ordinality as w(message, position)
    ) as all_messages
  ), '[]'::json);
  v_token_count := v_fixed_tokens + coalesce((select sum(t) from unnest(v_window_tokens) as t), 0);
  v_first_sequence := v_window_sequences[cardinality(v_window_sequences)];
  -- Older candidates were left out; with an empty window, any candidate but a reply in progress.
  v_has_earlier := coalesce(v_first_sequence, v_conversation.last_sequence + 1 - v_reply_in_progress::integer)
                   > v_floor + 1;

  if v_openai then
    return json_build_object(
      'conversation', conversation_store.conversation_json(v_conversation), 'messages', v_messages,
      'token_count', v_token_count, 'has_earlier', v_has_earlier, 'first_sequence', v_first_sequence);
  end if;
  return json_build_object(
    'conversation', conversation_store.conversation_json(v_conversation), 'summary', v_summary,
    'messages', v_messages, 'token_count', v_token_count, 'has_earlier', v_has_earlier,
    'first_sequence', v_first_sequence);
end;
$$;

revoke all on function public.get_context(uuid, integer, integer, text) from public, anon, authenticated, service_role;
grant execute on function public.get_context(uuid, integer, integer, text) to authenticated, service_role;
