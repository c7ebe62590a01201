-- Token counts, stored once per message when it is written, so that a context window can be cut
-- to a model's budget without counting anything at read time.
--
-- The edge functions count exactly with OpenAI's o200k_base tokenizer (the tokens of content,
-- name, function and tool call names and arguments, and tool_call_id, plus 3 for the message's
-- framing). A writer that bypasses them (supabase.rpc from a browser) gets an estimate computed
-- here instead, one that is never below the real count: every o200k_base token stands for at
-- least one UTF-8 byte, so the bytes of what the model reads bound its tokens. Tighter rules do
-- not hold for every script: measured, Mongolian and Tibetan text and hex strings take about one
-- token per byte, emoji and code more than one per three bytes.

-- Input: the parts of a message a model reads. Guarantees: 3 + their size in UTF-8 bytes (the JSON
--   text for function_call and tool_calls, which is longer than the names and arguments in it):
--   never less than the o200k_base count of the same message.
create function conversation_store.estimate_tokens(
  p_content text,
  p_name text,
  p_function_call jsonb,
  p_tool_calls jsonb,
  p_tool_call_id text
)
returns integer
language sql
immutable
set search_path = ''
as $$
  select 3 + coalesce(octet_length(p_content), 0) + coalesce(octet_length(p_name), 0)
    + coalesce(octet_length(p_function_call::text), 0) + coalesce(octet_length(p_tool_calls::text), 0)
    + coalesce(octet_length(p_tool_call_id), 0)
$$;

-- Input: nothing. Guarantees: true when this session logged in as the owner of the tables, as the
--   edge functions do (SUPABASE_DB_URL or the transaction pooler, as postgres). The Data API logs
--   in as authenticator, so supabase.rpc() callers can never hand in a count of their own.
create function conversation_store.writer_counts_tokens()
returns boolean
language sql
stable
set search_path = ''
as $$
  select session_user = pg_catalog.pg_get_userbyid(c.relowner)
  from pg_catalog.pg_class c
  where c.oid = 'public.conversation_messages'::regclass
$$;

revoke all on function conversation_store.estimate_tokens(text, text, jsonb, jsonb, text) from public, anon, authenticated, service_role;
revoke all on function conversation_store.writer_counts_tokens() from public, anon, authenticated, service_role;

alter table public.conversation_messages add column token_count integer;

-- Messages stored before counting existed get the estimate.
update public.conversation_messages m
set token_count = conversation_store.estimate_tokens(m.content, m.name, m.function_call, m.tool_calls, m.tool_call_id);

alter table public.conversation_messages
  alter column token_count set not null,
  add constraint conversation_messages_token_count_range check (token_count between 0 and 1000000);

comment on column public.conversation_messages.token_count is
  'Tokens a model reads for this message, framing included: exact (o200k_base) when written through the edge functions, a byte-based upper bound otherwise.';
