-- The API's JSON shapes and the page budget, defined once in SQL for the SQL functions and the
-- edge functions alike.
--
-- A page (history, context window, conversation list, search) stops adding rows once it reaches
-- conversation_store.page_max_bytes() of JSON and says that more follow; its first row is always
-- returned, whatever its size, so paging never stalls. A single row is bounded by the table's own
-- limits (content 100,000 characters, calls and metadata 64 KiB each), so no response, and no
-- value handed to a driver, comes anywhere near what a driver can hold.
--
-- The shapes are json built key by key, so that responses list their fields in a stable, readable
-- order (jsonb would sort them by length).

create function conversation_store.page_max_bytes()
returns integer
language sql
immutable
set search_path = ''
as $$
  select 4194304
$$;

-- A stored message as the API returns it: every column but the owner.
create function conversation_store.message_json(p_message public.conversation_messages)
returns json
language sql
stable
set search_path = ''
as $$
  select json_build_object(
    'id', p_message.id, 'conversation_id', p_message.conversation_id, 'sequence_order', p_message.sequence_order,
    'role', p_message.role, 'content', p_message.content, 'name', p_message.name,
    'function_call', p_message.function_call, 'tool_calls', p_message.tool_calls,
    'tool_call_id', p_message.tool_call_id, 'client_message_id', p_message.client_message_id,
    'status', p_message.status, 'token_count', p_message.token_count,
    'created_at', p_message.created_at, 'updated_at', p_message.updated_at
  )
$$;

-- A stored message as OpenAI's chat API takes it: role, and only those of content, name,
-- function_call, tool_calls and tool_call_id that are set. Built by PostgreSQL, so that no reader
-- parses and re-serialises stored JSON (which could be nested deeply in rows written before the
-- message shape was enforced).
create function conversation_store.openai_message(p_message public.conversation_messages)
returns json
language sql
stable
set search_path = ''
as $$
  select json_strip_nulls(json_build_object(
    'role', p_message.role, 'content', p_message.content, 'name', p_message.name,
    'function_call', p_message.function_call, 'tool_calls', p_message.tool_calls,
    'tool_call_id', p_message.tool_call_id
  ))
$$;

-- A conversation as the API returns it: every column but deleted_at (clients never see a deleted one).
create function conversation_store.conversation_json(p_conversation public.conversations)
returns json
language sql
stable
set search_path = ''
as $$
  select json_build_object(
    'id', p_conversation.id, 'user_id', p_conversation.user_id, 'video_id', p_conversation.video_id,
    'metadata', p_conversation.metadata, 'last_sequence', p_conversation.last_sequence,
    'created_at', p_conversation.created_at, 'updated_at', p_conversation.updated_at,
    'retention_seconds', p_conversation.retention_seconds, 'expires_at', p_conversation.expires_at,
    'summary', p_conversation.summary, 'summary_through_sequence', p_conversation.summary_through_sequence,
    'summary_token_count', p_conversation.summary_token_count,
    'forked_from_conversation_id', p_conversation.forked_from_conversation_id,
    'forked_from_sequence', p_conversation.forked_from_sequence
  )
$$;

revoke all on function conversation_store.page_max_bytes() from public, anon, authenticated, service_role;
revoke all on function conversation_store.message_json(public.conversation_messages) from public, anon, authenticated, service_role;
revoke all on function conversation_store.openai_message(public.conversation_messages) from public, anon, authenticated, service_role;
revoke all on function conversation_store.conversation_json(public.conversations) from public, anon, authenticated, service_role;
grant execute on function conversation_store.page_max_bytes() to authenticated, service_role;
grant execute on function conversation_store.message_json(public.conversation_messages) to authenticated, service_role;
grant execute on function conversation_store.openai_message(public.conversation_messages) to authenticated, service_role;
grant execute on function conversation_store.conversation_json(public.conversations) to authenticated, service_role;
