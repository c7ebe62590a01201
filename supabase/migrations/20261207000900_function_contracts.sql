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
--    fails when a public function has no such comment. Functions added or replaced in this release
--    come last, each with the contract written above its current body.

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

-- Functions of this release: the contract above their current bodies.
comment on function public.answer_tool_calls is $contract$Input: a conversation; the id of one of its assistant replies (client_message_id, the id the
  browser knows); the user's answers: an array of 1 to 128 tool-call parts (the store's
  vocabulary, snake_case, as the browser's message holds them), each with tool_call_id,
  tool_name, input and a state: `approval-responded` with approval {id, approved, reason?},
  or `output-available` with output, or `output-error` with error_text; and how old (seconds,
  1 and up) an approval request may be, at most conversation_store.tool_request_max_age()
  (null: that).
Guarantees: decided under the reply's lock, so that of two answers racing, or an answer and its
  replay, exactly one is applied:
  * Each answer to a waiting call (conversation_store.tool_call_waits) must match the stored
    request: the same tool name and input, and for an approval request an approval-responded
    answer with the same approval id; for a client-side call an output. Every waiting call of
    the reply must be answered. Only the answer's approval decision and reason, or its output or
    error text (with its result_provider_metadata, where the chat function puts its stamp on a
    result it vouches for: check_parts keeps it an object), are taken; everything else stays as
    stored.
  * An answer for a call that is not waiting is accepted only when it says what is stored (the
    browser sends back the outputs it was streamed); an approval answer for such a call is a
    replay, and refused.
  * An approval request older than the given age is denied, whatever the answer says (reason
    "the approval request expired").
  * The reply (status awaiting_input) is put back in progress with the answers applied (a denied
    call stays approval-responded with approved false: the chat function's model run turns it
    into output-denied and tells the model). The parts stay conversation_store.check_parts-valid.
Errors: 22023 malformed answers or age; PT404 conversation or reply not found, not live or not
  the caller's; PT409 (hint tool_call_answered) the call was answered already, or the reply waits
  for nothing; PT422 (hint tool_response_mismatch) an answer names a call the reply does not
  hold or that is not waiting, or differs from the request (tool name, input, approval id), or a
  waiting call is left unanswered; 23514 the answered reply breaks a table rule (sizes).
Security definer because messages have no update grant; ownership is checked against auth.uid().$contract$;

comment on function public.append_messages is $contract$Input: a conversation id; p_messages, a JSON array of 1..100 message objects with the fields
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
Size (20261207000200): p_messages is at most conversation_store.max_batch_bytes() as JSON text
  and holds at most 1,000 parts in all, as one append-message request; checked first.
Errors: 54000 (hint payload_too_large) p_messages over either bound; 42501 not authenticated, or (hint storage_path_forbidden) a file part outside the owner's
  Storage folder; 22023 malformed batch or parts; PT404 not found, not live or not the
  caller's; PT422 client_message_id reused for a different message; PT409 (hint
  reply_in_progress) a reply is in progress, DETAIL {"sequence_order": n}; PT409 stale
  p_expected_last_sequence, DETAIL {"last_sequence": n}; 23514 a message breaks a table rule.
Security definer because clients have no insert on messages and no update on the counter;
  ownership is checked against auth.uid() (the service role may append anywhere).$contract$;

comment on function public.assign_usage_plan is $contract$Input: a user and a plan's name, or null to put the user back on default (guest when anonymous).
Guarantees: the user is on that plan from the next reservation; returns the plan assigned (null:
  none, the user is on default, or guest when anonymous).
Errors: 42501 not the service role; PT404 no such plan; 23503 no such user.$contract$;

comment on function public.await_tool_input is $contract$Input: the conversation and the sequence number of a reply in progress of the caller's.
Guarantees: the reply, its log folded in (its parts as written), waits for the user: status
  awaiting_input, updated_at now (when the wait began: approvals expire from there). It must
  hold at least one waiting call (conversation_store.tool_call_waits); nothing else changes.
  Finishing a stream this way is activity: the conversation's updated_at moves.
Errors: PT404 conversation or message not found, not live or not the caller's; PT409 (hint
  message_final) the message is not in progress; 22023 the reply waits for nothing.
Security definer because messages have no update grant; ownership is checked against auth.uid().$contract$;

comment on function public.export_conversations is $contract$Input: the next_cursor of the previous page ([created_at, id, after_sequence]) or null; at most
  how many messages a page holds (1..10,000); for the service role, the user to export.
Guarantees: json { conversations, next_cursor }: the caller's live conversations in (created_at,
  id) order, each entry { conversation, first_sequence, messages, ratings, complete }:
  conversation_store.conversation_json, the messages from first_sequence on in sequence order
  (conversation_store.message_json), the owner's ratings of those messages
  (conversation_store.rating_json), and whether the entry ends with the conversation's last
  message. A page stops once it holds p_max_messages messages or
  conversation_store.page_max_bytes() of them (its first message always); a conversation cut
  there continues in the next page's first entry. next_cursor is null after the last page.
Errors: 22023 arguments out of range or a malformed cursor; 42501 not authenticated, or
  p_user_id naming someone else; 22023 the service role names no user.$contract$;

comment on function public.get_memory is $contract$Input: for the service role, the user whose memory to read (required); a user may name only
  themselves or no one.
Guarantees: returns { entries, total_tokens, max_entries, max_tokens }: the user's entries in key
  order, the sum of their token counts, and the bounds they are held to.
Errors: 22023 the service role names no user; 42501 not authenticated, or p_user_id naming
  someone else.$contract$;

comment on function public.get_shared_conversation is $contract$Input: a link's token, from anyone (anon included); a page: messages after p_after (0..), at most
  p_limit (1..1000).
Guarantees: json { conversation: { title, created_at, through_sequence, shared_at, expires_at },
  messages, has_more, next_cursor }: the shared messages of the page as AI SDK UIMessages, never
  one after through_sequence, without system messages, message metadata or (unless the link
  includes it) reasoning, and nothing naming the owner. Storage files keep their storage:// url
  (the edge function signs them). A page stops at conversation_store.page_max_bytes() (its first
  message always), never between a tool call and its folded result; next_cursor is the p_after
  of the next page.
Errors: PT404 for a token that is malformed, unknown, revoked or expired, or whose conversation
  is deleted or expired, alike; 22023 a page out of range.
Security definer: the reader has no rights of their own; the token is the only key.$contract$;

comment on function public.get_usage is $contract$Input: p_user_id (a user: their own id or none; the service role: any user, or none for every
  user), p_days (1 … 366, the service role's totals).
Guarantees: for one user `{ user_id, plan, limits, remaining, reset_seconds, usage, models }`:
  the plan's limits (null: unlimited), what is left and when each window resets; requests,
  tokens (settled totals, and tokens still reserved) and cost in the current UTC hour, day and
  month; the month per model. For the service role without a user: `{ days }`, totals per UTC day
  and model over the last p_days days, newest first. Reads only.
Errors: 42501 not authenticated, or a user naming someone else; 22023 p_days out of range.
Security definer because users cannot read plans or assignments; the user comes from the JWT.$contract$;

comment on function public.get_usage_limits is $contract$Input: nothing; reads the caller.
Guarantees: the caller's plan and its limits as JSON
  `{ plan, limits: [{ policy, quota, remaining, window_seconds, reset_seconds }] }`, unlimited
  ones left out. Reads only.
Errors: 42501 not a signed-in user.
Security definer because users cannot read plans or assignments.$contract$;

comment on function public.import_conversation is $contract$Input: p_key, the conversation's key in its source (1 to 300 characters); p_conversation, a JSON
  object of what to set on a new conversation: title, pinned, archived, tags, metadata (each
  optional) and ratings ([{ sequence_order, rating, reason?, comment? }]); p_messages, a JSON array
  of messages as append_messages takes them, the first being message p_first_sequence; for a
  fork, the key of the conversation it was forked from (imported before it) and the sequence
  number it copies through (then p_first_sequence is that number + 1).
Guarantees: the caller's conversation import_id(caller, p_key) exists, made by start_conversation
  (or fork_conversation) if it did not; the messages it does not hold yet are appended after its
  last (in batches of 100); labels are set only on a conversation this call made, ratings only
  on messages this call appended.
  Returns json { id, created, appended }. A second call with the same arguments appends nothing.
Errors: 42501 not a signed-in user (the service role imports nothing); 22023 a key or arguments
  out of range (more than 10,000 messages or ratings in one call among them); PT409 (hint sequence_conflict) the conversation holds fewer messages than come
  before p_first_sequence (an earlier page of it was not imported); PT404 the fork's source is
  not imported; and every error of start_conversation, fork_conversation, append_messages,
  rate_message and the labels' checks.$contract$;

comment on function public.rate_message is $contract$Input: a conversation and the sequence number of one of its assistant messages; 'up', 'down' or
  null; optionally a reason (1 to 64 of a-z, 0-9, _) and a comment (at most 2,000 characters).
Guarantees: the owner's rating of that message becomes the one given (replacing any earlier one),
  or is removed for null; returns it as json { sequence_order, message_id, client_message_id,
  rating, reason, comment, created_at, updated_at }, or null once removed. The service role rates for the owner.
Errors: PT404 conversation or message not found, not live or not the caller's; PT422 (hint
  message_not_rateable) the message is not an assistant message, or is a reply in progress;
  22023 a rating other than up, down or null, or a reason or comment with a null rating;
  23514 a malformed reason, a comment over 2,000 characters.
Security definer because ratings have no write grant; the caller must reach the conversation
(conversation_store.caller_reaches).$contract$;

comment on function public.recall_messages is $contract$Input: the query (1..256 characters, natural language); how many passages (1..20); a
  conversation to leave out (the one asking, whose messages the model already has); an
  embedding of the query and the model that made it (optional: used where semantic recall is
  ready for that model, else ignored); for the service role,
  the user whose conversations to search (required).
Guarantees: returns { mode, passages }: mode is "hybrid" when ranked by words and by meaning,
  "full_text" otherwise; passages are up to p_limit completed user and assistant messages of the
  user's live conversations, each { conversation_id, sequence_order, role, snippet, created_at,
  score }, best first: full-text candidates ranked by ts_rank_cd over the words of
  conversation_store.search_words and part_search_words (any word of the query matches), semantic
  candidates by distance, merged by reciprocal rank fusion (score = Σ 1 / (60 + rank), each list
  taking its best 50). snippet is plain text around the match (at most 400 characters). At most
  2,000 matching messages are ranked per call (a question's common words match much of a
  history, and ranking recomputes each message's words: bench/memory.ts). Never another user's
  messages.
Errors: 22023 arguments out of range, or the service role names no user; 42501 not
  authenticated, or p_user_id naming someone else.
Security definer for the same reason as public.search_conversations: the index is read for the
  owner only when the filter is not behind the policy. The filter is the caller's own id.$contract$;

comment on function public.record_usage is $contract$Input: a reservation (reserve_usage's reservation_id); the usage the provider reported, in the AI
  SDK's names: `{ inputTokens?, outputTokens?, totalTokens?, reasoningTokens?, cachedInputTokens? }`
  (whole numbers from 0 to 2^31-1; totalTokens defaults to input + output); the model id (else
  the reserved one); p_estimated when the counts are an estimate (a reply stopped before the
  provider reported); optionally the message the call produced, when the reservation named none.
Guarantees: the entry is settled once with these counts and their cost (public.model_prices at
  this moment; priced false and cost 0 for a model without a price) and returned as JSON. A user
  records only their own entries not reserved for the service role, once: recording a settled
  entry again returns it unchanged. The service role may record any entry, and replaces an
  estimate (its own or the store's) with reported counts.
Errors: 42501 not signed in; 22023 usage not an object of those counts; PT404 no such entry
  of the caller's (or one reserved for the service role), or no such message of its user.
Security definer because users cannot write the ledger.$contract$;

comment on function public.release_reply is $contract$Input: a reply of the caller's (conversation and sequence_order).
Guarantees: when it is in progress, its released_at becomes now(); returns whether it was. A
  reply already final, another user's or one that does not exist gives false: a request closing
  after its reply ended is no event.
Errors: none of its own.
Security definer because the marks are not the caller's to write directly.$contract$;

comment on function public.reply_release_state is $contract$Input: a reply of the caller's (conversation and sequence_order).
Guarantees: one row: the reply's status, and while it is released and not resumed since, how
  many seconds ago it was released by the database's clock (else null). A reply not found (gone,
  not live, not the caller's) reads as status null.
Errors: none of its own.
Security definer because the marks are not the caller's to read directly.$contract$;

comment on function public.reserve_usage is $contract$Input: p_max_output_tokens, the most output the call may produce (1 … 100,000,000); optionally
  the conversation and the message (public.conversation_messages.id, e.g. the reply in progress)
  the call answers, the model id, and p_service_records (only the service role may then record
  the usage: chat's replies, so that a user cannot report less than the provider did).
Guarantees: under a lock on the caller's usage (so concurrent reservations are counted one after
  the other), settles abandoned entries, checks every limit of the caller's plan, and records a
  reserved entry holding the granted output tokens: min(p_max_output_tokens, the token budget
  left). Returns `{ reservation_id, max_output_tokens, plan, limits }` (limits as
  get_usage_limits, counting this call). The same message reserved again returns its entry and
  counts nothing (a replay).
Errors: 42501 not a signed-in user; 22023 p_max_output_tokens out of range; PT404 conversation
  or message not found or not the caller's; PT429 over a limit: hint rate_limited (requests) or
  quota_exceeded (tokens, cost), DETAIL `{ "limit", "quota", "retry_after" }` (seconds until the
  window resets).
Security definer because users cannot write the ledger or read plans.$contract$;

comment on function public.resume_reply is $contract$Input: a conversation id.
Guarantees: when the caller's live conversation holds a reply in progress, records it resumed
  (resumed_at = now()) and returns it; else returns no row, the same for a conversation that does
  not exist, another user's and an expired one (no oracle). The reply's own row is not written.
Errors: none of its own.
Security definer because the marks are not the caller's to write directly.$contract$;

comment on function public.revoke_conversation_share is $contract$Input: a link's token.
Guarantees: the link is gone; readers get "not found" from now on.
Errors: PT404 no such link of the caller's (a malformed token included). The service role
  revokes any link.
Security definer because links have no delete grant.$contract$;

comment on function public.search_conversations is $contract$Input: the query (1..256 characters, web-search syntax); how many conversations (1..50); the
  next_cursor of the previous page; optionally a video id; for the service role, optionally a
  user id (without one it searches every user's conversations); whether to search archived
  conversations (then only them); optionally a tag (normalised as stored).
Guarantees: returns { results, has_more, next_cursor }: live conversations of the caller with a
  message matching the query (in its text, or its reasoning or file names:
  conversation_store.part_search_words), by relevance (the best match's ts_rank_cd), then most
  recently updated; each result is { conversation, matches }, matches being up to 3 of its
  messages { sequence_order, role, snippet, highlights }, best first. snippet is plain text
  around the match in the message's text, reasoning and file names (never markup) and
  highlights are [start, end) ranges of the matched words in it, in
  characters (code points). At most 10,000 matching messages (and 10,000 titles) are ranked per call, so a word that
  is everywhere in a user's history costs a bounded amount; a page also stops at
  conversation_store.page_max_bytes().
Errors: 22023 arguments out of range, a malformed cursor or an empty tag; 42501 not authenticated, or p_user_id
  naming someone else.
Security definer, filtering by the caller itself as the policies would (the caller's own
  messages, live conversations; the service role everyone's or one user's): under Row Level
  Security a condition holding a function that is not leakproof, such as the words of a message,
  waits behind the policy, so the index would be read by owner only and every message of the user
  turned into words again. Plans are made for each call's values (plan_cache_mode), so a user's
  own statistics choose them; JIT is off, since compiling cost more than the search.$contract$;

comment on function public.set_model_price is $contract$Input: a model id and its prices `{ input_per_million?, cached_input_per_million?,
  output_per_million? }` (0 or more; absent: 0 for a new model, unchanged otherwise), or null
  prices to remove the model's price (its calls then cost 0, priced false).
Guarantees: entries settled from now on use these prices; settled entries keep their cost.
Errors: 42501 not the service role; 22023 an unknown key or a value out of range.$contract$;

comment on function public.set_reply_outcome is $contract$Input: a reply of the caller's (conversation and sequence_order); the reason it is about to end
  with (stopped, model_error, time_limit, taken_over); for model_error, the error as the browser
  was told it: an object {code, message, provider_status?, rate_limited?, retryable?} (strings,
  a number, booleans), the code up to 64 characters, the message up to 500.
Guarantees: while the reply is in progress, records the reason (and error) that the trigger
  settles when the reply becomes final (and, as any write, moves updated_at). Returns whether it was recorded: false when the reply is already final (its outcome
  stays what it was).
Errors: 22023 an unknown reason, an error that is not such an object; PT404 conversation or
  message not found, not live or not the caller's.
Security definer because messages have no update grant; ownership is checked against auth.uid().$contract$;

comment on function public.set_usage_plan is $contract$Input: a plan's name (a-z, 0-9, _ and -, up to 50) and limits `{ requests_per_hour?,
  requests_per_day?, tokens_per_day?, cost_per_month? }`: a number (0 or more, whole but for the
  cost) or null (unlimited).
Guarantees: the plan exists afterwards with the limits given (a new plan's others unlimited, an
  existing plan's others unchanged); returns it. Takes effect at the next reservation.
Errors: 42501 not the service role (and users have no execute grant); 22023 an unknown key or a
  value out of range.$contract$;

comment on function public.share_conversation is $contract$Input: a conversation; optionally how long the link lives (60 to 315,360,000 seconds; null: until
  revoked) and whether readers see reasoning.
Guarantees: a new link through the conversation's last message (a reply in progress left out),
  returned as json { token, through_sequence, expires_at, include_reasoning }; the token is
  shown this once. The service role shares for the owner.
Errors: PT404 conversation not found, not live or not the caller's; PT422 (hint
  conversation_empty) nothing to share yet; PT422 (hint share_limit_reached) the conversation has
  conversation_store.shares_per_conversation() live links; 22023 an expiry out of range.
Security definer because links have no write grant.$contract$;

comment on function public.stop_released_reply is $contract$Input: a conversation id.
Guarantees: when the caller's conversation holds a reply in progress that is released and not
  resumed since, marks it incomplete (reason stopped, with what it holds) and returns true; the
  writer learns it at its next write or poll. Otherwise changes nothing and returns false. Locks
  the conversation before the message, as append_messages does.
Errors: none of its own.
Security definer because messages have no update grant; ownership is checked against auth.uid().$contract$;

comment on function public.update_message is $contract$Input: the message (conversation id and sequence number); at most one of p_content (replaces
  the text) and p_append_content with p_content_offset (adds a delta); p_tool_calls or
  p_function_call (replace them); p_status ('in_progress', 'completed', 'incomplete'). Part
  operations, instead of content and calls: p_part_index with p_part (replaces the part at that
  index, or appends it when the index is the number of parts), or p_part_index with
  p_append_text and p_text_offset (a delta to the text or reasoning part at that index);
  p_metadata replaces the message's metadata.
Guarantees (20261207000300: a part operation alone on a reply in progress is logged beside the
  message, conversation_store.log_part_operation, and the message returned as readers see it;
  any other call folds the log into the message first; the rules below are unchanged):
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

comment on function public.write_memory is $contract$Input: the key (1..100 characters, no control characters); the value (1..4000 characters), or
  null to delete the entry; the version the writer read, or null when it read no entry; the
  conversation the write comes from, if any (the caller's, live); a token count of "key: value"
  (honoured only from the edge functions' own connection, as for messages; otherwise a byte-based
  upper bound is stored); for the service role, the user whose memory to write (required).
Guarantees: when the entry's current version is p_expected_version (null: there is no entry),
  creates, replaces or deletes it, and returns { key, value, version, token_count,
  conversation_id, updated_at } (value and version null after a delete). Each write gets a new
  version. The user's writes are serialized, and after the write the user holds at most
  memory_max_entries() entries of at most memory_max_tokens() tokens in all.
Errors: PT409 (hint memory_conflict, detail { key, current_version }) the version is stale;
  PT422 (hint memory_full, detail { max_entries, max_tokens }) the write would pass a bound;
  PT404 p_conversation_id is not the user's live conversation; 22023 a key or value out of
  range, or the service role names no user; 42501 not authenticated, or p_user_id naming
  someone else.
Security definer because clients cannot write the table; the user comes from the verified JWT
  claims (or the service role's p_user_id), never from a parameter alone.$contract$;
