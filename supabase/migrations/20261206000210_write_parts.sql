-- Writing messages with parts (issue 17; the vocabulary is in 20261206000200_message_parts.sql):
-- append_messages stores parts and metadata, deriving the old columns from the parts; update_message
-- gains part operations for streamed replies (set or append a part, append a text or reasoning
-- delta to a part exactly once, replace the metadata); fork_conversation copies parts, metadata
-- and reasoning counts; set_exact_token_count also takes the exact reasoning count.
--
-- update_message and set_exact_token_count gain trailing parameters with defaults, which changes
-- their identity: the old ones are dropped first (calls by name or position keep working), and the
-- grants are given again.

-- Input: a message as append_messages reads it from JSON. Guarantees: when it has parts, its
--   content, tool_calls and (for a tool message) tool_call_id derived from them
--   (conversation_store.parts_content, parts_tool_calls; the tool-result's tool_call_id);
--   unchanged otherwise.
create function conversation_store.with_derived_columns(p_message public.conversation_messages)
returns public.conversation_messages
language plpgsql
immutable
set search_path = ''
as $$
begin
  if p_message.parts is not null then
    p_message.content := conversation_store.parts_content(p_message.parts, p_message.role);
    p_message.tool_calls := conversation_store.parts_tool_calls(p_message.parts);
    if p_message.role = 'tool' then
      p_message.tool_call_id := p_message.parts -> 0 ->> 'tool_call_id';
    end if;
  end if;
  return p_message;
end;
$$;

revoke all on function conversation_store.with_derived_columns(public.conversation_messages) from public, anon, authenticated, service_role;

-- Input: a conversation id; p_messages, a JSON array of 1..100 message objects with the fields
--   role, content, name, function_call, tool_calls, tool_call_id, client_message_id, status
--   ('in_progress', 'completed' default, 'incomplete'), parts and metadata (20261206000200), and
--   token_count and reasoning_token_count (only from a session that counts tokens: the edge
--   functions); optionally the sequence number the caller believes is last. A message with parts
--   sends no content, function_call, tool_calls or tool_call_id: they are derived from its parts.
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
--   * Every stored message has a token_count and a reasoning_token_count: the given ones from a
--     session that counts tokens, else estimates (conversation_store.estimate_tokens of the columns
--     plus conversation_store.estimate_part_tokens, and estimate_reasoning_tokens).
--   * A replay compares parts and metadata too.
--   * Returns the batch's rows (new and replayed) in sequence order, and sets the transaction-local
--     setting conversation_store.appended_count to the number of rows it inserted, so that callers
--     in the same transaction can tell a replay (0) from an append.
-- Errors: 42501 not authenticated, or (hint storage_path_forbidden) a file part outside the owner's
--   Storage folder; 22023 malformed batch or parts; PT404 not found, not live or not the
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
                            'client_message_id', 'status', 'token_count', 'parts', 'metadata',
                            'reasoning_token_count')
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
      when m.message ? 'reasoning_token_count' and not v_counts_tokens
        then 'has a reasoning_token_count, which only the store sets'
      when coalesce(jsonb_typeof(m.message -> 'reasoning_token_count'), 'number') <> 'number'
        then 'has a reasoning_token_count that is not a number'
      when coalesce(jsonb_typeof(m.message -> 'parts'), 'null') not in ('array', 'null') then 'has parts that are not an array'
      when coalesce(jsonb_typeof(m.message -> 'metadata'), 'null') not in ('object', 'null') then 'has a metadata that is not an object'
      -- One source of truth per row: the old columns of a message with parts are derived from them.
      when coalesce(jsonb_typeof(m.message -> 'parts'), 'null') <> 'null'
           and exists (select from unnest(array['content', 'function_call', 'tool_calls', 'tool_call_id']) as k(key)
                       where coalesce(jsonb_typeof(m.message -> k.key), 'null') <> 'null')
        then 'has parts and content, function_call, tool_calls or tool_call_id: send one or the other'
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
  select array_agg(conversation_store.with_derived_columns(
           jsonb_populate_record(null::public.conversation_messages, m.message)) order by m.position)
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

  perform conversation_store.check_parts(i.parts, i.role, v_owner)
  from unnest(v_incoming) as i
  where i.parts is not null;

  select count(*), min(i.client_message_id) filter (
           where (s.role, s.name, s.tool_call_id) is distinct from (i.role, i.name, i.tool_call_id)
              or (i.status is distinct from 'in_progress'
                  and (s.content, s.function_call, s.tool_calls, s.status, s.parts, s.metadata)
                      is distinct from (i.content, i.function_call, i.tool_calls, coalesce(i.status, 'completed'),
                                        i.parts, i.metadata))
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
        content = case when m.function_call is null and m.tool_calls is null and m.parts is null
                       then coalesce(m.content, '') else m.content end
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
       tool_call_id, client_message_id, status, token_count, parts, metadata, reasoning_token_count)
    select p_conversation_id, v_owner, v_last + row_number() over (order by i.ordinality),
           i.role, i.content, i.name, i.function_call, i.tool_calls, i.tool_call_id, i.client_message_id,
           coalesce(i.status, 'completed'),
           coalesce(i.token_count,
                    conversation_store.estimate_tokens(i.content, i.name, i.function_call, i.tool_calls, i.tool_call_id)
                    + conversation_store.estimate_part_tokens(i.parts)),
           i.parts, i.metadata,
           coalesce(i.reasoning_token_count, conversation_store.estimate_reasoning_tokens(i.parts))
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

drop function public.update_message(uuid, integer, text, text, integer, jsonb, jsonb, text);

-- Input: the message (conversation id and sequence number); at most one of p_content (replaces
--   the text) and p_append_content with p_content_offset (adds a delta); p_tool_calls or
--   p_function_call (replace them); p_status ('in_progress', 'completed', 'incomplete'). Part
--   operations, instead of content and calls: p_part_index with p_part (replaces the part at that
--   index, or appends it when the index is the number of parts), or p_part_index with
--   p_append_text and p_text_offset (a delta to the text or reasoning part at that index);
--   p_metadata replaces the message's metadata.
-- Guarantees:
--   * Only a reply in progress changes; completed and incomplete are final, for good.
--   * A delta (p_append_content, or p_append_text to a part) is appended when the stored text is
--     exactly its offset long, in code points; when the stored text already ends with this delta
--     at this offset (a retry) the reply stays as it is, its updated_at included; anything else is
--     refused and nothing changes. An empty delta at the end of the text changes only updated_at
--     (a heartbeat that keeps the reply from going stale). Setting a part to what it already is
--     changes nothing either, so a retried part operation is harmless.
--   * A part operation on a message written without parts starts from its derived parts
--     (conversation_store.message_parts), which are stored from then on. The part list must stay
--     conversation_store.check_parts-valid; content and tool_calls follow it.
--   * Stopping a reply (incomplete) before any text or call leaves it final with empty text.
--   * token_count and reasoning_token_count follow the message (the database's estimates); the
--     edge functions replace them with exact counts once the reply is final
--     (conversation_store.set_exact_token_count).
--   * Finishing a reply is activity: the conversation's updated_at moves (and so its expires_at).
--   * The conversation is locked before the message, in the order append_messages locks them.
-- Errors: 22023 malformed arguments, a part index out of range, a delta to a part without text, a
--   malformed part, content or calls sent to a message written with parts, or a part operation on
--   a message with a function_call; 42501 (hint storage_path_forbidden) a file part outside the
--   owner's Storage folder; PT404 conversation or message not found, not live or not the caller's;
--   PT409 (hint message_final) the message is final; PT409 (hint content_offset_mismatch) the
--   offset does not match, DETAIL {"content_length": n}; 23514 the result breaks a table rule.
-- Security definer because messages have no update grant; ownership is checked against auth.uid().
create function public.update_message(
  p_conversation_id uuid,
  p_sequence_order integer,
  p_content text default null,
  p_append_content text default null,
  p_content_offset integer default null,
  p_tool_calls jsonb default null,
  p_function_call jsonb default null,
  p_status text default null,
  p_part_index integer default null,
  p_part jsonb default null,
  p_append_text text default null,
  p_text_offset integer default null,
  p_metadata jsonb default null
)
returns public.conversation_messages
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_message public.conversation_messages;
  v_parts jsonb;
  v_text text;
  v_offset integer;
  v_delta text;
  v_length integer;
  v_changed boolean;
  v_content text;
  v_tool_calls jsonb;
begin
  if p_content is not null and p_append_content is not null then
    raise exception 'send content or append_content, not both' using errcode = '22023';
  end if;
  if (p_append_content is null) <> (p_content_offset is null) then
    raise exception 'append_content and content_offset come together' using errcode = '22023';
  end if;
  if p_status not in ('in_progress', 'completed', 'incomplete') then
    raise exception 'status must be in_progress, completed or incomplete' using errcode = '22023';
  end if;
  if (p_append_text is null) <> (p_text_offset is null) then
    raise exception 'append_text and text_offset come together' using errcode = '22023';
  end if;
  if (p_part_index is null) <> (p_part is null and p_append_text is null) or (p_part is not null and p_append_text is not null) then
    raise exception 'part_index comes with one of part and append_text' using errcode = '22023';
  end if;
  if p_part_index is not null and coalesce(p_content, p_append_content) is not null
     or p_part_index is not null and coalesce(p_tool_calls, p_function_call) is not null then
    raise exception 'send part operations or content and calls, not both' using errcode = '22023';
  end if;
  if jsonb_typeof(p_metadata) <> 'object' then
    raise exception 'metadata must be a JSON object' using errcode = '22023';
  end if;

  perform
  from public.conversations c
  where c.id = p_conversation_id
    and conversation_store.caller_reaches(c)
  for no key update;
  if not found then
    raise exception 'conversation not found' using errcode = 'PT404';
  end if;

  select * into v_message
  from public.conversation_messages m
  where m.conversation_id = p_conversation_id and m.sequence_order = p_sequence_order
  for update;
  if not found then
    raise exception 'message not found' using errcode = 'PT404';
  end if;
  if v_message.status <> 'in_progress' then
    raise exception 'message % is final (%)', p_sequence_order, v_message.status
      using errcode = 'PT409', hint = 'message_final';
  end if;
  if v_message.parts is not null and coalesce(p_content, p_append_content) is not null
     or v_message.parts is not null and coalesce(p_tool_calls, p_function_call) is not null then
    raise exception 'message % was written with parts: change it with part operations', p_sequence_order
      using errcode = '22023';
  end if;

  v_changed := p_content is not null or p_tool_calls is not null or p_function_call is not null
    or p_metadata is not null or p_status is distinct from v_message.status and p_status is not null;
  -- The text being extended: the content, or a text or reasoning part.
  v_delta := coalesce(p_append_content, p_append_text);
  v_offset := coalesce(p_content_offset, p_text_offset);
  v_parts := v_message.parts;
  if p_part_index is not null then
    if v_message.function_call is not null then
      raise exception 'message % has a function_call, which parts do not describe', p_sequence_order
        using errcode = '22023';
    end if;
    v_parts := conversation_store.message_parts(v_message);
    if p_part_index not between 0 and jsonb_array_length(v_parts) - (case when p_part is null then 1 else 0 end) then
      raise exception 'part_index % is out of range: the message has % parts', p_part_index, jsonb_array_length(v_parts)
        using errcode = '22023';
    end if;
    if p_part is not null then
      if v_parts -> p_part_index is distinct from p_part then
        v_parts := case when p_part_index = jsonb_array_length(v_parts) then v_parts || jsonb_build_array(p_part)
                        else jsonb_set(v_parts, array[p_part_index::text], p_part) end;
        perform conversation_store.check_parts(v_parts, v_message.role, v_message.user_id);
        v_changed := true;
      end if;
    elsif v_parts -> p_part_index ->> 'type' not in ('text', 'reasoning') then
      raise exception 'part % is not a text or reasoning part', p_part_index using errcode = '22023';
    end if;
  end if;
  if v_delta is not null then
    v_text := case when p_append_text is null then v_message.content else v_parts -> p_part_index ->> 'text' end;
    v_length := coalesce(char_length(v_text), 0);
    if v_length = v_offset then
      -- An empty delta here changes only updated_at: it is how a quiet writer shows it is alive.
      v_text := coalesce(v_text, '') || v_delta;
      v_changed := true;
    elsif not (v_length = v_offset + char_length(v_delta) and right(v_text, char_length(v_delta)) = v_delta) then
      raise exception 'content_offset % does not match the stored text, which is % characters long', v_offset, v_length
        using errcode = 'PT409', hint = 'content_offset_mismatch',
              detail = jsonb_build_object('content_length', v_length)::text;
    end if;
  end if;
  if not v_changed then
    return v_message; -- a retried delta or part: the reply stays exactly as it was
  end if;

  if v_parts is not null then
    if p_append_text is not null then
      v_parts := jsonb_set(v_parts, array[p_part_index::text, 'text'], to_jsonb(v_text));
    end if;
    v_content := conversation_store.parts_content(v_parts, v_message.role);
    v_tool_calls := conversation_store.parts_tool_calls(v_parts);
  else
    v_content := case
      -- Stopped before its first delta: final with empty text, as the stale takeover leaves it.
      when p_status = 'incomplete' and coalesce(p_content, v_text, v_message.content) is null
           and coalesce(p_tool_calls, v_message.tool_calls) is null
           and coalesce(p_function_call, v_message.function_call) is null
      then ''
      else coalesce(p_content, v_text, v_message.content)
    end;
    v_tool_calls := coalesce(p_tool_calls, v_message.tool_calls);
  end if;

  update public.conversation_messages m
  set content = v_content,
      tool_calls = v_tool_calls,
      function_call = coalesce(p_function_call, m.function_call),
      parts = v_parts,
      metadata = coalesce(p_metadata, m.metadata),
      status = coalesce(p_status, m.status),
      token_count = conversation_store.estimate_tokens(
        v_content, m.name, coalesce(p_function_call, m.function_call), v_tool_calls, m.tool_call_id)
        + conversation_store.estimate_part_tokens(v_parts),
      reasoning_token_count = conversation_store.estimate_reasoning_tokens(v_parts)
  where m.id = v_message.id
  returning * into v_message;

  if v_message.status <> 'in_progress' then
    update public.conversations c set updated_at = now() where c.id = p_conversation_id;
  end if;
  return v_message;
end;
$$;

revoke all on function public.update_message(uuid, integer, text, text, integer, jsonb, jsonb, text, integer, jsonb, text, integer, jsonb) from public, anon, authenticated, service_role;
grant execute on function public.update_message(uuid, integer, text, text, integer, jsonb, jsonb, text, integer, jsonb, text, integer, jsonb) to authenticated, service_role;

drop function conversation_store.set_exact_token_count(uuid, integer);

-- Input: a final message's id, its exact token count and, optionally, its exact reasoning count.
-- Guarantees: replaces the estimates update_message stored when the reply finished, from a session
--   that counts tokens (the edge functions), for a final message of the caller's (or any, for the
--   service role); anything else changes nothing. Returns whether it changed a count.
-- Security definer because messages have no update grant. Not part of the API: it lives in the
--   private schema, which the Data API does not expose.
create function conversation_store.set_exact_token_count(
  p_message_id uuid,
  p_token_count integer,
  p_reasoning_token_count integer default null
)
returns boolean
language plpgsql
security definer
set search_path = ''
as $$
begin
  if not conversation_store.writer_counts_tokens() then
    return false;
  end if;
  update public.conversation_messages m
  set token_count = p_token_count,
      reasoning_token_count = coalesce(p_reasoning_token_count, m.reasoning_token_count)
  where m.id = p_message_id and m.status <> 'in_progress'
    and (m.token_count, m.reasoning_token_count)
        is distinct from (p_token_count, coalesce(p_reasoning_token_count, m.reasoning_token_count))
    and (conversation_store.caller_is_service_role() or m.user_id = auth.uid());
  return found;
end;
$$;

revoke all on function conversation_store.set_exact_token_count(uuid, integer, integer) from public, anon, authenticated, service_role;
grant execute on function conversation_store.set_exact_token_count(uuid, integer, integer) to authenticated, service_role;

-- Input: the source conversation; the last message to copy (1..its last_sequence); optionally the
--   fork's id (makes the call idempotent) and a merge patch for its metadata.
-- Guarantees: creates a conversation of the source's owner with the source's video and retention,
--   the source's metadata merged with p_metadata, and copies of messages 1..p_through_sequence
--   (same sequence numbers, roles, contents, parts, metadata, token counts, statuses, timestamps
--   and client_message_ids; new ids); last_sequence = p_through_sequence. The source's summary comes
--   along when it covers no more than p_through_sequence. The same p_id again, for the same source
--   and sequence, returns the stored fork and copies nothing. Sets the transaction-local setting
--   conversation_store.conversation_created to true or false, as start_conversation does.
--   At most 100,000 messages are copied, so a fork always finishes within a request.
-- Errors: 22023 arguments out of range or p_metadata not an object; PT404 the source is not found,
--   not live or not the caller's; PT422 (hint beyond_last_sequence) p_through_sequence after the
--   source's last message, DETAIL {"last_sequence": n}; PT422 (hint fork_too_large) more than
--   100,000 messages to copy; PT409 (hint reply_in_progress) a reply in progress is among them,
--   DETAIL {"sequence_order": n}; 23505 p_id is taken by another conversation.
-- Security definer because clients cannot write messages; ownership is checked against auth.uid().
create or replace function public.fork_conversation(
  p_conversation_id uuid,
  p_through_sequence integer,
  p_id uuid default null,
  p_metadata jsonb default null
)
returns public.conversations
language plpgsql
security definer
set search_path = ''
as $$
declare
  c_max_messages constant integer := 100000;
  v_source public.conversations;
  v_fork public.conversations;
  v_reply_in_progress integer;
  v_keeps_summary boolean;
begin
  if p_through_sequence is null or p_through_sequence < 1 then
    raise exception 'p_through_sequence must be at least 1' using errcode = '22023';
  end if;
  if p_metadata is not null and jsonb_typeof(p_metadata) <> 'object' then
    raise exception 'p_metadata must be a JSON object' using errcode = '22023';
  end if;

  -- Key share keeps the source from being deleted while it is copied; appends go on.
  select * into v_source
  from public.conversations c
  where c.id = p_conversation_id
    and conversation_store.caller_reaches(c)
  for key share;
  if not found then
    raise exception 'conversation not found' using errcode = 'PT404';
  end if;

  if p_id is not null then
    select * into v_fork from public.conversations c where c.id = p_id;
    if found then
      if v_fork.user_id = v_source.user_id
        and v_fork.forked_from_conversation_id = p_conversation_id
        and v_fork.forked_from_sequence = p_through_sequence
        and (v_fork.expires_at is null or v_fork.expires_at > now()) then
        perform set_config('conversation_store.conversation_created', 'false', true);
        return v_fork;
      end if;
      raise exception 'conversation already exists' using errcode = '23505';
    end if;
  end if;

  if p_through_sequence > v_source.last_sequence then
    raise exception 'cannot fork through message %: the last message is %', p_through_sequence, v_source.last_sequence
      using errcode = 'PT422', hint = 'beyond_last_sequence',
            detail = jsonb_build_object('last_sequence', v_source.last_sequence)::text;
  end if;
  if p_through_sequence > c_max_messages then
    raise exception 'a fork copies at most % messages', c_max_messages
      using errcode = 'PT422', hint = 'fork_too_large',
            detail = jsonb_build_object('max_messages', c_max_messages)::text;
  end if;
  select m.sequence_order into v_reply_in_progress
  from public.conversation_messages m
  where m.conversation_id = p_conversation_id and m.status = 'in_progress'
    and m.sequence_order <= p_through_sequence;
  if found then
    raise exception 'message % is a reply still in progress', v_reply_in_progress
      using errcode = 'PT409', hint = 'reply_in_progress',
            detail = jsonb_build_object('sequence_order', v_reply_in_progress)::text;
  end if;

  v_keeps_summary := v_source.summary_through_sequence <= p_through_sequence;
  insert into public.conversations (
    id, user_id, video_id, metadata, last_sequence, retention_seconds,
    summary, summary_through_sequence, summary_token_count,
    forked_from_conversation_id, forked_from_sequence
  )
  values (
    coalesce(p_id, gen_random_uuid()), v_source.user_id, v_source.video_id,
    public.jsonb_merge_patch(v_source.metadata, coalesce(p_metadata, '{}'::jsonb)),
    p_through_sequence, v_source.retention_seconds,
    case when v_keeps_summary then v_source.summary end,
    case when v_keeps_summary then v_source.summary_through_sequence end,
    case when v_keeps_summary then v_source.summary_token_count end,
    p_conversation_id, p_through_sequence
  )
  returning * into v_fork;

  insert into public.conversation_messages (
    conversation_id, user_id, sequence_order, role, content, name, function_call, tool_calls,
    tool_call_id, client_message_id, created_at, token_count, status, updated_at,
    parts, metadata, reasoning_token_count
  )
  select v_fork.id, m.user_id, m.sequence_order, m.role, m.content, m.name, m.function_call, m.tool_calls,
         m.tool_call_id, m.client_message_id, m.created_at, m.token_count, m.status, m.updated_at,
         m.parts, m.metadata, m.reasoning_token_count
  from public.conversation_messages m
  where m.conversation_id = p_conversation_id and m.sequence_order between 1 and p_through_sequence;

  perform set_config('conversation_store.conversation_created', 'true', true);
  return v_fork;
end;
$$;

