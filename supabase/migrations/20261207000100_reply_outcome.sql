-- How a reply ended, kept with it (issue 25): a reloaded page must be able to tell a finished reply
-- from one the user stopped, one whose model failed, one cut by the time limit and one whose writer
-- died, and to say why the model failed without showing the provider's raw error.
--
-- public.conversation_messages.reply_outcome, null for a message never written as a reply in
-- progress (so messages stored whole read back exactly as before):
--   {}                                       a reply that completed
--   {"reason": r}                            a reply that ended incomplete, r one of
--       stopped       the user's Stop (a closed page nobody came back to, update-message, a new message)
--       model_error   the model call failed; then also "error" (below)
--       time_limit    CHAT_MAX_DURATION_MS ran out
--       taken_over    its writer went silent (a crash, a killed worker) and the next message took it over
--       refused       the store refused a write of it (a size limit, the owner's edit of its text); then
--                     also "error": {code, message}, the store's error code
--   "error": {code, message, provider_status?, rate_limited, retryable}
--       the safe description of a failure that the browser was sent: never a URL, host, key or stack.
-- While a reply is in progress its writer may record the reason it is about to end with
-- (public.set_reply_outcome); the trigger below settles the outcome when the status becomes final,
-- whichever path makes it final, so no writer of status needs to know about it.

alter table public.conversation_messages
  add column reply_outcome jsonb,
  add constraint conversation_messages_reply_outcome_shape check (
    reply_outcome is null or (
      jsonb_typeof(reply_outcome) = 'object'
      and (not reply_outcome ? 'reason'
           or reply_outcome ->> 'reason' in ('stopped', 'model_error', 'time_limit', 'taken_over', 'refused'))
      and (not reply_outcome ? 'error' or jsonb_typeof(reply_outcome -> 'error') = 'object')
      and (reply_outcome ->> 'reason' is null or status <> 'completed')
    )
  ),
  add constraint conversation_messages_reply_outcome_max_size check (
    reply_outcome is null or pg_column_size(reply_outcome) <= 2048
  );

comment on column public.conversation_messages.reply_outcome is
  'How a reply ended: {} completed, {"reason": …, "error"?: …} incomplete; null for messages not written as a reply in progress.';

-- Input: a message whose status changes. Guarantees: when a reply in progress becomes final, its
--   reply_outcome is settled: {} when completed; when incomplete, the reason its writer recorded
--   (with its error), else taken_over when it had been silent for conversation_store.stale_reply_after()
--   (append_messages' takeover), else stopped (update-message's Stop, a released reply ended).
-- Fires before conversation_messages_touch_updated_at (name order), so old.updated_at is the last
--   time the writer wrote.
create function conversation_store.settle_reply_outcome()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if new.status = 'completed' then
    new.reply_outcome := '{}'::jsonb;
  elsif old.reply_outcome ? 'reason' then
    new.reply_outcome := old.reply_outcome;
  else
    new.reply_outcome := jsonb_build_object('reason',
      case when old.updated_at < now() - conversation_store.stale_reply_after() then 'taken_over'
           else 'stopped' end);
  end if;
  return new;
end;
$$;

revoke all on function conversation_store.settle_reply_outcome() from public, anon, authenticated, service_role;

create trigger conversation_messages_reply_outcome
  before update of status on public.conversation_messages
  for each row
  when (old.status = 'in_progress' and new.status <> 'in_progress')
  execute function conversation_store.settle_reply_outcome();

-- Input: a reply of the caller's (conversation and sequence_order); the reason it is about to end
--   with (stopped, model_error, time_limit, taken_over, refused: the store refused a write of it);
--   for model_error (and refused), the error as the browser
--   was told it: an object {code, message, provider_status?, rate_limited?, retryable?} (strings,
--   a number, booleans), the code up to 64 characters, the message up to 500.
-- Guarantees: while the reply is in progress, records the reason (and error) that the trigger
--   settles when the reply becomes final (and, as any write, moves updated_at). Returns whether it was recorded: false when the reply is already final (its outcome
--   stays what it was).
-- Errors: 22023 an unknown reason, an error that is not such an object; PT404 conversation or
--   message not found, not live or not the caller's.
-- Security definer because messages have no update grant; ownership is checked against auth.uid().
create function public.set_reply_outcome(
  p_conversation_id uuid,
  p_sequence_order integer,
  p_reason text,
  p_error jsonb default null
)
returns boolean
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_message_id uuid;
  v_status text;
begin
  if p_reason is null or p_reason not in ('stopped', 'model_error', 'time_limit', 'taken_over', 'refused') then
    raise exception 'reason must be stopped, model_error, time_limit, taken_over or refused' using errcode = '22023';
  end if;
  if p_error is not null and (
    jsonb_typeof(p_error) <> 'object'
    or jsonb_typeof(p_error -> 'code') is distinct from 'string'
    or jsonb_typeof(p_error -> 'message') is distinct from 'string'
    or length(p_error ->> 'message') > 500
    or length(p_error ->> 'code') > 64
    or jsonb_typeof(coalesce(p_error -> 'provider_status', '0')) <> 'number'
    or jsonb_typeof(coalesce(p_error -> 'rate_limited', 'false')) <> 'boolean'
    or jsonb_typeof(coalesce(p_error -> 'retryable', 'false')) <> 'boolean'
    or exists (select from jsonb_object_keys(p_error) as k(key)
               where k.key not in ('code', 'message', 'provider_status', 'rate_limited', 'retryable'))
  ) then
    raise exception 'error must be {code, message, provider_status?, rate_limited?, retryable?}'
      using errcode = '22023';
  end if;

  select m.id, m.status into v_message_id, v_status
  from public.conversation_messages m
  join public.conversations c on c.id = m.conversation_id
  where m.conversation_id = p_conversation_id and m.sequence_order = p_sequence_order
    and conversation_store.caller_reaches(c)
  for update of m;
  if not found then
    raise exception 'message not found' using errcode = 'PT404';
  end if;
  if v_status <> 'in_progress' then
    return false;
  end if;

  update public.conversation_messages m
  set reply_outcome = jsonb_strip_nulls(jsonb_build_object('reason', p_reason, 'error', p_error))
  where m.id = v_message_id;
  return true;
end;
$$;

revoke all on function public.set_reply_outcome(uuid, integer, text, jsonb) from public, anon, authenticated, service_role;
grant execute on function public.set_reply_outcome(uuid, integer, text, jsonb) to authenticated, service_role;
