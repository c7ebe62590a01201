-- Branches: a fork is a new conversation of the same owner that starts with copies of another's
-- first messages. Editing a message is "fork through the one before it, then append the edit";
-- regenerating a reply is "fork through the user message, then reply again". History is never
-- rewritten, and each branch keeps its own numbering, idempotency keys and summary.

alter table public.conversations
  add column forked_from_conversation_id uuid references public.conversations (id) on delete set null,
  add column forked_from_sequence integer,
  add constraint conversations_forked_from_sequence_positive check (forked_from_sequence >= 1);

comment on column public.conversations.forked_from_conversation_id is
  'The conversation this one was forked from; null when it was not, or once the source is deleted.';
comment on column public.conversations.forked_from_sequence is
  'The last message copied from the source: messages 1..forked_from_sequence began as copies.';

-- Lists a conversation's forks, and serves the foreign key when a source is deleted (set null).
create index idx_conversations_forked_from on public.conversations (forked_from_conversation_id)
  where forked_from_conversation_id is not null;

-- Losing the source (on delete set null) is not activity of the fork: it must not move the fork's
-- updated_at, its place in the list, or its expiry.
drop trigger conversations_touch_updated_at on public.conversations;
create trigger conversations_touch_updated_at
  before update on public.conversations
  for each row
  when (old.forked_from_conversation_id is not distinct from new.forked_from_conversation_id)
  execute function public.touch_updated_at();

-- Input: the source conversation; the last message to copy (1..its last_sequence); optionally the
--   fork's id (makes the call idempotent) and a merge patch for its metadata.
-- Guarantees: creates a conversation of the source's owner with the source's video and retention,
--   the source's metadata merged with p_metadata, and copies of messages 1..p_through_sequence
--   (same sequence numbers, roles, contents, token counts, statuses, timestamps and
--   client_message_ids; new ids); last_sequence = p_through_sequence. The source's summary comes
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
create function public.fork_conversation(
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
    tool_call_id, client_message_id, created_at, token_count, status, updated_at
  )
  select v_fork.id, m.user_id, m.sequence_order, m.role, m.content, m.name, m.function_call, m.tool_calls,
         m.tool_call_id, m.client_message_id, m.created_at, m.token_count, m.status, m.updated_at
  from public.conversation_messages m
  where m.conversation_id = p_conversation_id and m.sequence_order between 1 and p_through_sequence;

  perform set_config('conversation_store.conversation_created', 'true', true);
  return v_fork;
end;
$$;

revoke all on function public.fork_conversation(uuid, integer, uuid, jsonb) from public, anon, authenticated, service_role;
grant execute on function public.fork_conversation(uuid, integer, uuid, jsonb) to authenticated, service_role;
