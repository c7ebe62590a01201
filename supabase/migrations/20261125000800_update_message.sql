-- Streaming a reply: public.update_message changes a reply while it is in progress and finishes it.
--
-- Deltas are exactly once. A delta names the offset it was written for (the length of the stored
-- text, in characters as PostgreSQL counts them: code points), so a writer that retries across a
-- dropped connection never stores it twice, and two writers never interleave unnoticed.

-- Input: the message (conversation id and sequence number); at most one of p_content (replaces
--   the text) and p_append_content with p_content_offset (adds a delta); p_tool_calls or
--   p_function_call (replace them); p_status ('in_progress', 'completed', 'incomplete').
-- Guarantees:
--   * Only a reply in progress changes; completed and incomplete are final, for good.
--   * A delta is appended when the stored text is exactly p_content_offset long; when the stored
--     text already ends with this delta at this offset (a retry) the reply stays as it is, its
--     updated_at included; anything else is refused and nothing changes. An empty delta at the end
--     of the text changes only updated_at (a heartbeat that keeps the reply from going stale).
--   * Stopping a reply (incomplete) before any text or call leaves it final with empty text.
--   * token_count follows the text (conversation_store.estimate_tokens); the edge functions
--     replace it with the exact count once the reply is final (conversation_store.set_exact_token_count).
--   * Finishing a reply is activity: the conversation's updated_at moves (and so its expires_at).
--   * The conversation is locked before the message, in the order append_messages locks them.
-- Errors: 22023 malformed arguments; PT404 conversation or message not found, not live or not the
--   caller's; PT409 (hint message_final) the message is final; PT409 (hint content_offset_mismatch)
--   the offset does not match, DETAIL {"content_length": n}; 23514 the result breaks a table rule
--   (a finished reply needs content, or tool or function calls).
-- Security definer because messages have no update grant; ownership is checked against auth.uid().
create function public.update_message(
  p_conversation_id uuid,
  p_sequence_order integer,
  p_content text default null,
  p_append_content text default null,
  p_content_offset integer default null,
  p_tool_calls jsonb default null,
  p_function_call jsonb default null,
  p_status text default null
)
returns public.conversation_messages
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_message public.conversation_messages;
  v_length integer;
  v_changed boolean;
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

  v_changed := p_content is not null or p_tool_calls is not null or p_function_call is not null
    or p_status is distinct from v_message.status and p_status is not null;
  if p_append_content is not null then
    v_length := coalesce(char_length(v_message.content), 0);
    if v_length = p_content_offset then
      -- An empty delta here changes only updated_at: it is how a quiet writer shows it is alive.
      v_message.content := coalesce(v_message.content, '') || p_append_content;
      v_changed := true;
    elsif not (v_length = p_content_offset + char_length(p_append_content)
               and right(v_message.content, char_length(p_append_content)) = p_append_content) then
      raise exception 'content_offset % does not match the stored text, which is % characters long',
        p_content_offset, v_length
        using errcode = 'PT409', hint = 'content_offset_mismatch',
              detail = jsonb_build_object('content_length', v_length)::text;
    end if;
  end if;
  if not v_changed then
    return v_message; -- a retried delta: the reply stays exactly as it was
  end if;

  update public.conversation_messages m
  set content = case
        -- Stopped before its first delta: final with empty text, as the stale takeover leaves it.
        when p_status = 'incomplete' and coalesce(p_content, v_message.content) is null
             and coalesce(p_tool_calls, m.tool_calls) is null and coalesce(p_function_call, m.function_call) is null
        then ''
        else coalesce(p_content, v_message.content)
      end,
      tool_calls = coalesce(p_tool_calls, m.tool_calls),
      function_call = coalesce(p_function_call, m.function_call),
      status = coalesce(p_status, m.status),
      token_count = conversation_store.estimate_tokens(
        coalesce(p_content, v_message.content), m.name, coalesce(p_function_call, m.function_call),
        coalesce(p_tool_calls, m.tool_calls), m.tool_call_id)
  where m.id = v_message.id
  returning * into v_message;

  if v_message.status <> 'in_progress' then
    update public.conversations c set updated_at = now() where c.id = p_conversation_id;
  end if;
  return v_message;
end;
$$;

revoke all on function public.update_message(uuid, integer, text, text, integer, jsonb, jsonb, text) from public, anon, authenticated, service_role;
grant execute on function public.update_message(uuid, integer, text, text, integer, jsonb, jsonb, text) to authenticated, service_role;

-- Input: a final message's id and its exact token count.
-- Guarantees: replaces the estimate update_message stored when the reply finished, from a session
--   that counts tokens (the edge functions), for a final message of the caller's (or any, for the
--   service role); anything else changes nothing. Returns whether it changed the count.
-- Security definer because messages have no update grant. Not part of the API: it lives in the
--   private schema, which the Data API does not expose.
create function conversation_store.set_exact_token_count(p_message_id uuid, p_token_count integer)
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
  set token_count = p_token_count
  where m.id = p_message_id and m.status <> 'in_progress' and m.token_count <> p_token_count
    and (conversation_store.caller_is_service_role() or m.user_id = auth.uid());
  return found;
end;
$$;

revoke all on function conversation_store.set_exact_token_count(uuid, integer) from public, anon, authenticated, service_role;
grant execute on function conversation_store.set_exact_token_count(uuid, integer) to authenticated, service_role;
