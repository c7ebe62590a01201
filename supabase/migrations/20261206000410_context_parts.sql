-- get_context reads messages with parts (issue 17): a window in the AI SDK's UIMessage shape
-- (format 'ui'), reasoning in it only when asked, and tool calls answered in their own parts.
--
-- The rules of 20261125001200_get_context.sql stand; what changes:
--   * format 'ui': the window as UIMessages (conversation_store.ui_messages): a unit of an
--     assistant message and its results is one UIMessage, the results folded into its tool parts;
--     the summary is a system UIMessage with id "summary", as it is a system message in openai.
--   * p_include_reasoning (formats ui and rows; never in openai): reasoning parts come along and
--     their reasoning_token_count counts against the budget; without it they are left out of
--     the messages (rows: of their parts) and count nothing.
--   * format openai: a message is conversation_store.openai_messages of its row, so a user message
--     with files has content parts and a call answered in its own parts brings its tool message.
--   * a tool unit is the assistant message and the tool messages answering the calls its parts do
--     not answer themselves (conversation_store.answered_call_ids): a row whose calls all carry their
--     outputs is a whole unit on its own. Before, such a row waited for tool rows that never come
--     and was dropped as unanswered.
--   * a row written with parts that holds nothing a model reads (no text, file or tool part, nor
--     reasoning when it is included: only data, sources, step-starts) is left out, as a reply in
--     progress is: a chat model refuses an empty message.
-- The byte budget (conversation_store.page_max_bytes()) is counted on the messages as returned,
-- in every format.

drop function public.get_context(uuid, integer, integer, text);

-- Input: a stored message. Guarantees: the same message without its reasoning parts (a row
--   without parts as it is).
create function conversation_store.without_reasoning(p_message public.conversation_messages)
returns public.conversation_messages
language sql
immutable
set search_path = ''
as $$
  select case when p_message.parts is null then p_message
    else jsonb_populate_record(p_message, jsonb_build_object('parts', (
      select coalesce(jsonb_agg(part.value order by part.position), '[]'::jsonb)
      from jsonb_array_elements(p_message.parts) with ordinality as part(value, position)
      where part.value ->> 'type' <> 'reasoning')))
  end
$$;

-- Input: the rows of one window unit, oldest first (a message, or an assistant message and its
--   results); the format ('openai', 'rows' or 'ui'); whether reasoning is kept. Guarantees: the
--   messages the unit is in that format, oldest first: openai, conversation_store.openai_messages
--   of each row; rows, conversation_store.message_json of each (without reasoning unless kept); ui,
--   one UIMessage, its results folded in (conversation_store.ui_messages).
create function conversation_store.context_messages(
  p_rows public.conversation_messages[],
  p_format text,
  p_include_reasoning boolean
)
returns json[]
language sql
stable
set search_path = ''
as $$
  select case p_format
    when 'openai' then array(
      select chat.message
      from generate_subscripts(p_rows, 1) as r(position),
           json_array_elements(conversation_store.openai_messages(p_rows[r.position])) with ordinality
             as chat(message, position)
      order by r.position, chat.position)
    when 'rows' then array(
      select conversation_store.message_json(case when p_include_reasoning then p_rows[r.position]
                                                  else conversation_store.without_reasoning(p_rows[r.position]) end)
      from generate_subscripts(p_rows, 1) as r(position)
      order by r.position)
    else array(
      select ui.message
      from conversation_store.ui_messages(p_rows, p_include_reasoning) as ui
      where ui.message is not null
      order by ui.sequence_order)
  end
$$;

-- Input: a conversation id; a token budget (1..2,000,000); at most how many candidates to choose
--   (1..1000); the format of the messages: 'openai' (default), 'rows' or 'ui'; whether reasoning
--   comes along (formats rows and ui only).
-- Guarantees: returns { conversation, messages, token_count, has_earlier, first_sequence }, plus
--   summary ({ content, through_sequence, token_count } or null) in the rows format, where the
--   summary is not a message. token_count is the sum over what is returned (reasoning tokens
--   included when reasoning is); first_sequence is the sequence number of the oldest chosen
--   candidate (null when none is); has_earlier says whether candidates older than it were left
--   out, so the agent knows what to summarise next: the messages after the summary and before
--   first_sequence.
-- Errors: 22023 arguments out of range, or reasoning asked for in the openai format; PT404 not
--   found, not live or not the caller's; PT422 (hint context_budget_exceeded) the pinned prompt and
--   the summary alone exceed the budget, DETAIL {"required_tokens": n, "max_bytes": n} (exact,
--   unless the prompt alone is over the byte budget: then what was read of it).
-- Security invoker: Row Level Security decides what the caller reaches. JIT is off: its reads are
--   bounded ranges, and compiling their expressions cost more than running them.
create function public.get_context(
  p_conversation_id uuid,
  p_max_tokens integer,
  p_max_messages integer default 1000,
  p_format text default 'openai',
  p_include_reasoning boolean default false
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
  v_reasoning boolean := coalesce(p_include_reasoning, false);
  v_conversation public.conversations;
  v_row public.conversation_messages;
  v_json json;
  v_messages_of_row json[];
  v_row_tokens integer;
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
  v_pending public.conversation_messages[] := '{}';
  v_pending_ids text[] := '{}';
  v_pending_role text;
  v_unit_rows public.conversation_messages[];
  v_unit json[];
  v_unit_tokens bigint;
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
  if p_format is null or p_format not in ('openai', 'rows', 'ui') then
    raise exception 'p_format must be openai, rows or ui' using errcode = '22023';
  end if;
  if v_openai and v_reasoning then
    raise exception 'reasoning is never in the openai format: ask for rows or ui' using errcode = '22023';
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
      v_messages_of_row := conversation_store.context_messages(array[v_row], p_format, v_reasoning);
      v_fixed := v_fixed || v_messages_of_row;
      v_fixed_tokens := v_fixed_tokens + v_row.token_count + case when v_reasoning then v_row.reasoning_token_count else 0 end;
      v_fixed_bytes := v_fixed_bytes + (select coalesce(sum(octet_length(m::text)), 0) from unnest(v_messages_of_row) as m);
      exit pinned when v_fixed_bytes > v_max_bytes;
    end loop;
    v_low := v_low + c_chunk;
  end loop;
  v_first_other := coalesce(v_first_other, v_conversation.last_sequence + 1);

  -- 2. The summary.
  v_floor := greatest(v_first_other - 1, coalesce(v_conversation.summary_through_sequence, 0));
  if v_conversation.summary is not null then
    v_json := case p_format
      when 'openai' then json_build_object('role', 'system', 'content', v_conversation.summary)
      when 'ui' then json_build_object('id', 'summary', 'role', 'system',
                                       'parts', json_build_array(json_build_object('type', 'text', 'text', v_conversation.summary)))
      else json_build_object('content', v_conversation.summary,
                             'through_sequence', v_conversation.summary_through_sequence,
                             'token_count', v_conversation.summary_token_count) end;
    if p_format = 'rows' then
      v_summary := v_json;
    else
      v_fixed := array_append(v_fixed, v_json);
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
      v_unit_rows := null;

      if v_row.status = 'in_progress' then
        v_reply_in_progress := true;
        continue;
      elsif v_row.parts is not null and not exists (
        select from jsonb_array_elements(v_row.parts) as part(value)
        where part.value ->> 'type' in ('text', 'file', 'tool-call', 'tool-result')
           or v_reasoning and part.value ->> 'type' = 'reasoning'
      ) then
        continue; -- nothing a model reads
      elsif v_row.role = 'tool' then
        if v_pending_role is distinct from 'tool' then
          v_pending := '{}'; v_pending_ids := '{}';
        end if;
        v_pending_role := 'tool';
        v_pending := array_append(v_pending, v_row);
        v_pending_ids := array_append(v_pending_ids, v_row.tool_call_id);
        continue;
      elsif v_row.role = 'function' then
        -- Only the function message right after the call answers it; a newer one is an orphan.
        v_pending_role := 'function';
        v_pending := array[v_row];
        continue;
      elsif v_row.role = 'assistant' and v_row.tool_calls is not null then
        -- The calls its own parts do not answer are the ones tool messages must answer.
        select array_agg(call.value ->> 'id' order by call.value ->> 'id') into v_call_ids
        from jsonb_array_elements(case when jsonb_typeof(v_row.tool_calls) = 'array' then v_row.tool_calls end)
          as call(value)
        where not call.value ->> 'id' = any (conversation_store.answered_call_ids(v_row));
        if v_call_ids is null and v_row.parts is not null then
          v_unit_rows := array[v_row]; -- answered in its own parts; any tool rows after it are orphans
        elsif v_pending_role = 'tool'
          and v_call_ids = (select array_agg(id order by id) from unnest(v_pending_ids) as id) then
          v_unit_rows := v_row || (select array_agg(p order by p.sequence_order) from unnest(v_pending) as p);
        end if;
      elsif v_row.role = 'assistant' and v_row.function_call is not null then
        if v_pending_role = 'function' then
          v_unit_rows := v_row || v_pending;
        end if;
      else
        v_unit_rows := array[v_row];
      end if;
      -- Whatever was pending belonged to this message or to nothing: either way it is settled.
      v_pending_role := null;
      v_pending := '{}'; v_pending_ids := '{}';

      continue when v_unit_rows is null;
      v_unit := conversation_store.context_messages(v_unit_rows, p_format, v_reasoning);
      v_unit_tokens := (select sum(u.token_count + case when v_reasoning then u.reasoning_token_count else 0 end)
                        from unnest(v_unit_rows) as u);
      v_unit_bytes := (select sum(octet_length(m::text)) from unnest(v_unit) as m);
      exit walk when v_fixed_tokens + v_tokens + v_unit_tokens > p_max_tokens
        or cardinality(v_window) + cardinality(v_unit) > p_max_messages
        or v_fixed_bytes + v_bytes + v_unit_bytes > v_max_bytes;
      -- Newest first, one element at a time: plpgsql appends to an array in place, where || would
      -- copy it whole. The unit's oldest message (its first row) carries its tokens, sequence and role.
      for i in reverse cardinality(v_unit) .. 1 loop
        v_window := array_append(v_window, v_unit[i]);
        v_window_sequences := array_append(v_window_sequences, v_row.sequence_order);
        v_window_tokens := array_append(v_window_tokens, case when i = 1 then v_unit_tokens end::integer);
        v_window_roles := array_append(v_window_roles, case when i = 1 then v_row.role end);
      end loop;
      v_tokens := v_tokens + v_unit_tokens;
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

  if p_format <> 'rows' then
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

revoke all on function conversation_store.without_reasoning(public.conversation_messages) from public, anon, authenticated, service_role;
revoke all on function conversation_store.context_messages(public.conversation_messages[], text, boolean) from public, anon, authenticated, service_role;
revoke all on function public.get_context(uuid, integer, integer, text, boolean) from public, anon, authenticated, service_role;
-- get_context runs as the caller, and so do its helpers.
grant execute on function conversation_store.without_reasoning(public.conversation_messages) to authenticated, service_role;
grant execute on function conversation_store.context_messages(public.conversation_messages[], text, boolean) to authenticated, service_role;
grant execute on function public.get_context(uuid, integer, integer, text, boolean) to authenticated, service_role;
