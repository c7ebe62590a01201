-- A reply's model and usage where its history is read (issue 28): get-history returns them from the
-- usage ledger, the one record of them, with each assistant message (format ui: in its metadata as
-- `{ model, usage }`; rows and openai: as `model` and `usage` beside the message's fields).

-- Input: a message (its id). Guarantees: `{ model, usage }` of the ledger entry of that message
--   (usage in the AI SDK's names, nulls left out, with `estimated: true` when the counts are the
--   store's estimate; no usage while the call is reserved), or null when it has no entry or the
--   caller may not read it (Row Level Security: a user reads their own entries).
create function conversation_store.reply_usage(p_message_id uuid)
returns jsonb
language sql
stable
set search_path = ''
as $$
  select jsonb_strip_nulls(jsonb_build_object(
    'model', l.model,
    'usage', case when l.status = 'settled' then jsonb_strip_nulls(jsonb_build_object(
      'inputTokens', l.input_tokens, 'outputTokens', l.output_tokens, 'totalTokens', l.total_tokens,
      'reasoningTokens', l.reasoning_tokens, 'cachedInputTokens', l.cached_input_tokens,
      'estimated', case when l.estimated then true end)) end))
  from public.usage_ledger as l
  where l.message_id = p_message_id
$$;

revoke all on function conversation_store.reply_usage(uuid) from public, anon, authenticated, service_role;
grant execute on function conversation_store.reply_usage(uuid) to authenticated, service_role;

-- Input: a message in API shape (any format's JSON) and the stored message it came from, and
--   whether the usage goes in `metadata` (format ui) or beside the fields (rows, openai).
-- Guarantees: the message with its reply's model and usage added, for an assistant message that
--   has a ledger entry; any other message (or none: null) unchanged.
create function conversation_store.with_reply_usage(p_json json, p_message public.conversation_messages, p_in_metadata boolean)
returns json
language sql
stable
set search_path = ''
as $$
  select case
    -- A tool message that an assistant row also stands for (format openai) gets nothing.
    when p_message.role is distinct from 'assistant' or u.usage is null
      or (p_json ->> 'role') is distinct from 'assistant' then p_json
    when p_in_metadata then jsonb_set(p_json::jsonb, '{metadata}', coalesce(p_json::jsonb -> 'metadata', '{}') || u.usage)::json
    else (p_json::jsonb || u.usage)::json
  end
  from (select conversation_store.reply_usage(p_message.id) as usage) as u
$$;

revoke all on function conversation_store.with_reply_usage(json, public.conversation_messages, boolean)
  from public, anon, authenticated, service_role;
grant execute on function conversation_store.with_reply_usage(json, public.conversation_messages, boolean)
  to authenticated, service_role;
