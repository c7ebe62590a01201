-- Replies that wait for the user: tool approvals and client-side tool outputs (issue 29).
--
-- A reply whose model calls a tool that needs the user's approval (or a tool the browser runs)
-- ends its stream with that call waiting: a tool-call part in `approval-requested`, or in
-- `input-available` for a client-side tool. Such a reply is stored with the status
-- `awaiting_input`: neither in progress (it does not go stale, and it does not block the next
-- message) nor final (an answer continues the same message). From there:
--   * public.answer_tool_calls applies the user's answers, checked against the stored requests,
--     exactly once (the row is locked and must still be waiting), and puts the reply back in
--     progress for the chat function to continue; an approval older than the expiry is denied;
--   * any other message added to the conversation settles the reply: its waiting calls become
--     output-denied (approvals) or output-error (client outputs), and it is completed, so that
--     the conversation's history stays a valid prompt.
-- Only public.await_tool_input makes a reply wait, from a reply in progress whose parts hold a
-- waiting call; a row written with `awaiting_input` any other way (append_messages, a fork) is
-- settled as it is inserted.

alter table public.conversation_messages
  drop constraint conversation_messages_status_known,
  add constraint conversation_messages_status_known
    check (status in ('in_progress', 'awaiting_input', 'completed', 'incomplete')),
  add constraint conversation_messages_only_assistant_awaits
    check (status <> 'awaiting_input' or (role = 'assistant' and parts is not null));

comment on column public.conversation_messages.status is
  'in_progress while a reply streams; awaiting_input while it waits for tool approvals or outputs from the user; completed or incomplete once final. Final messages never change.';

-- How a reply ended (20261207000100_reply_outcome.sql) is settled when it becomes final, not when
-- it starts to wait: waiting is neither, and a waiting reply ends completed or incomplete later.
drop trigger conversation_messages_reply_outcome on public.conversation_messages;
create trigger conversation_messages_reply_outcome
  before update of status on public.conversation_messages
  for each row
  when (old.status in ('in_progress', 'awaiting_input') and new.status in ('completed', 'incomplete'))
  execute function conversation_store.settle_reply_outcome();

-- Which conversations wait for their user (list-conversations): a handful of rows.
create index idx_conversation_messages_awaiting_input
  on public.conversation_messages (conversation_id)
  where status = 'awaiting_input';

-- The longest an approval request may wait before an answer to it counts as a denial, whatever a
-- caller asks for (public.answer_tool_calls takes a shorter one: the chat function's setting).
create function conversation_store.tool_request_max_age()
returns interval
language sql
immutable
set search_path = ''
as $$
  select interval '7 days'
$$;

revoke all on function conversation_store.tool_request_max_age() from public, anon, authenticated, service_role;

-- Input: one part. Guarantees: true exactly for a tool call that waits for the user: an approval
--   request, or a call of a tool the app does not run itself, whose input is there and whose output
--   is not (input-available, not provider_executed).
create function conversation_store.tool_call_waits(p_part jsonb)
returns boolean
language sql
immutable
set search_path = ''
as $$
  select coalesce(p_part ->> 'type' = 'tool-call'
    and (p_part ->> 'state' = 'approval-requested'
         or (p_part ->> 'state' = 'input-available' and p_part -> 'provider_executed' is distinct from 'true'::jsonb)),
    false)
$$;

revoke all on function conversation_store.tool_call_waits(jsonb) from public, anon, authenticated, service_role;

-- Input: parts. Guarantees: the same parts with every waiting call answered for good, as when the
--   conversation went on without the user's answer: an approval request is output-denied (its
--   approval {approved: false, reason}), a client-side call is output-error with that reason.
create function conversation_store.settled_parts(p_parts jsonb, p_reason text)
returns jsonb
language sql
immutable
set search_path = ''
as $$
  select jsonb_agg(case
           when not conversation_store.tool_call_waits(part.value) then part.value
           when part.value ->> 'state' = 'approval-requested' then part.value || jsonb_build_object(
             'state', 'output-denied',
             'approval', coalesce(part.value -> 'approval', '{}'::jsonb)
                         || jsonb_build_object('approved', false, 'reason', p_reason))
           else part.value || jsonb_build_object('state', 'output-error', 'error_text', p_reason)
         end order by part.position)
  from jsonb_array_elements(p_parts) with ordinality as part(value, position)
$$;

revoke all on function conversation_store.settled_parts(jsonb, text) from public, anon, authenticated, service_role;

-- Messages added after a reply that waits settle that reply (see the top of this file): once per
-- statement, so that a batch or a fork of many rows pays one probe of the partial index. Runs as
-- its owner: the writer may be the user, whose role has no update on messages.
create function conversation_store.settle_waiting_replies()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_message public.conversation_messages;
begin
  for v_message in
    select m.* from public.conversation_messages m
    where m.status = 'awaiting_input'
      and m.conversation_id in (select i.conversation_id from inserted i)
    for update of m
  loop
    v_message := conversation_store.with_parts(
      v_message, conversation_store.settled_parts(v_message.parts, 'the conversation went on without an answer'));
    update public.conversation_messages m
    set parts = v_message.parts, content = v_message.content, tool_calls = v_message.tool_calls,
        status = 'completed'
    where m.id = v_message.id;
  end loop;
  return null;
end;
$$;

revoke all on function conversation_store.settle_waiting_replies() from public, anon, authenticated, service_role;

create trigger conversation_messages_settle_waiting_replies
  after insert on public.conversation_messages
  referencing new table as inserted
  for each statement execute function conversation_store.settle_waiting_replies();

-- A row inserted as waiting (append_messages, a fork of a waiting reply) was never asked by the
-- chat function: it is settled as it is stored.
create function conversation_store.settle_inserted_waiting_reply()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  new.parts := conversation_store.settled_parts(new.parts, 'the request was not made by this conversation''s reply');
  new.content := conversation_store.parts_content(new.parts, new.role);
  new.tool_calls := conversation_store.parts_tool_calls(new.parts);
  new.status := 'completed';
  return new;
end;
$$;

revoke all on function conversation_store.settle_inserted_waiting_reply() from public, anon, authenticated, service_role;

create trigger conversation_messages_settle_inserted_waiting_reply
  before insert on public.conversation_messages
  for each row
  when (new.status = 'awaiting_input')
  execute function conversation_store.settle_inserted_waiting_reply();

-- Input: a conversation row the caller reaches. Guarantees: true when its last reply waits for
--   the user's approvals or tool outputs (status awaiting_input). One probe of a partial index.
create function conversation_store.awaits_user(p_conversation public.conversations)
returns boolean
language sql
stable
set search_path = ''
as $$
  select exists (select from public.conversation_messages m
                 where m.conversation_id = p_conversation.id and m.status = 'awaiting_input')
$$;

revoke all on function conversation_store.awaits_user(public.conversations) from public, anon, authenticated, service_role;
grant execute on function conversation_store.awaits_user(public.conversations) to authenticated, service_role;

-- Input: the conversation and the sequence number of a reply in progress of the caller's.
-- Guarantees: the reply, its log folded in (its parts as written), waits for the user: status
--   awaiting_input, updated_at now (when the wait began: approvals expire from there). It must
--   hold at least one waiting call (conversation_store.tool_call_waits); nothing else changes.
--   Finishing a stream this way is activity: the conversation's updated_at moves.
-- Errors: PT404 conversation or message not found, not live or not the caller's; PT409 (hint
--   message_final) the message is not in progress; 22023 the reply waits for nothing.
-- Security definer because messages have no update grant; ownership is checked against auth.uid().
create function public.await_tool_input(p_conversation_id uuid, p_sequence_order integer)
returns public.conversation_messages
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_message public.conversation_messages;
begin
  perform from public.conversations c
  where c.id = p_conversation_id and conversation_store.caller_reaches(c)
  for no key update;
  if not found then
    raise exception 'conversation not found' using errcode = 'PT404';
  end if;
  select * into v_message from public.conversation_messages m
  where m.conversation_id = p_conversation_id and m.sequence_order = p_sequence_order
  for update;
  if not found then
    raise exception 'message not found' using errcode = 'PT404';
  end if;
  if v_message.status <> 'in_progress' then
    raise exception 'message % is not in progress (%)', p_sequence_order, v_message.status
      using errcode = 'PT409', hint = 'message_final';
  end if;
  v_message := conversation_store.take_reply_log(v_message);
  if v_message.parts is null or not exists (
    select from jsonb_array_elements(v_message.parts) as part(value)
    where conversation_store.tool_call_waits(part.value)
  ) then
    raise exception 'reply % waits for nothing: no tool call in it awaits an approval or an output', p_sequence_order
      using errcode = '22023';
  end if;
  update public.conversation_messages m
  set parts = v_message.parts, content = v_message.content, tool_calls = v_message.tool_calls,
      token_count = v_message.token_count, reasoning_token_count = v_message.reasoning_token_count,
      status = 'awaiting_input'
  where m.id = v_message.id
  returning * into v_message;
  update public.conversations c set updated_at = now() where c.id = p_conversation_id;
  return v_message;
end;
$$;

revoke all on function public.await_tool_input(uuid, integer) from public, anon, authenticated, service_role;
grant execute on function public.await_tool_input(uuid, integer) to authenticated, service_role;

-- Input: a conversation; the id of one of its assistant replies (client_message_id, the id the
--   browser knows); the user's answers: an array of 1 to 128 tool-call parts (the store's
--   vocabulary, snake_case, as the browser's message holds them), each with tool_call_id,
--   tool_name, input and a state: `approval-responded` with approval {id, approved, reason?},
--   or `output-available` with output, or `output-error` with error_text; and how old (seconds,
--   1 and up) an approval request may be, at most conversation_store.tool_request_max_age()
--   (null: that).
-- Guarantees: decided under the reply's lock, so that of two answers racing, or an answer and its
--   replay, exactly one is applied:
--   * Each answer to a waiting call (conversation_store.tool_call_waits) must match the stored
--     request: the same tool name and input, and for an approval request an approval-responded
--     answer with the same approval id; for a client-side call an output. Every waiting call of
--     the reply must be answered. Only the answer's approval decision and reason, or its output or
--     error text (with its result_provider_metadata, where the chat function puts its stamp on a
--     result it vouches for: check_parts keeps it an object), are taken; everything else stays as
--     stored.
--   * An answer for a call that is not waiting is accepted only when it says what is stored (the
--     browser sends back the outputs it was streamed); an approval answer for such a call is a
--     replay, and refused.
--   * An approval request older than the given age is denied, whatever the answer says (reason
--     "the approval request expired").
--   * The reply (status awaiting_input) is put back in progress with the answers applied (a denied
--     call stays approval-responded with approved false: the chat function's model run turns it
--     into output-denied and tells the model). The parts stay conversation_store.check_parts-valid.
-- Errors: 22023 malformed answers or age; PT404 conversation or reply not found, not live or not
--   the caller's; PT409 (hint tool_call_answered) the call was answered already, or the reply waits
--   for nothing; PT422 (hint tool_response_mismatch) an answer names a call the reply does not
--   hold or that is not waiting, or differs from the request (tool name, input, approval id), or a
--   waiting call is left unanswered; 23514 the answered reply breaks a table rule (sizes).
-- Security definer because messages have no update grant; ownership is checked against auth.uid().
create function public.answer_tool_calls(
  p_conversation_id uuid,
  p_message_id text,
  p_answers jsonb,
  p_max_age_seconds integer default null
)
returns public.conversation_messages
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_message public.conversation_messages;
  v_parts jsonb;
  v_answer jsonb;
  v_index integer;
  v_stored jsonb;
  v_applied integer := 0;
  v_expired boolean;
  v_approved boolean;
  v_unanswered text;
begin
  if jsonb_typeof(p_answers) is distinct from 'array' or jsonb_array_length(p_answers) not between 1 and 128 then
    raise exception 'answers must be an array of 1 to 128 tool-call parts' using errcode = '22023';
  end if;
  if p_max_age_seconds < 1 then
    raise exception 'max_age_seconds must be 1 or more' using errcode = '22023';
  end if;

  perform from public.conversations c
  where c.id = p_conversation_id and conversation_store.caller_reaches(c)
  for no key update;
  if not found then
    raise exception 'conversation not found' using errcode = 'PT404';
  end if;
  select * into v_message from public.conversation_messages m
  where m.conversation_id = p_conversation_id and m.client_message_id = p_message_id and m.role = 'assistant'
  for update;
  if not found then
    raise exception 'reply not found' using errcode = 'PT404';
  end if;

  v_parts := coalesce(conversation_store.live_parts(v_message), '[]'::jsonb);
  v_expired := now() - v_message.updated_at
    > least(coalesce(make_interval(secs => p_max_age_seconds), conversation_store.tool_request_max_age()),
            conversation_store.tool_request_max_age());

  for v_answer in select value from jsonb_array_elements(p_answers) loop
    if jsonb_typeof(v_answer) is distinct from 'object' or v_answer ->> 'type' is distinct from 'tool-call'
       or jsonb_typeof(v_answer -> 'tool_call_id') is distinct from 'string' then
      raise exception 'each answer is a tool-call part with a tool_call_id' using errcode = '22023';
    end if;
    select part.position - 1, part.value into v_index, v_stored
    from jsonb_array_elements(v_parts) with ordinality as part(value, position)
    where part.value ->> 'type' = 'tool-call' and part.value ->> 'tool_call_id' = v_answer ->> 'tool_call_id';
    if not found then
      raise exception 'reply % holds no tool call %', p_message_id, v_answer ->> 'tool_call_id'
        using errcode = 'PT422', hint = 'tool_response_mismatch';
    end if;

    if v_message.status <> 'awaiting_input' or not conversation_store.tool_call_waits(v_stored) then
      -- The browser sends back what it was streamed: an output as stored is no answer.
      continue when v_answer ->> 'state' in ('output-available', 'output-error', 'output-denied')
        and v_stored ->> 'state' = v_answer ->> 'state'
        and v_stored -> 'output' is not distinct from v_answer -> 'output'
        and v_stored -> 'error_text' is not distinct from v_answer -> 'error_text';
      if v_stored ->> 'state' in ('approval-responded', 'output-available', 'output-error', 'output-denied') then
        raise exception 'tool call % was answered already', v_answer ->> 'tool_call_id'
          using errcode = 'PT409', hint = 'tool_call_answered';
      end if;
      raise exception 'tool call % does not wait for an answer', v_answer ->> 'tool_call_id'
        using errcode = 'PT422', hint = 'tool_response_mismatch';
    end if;

    if v_answer -> 'tool_name' is distinct from v_stored -> 'tool_name'
       or coalesce(v_answer -> 'input', 'null') is distinct from coalesce(v_stored -> 'input', 'null') then
      raise exception 'the answer for tool call % names another tool or input than was requested', v_answer ->> 'tool_call_id'
        using errcode = 'PT422', hint = 'tool_response_mismatch';
    end if;
    if v_stored ->> 'state' = 'approval-requested' then
      if v_answer ->> 'state' is distinct from 'approval-responded'
         or jsonb_typeof(v_answer -> 'approval' -> 'approved') is distinct from 'boolean'
         or v_answer -> 'approval' -> 'id' is distinct from v_stored -> 'approval' -> 'id' then
        raise exception 'tool call % waits for an approval: answer approval-responded with its approval id and approved', v_answer ->> 'tool_call_id'
          using errcode = 'PT422', hint = 'tool_response_mismatch';
      end if;
      if jsonb_typeof(v_answer -> 'approval' -> 'reason') not in ('string', 'null') then
        raise exception 'an approval''s reason is a string' using errcode = '22023';
      end if;
      v_approved := (v_answer -> 'approval' ->> 'approved')::boolean and not v_expired;
      v_stored := v_stored || jsonb_build_object(
        'state', 'approval-responded',
        'approval', coalesce(v_stored -> 'approval', '{}'::jsonb) || jsonb_strip_nulls(jsonb_build_object(
          'approved', v_approved,
          'reason', case when (v_answer -> 'approval' ->> 'approved')::boolean and v_expired
                         then 'the approval request expired'
                         else v_answer -> 'approval' ->> 'reason' end)));
    elsif v_answer ->> 'state' = 'output-available' and v_answer ? 'output' then
      v_stored := v_stored || jsonb_build_object('state', 'output-available', 'output', v_answer -> 'output')
        || jsonb_strip_nulls(jsonb_build_object('result_provider_metadata', v_answer -> 'result_provider_metadata'));
    elsif v_answer ->> 'state' = 'output-error' and jsonb_typeof(v_answer -> 'error_text') = 'string' then
      v_stored := v_stored || jsonb_build_object('state', 'output-error', 'error_text', v_answer -> 'error_text')
        || jsonb_strip_nulls(jsonb_build_object('result_provider_metadata', v_answer -> 'result_provider_metadata'));
    else
      raise exception 'tool call % waits for an output: answer output-available with output, or output-error with error_text', v_answer ->> 'tool_call_id'
        using errcode = 'PT422', hint = 'tool_response_mismatch';
    end if;
    v_parts := jsonb_set(v_parts, array[v_index::text], v_stored);
    v_applied := v_applied + 1;
  end loop;

  if v_applied = 0 then
    raise exception 'reply % waits for no answer: it was answered already, or never asked', p_message_id
      using errcode = 'PT409', hint = 'tool_call_answered';
  end if;
  select part.value ->> 'tool_call_id' into v_unanswered
  from jsonb_array_elements(v_parts) as part(value)
  where conversation_store.tool_call_waits(part.value)
  limit 1;
  if found then
    raise exception 'tool call % still waits for an answer: answer every waiting call at once', v_unanswered
      using errcode = 'PT422', hint = 'tool_response_mismatch';
  end if;

  perform conversation_store.check_parts(v_parts, v_message.role, v_message.user_id);
  v_message := conversation_store.with_parts(v_message, v_parts);
  update public.conversation_messages m
  set parts = v_message.parts, content = v_message.content, tool_calls = v_message.tool_calls,
      token_count = v_message.token_count, reasoning_token_count = v_message.reasoning_token_count,
      status = 'in_progress'
  where m.id = v_message.id
  returning * into v_message;
  return v_message;
end;
$$;

revoke all on function public.answer_tool_calls(uuid, text, jsonb, integer) from public, anon, authenticated, service_role;
grant execute on function public.answer_tool_calls(uuid, text, jsonb, integer) to authenticated, service_role;
