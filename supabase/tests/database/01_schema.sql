-- The tables, their columns, keys, indexes and rules, as the seed and the schema issue describe them.
begin;
select plan(48);

-- conversations
select has_table('public', 'conversations', 'conversations exists');
select col_is_pk('public', 'conversations', 'id', 'conversations.id is the primary key');
select col_type_is('public', 'conversations', 'id', 'uuid', 'conversations.id is a uuid');
select col_default_is('public', 'conversations', 'id', 'gen_random_uuid()', 'conversations.id defaults to a random uuid');
select col_type_is('public', 'conversations', 'user_id', 'uuid', 'conversations.user_id is a uuid');
select col_not_null('public', 'conversations', 'user_id', 'a conversation always has an owner');
select col_default_is('public', 'conversations', 'user_id', 'auth.uid()', 'the owner defaults to the caller');
select fk_ok('public', 'conversations', 'user_id', 'auth', 'users', 'id', 'conversations.user_id references auth.users');
select col_type_is('public', 'conversations', 'video_id', 'uuid', 'conversations.video_id is a uuid');
select col_is_null('public', 'conversations', 'video_id', 'video_id is optional');
select col_type_is('public', 'conversations', 'metadata', 'jsonb', 'conversations.metadata is jsonb');
select col_default_is('public', 'conversations', 'metadata', '{}'::jsonb, 'metadata defaults to an empty object');
select col_type_is('public', 'conversations', 'last_sequence', 'integer', 'the counter is an integer');
select col_default_is('public', 'conversations', 'last_sequence', '0', 'the counter starts at 0');
select col_type_is('public', 'conversations', 'created_at', 'timestamp with time zone', 'created_at is timestamptz');
select col_type_is('public', 'conversations', 'updated_at', 'timestamp with time zone', 'updated_at is timestamptz');
select col_default_is('public', 'conversations', 'created_at', 'now()', 'created_at defaults to now()');

-- conversation_messages
select has_table('public', 'conversation_messages', 'conversation_messages exists');
select col_is_pk('public', 'conversation_messages', 'id', 'conversation_messages.id is the primary key');
select col_default_is('public', 'conversation_messages', 'id', 'gen_random_uuid()', 'message ids default to a random uuid');
select fk_ok('public', 'conversation_messages', 'conversation_id', 'public', 'conversations', 'id',
  'messages reference their conversation');
select col_not_null('public', 'conversation_messages', 'user_id', 'messages carry their owner for RLS');
select col_type_is('public', 'conversation_messages', 'role', 'text', 'role is text');
select col_type_is('public', 'conversation_messages', 'content', 'text', 'content is text');
select col_is_null('public', 'conversation_messages', 'content', 'content may be null (assistant calls)');
select col_type_is('public', 'conversation_messages', 'name', 'text', 'name is text');
select col_type_is('public', 'conversation_messages', 'function_call', 'jsonb', 'function_call is jsonb');
select col_type_is('public', 'conversation_messages', 'tool_calls', 'jsonb', 'tool_calls is jsonb');
select col_type_is('public', 'conversation_messages', 'tool_call_id', 'text', 'tool_call_id is text');
select col_type_is('public', 'conversation_messages', 'client_message_id', 'text', 'client_message_id is text');
select col_type_is('public', 'conversation_messages', 'sequence_order', 'integer', 'sequence_order is an integer');
select col_type_is('public', 'conversation_messages', 'created_at', 'timestamp with time zone', 'created_at is timestamptz');

-- The seed's four indexes, each shaped for the query that uses it
select index_is_type('public', 'conversations', 'idx_conversations_user_id', 'btree', 'idx_conversations_user_id exists');
select has_index('public', 'conversations', 'idx_conversations_user_id', array['user_id', 'updated_at', 'id'],
  'idx_conversations_user_id lists a user''s conversations newest first');
select has_index('public', 'conversations', 'idx_conversations_video_id', array['video_id', 'updated_at', 'id'],
  'idx_conversations_video_id lists a video''s conversations newest first');
select has_index('public', 'conversation_messages', 'idx_conversation_messages_sequence_order',
  array['conversation_id', 'sequence_order'], 'idx_conversation_messages_sequence_order reads history by sequence');
select index_is_unique('public', 'conversation_messages', 'idx_conversation_messages_sequence_order',
  'a sequence number is used once per conversation');
select has_index('public', 'conversation_messages', 'idx_conversation_messages_conversation_id',
  array['conversation_id', 'client_message_id'], 'idx_conversation_messages_conversation_id is the idempotency key');
select index_is_unique('public', 'conversation_messages', 'idx_conversation_messages_conversation_id',
  'a client_message_id is stored once per conversation');
select has_index('public', 'conversation_messages', 'idx_conversation_messages_user_id',
  array['user_id', 'conversation_id', 'sequence_order'], 'the messages policy column leads an index in history order');

-- Without a public.videos table, video_id is a plain uuid
select is(
  (select count(*)::int from pg_constraint where conrelid = 'public.conversations'::regclass and contype = 'f'),
  1,
  'conversations has one foreign key (the owner) when the project has no videos table'
);

-- Every index on the two tables is one the schema means to have: no duplicates, no strays
select is(
  array(select indexname::text from pg_indexes
        where schemaname = 'public' and tablename in ('conversations', 'conversation_messages')
        order by indexname),
  array['conversation_messages_pkey', 'conversations_pkey', 'idx_conversation_messages_conversation_id',
        'idx_conversation_messages_sequence_order', 'idx_conversation_messages_user_id',
        'idx_conversations_user_id', 'idx_conversations_video_id'],
  'the tables carry exactly the intended indexes'
);

-- Rules on rows
select col_has_check('public', 'conversation_messages', 'role', 'role is checked against the known roles');
select has_trigger('public', 'conversations', 'conversations_touch_updated_at', 'updated_at is maintained by a trigger');
select is(
  (select count(*)::int from pg_constraint
   where conrelid = 'public.conversation_messages'::regclass and conname like '%\_max\_size'),
  3,
  'content, function_call and tool_calls have size limits'
);
select is(
  (select count(*)::int from pg_constraint
   where conrelid = 'public.conversations'::regclass and conname = 'conversations_metadata_max_size'),
  1,
  'metadata has a size limit'
);
select is(
  (select relrowsecurity from pg_class where oid = 'public.conversations'::regclass),
  true,
  'RLS is enabled on conversations'
);
select is(
  (select relrowsecurity from pg_class where oid = 'public.conversation_messages'::regclass),
  true,
  'RLS is enabled on conversation_messages'
);

select * from finish();
rollback;
