-- A heartbeat for replies written with parts (issue 18). A writer with nothing new to store (a model
-- thinking, a tool running) keeps its reply from being taken over as stale by moving updated_at.
-- An empty delta does that for a reply that has text to extend; a reply whose parts are only a step,
-- tool calls, sources or files has none, so the heartbeat gets a function of its own.

-- Input: a reply (a message in progress) of the caller's, by conversation and sequence_order.
-- Guarantees: its updated_at becomes now() and nothing else changes; returns it. Locks the
--   conversation before the message, in the order append_messages and update_message lock them.
-- Errors: PT404 conversation or message not found, not live or not the caller's; PT409 (hint
--   message_final) the message is final.
-- Security definer because messages have no update grant; ownership is checked against auth.uid().
create function public.keep_reply_alive(p_conversation_id uuid, p_sequence_order integer)
returns public.conversation_messages
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_message public.conversation_messages;
begin
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

  -- The row's touch trigger sets updated_at.
  update public.conversation_messages m
  set status = m.status
  where m.id = v_message.id
  returning * into v_message;
  return v_message;
end;
$$;

revoke all on function public.keep_reply_alive(uuid, integer) from public, anon, authenticated, service_role;
grant execute on function public.keep_reply_alive(uuid, integer) to authenticated, service_role;
