-- public.start_conversation: create the caller's conversation, idempotently when the client picks the id.
--
-- Errors raised by this project's SQL functions (the edge functions map them in _shared/errors.ts;
-- PostgREST maps PTxxx codes to HTTP status xxx for supabase.rpc() callers):
--   PT404  conversation not found: it does not exist or belongs to someone else (never says which)
--   PT409  sequence conflict: p_expected_last_sequence is stale; DETAIL is {"last_sequence": n}
--   PT422  idempotency conflict: a client_message_id already stored with a different message
--   23505  conversation exists: start_conversation with an id that another user owns
--   22023  invalid request: malformed p_messages, p_patch or owner arguments
--   23514  invalid message or row: a table check constraint; names ending in _max_size mean "too large"
--   42501  not authenticated, or p_user_id names someone else

-- Input: optional video id and metadata; p_id makes the call idempotent; p_user_id names the owner
--   and is required for service_role (which has no user of its own), optional for a user (own id only).
-- Guarantees: returns the stored row; the same p_id by the same owner returns the row stored first,
--   unchanged, and creates nothing. Sets the transaction-local setting
--   conversation_store.conversation_created to true or false, so that callers in the same
--   transaction can tell a new conversation from a replay.
-- Security definer because clients may not write conversations.user_id; the owner comes from the
--   verified JWT claims (auth.uid(), auth.role()), never from a parameter alone.
create function public.start_conversation(
  p_video_id uuid default null,
  p_metadata jsonb default '{}'::jsonb,
  p_id uuid default null,
  p_user_id uuid default null
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
  if auth.role() = 'service_role' then
    if p_user_id is null then
      raise exception 'service_role must name the owner in p_user_id' using errcode = '22023';
    end if;
    v_owner := p_user_id;
  else
    v_owner := auth.uid();
    if v_owner is null then
      raise exception 'not authenticated' using errcode = '42501';
    end if;
    if p_user_id <> v_owner then
      raise exception 'p_user_id may only name the caller' using errcode = '42501';
    end if;
  end if;

  insert into public.conversations (id, user_id, video_id, metadata)
  values (coalesce(p_id, gen_random_uuid()), v_owner, p_video_id, coalesce(p_metadata, '{}'::jsonb))
  on conflict (id) do nothing
  returning * into v_conversation;
  perform set_config('conversation_store.conversation_created', (v_conversation.id is not null)::text, true);

  if v_conversation.id is null then
    select * into v_conversation
    from public.conversations c
    where c.id = p_id and c.user_id = v_owner;

    if v_conversation.id is null then
      raise exception 'conversation already exists' using errcode = '23505';
    end if;
  end if;

  return v_conversation;
end;
$$;

revoke all on function public.start_conversation(uuid, jsonb, uuid, uuid) from public, anon, authenticated, service_role;
grant execute on function public.start_conversation(uuid, jsonb, uuid, uuid) to authenticated, service_role;
