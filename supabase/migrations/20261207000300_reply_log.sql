-- Streaming a reply writes what is new, not the whole reply (issue 32). Before, each flush of a
-- streamed reply rewrote the message row (its parts and the content derived from them), so the WAL
-- of one reply grew with the square of its length, and a follower re-read the whole reply per poll.
--
-- Now a part operation on a reply in progress (a delta to a text or reasoning part, or a part set
-- or added) is a small row of conversation_store.reply_log beside the message; the message row is
-- touched at most once in 5 seconds, to show the writer is alive. The log is folded into the message's
-- parts (and content, tool_calls and the estimates) once, when the reply becomes final: by
-- update_message, or by a trigger for any other path (the stale takeover in append_messages).
-- Readers of a reply in progress see it with its log applied (conversation_store.live_parts,
-- live_message); a follower reads only the entries after the last one it saw
-- (conversation_store.reply_log_after). Each entry carries the reply's totals after it, so a delta
-- is checked against the message's limits without reading the reply. Writers of one reply's log
-- are serialized by an advisory lock (conversation_store.lock_reply_log), which writes no WAL, where
-- a row lock on every delta would.

create table conversation_store.reply_log (
  -- No foreign key: its check would lock the message row on every delta, in the WAL. A trigger on
  -- the messages deletes the log of a reply deleted in progress (a final reply has none).
  message_id uuid not null,
  position bigint generated always as identity,
  part_index integer not null,
  -- A delta: the text added to the part and the offset (code points) it was written at.
  delta text,
  text_offset integer,
  -- A part set (or added at the end), whole.
  part jsonb,
  -- The reply after this entry: its number of parts, its content's length (code points), the bytes
  -- of its parts as JSON text, and this part's type and text length (code points).
  part_count integer not null,
  content_chars integer not null,
  parts_bytes integer not null,
  part_type text not null,
  text_length integer not null,
  primary key (message_id, position),
  constraint reply_log_one_operation check ((delta is null) <> (part is null)),
  constraint reply_log_delta_offset check ((delta is null) = (text_offset is null))
);

comment on table conversation_store.reply_log is
  'Part operations on replies in progress, folded into the message when it becomes final. Read and written only through the functions of 20261207000300_reply_log.sql.';

revoke all on table conversation_store.reply_log from public, anon, authenticated, service_role;

-- Input: a message. Guarantees: its parts with the log applied, in the order written (each part's
--   last set, then the deltas after it), whatever the caller; for a message without log entries,
--   its parts column as stored (null for a message written without parts). Reads the log as its
--   owner: the caller must already have the row (its policies gave it).
create function conversation_store.logged_parts(p_message public.conversation_messages)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
  with log as (
    select l.position, l.part_index, l.delta, l.part
    from conversation_store.reply_log l
    where l.message_id = p_message.id
  ),
  last_set as (
    select l.part_index, max(l.position) as position from log l where l.part is not null group by l.part_index
  ),
  changed as (
    select l.part_index,
           (select s.part from log s where s.part_index = l.part_index and s.position = ls.position) as part,
           string_agg(l.delta, '' order by l.position)
             filter (where l.delta is not null and l.position > coalesce(ls.position, 0)) as text
    from log l left join last_set ls on ls.part_index = l.part_index
    group by l.part_index, ls.position
  ),
  base as (
    select b.value, (b.position - 1)::integer as part_index
    from jsonb_array_elements(conversation_store.message_parts(p_message)) with ordinality as b(value, position)
  )
  select case when not exists (select from log) then p_message.parts else (
    select coalesce(jsonb_agg(
             case when c.text is null then coalesce(c.part, b.value)
                  else jsonb_set(coalesce(c.part, b.value), '{text}',
                                 to_jsonb(coalesce(coalesce(c.part, b.value) ->> 'text', '') || c.text)) end
             order by part_index), '[]'::jsonb)
    from base b full join changed c using (part_index)
  ) end
$$;

revoke all on function conversation_store.logged_parts(public.conversation_messages) from public, anon, authenticated, service_role;

-- Input: a message the caller read (its policies gave it). Guarantees: its parts as readers see
--   them: for a reply in progress, with its log applied (conversation_store.logged_parts); for any
--   other message, its parts column. Never another user's log: the stored message must be the
--   caller's (or the service role calls), whatever row is passed.
-- Security definer because the log has no grants.
create function conversation_store.live_parts(p_message public.conversation_messages)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if p_message.status <> 'in_progress' or not exists (
       select from public.conversation_messages m
       where m.id = p_message.id and (conversation_store.caller_is_service_role() or m.user_id = auth.uid())) then
    return p_message.parts;
  end if;
  return conversation_store.logged_parts(p_message);
end;
$$;

revoke all on function conversation_store.live_parts(public.conversation_messages) from public, anon, authenticated, service_role;
grant execute on function conversation_store.live_parts(public.conversation_messages) to authenticated, service_role;

-- Input: parts and a message row. Guarantees: the row with these parts and what is derived from
--   them (content, tool_calls, token_count and reasoning_token_count estimates), as update_message
--   derives them.
create function conversation_store.with_parts(p_message public.conversation_messages, p_parts jsonb)
returns public.conversation_messages
language plpgsql
immutable
set search_path = ''
as $$
begin
  p_message.parts := p_parts;
  p_message.content := conversation_store.parts_content(p_parts, p_message.role);
  p_message.tool_calls := conversation_store.parts_tool_calls(p_parts);
  p_message.token_count := conversation_store.estimate_tokens(
      p_message.content, p_message.name, p_message.function_call, p_message.tool_calls, p_message.tool_call_id)
    + conversation_store.estimate_part_tokens(p_parts);
  p_message.reasoning_token_count := conversation_store.estimate_reasoning_tokens(p_parts);
  return p_message;
end;
$$;

revoke all on function conversation_store.with_parts(public.conversation_messages, jsonb) from public, anon, authenticated, service_role;

-- Input: a message the caller read. Guarantees: the message as readers see it: a reply in progress
--   with its log applied and content, tool_calls and estimates derived from the result; any other
--   message as stored.
-- Security definer because the estimates it derives use private helpers; it reads the log only
--   through conversation_store.live_parts, which checks the caller.
create function conversation_store.live_message(p_message public.conversation_messages)
returns public.conversation_messages
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_parts jsonb := conversation_store.live_parts(p_message);
begin
  if v_parts is not distinct from p_message.parts then
    return p_message;
  end if;
  return conversation_store.with_parts(p_message, v_parts);
end;
$$;

revoke all on function conversation_store.live_message(public.conversation_messages) from public, anon, authenticated, service_role;
grant execute on function conversation_store.live_message(public.conversation_messages) to authenticated, service_role;

-- Input: a message (the caller's, or any for the service role) and a log position (0: from the
--   start). Guarantees: the log entries after that position, in order: what a follower of the reply
--   has not read yet, and nothing else; none for another user's message or a final one (whose log
--   is folded). Security definer because the log has no grants.
create function conversation_store.reply_log_after(p_message_id uuid, p_after bigint)
returns table (log_position bigint, part_index integer, delta text, part jsonb)
language sql
stable
security definer
set search_path = ''
as $$
  select l.position, l.part_index, l.delta, l.part
  from conversation_store.reply_log l
  where l.message_id = p_message_id and l.position > p_after
    and exists (select from public.conversation_messages m
                where m.id = p_message_id
                  and (conversation_store.caller_is_service_role() or m.user_id = auth.uid()))
  order by l.position
$$;

revoke all on function conversation_store.reply_log_after(uuid, bigint) from public, anon, authenticated, service_role;
grant execute on function conversation_store.reply_log_after(uuid, bigint) to authenticated, service_role;

-- Input: a message id. Guarantees: the position of its last log entry, 0 when it has none or is
--   not the caller's (what a follower that read the reply in the same statement has seen).
--   Security definer because the log has no grants.
create function conversation_store.reply_log_position(p_message_id uuid)
returns bigint
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce(max(l.position), 0)
  from conversation_store.reply_log l
  where l.message_id = p_message_id
    and exists (select from public.conversation_messages m
                where m.id = p_message_id
                  and (conversation_store.caller_is_service_role() or m.user_id = auth.uid()))
$$;

revoke all on function conversation_store.reply_log_position(uuid) from public, anon, authenticated, service_role;
grant execute on function conversation_store.reply_log_position(uuid) to authenticated, service_role;

-- Input: a message id. Guarantees: the transaction holds the lock of the message's log until it
--   ends: writers of the log (conversation_store.log_part_operation) and the functions that fold or
--   drop it take it, always after any row lock they take, so it never closes a cycle of waits. An
--   advisory lock (class 32, issue 32's number), which costs no WAL, unlike a row lock.
create function conversation_store.lock_reply_log(p_message_id uuid)
returns void
language sql
set search_path = ''
as $$
  select pg_advisory_xact_lock(32, hashtext(p_message_id::text))
$$;

revoke all on function conversation_store.lock_reply_log(uuid) from public, anon, authenticated, service_role;

-- Input: a reply in progress, locked by the caller. Guarantees: its log is deleted and the row
--   returned with the log applied (conversation_store.with_parts), for the caller to store in the
--   same transaction; the row unchanged when it has no log.
create function conversation_store.take_reply_log(p_message public.conversation_messages)
returns public.conversation_messages
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_parts jsonb;
begin
  perform conversation_store.lock_reply_log(p_message.id);
  if not exists (select from conversation_store.reply_log l where l.message_id = p_message.id) then
    return p_message;
  end if;
  v_parts := conversation_store.logged_parts(p_message);
  delete from conversation_store.reply_log l where l.message_id = p_message.id;
  return conversation_store.with_parts(p_message, v_parts);
end;
$$;

revoke all on function conversation_store.take_reply_log(public.conversation_messages) from public, anon, authenticated, service_role;

-- A reply that becomes final by any path (update_message folds first; the stale takeover of
-- append_messages does not know the log) keeps everything its log holds.
create function conversation_store.fold_reply_log()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_folded public.conversation_messages := conversation_store.take_reply_log(old);
begin
  if v_folded is distinct from old then
    new.parts := v_folded.parts;
    new.content := v_folded.content;
    new.tool_calls := v_folded.tool_calls;
    new.token_count := v_folded.token_count;
    new.reasoning_token_count := v_folded.reasoning_token_count;
  end if;
  return new;
end;
$$;

revoke all on function conversation_store.fold_reply_log() from public, anon, authenticated, service_role;

create trigger conversation_messages_fold_reply_log
  before update of status on public.conversation_messages
  for each row
  when (old.status = 'in_progress' and new.status <> 'in_progress')
  execute function conversation_store.fold_reply_log();

-- A reply deleted while in progress (its conversation deleted) takes its log along.
create function conversation_store.drop_reply_log()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform conversation_store.lock_reply_log(old.id);
  delete from conversation_store.reply_log l where l.message_id = old.id;
  return null;
end;
$$;

revoke all on function conversation_store.drop_reply_log() from public, anon, authenticated, service_role;

create trigger conversation_messages_drop_reply_log
  after delete on public.conversation_messages
  for each row
  when (old.status = 'in_progress')
  execute function conversation_store.drop_reply_log();

-- Input: a reply (conversation id and sequence number) and one part operation: p_part_index with
--   p_part (replaces the part at that index, or adds it when the index is the number of parts), or
--   with p_append_text and p_text_offset (a delta to the text or reasoning part at that index).
-- Guarantees: update_message's rules for part operations (see there), written as one log entry:
--   * A delta is logged when the part's text is exactly p_text_offset code points long; a retry
--     (the text is p_text_offset + the delta long and ends with it) logs nothing; anything else is
--     refused. A part equal to the one stored logs nothing.
--   * The reply stays within the message's limits: content at most 100,000 code points
--     (conversation_messages_content_max_size), parts at most 524,288 bytes of JSON
--     (conversation_messages_parts_max_size), and a part set keeps conversation_store.check_parts
--     valid. A delta costs work in its own size only (the totals come from the last entry).
--   * The message row's updated_at moves at most once in 5 seconds (an empty delta moves it always:
--     the heartbeat), far within conversation_store.stale_reply_after(); the row is not rewritten.
--   * The reply's log lock (conversation_store.lock_reply_log) serializes this with every other
--     writer of the log; no row is locked unless updated_at moves, so a delta writes no lock to the
--     WAL.
-- Errors: as update_message's for part operations; 23514 with the constraint named above when a
--   limit would be passed.
-- Security definer because the log has no grants; ownership is checked against auth.uid().
create function conversation_store.log_part_operation(
  p_conversation_id uuid,
  p_sequence_order integer,
  p_part_index integer,
  p_part jsonb,
  p_append_text text,
  p_text_offset integer
)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  c_max_content_chars constant integer := 100000;
  c_max_parts_bytes constant integer := 524288;
  v_id uuid;
  v_status text;
  v_function_call boolean;
  v_quiet boolean;
  v_last conversation_store.reply_log;
  v_part conversation_store.reply_log;
  v_message public.conversation_messages;
  v_parts jsonb;
  v_part_count integer;
  v_length integer;
  v_delta_chars integer;
  v_entry conversation_store.reply_log;
  v_locked boolean := false;
begin
  perform
  from public.conversations c
  where c.id = p_conversation_id
    and conversation_store.caller_reaches(c);
  if not found then
    raise exception 'conversation not found' using errcode = 'PT404';
  end if;
  select m.id into v_id
  from public.conversation_messages m
  where m.conversation_id = p_conversation_id and m.sequence_order = p_sequence_order;
  if not found then
    raise exception 'message not found' using errcode = 'PT404';
  end if;

  -- Checked first without a lock, so that a replay or a refusal writes nothing at all; what is to be
  -- written is checked again under the log's lock when the log moved in between (a second writer).
  loop
    v_parts := null;
    select m.status, m.function_call is not null, m.updated_at < now() - interval '5 seconds'
      into v_status, v_function_call, v_quiet
    from public.conversation_messages m
    where m.id = v_id;
    if not found then
      raise exception 'message not found' using errcode = 'PT404';
    end if;
    if v_status <> 'in_progress' then
      raise exception 'message % is final (%)', p_sequence_order, v_status
        using errcode = 'PT409', hint = 'message_final';
    end if;
    if v_function_call then
      raise exception 'message % has a function_call, which parts do not describe', p_sequence_order
        using errcode = '22023';
    end if;

    v_last := null;
    v_part := null;
    select * into v_last from conversation_store.reply_log l
    where l.message_id = v_id order by l.position desc limit 1;
    if v_last.part_index is not distinct from p_part_index then
      v_part := v_last;
    else
      select * into v_part from conversation_store.reply_log l
      where l.message_id = v_id and l.part_index = p_part_index order by l.position desc limit 1;
    end if;
    if v_last.message_id is null or p_part is not null or v_part.message_id is null then
      select * into v_message from public.conversation_messages m where m.id = v_id;
      v_parts := coalesce(conversation_store.logged_parts(v_message), conversation_store.message_parts(v_message));
      v_part_count := jsonb_array_length(v_parts);
    else
      v_part_count := v_last.part_count;
    end if;
    if p_part_index not between 0 and v_part_count - (case when p_part is null then 1 else 0 end) then
      raise exception 'part_index % is out of range: the message has % parts', p_part_index, v_part_count
        using errcode = '22023';
    end if;

    if p_part is not null then
      if v_parts -> p_part_index = p_part then
        return; -- a retried part: the reply stays exactly as it was
      end if;
      v_parts := case when p_part_index = v_part_count then v_parts || jsonb_build_array(p_part)
                      else jsonb_set(v_parts, array[p_part_index::text], p_part) end;
      perform conversation_store.check_parts(v_parts, v_message.role, v_message.user_id);
      v_entry := row(v_id, null, p_part_index, null, null, p_part, jsonb_array_length(v_parts),
                     coalesce(char_length(conversation_store.parts_content(v_parts, v_message.role)), 0),
                     octet_length(v_parts::text), p_part ->> 'type', coalesce(char_length(p_part ->> 'text'), 0));
    else
      if v_part.message_id is null then
        -- The part's first delta since the reply began.
        v_part.part_type := v_parts -> p_part_index ->> 'type';
        v_part.text_length := coalesce(char_length(v_parts -> p_part_index ->> 'text'), 0);
      end if;
      if v_last.message_id is null then
        v_last.content_chars := coalesce(char_length(conversation_store.parts_content(v_parts, v_message.role)), 0);
        v_last.parts_bytes := octet_length(v_parts::text);
      end if;
      if v_part.part_type not in ('text', 'reasoning') then
        raise exception 'part % is not a text or reasoning part', p_part_index using errcode = '22023';
      end if;
      v_length := v_part.text_length;
      v_delta_chars := char_length(p_append_text);
      if v_length <> p_text_offset then
        if v_length = p_text_offset + v_delta_chars and v_delta_chars > 0 then
          if v_parts is null and not (v_part.text_offset = p_text_offset and v_part.delta = p_append_text) then
            select * into v_message from public.conversation_messages m where m.id = v_id;
            v_parts := conversation_store.logged_parts(v_message);
          end if;
          if v_parts is null or right(v_parts -> p_part_index ->> 'text', v_delta_chars) = p_append_text then
            return; -- a retried delta: the reply stays exactly as it was, its updated_at included
          end if;
        end if;
        raise exception 'content_offset % does not match the stored text, which is % characters long', p_text_offset, v_length
          using errcode = 'PT409', hint = 'content_offset_mismatch',
                detail = jsonb_build_object('content_length', v_length)::text;
      end if;
      if v_delta_chars = 0 then
        v_quiet := true; -- the heartbeat of a writer with nothing new: only updated_at moves
        v_entry := null;
      else
        if v_part.part_type = 'text' and v_last.content_chars + v_delta_chars > c_max_content_chars then
          raise exception 'the reply would be longer than % characters', c_max_content_chars
            using errcode = '23514', constraint = 'conversation_messages_content_max_size',
                  table = 'conversation_messages', schema = 'public';
        end if;
        -- Text grows its JSON by its escaped form: the JSON string of the delta without its quotes.
        v_last.parts_bytes := v_last.parts_bytes + octet_length(to_jsonb(p_append_text)::text) - 2;
        if v_last.parts_bytes > c_max_parts_bytes then
          raise exception 'the reply''s parts would be larger than % bytes', c_max_parts_bytes
            using errcode = '23514', constraint = 'conversation_messages_parts_max_size',
                  table = 'conversation_messages', schema = 'public';
        end if;
        v_entry := row(v_id, null, p_part_index, p_append_text, p_text_offset, null, v_part_count,
                       v_last.content_chars + case when v_part.part_type = 'text' then v_delta_chars else 0 end,
                       v_last.parts_bytes, v_part.part_type, v_length + v_delta_chars);
      end if;
    end if;

    exit when v_locked;
    if v_quiet then
      -- The writer is alive: the row's touch trigger sets updated_at. Before the log's lock, in the
      -- order every writer of a message takes its locks (the row, then the log).
      update public.conversation_messages m set status = m.status where m.id = v_id and m.status = 'in_progress';
    end if;
    -- No row lock otherwise (one would cost WAL on every delta): the log's lock serializes this with
    -- every other writer of the reply's log.
    perform conversation_store.lock_reply_log(v_id);
    v_locked := true;
    exit when exists (select from public.conversation_messages m where m.id = v_id and m.status = 'in_progress')
      and coalesce((select max(l.position) from conversation_store.reply_log l where l.message_id = v_id), 0)
          = coalesce(v_last.position, 0);
  end loop;

  if v_entry.message_id is not null then
    insert into conversation_store.reply_log (message_id, part_index, delta, text_offset, part, part_count,
                                              content_chars, parts_bytes, part_type, text_length)
    values (v_entry.message_id, v_entry.part_index, v_entry.delta, v_entry.text_offset, v_entry.part,
            v_entry.part_count, v_entry.content_chars, v_entry.parts_bytes, v_entry.part_type, v_entry.text_length);
  end if;
end;
$$;

revoke all on function conversation_store.log_part_operation(uuid, integer, integer, jsonb, text, integer) from public, anon, authenticated, service_role;
grant execute on function conversation_store.log_part_operation(uuid, integer, integer, jsonb, text, integer) to authenticated, service_role;

-- Input: the message (conversation id and sequence number); at most one of p_content (replaces
--   the text) and p_append_content with p_content_offset (adds a delta); p_tool_calls or
--   p_function_call (replace them); p_status ('in_progress', 'completed', 'incomplete'). Part
--   operations, instead of content and calls: p_part_index with p_part (replaces the part at that
--   index, or appends it when the index is the number of parts), or p_part_index with
--   p_append_text and p_text_offset (a delta to the text or reasoning part at that index);
--   p_metadata replaces the message's metadata.
-- Guarantees (20261207000300: a part operation alone on a reply in progress is logged beside the
--   message, conversation_store.log_part_operation, and the message returned as readers see it;
--   any other call folds the log into the message first; the rules below are unchanged):
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
create or replace function public.update_message(
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
  v_logged boolean;
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

  -- A part operation alone on a reply in progress is logged beside it (a small row), not written
  -- into the message; the message is returned as readers see it.
  if p_part_index is not null and p_status is null and p_metadata is null then
    perform conversation_store.log_part_operation(p_conversation_id, p_sequence_order, p_part_index, p_part,
                                                  p_append_text, p_text_offset);
    select * into v_message
    from public.conversation_messages m
    where m.conversation_id = p_conversation_id and m.sequence_order = p_sequence_order;
    return conversation_store.live_message(v_message);
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
  -- Anything else first folds the log into the message, so that it applies to the reply as written
  -- (under the log's lock, taken after the row locks as every writer of the log takes it).
  perform conversation_store.lock_reply_log(v_message.id);
  v_logged := exists (select from conversation_store.reply_log l where l.message_id = v_message.id);
  if v_logged then
    v_message := conversation_store.take_reply_log(v_message);
  end if;
  if v_message.parts is not null and coalesce(p_content, p_append_content) is not null
     or v_message.parts is not null and coalesce(p_tool_calls, p_function_call) is not null then
    raise exception 'message % was written with parts: change it with part operations', p_sequence_order
      using errcode = '22023';
  end if;

  v_changed := v_logged or p_content is not null or p_tool_calls is not null or p_function_call is not null
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
