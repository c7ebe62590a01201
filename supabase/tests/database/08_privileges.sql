-- Execute and table privileges: closed for public and anon, opened per function for the API roles.
begin;
select plan(41);

select is(
  array(select p.proname::text from pg_proc p where p.pronamespace = 'public'::regnamespace order by 1),
  array['answer_tool_calls', 'append_messages', 'assign_usage_plan', 'await_tool_input',
        'delete_all_conversations', 'delete_conversation', 'export_conversations', 'fork_conversation',
        'get_context', 'get_memory', 'get_shared_conversation', 'get_usage', 'get_usage_limits',
        'import_conversation', 'keep_reply_alive', 'purge_expired_conversations', 'rate_message',
        'recall_messages', 'record_usage', 'release_reply', 'reply_release_state', 'reserve_usage',
        'resume_reply', 'revoke_conversation_share', 'search_conversations', 'set_conversation_summary',
        'set_model_price', 'set_reply_outcome', 'set_usage_plan', 'share_conversation', 'start_conversation',
        'stop_released_reply', 'touch_updated_at', 'update_conversation_metadata', 'update_message',
        'write_memory'],
  'the public schema defines exactly the documented functions'
);
select is(
  array(select p.proname::text from pg_proc p where p.pronamespace = 'conversation_store'::regnamespace order by 1),
  array['acting_user', 'answered_call_ids', 'any_word_query', 'awaits_user', 'base_part_problem',
        'caller_is_service_role', 'caller_reaches', 'callers_reply_in_progress', 'check_numbers',
        'check_parts', 'claim_regeneration', 'context_messages', 'conversation_json', 'drop_reply_log',
        'estimate_part_tokens', 'estimate_reasoning_tokens', 'estimate_tokens', 'file_token_estimate',
        'fold_reply_log', 'import_id', 'inline_file_max_chars', 'is_function_call', 'is_part_list',
        'is_tool_call_list', 'json_or_text', 'jsonb_merge_patch', 'live_message', 'live_parts',
        'lock_reply_log', 'log_part_operation', 'logged_parts', 'max_batch_bytes', 'max_file_parts',
        'memory_entry_json', 'memory_max_entries', 'memory_max_tokens', 'message_json', 'message_parts',
        'normalize_labels', 'normalize_tags', 'normalize_title', 'openai_message', 'openai_messages',
        'page_max_bytes', 'part_problem', 'part_search_text', 'part_search_words', 'parts_content',
        'parts_tool_calls', 'rating_json', 'reclaim_conversation', 'reply_log_after', 'reply_log_position',
        'reply_usage', 'result_is_error', 'search_words', 'semantic_candidates', 'semantic_recall_ready',
        'set_exact_token_count', 'set_expires_at', 'set_generated_title', 'settle_abandoned_usage',
        'settle_inserted_waiting_reply', 'settle_reply_outcome', 'settle_waiting_replies', 'settled_parts',
        'share_token_hash', 'shares_per_conversation', 'stale_reply_after', 'storage_objects',
        'sync_conversation_tags', 'tags_are_valid', 'take_reply_log', 'too_deep', 'tool_call_waits',
        'tool_output_text', 'tool_request_max_age', 'ui_message', 'ui_messages', 'ui_part', 'usage_allowance',
        'usage_cost', 'usage_plan_of', 'with_derived_columns', 'with_parts', 'with_reply_usage',
        'without_reasoning', 'writer_counts_tokens'],
  'the private schema holds exactly the helpers'
);

-- ---------------------------------------------------------------- public and anon: nothing
select is(
  (select count(*)::int from pg_proc p, aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) acl
   where p.pronamespace in ('public'::regnamespace, 'conversation_store'::regnamespace)
     and acl.grantee = 0 and acl.privilege_type = 'EXECUTE'),
  0,
  'no function of the store is executable by PUBLIC'
);
select is(
  array(select p.proname::text from pg_proc p
   where p.pronamespace in ('public'::regnamespace, 'conversation_store'::regnamespace)
     and has_function_privilege('anon', p.oid, 'execute')),
  array['get_shared_conversation'],
  'anon executes no function of the store but the reading of a share link'
);
select ok(not has_schema_privilege('anon', 'conversation_store', 'usage'), 'anon cannot even look into the private schema');
select ok(not has_table_privilege('anon', 'public.conversations', 'select, insert, update, delete'),
  'anon has no privilege on conversations');
select ok(not has_table_privilege('anon', 'public.conversation_messages', 'select, insert, update, delete'),
  'anon has no privilege on conversation_messages');

-- ---------------------------------------------------------------- authenticated: the API, nothing more
select is(
  array(select p.proname::text from pg_proc p
        where p.pronamespace = 'public'::regnamespace and has_function_privilege('authenticated', p.oid, 'execute')
        order by 1),
  array['answer_tool_calls', 'append_messages', 'await_tool_input', 'delete_all_conversations',
        'delete_conversation', 'export_conversations', 'fork_conversation', 'get_context', 'get_memory',
        'get_shared_conversation', 'get_usage', 'get_usage_limits', 'import_conversation', 'keep_reply_alive',
        'rate_message', 'recall_messages', 'record_usage', 'release_reply', 'reply_release_state',
        'reserve_usage', 'resume_reply', 'revoke_conversation_share', 'search_conversations',
        'set_conversation_summary', 'set_reply_outcome', 'share_conversation', 'start_conversation',
        'stop_released_reply', 'update_conversation_metadata', 'update_message', 'write_memory'],
  'authenticated may call every API function, and neither the purge nor the trigger function'
);
select is(
  array(select p.proname::text from pg_proc p
        where p.pronamespace = 'conversation_store'::regnamespace and has_function_privilege('authenticated', p.oid, 'execute')
        order by 1),
  array['acting_user', 'answered_call_ids', 'awaits_user', 'caller_is_service_role', 'claim_regeneration',
        'context_messages', 'conversation_json', 'import_id', 'is_function_call', 'is_tool_call_list',
        'json_or_text', 'jsonb_merge_patch', 'live_message', 'live_parts', 'log_part_operation',
        'memory_entry_json', 'memory_max_entries', 'memory_max_tokens', 'message_json', 'message_parts',
        'normalize_tags', 'normalize_title', 'openai_message', 'openai_messages', 'page_max_bytes',
        'part_search_text', 'part_search_words', 'rating_json', 'reply_log_after', 'reply_log_position',
        'reply_usage', 'result_is_error', 'search_words', 'semantic_recall_ready', 'set_exact_token_count',
        'set_generated_title', 'tags_are_valid', 'too_deep', 'tool_output_text', 'ui_message', 'ui_messages',
        'ui_part', 'with_reply_usage', 'without_reasoning'],
  'authenticated may use the helpers that policies, shapes and the edge functions need, and no other'
);
select ok(not has_function_privilege('authenticated', 'conversation_store.reclaim_conversation(uuid, integer)', 'execute'),
  'authenticated cannot reclaim storage');
select ok(not has_function_privilege('authenticated', 'conversation_store.estimate_tokens(text, text, jsonb, jsonb, text)', 'execute'),
  'the estimate is applied by the store, not called by clients');
select ok(not has_column_privilege('authenticated', 'public.conversations', 'user_id', 'insert'),
  'authenticated never writes the owner on insert');
select ok(not has_column_privilege('authenticated', 'public.conversations', 'last_sequence', 'update'),
  'authenticated never writes the counter');
select ok(has_column_privilege('authenticated', 'public.conversations', 'metadata', 'update'),
  'authenticated may edit metadata');
select ok(has_column_privilege('authenticated', 'public.conversations', 'video_id', 'update'),
  'authenticated may edit video_id');
select ok(has_column_privilege('authenticated', 'public.conversations', 'retention_seconds', 'update'),
  'authenticated may set the retention');
select ok(has_column_privilege('authenticated', 'public.conversations', 'retention_seconds', 'insert'),
  'authenticated may set the retention of a new conversation');
select ok(not has_column_privilege('authenticated', 'public.conversations', 'expires_at', 'update'),
  'expires_at is the database''s to maintain');
select ok(not has_column_privilege('authenticated', 'public.conversations', 'deleted_at', 'update'),
  'deleted_at is the database''s to set');
select ok(not has_column_privilege('authenticated', 'public.conversations', 'summary', 'update'),
  'the summary is written through set_conversation_summary only');
select ok(not has_column_privilege('authenticated', 'public.conversations', 'summary_token_count', 'update'),
  'nobody hands in a summary token count directly');
select ok(not has_column_privilege('authenticated', 'public.conversations', 'forked_from_conversation_id', 'insert'),
  'authenticated cannot claim a fork''s source');
select ok(not has_table_privilege('authenticated', 'public.conversation_messages', 'insert, update, delete'),
  'authenticated cannot write messages directly');
select ok(has_table_privilege('authenticated', 'public.conversation_messages', 'select'),
  'authenticated reads messages (RLS limits which)');

-- ---------------------------------------------------------------- service_role
select ok(has_function_privilege('service_role', 'public.append_messages(uuid, jsonb, integer)', 'execute'),
  'service_role may append');
select ok(has_function_privilege('service_role', 'public.purge_expired_conversations(integer)', 'execute'),
  'service_role may purge expired conversations');
select ok(not has_function_privilege('authenticated', 'public.purge_expired_conversations(integer)', 'execute'),
  'authenticated may not purge');
select ok(has_column_privilege('service_role', 'public.conversations', 'user_id', 'insert'),
  'service_role names the owner when it creates a conversation');
select ok(not has_column_privilege('service_role', 'public.conversations', 'user_id', 'update'),
  'service_role cannot move a conversation to another owner');
select ok(not has_column_privilege('service_role', 'public.conversations', 'expires_at', 'update'),
  'not even service_role writes expires_at');
select ok(not has_table_privilege('service_role', 'public.conversation_messages', 'insert, update, delete'),
  'service_role writes messages only through the functions');
select ok(not has_function_privilege('service_role', 'conversation_store.reclaim_conversation(uuid, integer)', 'execute'),
  'service_role reclaims only through the purge and the deletes');

-- ---------------------------------------------------------------- security definer functions are pinned
select is(
  array(select p.proname::text from pg_proc p
        where p.pronamespace in ('public'::regnamespace, 'conversation_store'::regnamespace) and p.prosecdef
        order by 1),
  array['answer_tool_calls', 'append_messages', 'await_tool_input', 'claim_regeneration',
        'delete_all_conversations', 'delete_conversation', 'drop_reply_log', 'fold_reply_log',
        'fork_conversation', 'get_shared_conversation', 'get_usage', 'get_usage_limits', 'keep_reply_alive',
        'live_message', 'live_parts', 'log_part_operation', 'logged_parts', 'purge_expired_conversations',
        'rate_message', 'recall_messages', 'record_usage', 'release_reply', 'reply_log_after',
        'reply_log_position', 'reply_release_state', 'reserve_usage', 'resume_reply',
        'revoke_conversation_share', 'search_conversations', 'set_conversation_summary',
        'set_exact_token_count', 'set_generated_title', 'set_reply_outcome', 'settle_inserted_waiting_reply',
        'settle_waiting_replies', 'share_conversation', 'start_conversation', 'stop_released_reply',
        'sync_conversation_tags', 'take_reply_log', 'update_message', 'write_memory'],
  'only the functions that write what clients may not, and search and recall (whose words must reach the index), are security definer'
);
select is(
  array(select p.proname::text from pg_proc p
        where p.pronamespace = 'public'::regnamespace and not p.prosecdef
          and p.proname in ('get_context', 'update_conversation_metadata')
        order by 1),
  array['get_context', 'update_conversation_metadata'],
  'the context reader and the metadata patch run as the caller, so Row Level Security decides'
);
select is(
  (select count(*)::int from pg_proc p
   where p.pronamespace in ('public'::regnamespace, 'conversation_store'::regnamespace)
     and not (coalesce(p.proconfig, '{}') @> array['search_path=""'])),
  0,
  'every function pins an empty search_path'
);
select is(
  (select count(*)::int from pg_proc p
   where p.pronamespace in ('public'::regnamespace, 'conversation_store'::regnamespace)
     and p.prosrc ~ '(from|join|update|into)\s+(conversations|conversation_messages)\M'),
  0,
  'every function names the tables with their schema'
);

-- ---------------------------------------------------------------- the schemas of the store
select ok(has_schema_privilege('authenticated', 'conversation_store', 'usage'), 'authenticated may use the helpers');
select ok(not has_schema_privilege('authenticated', 'conversation_store', 'create'), 'nobody creates objects there');
select ok(has_schema_privilege('service_role', 'conversation_store', 'usage'), 'service_role may use the helpers');
select ok(
  (select extnamespace = 'extensions'::regnamespace from pg_extension where extname = 'btree_gin'),
  'btree_gin lives in the extensions schema, out of the API'
);
select ok(
  not exists (select from pg_extension where extnamespace = 'public'::regnamespace),
  'no extension is installed into public'
);

select * from finish();
rollback;
