-- The tables, their columns, keys, indexes and rules, as the seed and the schema issue describe them.
begin;
select plan(69);

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
select col_type_is('public', 'conversations', 'retention_seconds', 'integer', 'retention is a number of seconds');
select col_is_null('public', 'conversations', 'retention_seconds', 'retention is optional (keep forever)');
select col_type_is('public', 'conversations', 'expires_at', 'timestamp with time zone', 'expires_at is timestamptz');
select col_type_is('public', 'conversations', 'deleted_at', 'timestamp with time zone', 'deleted_at is timestamptz');
select col_type_is('public', 'conversations', 'summary', 'text', 'the summary is text');
select col_type_is('public', 'conversations', 'summary_through_sequence', 'integer', 'the summary names the last message it covers');
select col_type_is('public', 'conversations', 'summary_token_count', 'integer', 'the summary has a token count');
select fk_ok('public', 'conversations', 'forked_from_conversation_id', 'public', 'conversations', 'id',
  'a fork references its source');
select col_type_is('public', 'conversations', 'forked_from_sequence', 'integer', 'a fork names the last message it copied');

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
select col_type_is('public', 'conversation_messages', 'token_count', 'integer', 'token_count is an integer');
select col_not_null('public', 'conversation_messages', 'token_count', 'every message has a token count');
select col_type_is('public', 'conversation_messages', 'status', 'text', 'status is text');
select col_not_null('public', 'conversation_messages', 'status', 'every message has a status');
select col_default_is('public', 'conversation_messages', 'status', 'completed', 'a message is completed unless written otherwise');
select col_type_is('public', 'conversation_messages', 'updated_at', 'timestamp with time zone', 'messages have updated_at');
select col_not_null('public', 'conversation_messages', 'updated_at', 'updated_at is always set');
select col_default_is('public', 'conversation_messages', 'updated_at', 'now()', 'updated_at starts at now()');

-- The seed's four indexes, each shaped for the query that uses it
select index_is_type('public', 'conversations', 'idx_conversations_user_list', 'btree', 'idx_conversations_user_list exists');
select has_index('public', 'conversations', 'idx_conversations_user_list',
  array['user_id', 'archived', 'pinned', 'updated_at', 'id'],
  'idx_conversations_user_list lists a user''s conversations pinned first, then newest first');
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
select is(
  (select pg_get_expr(indpred, indrelid) from pg_index where indexrelid = 'public.idx_conversation_messages_conversation_id'::regclass),
  '(client_message_id IS NOT NULL)',
  'only messages with a client_message_id take room in the idempotency index'
);
select hasnt_index('public', 'conversation_messages', 'idx_conversation_messages_user_id',
  'no index on the owner alone: the planner would combine it with the history index and read all of a user''s messages');
select index_is_type('public', 'conversation_messages', 'idx_conversation_messages_search', 'gin',
  'search has a GIN index');
select is(
  (select pg_get_indexdef('public.idx_conversation_messages_search'::regclass)),
  'CREATE INDEX idx_conversation_messages_search ON public.conversation_messages USING gin (user_id, conversation_store.search_words(content)) WHERE ((role = ANY (ARRAY[''user''::text, ''assistant''::text])) AND (status <> ''in_progress''::text))',
  'the search index narrows by owner first, then by words, over final user and assistant text'
);
select index_is_unique('public', 'conversation_messages', 'idx_conversation_messages_reply_in_progress',
  'a conversation holds at most one reply in progress');

-- Without a public.videos table, video_id is a plain uuid
select is(
  (select count(*)::int from pg_constraint where conrelid = 'public.conversations'::regclass and contype = 'f'),
  2,
  'conversations has two foreign keys (the owner, the fork''s source) when the project has no videos table'
);

-- Every index on the two tables is one the schema means to have: no duplicates, no strays
select is(
  array(select indexname::text from pg_indexes
        where schemaname = 'public' and tablename in ('conversations', 'conversation_messages')
        order by indexname),
  array['conversation_messages_pkey', 'conversations_pkey', 'idx_conversation_messages_awaiting_input',
        'idx_conversation_messages_conversation_id', 'idx_conversation_messages_reply_in_progress', 'idx_conversation_messages_search',
        'idx_conversation_messages_search_parts', 'idx_conversation_messages_sequence_order',
        'idx_conversations_expires_at', 'idx_conversations_forked_from',
        'idx_conversations_title_search', 'idx_conversations_user_list',
        'idx_conversations_video_id'],
  'the tables carry exactly the intended indexes'
);

-- Rules on rows
select col_has_check('public', 'conversation_messages', 'role', 'role is checked against the known roles');
select has_trigger('public', 'conversations', 'conversations_touch_updated_at', 'updated_at is maintained by a trigger');
select is(
  (select count(*)::int from pg_constraint
   where conrelid = 'public.conversation_messages'::regclass and conname like '%\_max\_size'),
  6,
  'content, function_call, tool_calls, parts, metadata and reply_outcome have size limits'
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
