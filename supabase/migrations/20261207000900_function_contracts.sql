-- The last migration of issue 27: every public SQL function states its contract where Supabase shows
-- it, and an internal helper leaves the API.
--
-- 1. conversation_store.jsonb_merge_patch replaces public.jsonb_merge_patch. It is an internal helper
--    (the merge behind update_conversation_metadata and fork_conversation's p_metadata), but in
--    public it was part of the Data API, callable with supabase.rpc() and listed in its OpenAPI. The
--    function is the same (RFC 7396 in linear time, 20261125000900_linear_merge_patch.sql); its two
--    callers are replaced with their bodies unchanged but for the helper's new name.
-- 2. comment on function for every public function (delete_all_conversations has its own, in
--    20261207000800_erase_all.sql, where its current body is): the Input/Guarantees/Errors contract written
--    above its current body in the migrations, so that supabase/schema.sql, Supabase Studio and the
--    Data API's OpenAPI description carry it. supabase/tests/database/function_contracts_test.ts
--    fails when a public function has no such comment.

-- Input: the stored document and a patch. Guarantees (RFC 7396): objects merge key by key,
-- recursively; a key whose patch value is null is removed; any other patch value replaces the
-- stored one. Work is linear in the sizes of the target and the patch.
create function conversation_store.jsonb_merge_patch(p_target jsonb, p_patch jsonb)
returns jsonb
language sql
immutable
set search_path = ''
as $$
  select case
    when jsonb_typeof(p_patch) is distinct from 'object' then p_patch
    else (
      select coalesce(jsonb_object_agg(merged.key, merged.value), '{}'::jsonb)
      from (
        select kept.key, kept.value
        from jsonb_each(case when jsonb_typeof(p_target) = 'object' then p_target end) as kept
        where not p_patch ? kept.key
        union all
        select patched.key,
               conversation_store.jsonb_merge_patch(
                 case when jsonb_typeof(p_target) = 'object' then p_target -> patched.key end,
                 patched.value
               )
        from jsonb_each(p_patch) as patched
        where jsonb_typeof(patched.value) <> 'null'
      ) as merged
    )
  end
$$;

revoke all on function conversation_store.jsonb_merge_patch(jsonb, jsonb) from public, anon, authenticated, service_role;
-- update_conversation_metadata is security invoker: its callers run the merge themselves.
grant execute on function conversation_store.jsonb_merge_patch(jsonb, jsonb) to authenticated, service_role;

-- Input: a conversation id and a patch object. Guarantees: a patch over 64 KiB is refused before
-- it is merged (check violation conversations_metadata_patch_max_size); otherwise applies the
-- patch to the stored metadata in one atomic update and returns the row. Security invoker: Row
-- Level Security limits it to the caller's own live conversations (the service role reaches every
-- live one).
-- Errors: 22023 patch is not an object; 23514 patch or result too large; PT404 not found, not live
-- or not the caller's.
create or replace function public.update_conversation_metadata(p_conversation_id uuid, p_patch jsonb)
returns public.conversations
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_conversation public.conversations;
begin
  if jsonb_typeof(p_patch) is distinct from 'object' then
    raise exception 'p_patch must be a JSON object' using errcode = '22023';
  end if;
  if octet_length(p_patch::text) > 65536 then
    raise exception 'the metadata patch is larger than 64 KiB'
      using errcode = '23514', constraint = 'conversations_metadata_patch_max_size';
  end if;

  update public.conversations c
  set metadata = conversation_store.jsonb_merge_patch(c.metadata, p_patch)
  where c.id = p_conversation_id and (c.expires_at is null or c.expires_at > now())
  returning * into v_conversation;

  if v_conversation.id is null then
    raise exception 'conversation not found' using errcode = 'PT404';
  end if;
  return v_conversation;
end;
$$;

-- Input: the source conversation; the last message to copy (1..its last_sequence); optionally the
--   fork's id (makes the call idempotent) and a merge patch for its metadata.
-- Guarantees: creates a conversation of the source's owner with the source's video and retention,
--   the source's metadata merged with p_metadata, and copies of messages 1..p_through_sequence
--   (same sequence numbers, roles, contents, parts, metadata, token counts, statuses, timestamps
--   and client_message_ids; new ids); last_sequence = p_through_sequence. The source's summary comes
--   along when it covers no more than p_through_sequence. The same p_id again, for the same source
--   and sequence, returns the stored fork and copies nothing. Sets the transaction-local setting
--   conversation_store.conversation_created to true or false, as start_conversation does.
--   At most 100,000 messages are copied, so a fork always finishes within a request.
-- Errors: 22023 arguments out of range or p_metadata not an object; PT404 the source is not found,
--   not live or not the caller's; PT422 (hint beyond_last_sequence) p_through_sequence after the
--   source's last message, DETAIL {"last_sequence": n}; PT422 (hint fork_too_large) more than
--   100,000 messages to copy; PT409 (hint reply_in_progress) a reply in progress is among them,
--   DETAIL {"sequence_order": n}; 23505 p_id is taken by another conversation.
-- Security definer because clients cannot write messages; ownership is checked against auth.uid().
create or replace function public.fork_conversation(
  p_conversation_id uuid,
  p_through_sequence integer,
  p_id uuid default null,
  p_metadata jsonb default null
)
returns public.conversations
language plpgsql
security definer
set search_path = ''
as $$
declare
  c_max_messages constant integer := 100000;
  v_source public.conversations;
  v_fork public.conversations;
  v_reply_in_progress integer;
  v_keeps_summary boolean;
begin
  if p_through_sequence is null or p_through_sequence < 1 then
    raise exception 'p_through_sequence must be at least 1' using errcode = '22023';
  end if;
  if p_metadata is not null and jsonb_typeof(p_metadata) <> 'object' then
    raise exception 'p_metadata must be a JSON object' using errcode = '22023';
  end if;

  -- Key share keeps the source from being deleted while it is copied; appends go on.
  select * into v_source
  from public.conversations c
  where c.id = p_conversation_id
    and conversation_store.caller_reaches(c)
  for key share;
  if not found then
    raise exception 'conversation not found' using errcode = 'PT404';
  end if;

  if p_id is not null then
    select * into v_fork from public.conversations c where c.id = p_id;
    if found then
      if v_fork.user_id = v_source.user_id
        and v_fork.forked_from_conversation_id = p_conversation_id
        and v_fork.forked_from_sequence = p_through_sequence
        and (v_fork.expires_at is null or v_fork.expires_at > now()) then
        perform set_config('conversation_store.conversation_created', 'false', true);
        return v_fork;
      end if;
      raise exception 'conversation already exists' using errcode = '23505';
    end if;
  end if;

  if p_through_sequence > v_source.last_sequence then
    raise exception 'cannot fork through message %: the last message is %', p_through_sequence, v_source.last_sequence
      using errcode = 'PT422', hint = 'beyond_last_sequence',
            detail = jsonb_build_object('last_sequence', v_source.last_sequence)::text;
  end if;
  if p_through_sequence > c_max_messages then
    raise exception 'a fork copies at most % messages', c_max_messages
      using errcode = 'PT422', hint = 'fork_too_large',
            detail = jsonb_build_object('max_messages', c_max_messages)::text;
  end if;
  select m.sequence_order into v_reply_in_progress
  from public.conversation_messages m
  where m.conversation_id = p_conversation_id and m.status = 'in_progress'
    and m.sequence_order <= p_through_sequence;
  if found then
    raise exception 'message % is a reply still in progress', v_reply_in_progress
      using errcode = 'PT409', hint = 'reply_in_progress',
            detail = jsonb_build_object('sequence_order', v_reply_in_progress)::text;
  end if;

  v_keeps_summary := v_source.summary_through_sequence <= p_through_sequence;
  insert into public.conversations (
    id, user_id, video_id, metadata, last_sequence, retention_seconds,
    summary, summary_through_sequence, summary_token_count,
    forked_from_conversation_id, forked_from_sequence
  )
  values (
    coalesce(p_id, gen_random_uuid()), v_source.user_id, v_source.video_id,
    conversation_store.jsonb_merge_patch(v_source.metadata, coalesce(p_metadata, '{}'::jsonb)),
    p_through_sequence, v_source.retention_seconds,
    case when v_keeps_summary then v_source.summary end,
    case when v_keeps_summary then v_source.summary_through_sequence end,
    case when v_keeps_summary then v_source.summary_token_count end,
    p_conversation_id, p_through_sequence
  )
  returning * into v_fork;

  insert into public.conversation_messages (
    conversation_id, user_id, sequence_order, role, content, name, function_call, tool_calls,
    tool_call_id, client_message_id, created_at, token_count, status, updated_at,
    parts, metadata, reasoning_token_count
  )
  select v_fork.id, m.user_id, m.sequence_order, m.role, m.content, m.name, m.function_call, m.tool_calls,
         m.tool_call_id, m.client_message_id, m.created_at, m.token_count, m.status, m.updated_at,
         m.parts, m.metadata, m.reasoning_token_count
  from public.conversation_messages m
  where m.conversation_id = p_conversation_id and m.sequence_order between 1 and p_through_sequence;

  perform set_config('conversation_store.conversation_created', 'true', true);
  return v_fork;
end;
$$;

drop function public.jsonb_merge_patch(jsonb, jsonb);

comment on function conversation_store.jsonb_merge_patch(jsonb, jsonb) is $contract$Input: a stored JSON document and a merge patch.
Guarantees (RFC 7396): objects merge key by key, recursively; a key whose patch value is null is
  removed; any other patch value replaces the stored one. Work is linear in the sizes of the target
  and the patch.
Errors: none.$contract$;

comment on function public.append_messages(uuid, jsonb, integer) is $contract$Input: a conversation id; p_messages, a JSON array of 1..100 message objects with the fields
  role, content, name, function_call, tool_calls, tool_call_id, client_message_id, status
  ('in_progress', 'completed' default, 'incomplete'), parts and metadata (20261206000200), and
  token_count and reasoning_token_count (only from a session that counts tokens: the edge
  functions); optionally the sequence number the caller believes is last. A message with parts
  sends no content, function_call, tool_calls or tool_call_id: they are derived from its parts.
Guarantees, under any concurrency:
  * All or nothing: the batch is stored with consecutive sequence numbers after the current last.
  * The conversation row is locked before numbers are handed out, so concurrent appends to one
    conversation queue behind each other; numbering needs no max()+1 and no retries.
  * A message whose client_message_id is already stored is not stored again; the stored row is
    returned instead. When every message is such a replay nothing is written and neither the
    reply rule nor p_expected_last_sequence is checked, so retrying a successful call returns
    its result. A reply started in_progress replays whatever its content became since.
  * One reply at a time: only an assistant message may be in_progress, only as the batch's last.
    While the conversation holds a reply in progress nothing is appended; a reply silent for
    conversation_store.stale_reply_after() is first marked incomplete, in this transaction.
  * Every stored message has a token_count and a reasoning_token_count: the given ones from a
    session that counts tokens, else estimates (conversation_store.estimate_tokens of the columns
    plus conversation_store.estimate_part_tokens, and estimate_reasoning_tokens).
  * A replay compares parts and metadata too.
  * Returns the batch's rows (new and replayed) in sequence order, and sets the transaction-local
    setting conversation_store.appended_count to the number of rows it inserted, so that callers
    in the same transaction can tell a replay (0) from an append.
Errors: 42501 not authenticated, or (hint storage_path_forbidden) a file part outside the owner's
  Storage folder; 22023 malformed batch or parts; PT404 not found, not live or not the
  caller's; PT422 client_message_id reused for a different message; PT409 (hint
  reply_in_progress) a reply is in progress, DETAIL {"sequence_order": n}; PT409 stale
  p_expected_last_sequence, DETAIL {"last_sequence": n}; 23514 a message breaks a table rule.
Security definer because clients have no insert on messages and no update on the counter;
  ownership is checked against auth.uid() (the service role may append anywhere).$contract$;

comment on function public.delete_conversation(uuid) is $contract$Input: a conversation id.
Guarantees: the conversation is gone for clients when this returns (marked deleted); when it
  holds at most 10,000 messages they and the conversation are deleted now, otherwise
  public.purge_expired_conversations reclaims the rest, newest first, in later calls. Returns
  how many messages the conversation held (its last_sequence).
Errors: PT404 not found, not live or not the caller's.
Security definer because clients cannot delete messages; ownership is checked against auth.uid().$contract$;

comment on function public.fork_conversation(uuid, integer, uuid, jsonb) is $contract$Input: the source conversation; the last message to copy (1..its last_sequence); optionally the
  fork's id (makes the call idempotent) and a merge patch for its metadata.
Guarantees: creates a conversation of the source's owner with the source's video and retention,
  the source's metadata merged with p_metadata, and copies of messages 1..p_through_sequence
  (same sequence numbers, roles, contents, parts, metadata, token counts, statuses, timestamps
  and client_message_ids; new ids); last_sequence = p_through_sequence. The source's summary comes
  along when it covers no more than p_through_sequence. The same p_id again, for the same source
  and sequence, returns the stored fork and copies nothing. Sets the transaction-local setting
  conversation_store.conversation_created to true or false, as start_conversation does.
  At most 100,000 messages are copied, so a fork always finishes within a request.
Errors: 22023 arguments out of range or p_metadata not an object; PT404 the source is not found,
  not live or not the caller's; PT422 (hint beyond_last_sequence) p_through_sequence after the
  source's last message, DETAIL {"last_sequence": n}; PT422 (hint fork_too_large) more than
  100,000 messages to copy; PT409 (hint reply_in_progress) a reply in progress is among them,
  DETAIL {"sequence_order": n}; 23505 p_id is taken by another conversation.
Security definer because clients cannot write messages; ownership is checked against auth.uid().$contract$;

comment on function public.get_context(uuid, integer, integer, text, boolean) is $contract$Input: a conversation id; a token budget (1..2,000,000); at most how many candidates to choose
  (1..1000); the format of the messages: 'openai' (default), 'rows' or 'ui'; whether reasoning
  comes along (formats rows and ui only).
Guarantees: returns { conversation, messages, token_count, has_earlier, first_sequence }, plus
  summary ({ content, through_sequence, token_count } or null) in the rows format, where the
  summary is not a message. token_count is the sum over what is returned (reasoning tokens
  included when reasoning is); first_sequence is the sequence number of the oldest chosen
  candidate (null when none is); has_earlier says whether candidates older than it were left
  out, so the agent knows what to summarise next: the messages after the summary and before
  first_sequence.
Errors: 22023 arguments out of range, or reasoning asked for in the openai format; PT404 not
  found, not live or not the caller's; PT422 (hint context_budget_exceeded) the pinned prompt and
  the summary alone exceed the budget, DETAIL {"required_tokens": n, "max_bytes": n} (exact,
  unless the prompt alone is over the byte budget: then what was read of it).
Security invoker: Row Level Security decides what the caller reaches. JIT is off: its reads are
  bounded ranges, and compiling their expressions cost more than running them.$contract$;

comment on function public.keep_reply_alive(uuid, integer) is $contract$Input: a reply (a message in progress) of the caller's, by conversation and sequence_order.
Guarantees: its updated_at becomes now() and nothing else changes; returns it. Locks the
  conversation before the message, in the order append_messages and update_message lock them.
Errors: PT404 conversation or message not found, not live or not the caller's; PT409 (hint
  message_final) the message is final.
Security definer because messages have no update grant; ownership is checked against auth.uid().$contract$;

comment on function public.purge_expired_conversations(integer) is $contract$Input: how many conversations to delete at most (1..100,000, default 1000).
Guarantees: deletes expired conversations, oldest expiry first, with their messages: at most
  p_batch_size conversations and 50 × p_batch_size messages per call, so one call never runs
  long; a conversation with more messages is finished by later calls. Conversations locked by a
  writer are skipped (for update skip locked) and taken next time, so purging never waits for an
  append and never makes one wait. Returns how many conversations it deleted.
Errors: 22023 p_batch_size out of range.
Security definer because it deletes messages, which no API role may; executable only by
  service_role and the database owner (pg_cron runs it as the owner).$contract$;

comment on function public.search_conversations(text, integer, jsonb, uuid, uuid) is $contract$Input: the query (1..256 characters, web-search syntax); how many conversations (1..50); the
  next_cursor of the previous page; optionally a video id; for the service role, optionally a
  user id (without one it searches every user's conversations).
Guarantees: returns { results, has_more, next_cursor }: live conversations of the caller with a
  message matching the query (in its text, or its reasoning or file names:
  conversation_store.part_search_words), by relevance (the best match's ts_rank_cd), then most
  recently updated; each result is { conversation, matches }, matches being up to 3 of its
  messages { sequence_order, role, snippet, highlights }, best first. snippet is plain text
  around the match in the message's text, reasoning and file names (never markup) and
  highlights are [start, end) ranges of the matched words in it, in
  characters (code points). At most 10,000 matching messages are ranked per call, so a word that
  is everywhere in a user's history costs a bounded amount; a page also stops at
  conversation_store.page_max_bytes().
Errors: 22023 arguments out of range or a malformed cursor; 42501 not authenticated, or p_user_id
  naming someone else.
Security definer, filtering by the caller itself as the policies would (the caller's own
  messages, live conversations; the service role everyone's or one user's): under Row Level
  Security a condition holding a function that is not leakproof, such as the words of a message,
  waits behind the policy, so the index would be read by owner only and every message of the user
  turned into words again. Plans are made for each call's values (plan_cache_mode), so a user's
  own statistics choose them; JIT is off, since compiling cost more than the search.$contract$;

comment on function public.set_conversation_summary(uuid, text, integer, integer) is $contract$Input: a conversation id; the summary's text and the last sequence number it covers, or both
  null to clear it; p_token_count, the exact count, honoured only from a session that counts
  tokens (the edge functions); anyone else gets conversation_store.estimate_tokens.
Guarantees: sets, replaces or clears the summary in one update and returns the row.
Errors: 22023 content and through_sequence not given together; PT422 (hint
  beyond_last_sequence) through_sequence after the last message, DETAIL
  {"last_sequence": n}; PT404 not found, not live or not the caller's; 23514 too large or < 1.
Security definer because clients may not write the summary columns (nor its token count)
  directly; ownership is checked against auth.uid() (the service role reaches every conversation).$contract$;

comment on function public.start_conversation(uuid, jsonb, uuid, uuid, integer) is $contract$Input: optional video id, metadata and retention; p_id makes the call idempotent; p_user_id
  names the owner and is required for the service role (which has no user of its own), optional
  for a user (own id only).
Guarantees: returns the stored row; the same p_id by the same owner returns the row stored
  first, unchanged, and creates nothing. Sets the transaction-local setting
  conversation_store.conversation_created to true or false, so that callers in the same
  transaction can tell a new conversation from a replay.
Errors: 22023 the service role names no owner; 42501 not authenticated or p_user_id names
  someone else; 23505 the id is taken (by another user, or by a deleted conversation);
  23503 the owner is not a user; 23514 retention out of range or metadata too large.
Security definer because clients may not write conversations.user_id; the owner comes from the
  verified JWT claims, never from a parameter alone.$contract$;

comment on function public.touch_updated_at() is $contract$Input: none; the trigger function of conversations' before-update trigger, not callable by any API role.
Guarantees: updated_at moves to now() on every change to a conversation, including each append (which
  bumps last_sequence).
Errors: none.$contract$;

comment on function public.update_conversation_metadata(uuid, jsonb) is $contract$Input: a conversation id and a patch object (JSON merge patch, RFC 7396).
Guarantees: a patch over 64 KiB is refused before it is merged (check violation
  conversations_metadata_patch_max_size); otherwise applies the patch to the stored metadata
  (conversation_store.jsonb_merge_patch) in one atomic update and returns the row.
Errors: 22023 patch is not an object; 23514 patch or result too large; PT404 not found, not live
  or not the caller's.
Security invoker: Row Level Security limits it to the caller's own live conversations (the service
  role reaches every live one).$contract$;

comment on function public.update_message(uuid, integer, text, text, integer, jsonb, jsonb, text, integer, jsonb, text, integer, jsonb) is $contract$Input: the message (conversation id and sequence number); at most one of p_content (replaces
  the text) and p_append_content with p_content_offset (adds a delta); p_tool_calls or
  p_function_call (replace them); p_status ('in_progress', 'completed', 'incomplete'). Part
  operations, instead of content and calls: p_part_index with p_part (replaces the part at that
  index, or appends it when the index is the number of parts), or p_part_index with
  p_append_text and p_text_offset (a delta to the text or reasoning part at that index);
  p_metadata replaces the message's metadata.
Guarantees:
  * Only a reply in progress changes; completed and incomplete are final, for good.
  * A delta (p_append_content, or p_append_text to a part) is appended when the stored text is
    exactly its offset long, in code points; when the stored text already ends with this delta
    at this offset (a retry) the reply stays as it is, its updated_at included; anything else is
    refused and nothing changes. An empty delta at the end of the text changes only updated_at
    (a heartbeat that keeps the reply from going stale). Setting a part to what it already is
    changes nothing either, so a retried part operation is harmless.
  * A part operation on a message written without parts starts from its derived parts
    (conversation_store.message_parts), which are stored from then on. The part list must stay
    conversation_store.check_parts-valid; content and tool_calls follow it.
  * Stopping a reply (incomplete) before any text or call leaves it final with empty text.
  * token_count and reasoning_token_count follow the message (the database's estimates); the
    edge functions replace them with exact counts once the reply is final
    (conversation_store.set_exact_token_count).
  * Finishing a reply is activity: the conversation's updated_at moves (and so its expires_at).
  * The conversation is locked before the message, in the order append_messages locks them.
Errors: 22023 malformed arguments, a part index out of range, a delta to a part without text, a
  malformed part, content or calls sent to a message written with parts, or a part operation on
  a message with a function_call; 42501 (hint storage_path_forbidden) a file part outside the
  owner's Storage folder; PT404 conversation or message not found, not live or not the caller's;
  PT409 (hint message_final) the message is final; PT409 (hint content_offset_mismatch) the
  offset does not match, DETAIL {"content_length": n}; 23514 the result breaks a table rule.
Security definer because messages have no update grant; ownership is checked against auth.uid().$contract$;
