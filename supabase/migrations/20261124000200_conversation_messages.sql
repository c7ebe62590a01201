-- Conversation messages: an append-only log per conversation, numbered 1, 2, 3, … with no gaps.
--
-- Rows are written only by public.append_messages, which takes sequence numbers from the
-- conversation's counter. `user_id` repeats the conversation's owner so that Row Level Security
-- is a plain comparison on the row instead of a join per row. The message shape follows OpenAI's
-- chat format: the seed's roles and `function_call`, plus today's `tool` role and `tool_calls`.

create table public.conversation_messages (
  id uuid primary key default gen_random_uuid(),
  conversation_id uuid not null references public.conversations (id) on delete cascade,
  user_id uuid not null,
  sequence_order integer not null,
  role text not null,
  content text,
  name text,
  function_call jsonb,
  tool_calls jsonb,
  tool_call_id text,
  client_message_id text,
  created_at timestamptz not null default now(),

  constraint conversation_messages_sequence_order_positive check (sequence_order >= 1),
  constraint conversation_messages_role_known
    check (role in ('system', 'user', 'assistant', 'function', 'tool')),
  constraint conversation_messages_content_required
    check (content is not null or (role = 'assistant' and (function_call is not null or tool_calls is not null))),
  constraint conversation_messages_function_has_name check (role <> 'function' or name is not null),
  constraint conversation_messages_tool_has_tool_call_id check (role <> 'tool' or tool_call_id is not null),
  constraint conversation_messages_calls_only_from_assistant
    check (role = 'assistant' or (function_call is null and tool_calls is null)),
  constraint conversation_messages_tool_call_id_only_on_tool check (role = 'tool' or tool_call_id is null),
  constraint conversation_messages_name_format check (name ~ '^[A-Za-z0-9_-]{1,64}$'),
  constraint conversation_messages_function_call_is_object check (jsonb_typeof(function_call) = 'object'),
  constraint conversation_messages_tool_calls_is_array check (jsonb_typeof(tool_calls) = 'array'),
  constraint conversation_messages_tool_call_id_length check (char_length(tool_call_id) between 1 and 128),
  constraint conversation_messages_client_message_id_length
    check (char_length(client_message_id) between 1 and 128),
  -- Size limits end in _max_size: the edge functions answer 413 for them, 400 for other checks.
  constraint conversation_messages_content_max_size check (char_length(content) <= 100000),
  constraint conversation_messages_function_call_max_size check (octet_length(function_call::text) <= 65536),
  constraint conversation_messages_tool_calls_max_size check (octet_length(tool_calls::text) <= 65536),

  -- History is read by sequence within one conversation. This index also serves every lookup
  -- "by conversation" (it leads with conversation_id), including the foreign key's cascade.
  constraint idx_conversation_messages_sequence_order unique (conversation_id, sequence_order),
  -- The idempotency key: a client_message_id is stored at most once per conversation.
  -- Rows without a key are NULL here and never conflict.
  constraint idx_conversation_messages_conversation_id unique (conversation_id, client_message_id)
);

comment on table public.conversation_messages is
  'Messages of a conversation, numbered from 1 without gaps. Append with public.append_messages.';
comment on column public.conversation_messages.user_id is
  'Owner of the conversation, copied on append so that Row Level Security needs no join.';
comment on column public.conversation_messages.client_message_id is
  'Optional idempotency key chosen by the client: retrying an append with it never stores the message twice.';
