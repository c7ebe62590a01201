-- Retention and deletion: a conversation is live until it expires or is deleted; then it is gone
-- for clients at once, and its storage is reclaimed afterwards in bounded batches.
--
-- Deleting a conversation of a million messages in one statement takes about a minute, longer
-- than any request may run. So deleting marks the conversation (deleted_at) and reclaims what fits
-- in one request; public.purge_expired_conversations, scheduled every minute by pg_cron where it
-- is installed, reclaims the rest, newest messages first, a bounded number per call.
--
-- expires_at is maintained here: updated_at + retention_seconds (so every change, each append
-- included, extends it), or deleted_at once the conversation is deleted. Clients read it, never
-- write it. "Live" everywhere in this project means: expires_at is null or later than now().

alter table public.conversations
  add column retention_seconds integer,
  add column deleted_at timestamptz,
  add column expires_at timestamptz,
  add constraint conversations_retention_seconds_range check (retention_seconds between 60 and 315360000);

comment on column public.conversations.retention_seconds is
  'Seconds of inactivity after which the conversation expires (60 to 315,360,000); null keeps it forever.';
comment on column public.conversations.deleted_at is
  'When the conversation was deleted; its storage is being reclaimed. Never returned to clients.';
comment on column public.conversations.expires_at is
  'When the conversation is gone for clients: updated_at + retention_seconds, or deleted_at. Maintained by a trigger.';

-- Runs after conversations_touch_updated_at (triggers fire in name order), so it sees the new updated_at.
create function conversation_store.set_expires_at()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.expires_at := coalesce(new.deleted_at, new.updated_at + new.retention_seconds * interval '1 second');
  return new;
end;
$$;

revoke all on function conversation_store.set_expires_at() from public, anon, authenticated, service_role;

create trigger conversations_update_expires_at
  before insert or update on public.conversations
  for each row execute function conversation_store.set_expires_at();

-- Purging walks expired conversations oldest first; live ones without retention stay out of it.
create index idx_conversations_expires_at on public.conversations (expires_at) where expires_at is not null;

grant insert (retention_seconds) on table public.conversations to authenticated, service_role;
grant update (retention_seconds) on table public.conversations to authenticated, service_role;

-- Clients reach only live conversations, and only the messages of live conversations: the messages
-- of a deleted or expired one are gone at once too, not when the purge reclaims them. The policy
-- on conversations applies inside the messages policy's subquery, which probes the primary key
-- once per message read.
alter policy "owners read their messages" on public.conversation_messages
  using (user_id = (select auth.uid()) and exists (select from public.conversations c where c.id = conversation_id));
alter policy "owners read their conversations" on public.conversations
  using (user_id = (select auth.uid()) and (expires_at is null or expires_at > now()));
alter policy "owners edit their conversations" on public.conversations
  using (user_id = (select auth.uid()) and (expires_at is null or expires_at > now()));
alter policy "owners delete their conversations" on public.conversations
  using (user_id = (select auth.uid()) and (expires_at is null or expires_at > now()));

-- Input: a conversation row. Guarantees: true when the caller may reach it through the functions:
--   it is live, and it is the caller's (the service role reaches every live conversation). The
--   functions that write for the caller (security definer, so past Row Level Security) ask this.
create function conversation_store.caller_reaches(p_conversation public.conversations)
returns boolean
language sql
stable
set search_path = ''
as $$
  select (p_conversation.expires_at is null or p_conversation.expires_at > now())
    and (conversation_store.caller_is_service_role() or p_conversation.user_id = auth.uid())
$$;

revoke all on function conversation_store.caller_reaches(public.conversations) from public, anon, authenticated, service_role;

-- Input: a conversation that is deleted or expired, locked by the caller; a number of messages.
-- Guarantees: deletes at most p_max_messages of its messages, newest first (a range of sequence
--   numbers below the highest one stored, so the work is bounded whatever the statistics say).
--   When none remain, deletes the conversation too; otherwise marks it deleted, so that it stays
--   gone while later calls continue.
create function conversation_store.reclaim_conversation(
  p_conversation_id uuid,
  p_max_messages integer,
  out reclaimed_messages integer,
  out finished boolean
)
language plpgsql
set search_path = ''
as $$
declare
  v_highest integer;
begin
  select coalesce(max(m.sequence_order), 0) into v_highest
  from public.conversation_messages m
  where m.conversation_id = p_conversation_id;

  delete from public.conversation_messages m
  where m.conversation_id = p_conversation_id and m.sequence_order > v_highest - p_max_messages;
  get diagnostics reclaimed_messages = row_count;

  finished := v_highest <= p_max_messages;
  if finished then
    delete from public.conversations c where c.id = p_conversation_id;
  else
    update public.conversations c set deleted_at = now()
    where c.id = p_conversation_id and c.deleted_at is null;
  end if;
end;
$$;

revoke all on function conversation_store.reclaim_conversation(uuid, integer) from public, anon, authenticated, service_role;

-- Input: how many conversations to delete at most (default 1000).
-- Guarantees: deletes expired conversations, oldest expiry first, with their messages: at most
--   p_batch_size conversations and 50 × p_batch_size messages per call, so one call never runs
--   long; a conversation with more messages is finished by later calls. Conversations locked by a
--   writer are skipped (for update skip locked) and taken next time, so purging never waits for an
--   append and never makes one wait. Returns how many conversations it deleted.
-- Security definer because it deletes messages, which no API role may; executable only by
--   service_role and the database owner (pg_cron runs it as the owner).
create function public.purge_expired_conversations(p_batch_size integer default 1000)
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_message_budget integer;
  v_conversation uuid;
  v_reclaimed record;
  v_purged integer := 0;
begin
  if p_batch_size is null or p_batch_size not between 1 and 100000 then
    raise exception 'p_batch_size must be between 1 and 100000' using errcode = '22023';
  end if;
  v_message_budget := 50 * p_batch_size;

  -- Lock the batch before reclaiming any of it: a delete sets the forks of what it deletes to null,
  -- and a row changed that way after a locking query started would be skipped by it.
  for v_conversation in
    select locked.id from (
      select c.id, c.expires_at from public.conversations c
      where c.expires_at <= now()
      order by c.expires_at
      limit p_batch_size
      for update skip locked
    ) as locked
    order by locked.expires_at
  loop
    exit when v_message_budget = 0;
    select * into v_reclaimed from conversation_store.reclaim_conversation(v_conversation, v_message_budget);
    v_message_budget := v_message_budget - v_reclaimed.reclaimed_messages;
    if v_reclaimed.finished then
      v_purged := v_purged + 1;
    end if;
  end loop;
  return v_purged;
end;
$$;

revoke all on function public.purge_expired_conversations(integer) from public, anon, authenticated, service_role;
grant execute on function public.purge_expired_conversations(integer) to service_role;

-- Every minute, where pg_cron is installed (Supabase: Integrations → Cron, or create extension
-- pg_cron). Elsewhere the migration applies all the same; the README says how to schedule it later.
do $$
begin
  if exists (select from pg_catalog.pg_extension where extname = 'pg_cron') then
    perform cron.schedule('purge-expired-conversations', '* * * * *', 'select public.purge_expired_conversations()');
  end if;
end;
$$;
