-- Conversation files in Storage: the private bucket, its owner-folder policies, and the objects
-- that deleted messages referenced, answered and queued.
begin;
select plan(13);

insert into auth.users (id) values
  ('00000000-0000-4000-8000-0000000000a1'),  -- Alice
  ('00000000-0000-4000-8000-0000000000b1');  -- Bob
insert into storage.objects (bucket_id, name) values
  ('conversation-files', '00000000-0000-4000-8000-0000000000a1/a.png'),
  ('conversation-files', '00000000-0000-4000-8000-0000000000b1/b.png');
insert into public.conversations (id, user_id, expires_at) values
  ('c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1', null),
  ('c0000000-0000-4000-8000-0000000000a2', '00000000-0000-4000-8000-0000000000a1', null);

select is((select public from storage.buckets where id = 'conversation-files'), false, 'the conversation-files bucket is private');
select is(
  (select count(*)::int from pg_policies where schemaname = 'storage' and tablename = 'objects'
     and roles = '{authenticated}' and (qual like '%foldername%' or with_check like '%foldername%')),
  4,
  'storage.objects has a select, insert, update and delete policy for authenticated users, by folder'
);
select ok(not has_table_privilege('authenticated', 'conversation_store.storage_objects_to_remove', 'insert, update, delete'),
  'users cannot change the removal queue');
select ok(not has_table_privilege('anon', 'conversation_store.storage_objects_to_remove', 'select'),
  'anon cannot read it');

-- ---------------------------------------------------------------- as Alice
select tests.authenticate_as('00000000-0000-4000-8000-0000000000a1');

select is(array(select name from storage.objects order by name), array['00000000-0000-4000-8000-0000000000a1/a.png'],
  'Alice sees her own object rows and not Bob''s');
select is(
  tests.error_of($$insert into storage.objects (bucket_id, name) values ('conversation-files', '00000000-0000-4000-8000-0000000000b1/x.png')$$),
  '42501',
  'Alice cannot upload into Bob''s folder'
);
select is(
  tests.error_of($$insert into storage.objects (bucket_id, name) values ('conversation-files', '00000000-0000-4000-8000-0000000000a1/c.png')$$),
  'no error',
  'Alice uploads into her own folder'
);
with deleted as (delete from storage.objects where name like '00000000-0000-4000-8000-0000000000b1/%' returning 1)
select is((select count(*)::int from deleted), 0, 'Alice cannot delete Bob''s objects');

do $do$ begin perform public.append_messages('c0000000-0000-4000-8000-0000000000a1', $$[
  {"role": "user", "parts": [{"type": "file", "media_type": "image/png", "storage": {"bucket": "conversation-files", "path": "00000000-0000-4000-8000-0000000000a1/a.png"}}]},
  {"role": "user", "parts": [{"type": "file", "media_type": "image/png", "storage": {"bucket": "conversation-files", "path": "00000000-0000-4000-8000-0000000000a1/a.png"}}, {"type": "text", "text": "again"}]}
]$$);
perform public.delete_conversation('c0000000-0000-4000-8000-0000000000a1');
end $do$;
select is(
  current_setting('conversation_store.removed_storage_objects')::jsonb,
  '[{"bucket": "conversation-files", "path": "00000000-0000-4000-8000-0000000000a1/a.png"}]'::jsonb,
  'a delete records the objects its messages referenced, each once'
);

-- ---------------------------------------------------------------- the retention purge
reset role;
do $do$ begin perform public.append_messages('c0000000-0000-4000-8000-0000000000a2', $$[
  {"role": "user", "parts": [{"type": "file", "media_type": "image/png", "storage": {"bucket": "conversation-files", "path": "00000000-0000-4000-8000-0000000000a1/old.png"}}]}
]$$); end $do$;
alter table public.conversations disable trigger conversations_touch_updated_at;
update public.conversations set retention_seconds = 60, updated_at = now() - interval '1 day'
where id = 'c0000000-0000-4000-8000-0000000000a2';
alter table public.conversations enable trigger conversations_touch_updated_at;
select cmp_ok(public.purge_expired_conversations(), '>=', 1, 'the purge deletes expired conversations');
select ok(not exists (select from public.conversations where id = 'c0000000-0000-4000-8000-0000000000a2'),
  'among them Alice''s');
select is(
  array(select (q.bucket, q.path, q.user_id)::text from conversation_store.storage_objects_to_remove q
        where q.user_id = '00000000-0000-4000-8000-0000000000a1' order by q.path),
  array['(conversation-files,00000000-0000-4000-8000-0000000000a1/a.png,00000000-0000-4000-8000-0000000000a1)',
        '(conversation-files,00000000-0000-4000-8000-0000000000a1/old.png,00000000-0000-4000-8000-0000000000a1)'],
  'deleted and purged messages'' objects are queued for removal, with their owner'
);

insert into conversation_store.storage_objects_to_remove (bucket, path, user_id) values
  ('conversation-files', '00000000-0000-4000-8000-0000000000b1/b.png', '00000000-0000-4000-8000-0000000000b1');
select tests.authenticate_as('00000000-0000-4000-8000-0000000000a1');
select is(
  array(select q.path from conversation_store.storage_objects_to_remove q order by q.path),
  array['00000000-0000-4000-8000-0000000000a1/a.png', '00000000-0000-4000-8000-0000000000a1/old.png'],
  'a user reads only their own queued objects'
);

select * from finish();
rollback;
