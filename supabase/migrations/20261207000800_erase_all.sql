-- Erase-all covers everything a user has (issues 28, 30): delete_all_conversations ("erase
-- everything of a user") deletes the user's memory entries and usage ledger entries as well as
-- their conversations. Embeddings of messages (where the vector extension exists) go with their
-- messages, by their foreign key.
--
-- Replaced, unchanged apart from that: public.delete_all_conversations (20261125001300_deletes_that_finish.sql).
-- delete-conversation and retention need no change: an entry written from a conversation keeps
-- only a reference to it, which becomes null when the conversation row is reclaimed (on delete
-- set null), and the entry stays the user's; ledger entries are billing records that outlive the
-- conversations they paid for (retention leaves them).

-- Input: p_user_id, whose data to erase: required for the service role, optional for a user (own
--   id only).
-- Guarantees: erases the user's memory entries and up to 50,000 of their usage ledger entries, marks
--   up to 10,000 of the user's conversations deleted, so they are gone for clients at once, then
--   reclaims up to 50,000 messages of the user's deleted conversations (deleting each conversation
--   once its messages are gone). Returns how many conversations this call deleted, how many messages
--   they held, and whether nothing of the user is stored any more; while done is false, call again:
--   each call continues where the last stopped.
-- Errors: 22023 the service role names no user; 42501 not authenticated, or p_user_id names someone
--   else.
-- Security definer because clients cannot delete messages or ledger entries; the user comes from the
--   verified JWT claims, never from a parameter alone.
create or replace function public.delete_all_conversations(
  p_user_id uuid default null,
  out deleted_conversations integer,
  out deleted_messages bigint,
  out done boolean
)
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_owner uuid;
  v_budget integer := 50000;
  v_conversation uuid;
  v_reclaimed record;
begin
  v_owner := conversation_store.acting_user(p_user_id);
  if v_owner is null then
    raise exception 'service_role must name the user in p_user_id' using errcode = '22023';
  end if;

  -- Memory is the user's, not a conversation's: erasing everything erases it too, at once (it is
  -- bounded: conversation_store.memory_max_entries() rows).
  delete from public.memory_entries e where e.user_id = v_owner;
  -- The ledger is bounded like the rest: at most 50,000 entries a call.
  delete from public.usage_ledger as l
  where l.id in (select e.id from public.usage_ledger as e where e.user_id = v_owner limit 50000);

  with marked as (
    update public.conversations c set deleted_at = now()
    where c.id in (
      select t.id from public.conversations t
      where t.user_id = v_owner and t.deleted_at is null
      order by t.id
      limit 10000
      for update
    )
    returning c.last_sequence
  )
  select count(*), coalesce(sum(marked.last_sequence), 0) into deleted_conversations, deleted_messages
  from marked;

  -- All locked before any is reclaimed (the sort reads the whole query first): deleting one sets
  -- its forks to null, and a row changed that way after a locking query started would be skipped.
  for v_conversation in
    select locked.id from (
      select c.id from public.conversations c
      where c.user_id = v_owner and c.deleted_at is not null
      for update skip locked
    ) as locked
    order by locked.id
  loop
    exit when v_budget = 0;
    select * into v_reclaimed from conversation_store.reclaim_conversation(v_conversation, v_budget);
    v_budget := v_budget - v_reclaimed.reclaimed_messages;
  end loop;

  done := not exists (select from public.conversations c where c.user_id = v_owner)
    and not exists (select from public.usage_ledger as l where l.user_id = v_owner);
end;
$$;

revoke all on function public.delete_all_conversations(uuid) from public, anon, authenticated, service_role;
grant execute on function public.delete_all_conversations(uuid) to authenticated, service_role;

comment on function public.delete_all_conversations(uuid) is $contract$Input: p_user_id, whose data to erase: required for the service role, optional for a user (own
  id only).
Guarantees: erases the user's memory entries and up to 50,000 of their usage ledger entries, marks
  up to 10,000 of the user's conversations deleted, so they are gone for clients at once, then
  reclaims up to 50,000 messages of the user's deleted conversations (deleting each conversation
  once its messages are gone). Returns how many conversations this call deleted, how many messages
  they held, and whether nothing of the user is stored any more; while done is false, call again:
  each call continues where the last stopped.
Errors: 22023 the service role names no user; 42501 not authenticated, or p_user_id names someone
  else.
Security definer because clients cannot delete messages or ledger entries; the user comes from the
  verified JWT claims, never from a parameter alone.$contract$;
