-- Execute and table privileges: closed for public and anon, opened per function for the API roles.
begin;
select plan(24);

select is(
  array(select p.proname::text from pg_proc p where p.pronamespace = 'public'::regnamespace order by 1),
  array['append_messages', 'jsonb_merge_patch', 'start_conversation', 'touch_updated_at', 'update_conversation_metadata'],
  'the schema defines exactly the documented functions'
);

-- ---------------------------------------------------------------- public and anon: nothing
select ok(not has_function_privilege('anon', 'public.start_conversation(uuid, jsonb, uuid, uuid)', 'execute'),
  'anon cannot execute start_conversation');
select ok(not has_function_privilege('anon', 'public.append_messages(uuid, jsonb, integer)', 'execute'),
  'anon cannot execute append_messages');
select ok(not has_function_privilege('anon', 'public.update_conversation_metadata(uuid, jsonb)', 'execute'),
  'anon cannot execute update_conversation_metadata');
select ok(not has_function_privilege('anon', 'public.jsonb_merge_patch(jsonb, jsonb)', 'execute'),
  'anon cannot execute jsonb_merge_patch');
select is(
  (select count(*)::int from pg_proc p, aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) acl
   where p.pronamespace = 'public'::regnamespace and acl.grantee = 0 and acl.privilege_type = 'EXECUTE'),
  0,
  'no function in public is executable by PUBLIC'
);
select ok(not has_table_privilege('anon', 'public.conversations', 'select, insert, update, delete'),
  'anon has no privilege on conversations');
select ok(not has_table_privilege('anon', 'public.conversation_messages', 'select, insert, update, delete'),
  'anon has no privilege on conversation_messages');

-- ---------------------------------------------------------------- authenticated: the API, nothing more
select ok(has_function_privilege('authenticated', 'public.start_conversation(uuid, jsonb, uuid, uuid)', 'execute'),
  'authenticated may start conversations');
select ok(has_function_privilege('authenticated', 'public.append_messages(uuid, jsonb, integer)', 'execute'),
  'authenticated may append');
select ok(has_function_privilege('authenticated', 'public.update_conversation_metadata(uuid, jsonb)', 'execute'),
  'authenticated may patch metadata');
select ok(not has_function_privilege('authenticated', 'public.touch_updated_at()', 'execute'),
  'the trigger function is not callable by clients');
select ok(not has_column_privilege('authenticated', 'public.conversations', 'user_id', 'insert'),
  'authenticated never writes the owner on insert');
select ok(not has_column_privilege('authenticated', 'public.conversations', 'last_sequence', 'update'),
  'authenticated never writes the counter');
select ok(has_column_privilege('authenticated', 'public.conversations', 'metadata', 'update'),
  'authenticated may edit metadata');
select ok(has_column_privilege('authenticated', 'public.conversations', 'video_id', 'update'),
  'authenticated may edit video_id');
select ok(not has_table_privilege('authenticated', 'public.conversation_messages', 'insert, update, delete'),
  'authenticated cannot write messages directly');
select ok(has_table_privilege('authenticated', 'public.conversation_messages', 'select'),
  'authenticated reads messages (RLS limits which)');

-- ---------------------------------------------------------------- service_role
select ok(has_function_privilege('service_role', 'public.append_messages(uuid, jsonb, integer)', 'execute'),
  'service_role may append');
select ok(has_column_privilege('service_role', 'public.conversations', 'user_id', 'insert'),
  'service_role names the owner when it creates a conversation');
select ok(not has_column_privilege('service_role', 'public.conversations', 'user_id', 'update'),
  'service_role cannot move a conversation to another owner');
select ok(not has_table_privilege('service_role', 'public.conversation_messages', 'insert, update, delete'),
  'service_role writes messages only through append_messages');

-- ---------------------------------------------------------------- security definer functions are pinned
select is(
  array(select p.proname::text from pg_proc p
        where p.pronamespace = 'public'::regnamespace and p.prosecdef order by 1),
  array['append_messages', 'start_conversation'],
  'only the two functions that must write for the caller are security definer'
);
select is(
  (select count(*)::int from pg_proc p
   where p.pronamespace = 'public'::regnamespace and not (coalesce(p.proconfig, '{}') @> array['search_path=""'])),
  0,
  'every function pins an empty search_path'
);

select * from finish();
rollback;
