-- Files by reference (issue 17): a private Storage bucket for conversation files, readable and
-- writable by each user only in their own folder (`<user id>/…`, Supabase's documented convention
-- for storage.objects policies), and a record of the objects that deleted messages referenced.
--
-- File parts naming Storage objects are accepted only under the conversation owner's folder
-- (conversation_store.check_parts, 42501 storage_path_forbidden), so a message never references
-- another user's file. Deleting a message never deletes its file by itself: the database cannot
-- call the Storage API, and an object row deleted in SQL would leave its bytes behind. Instead the
-- deletes answer the objects their rows referenced, and every reclaim (deletes, erase, the
-- retention purge) queues them in conversation_store.storage_objects_to_remove for a job that
-- removes them through the Storage API (docs/MESSAGE_PARTS.md).

insert into storage.buckets (id, name, public)
values ('conversation-files', 'conversation-files', false)
on conflict (id) do nothing;

create policy "users read their own conversation files" on storage.objects
  for select to authenticated
  using (bucket_id = 'conversation-files' and (storage.foldername(name))[1] = (select auth.uid())::text);
create policy "users upload conversation files to their own folder" on storage.objects
  for insert to authenticated
  with check (bucket_id = 'conversation-files' and (storage.foldername(name))[1] = (select auth.uid())::text);
create policy "users change their own conversation files" on storage.objects
  for update to authenticated
  using (bucket_id = 'conversation-files' and (storage.foldername(name))[1] = (select auth.uid())::text)
  with check (bucket_id = 'conversation-files' and (storage.foldername(name))[1] = (select auth.uid())::text);
create policy "users delete their own conversation files" on storage.objects
  for delete to authenticated
  using (bucket_id = 'conversation-files' and (storage.foldername(name))[1] = (select auth.uid())::text);

-- Objects to remove through the Storage API, one row per object, for a job that connects as the
-- edge functions do (the database owner) and removes the oldest first. Users may read their own
-- rows and nothing else (Row Level Security, select only): never another user's paths. Nothing but
-- the reclaim writes here, and the Data API does not expose the private schema at all.
create table conversation_store.storage_objects_to_remove (
  bucket text not null,
  path text not null,
  user_id uuid not null,
  queued_at timestamptz not null default now(),
  primary key (bucket, path)
);
alter table conversation_store.storage_objects_to_remove enable row level security;
revoke all on table conversation_store.storage_objects_to_remove from public, anon, authenticated, service_role;
grant select on table conversation_store.storage_objects_to_remove to authenticated;
create policy "users read their own queued files" on conversation_store.storage_objects_to_remove
  for select to authenticated
  using (user_id = (select auth.uid()));

comment on table conversation_store.storage_objects_to_remove is
  'Storage objects referenced by deleted messages, for a job to remove through the Storage API (oldest queued_at first).';

-- Input: parts (or null). Guarantees: the distinct {bucket, path} of their Storage file parts.
create function conversation_store.storage_objects(p_parts jsonb)
returns table (bucket text, path text)
language sql
immutable
set search_path = ''
as $$
  select distinct part.value -> 'storage' ->> 'bucket', part.value -> 'storage' ->> 'path'
  from jsonb_array_elements(p_parts) as part(value)
  where part.value ->> 'type' = 'file' and part.value ? 'storage'
$$;

revoke all on function conversation_store.storage_objects(jsonb) from public, anon, authenticated, service_role;

-- Input: a conversation that is deleted or expired, locked by the caller; a number of messages.
-- Guarantees: deletes at most p_max_messages of its messages, newest first (a range of sequence
--   numbers below the highest one stored, so the work is bounded whatever the statistics say).
--   When none remain, deletes the conversation too; otherwise marks it deleted, so that it stays
--   gone while later calls continue. The Storage objects that the deleted messages' file parts
--   name are queued in conversation_store.storage_objects_to_remove and added to the
--   transaction-local setting conversation_store.removed_storage_objects (a JSON array of
--   distinct {bucket, path}), which the delete functions answer.
create or replace function conversation_store.reclaim_conversation(
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
  v_objects jsonb;
begin
  select coalesce(max(m.sequence_order), 0) into v_highest
  from public.conversation_messages m
  where m.conversation_id = p_conversation_id;

  with deleted as (
    delete from public.conversation_messages m
    where m.conversation_id = p_conversation_id and m.sequence_order > v_highest - p_max_messages
    returning m.user_id, m.parts
  ),
  counted as (
    select count(*)::integer as messages from deleted
  ),
  referenced as (
    select distinct d.user_id, file.bucket, file.path
    from deleted d
    cross join lateral conversation_store.storage_objects(d.parts) as file
  ),
  queued as (
    insert into conversation_store.storage_objects_to_remove (bucket, path, user_id)
    select r.bucket, r.path, r.user_id from referenced r
    on conflict (bucket, path) do nothing
  )
  select counted.messages,
         (select jsonb_agg(jsonb_build_object('bucket', r.bucket, 'path', r.path)) from referenced r)
  into reclaimed_messages, v_objects
  from counted;

  if v_objects is not null then
    perform set_config('conversation_store.removed_storage_objects', (
      select jsonb_agg(distinct o.value)::text
      from jsonb_array_elements(
        coalesce(nullif(current_setting('conversation_store.removed_storage_objects', true), '')::jsonb, '[]'::jsonb)
        || v_objects) as o(value)
    ), true);
  end if;

  finished := v_highest <= p_max_messages;
  if finished then
    delete from public.conversations c where c.id = p_conversation_id;
  else
    update public.conversations c set deleted_at = now()
    where c.id = p_conversation_id and c.deleted_at is null;
  end if;
end;
$$;

