-- Reading messages with parts in the model's and the UI's shapes (issue 17). The readers
-- (get-history, get-context: 20261206000410_context_parts.sql) call these as the caller.
--
-- format=ui: AI SDK UIMessages {id, role, parts, metadata?}, parts in the SDK's camelCase shapes
--   (conversation_store.ui_part). id is the client_message_id when set, else the row id; Storage
--   files come out as url "storage://<bucket>/<path>". A tool or function row in the run of results
--   right after the assistant row holding its call, on the same page, is folded into that call's
--   part (output-available, or output-error); otherwise it stays an assistant message of its own
--   with a dynamic-tool part.
-- format=openai: unchanged for rows without parts. A user message with file parts gets content as
--   a content-part array; an assistant row whose tool-call parts carry their outputs is followed by
--   one synthesized tool message per output, so the window stays valid for chat models. Reasoning
--   is never in this format.

-- Input: a tool-result part. Guarantees: true when it reports an error: an error text and no
--   output (or a JSON null one); then it reads as output-error, else as output-available.
create function conversation_store.result_is_error(p_result jsonb)
returns boolean
language sql
immutable
set search_path = ''
as $$
  select p_result ? 'error_text' and coalesce(p_result -> 'output', 'null'::jsonb) = 'null'::jsonb
$$;

-- Input: a stored part (the vocabulary of 20261206000200_message_parts.sql). Guarantees: the AI SDK
--   UIMessage part for it: tool-call → tool-<name> (dynamic-tool with toolName when dynamic),
--   provider_metadata → callProviderMetadata on tool parts; a lone tool-result → dynamic-tool in
--   output-available with its output and input null (its call is not at hand), or in output-error
--   with its error text when it has no output (conversation_store.result_is_error); source →
--   source-url or source-document; data → data-<name>; storage → url storage://bucket/path; other
--   keys renamed from snake_case to camelCase, values untouched.
-- This and ui_message are plpgsql of simple expressions, called once per part and per message: a
--   SQL function would plan its body again at every call from within another query.
create function conversation_store.ui_part(p_part jsonb)
returns jsonb
language plpgsql
immutable
set search_path = ''
as $$
declare
  -- Store key, UI key.
  c_renamed constant text[] := array[
    'media_type', 'mediaType', 'tool_call_id', 'toolCallId', 'raw_input', 'rawInput', 'error_text', 'errorText',
    'provider_executed', 'providerExecuted', 'source_id', 'sourceId', 'result_provider_metadata', 'resultProviderMetadata'];
  v_type constant text := p_part ->> 'type';
  v_ui jsonb := p_part - array['type', 'tool_name', 'dynamic', 'source_type', 'name', 'storage'];
begin
  if v_type = 'tool-result' then
    -- The SDK allows an output or an error text on a result, never both.
    v_ui := case when conversation_store.result_is_error(p_part)
                 then v_ui - 'output' || '{"state": "output-error"}'::jsonb
                 -- The SDK requires the input of an available output; a lone result does not know it.
                 else v_ui - 'error_text' || '{"state": "output-available", "input": null}'::jsonb end;
  end if;
  for i in 1 .. array_length(c_renamed, 1) by 2 loop
    if v_ui ? c_renamed[i] then
      v_ui := v_ui - c_renamed[i] || jsonb_build_object(c_renamed[i + 1], v_ui -> c_renamed[i]);
    end if;
  end loop;
  if v_ui ? 'provider_metadata' then
    v_ui := v_ui - 'provider_metadata'
            || jsonb_build_object(case when v_type = 'tool-call' then 'callProviderMetadata' else 'providerMetadata' end,
                                  v_ui -> 'provider_metadata');
  end if;
  return jsonb_build_object('type', case v_type
           when 'tool-call' then case when p_part -> 'dynamic' = 'true'::jsonb then 'dynamic-tool'
                                      else 'tool-' || (p_part ->> 'tool_name') end
           when 'tool-result' then 'dynamic-tool'
           when 'source' then 'source-' || (p_part ->> 'source_type')
           when 'data' then 'data-' || (p_part ->> 'name')
           else v_type end)
    || case when v_type = 'tool-result' or p_part -> 'dynamic' = 'true'::jsonb
            then jsonb_build_object('toolName', p_part -> 'tool_name') else '{}'::jsonb end
    || case when p_part ? 'storage'
            then jsonb_build_object('url', 'storage://' || (p_part -> 'storage' ->> 'bucket') || '/'
                                           || (p_part -> 'storage' ->> 'path'))
            else '{}'::jsonb end
    || v_ui;
end;
$$;

-- Input: a stored message; the results folded into its tool calls ({tool_call_id: tool-result
--   part}); whether reasoning parts are kept. Guarantees: the message as an AI SDK UIMessage
--   (a tool or function row as an assistant message with a dynamic-tool part). A tool-call part
--   not yet in an output state takes its folded result: output-available with the output, or
--   output-error with the error text (conversation_store.result_is_error).
create function conversation_store.ui_message(
  p_message public.conversation_messages,
  p_results jsonb,
  p_include_reasoning boolean
)
returns json
language plpgsql
stable
set search_path = ''
as $$
declare
  v_parts constant jsonb := conversation_store.message_parts(p_message);
  v_part jsonb;
  v_result jsonb;
  v_ui jsonb[] := '{}';
begin
  for i in 0 .. jsonb_array_length(v_parts) - 1 loop
    v_part := v_parts -> i;
    continue when not p_include_reasoning and v_part ->> 'type' = 'reasoning';
    v_result := case when v_part ->> 'type' = 'tool-call' and v_part ->> 'state' not like 'output-%'
                     then p_results -> (v_part ->> 'tool_call_id') end;
    if v_result is not null then
      v_part := case when conversation_store.result_is_error(v_result)
                     then v_part - 'output'
                          || jsonb_build_object('state', 'output-error', 'error_text', v_result -> 'error_text')
                     else v_part - 'error_text'
                          || jsonb_build_object('state', 'output-available', 'output', v_result -> 'output') end;
    end if;
    v_ui := array_append(v_ui, conversation_store.ui_part(v_part));
  end loop;
  return (jsonb_build_object(
      'id', coalesce(p_message.client_message_id, p_message.id::text),
      'role', case when p_message.role in ('tool', 'function') then 'assistant' else p_message.role end,
      'parts', to_jsonb(v_ui))
    || case when p_message.metadata is null then '{}'::jsonb
            else jsonb_build_object('metadata', p_message.metadata) end)::json;
end;
$$;

-- Input: consecutive stored messages (a page, a window), in any order; whether reasoning is kept.
-- Guarantees: one row per message, as UIMessages. A tool or function row in the run of tool and
--   function rows right after an assistant message that holds its call (a tool-call part of that
--   tool_call_id) is folded into that message: it comes out with message null and folded_into
--   the sequence number of that message. Every other row is conversation_store.ui_message of it,
--   folded_into null. So a fold never reaches past a user or system message, and a message with
--   the results folded into it is a run of consecutive rows.
create function conversation_store.ui_messages(
  p_messages public.conversation_messages[],
  p_include_reasoning boolean
)
returns table (sequence_order integer, message json, folded_into integer)
language sql
stable
set search_path = ''
as $$
  with listed as (
    select m, (m).sequence_order as sequence, (m).role as role,
           -- The nearest message at or before this one that is not a tool or function result.
           max(case when (m).role not in ('tool', 'function') then (m).sequence_order end)
             over (order by (m).sequence_order) as anchor
    from unnest(p_messages) as m
  ),
  folded as (
    select result.sequence, result.anchor, conversation_store.message_parts(result.m) -> 0 as part
    from listed as result
    join listed as target on target.sequence = result.anchor and target.role = 'assistant'
    where result.role in ('tool', 'function')
      and exists (
        select from jsonb_array_elements(conversation_store.message_parts(target.m)) as call(value)
        where call.value ->> 'type' = 'tool-call'
          and call.value ->> 'tool_call_id' = conversation_store.message_parts(result.m) -> 0 ->> 'tool_call_id'
      )
  ),
  results as (
    select f.anchor, jsonb_object_agg(f.part ->> 'tool_call_id', f.part) as by_call
    from folded as f
    group by f.anchor
  )
  select l.sequence,
         case when f.sequence is null
              then conversation_store.ui_message(l.m, coalesce(r.by_call, '{}'::jsonb), p_include_reasoning) end,
         f.anchor
  from listed as l
  left join folded as f on f.sequence = l.sequence
  left join results as r on r.anchor = l.sequence
$$;

-- Input: a tool-call part in an output state. Guarantees: what a chat model reads as its tool
--   message's content: the output as it is when a string, else as JSON text; the error text; for a
--   denied call, the denial's reason or "denied".
create function conversation_store.tool_output_text(p_part jsonb)
returns text
language sql
immutable
set search_path = ''
as $$
  select case p_part ->> 'state'
    when 'output-available' then case when jsonb_typeof(p_part -> 'output') = 'string' then p_part ->> 'output'
                                      else coalesce((p_part -> 'output')::text, 'null') end
    when 'output-error' then coalesce(p_part ->> 'error_text', '')
    else coalesce(p_part -> 'approval' ->> 'reason', 'denied')
  end
$$;

-- Input: a stored message. Guarantees: the chat messages it stands for, as a JSON array: for a
--   row without parts, [conversation_store.openai_message]. For a row with parts, the same
--   message, except that a user message with file parts gets content as a content-part array
--   (text; image_url for image/*; file with file_data for a data: URL and the filename), and that
--   a message without text or tool calls gets content "" (chat APIs require one); then, for an
--   assistant row, one tool message per tool call in tool_calls whose part carries its output
--   (conversation_store.tool_output_text), in the order of the parts. Reasoning, sources, data and
--   the files of other roles are left out: chat models take no such content.
create function conversation_store.openai_messages(p_message public.conversation_messages)
returns json
language plpgsql
stable
set search_path = ''
as $$
declare
  v_part jsonb;
  v_message jsonb;
  v_content jsonb[] := '{}';
  v_tools jsonb[] := '{}';
  v_has_file boolean := false;
begin
  if p_message.parts is null then
    return json_build_array(conversation_store.openai_message(p_message));
  end if;
  for i in 0 .. jsonb_array_length(p_message.parts) - 1 loop
    v_part := p_message.parts -> i;
    if v_part ->> 'type' = 'text' then
      v_content := array_append(v_content, jsonb_build_object('type', 'text', 'text', v_part -> 'text'));
    elsif v_part ->> 'type' = 'file' then
      v_has_file := true;
      v_content := array_append(v_content, case
        when v_part ->> 'media_type' like 'image/%'
          then jsonb_build_object('type', 'image_url',
                                  'image_url', jsonb_build_object('url', conversation_store.ui_part(v_part) -> 'url'))
        else jsonb_build_object('type', 'file', 'file', jsonb_strip_nulls(jsonb_build_object(
               'file_data', case when v_part ->> 'url' like 'data:%' then v_part -> 'url' end,
               'filename', v_part -> 'filename')))
      end);
    elsif p_message.role = 'assistant' and v_part ->> 'type' = 'tool-call'
          and v_part -> 'provider_executed' is distinct from 'true'::jsonb and v_part ->> 'state' like 'output-%' then
      v_tools := array_append(v_tools, jsonb_build_object(
        'role', 'tool', 'tool_call_id', v_part ->> 'tool_call_id',
        'content', conversation_store.tool_output_text(v_part)));
    end if;
  end loop;
  v_message := case
    when p_message.role = 'user' and v_has_file
      then jsonb_build_object('role', p_message.role, 'content', to_jsonb(v_content))
           || jsonb_strip_nulls(jsonb_build_object('name', p_message.name))
    when p_message.content is null and p_message.tool_calls is null
      then conversation_store.openai_message(p_message)::jsonb || '{"content": ""}'::jsonb
    else conversation_store.openai_message(p_message)::jsonb
  end;
  return array_to_json(array_prepend(v_message, v_tools));
end;
$$;

-- Input: a stored message. Guarantees: the ids of its tool calls (tool_calls) that its parts answer
--   themselves (tool-call parts in an output state), sorted; an empty array when none.
create function conversation_store.answered_call_ids(p_message public.conversation_messages)
returns text[]
language sql
immutable
set search_path = ''
as $$
  select coalesce(array_agg(part.value ->> 'tool_call_id' order by part.value ->> 'tool_call_id'), '{}')
  from jsonb_array_elements(p_message.parts) as part(value)
  where part.value ->> 'type' = 'tool-call' and part.value -> 'provider_executed' is distinct from 'true'::jsonb
    and part.value ->> 'state' like 'output-%'
$$;

revoke all on function conversation_store.result_is_error(jsonb) from public, anon, authenticated, service_role;
revoke all on function conversation_store.ui_part(jsonb) from public, anon, authenticated, service_role;
revoke all on function conversation_store.ui_message(public.conversation_messages, jsonb, boolean) from public, anon, authenticated, service_role;
revoke all on function conversation_store.ui_messages(public.conversation_messages[], boolean) from public, anon, authenticated, service_role;
revoke all on function conversation_store.tool_output_text(jsonb) from public, anon, authenticated, service_role;
revoke all on function conversation_store.openai_messages(public.conversation_messages) from public, anon, authenticated, service_role;
revoke all on function conversation_store.answered_call_ids(public.conversation_messages) from public, anon, authenticated, service_role;
-- The readers run as the caller.
grant execute on function conversation_store.result_is_error(jsonb) to authenticated, service_role;
grant execute on function conversation_store.ui_part(jsonb) to authenticated, service_role;
grant execute on function conversation_store.ui_message(public.conversation_messages, jsonb, boolean) to authenticated, service_role;
grant execute on function conversation_store.ui_messages(public.conversation_messages[], boolean) to authenticated, service_role;
grant execute on function conversation_store.tool_output_text(jsonb) to authenticated, service_role;
grant execute on function conversation_store.openai_messages(public.conversation_messages) to authenticated, service_role;
grant execute on function conversation_store.answered_call_ids(public.conversation_messages) to authenticated, service_role;
-- conversation_store.message_parts, which the readers call as the caller, checks old rows' calls
-- with these two; pure checks of a value, safe for anyone to run.
grant execute on function conversation_store.is_tool_call_list(jsonb) to authenticated, service_role;
grant execute on function conversation_store.is_function_call(jsonb) to authenticated, service_role;
