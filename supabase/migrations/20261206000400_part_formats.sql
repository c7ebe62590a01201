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
--   output-available with its output, or in output-error with its error text when it has no
--   output (conversation_store.result_is_error); source → source-url or source-document; data →
--   data-<name>; storage → url storage://bucket/path; other keys renamed from snake_case to
--   camelCase, values untouched.
create function conversation_store.ui_part(p_part jsonb)
returns jsonb
language sql
immutable
set search_path = ''
as $$
  select jsonb_build_object('type', case p_part ->> 'type'
           when 'tool-call' then case when p_part -> 'dynamic' = 'true'::jsonb then 'dynamic-tool'
                                      else 'tool-' || (p_part ->> 'tool_name') end
           when 'tool-result' then 'dynamic-tool'
           when 'source' then 'source-' || (p_part ->> 'source_type')
           when 'data' then 'data-' || (p_part ->> 'name')
           else p_part ->> 'type' end)
    || case when p_part ->> 'type' = 'tool-result' or p_part -> 'dynamic' = 'true'::jsonb
            then jsonb_build_object('toolName', p_part -> 'tool_name') else '{}'::jsonb end
    || case when p_part ->> 'type' = 'tool-result'
            then jsonb_build_object('state', case when conversation_store.result_is_error(p_part)
                                                  then 'output-error' else 'output-available' end)
            else '{}'::jsonb end
    || case when p_part ? 'storage'
            then jsonb_build_object('url', 'storage://' || (p_part -> 'storage' ->> 'bucket') || '/'
                                           || (p_part -> 'storage' ->> 'path'))
            else '{}'::jsonb end
    || coalesce((
         select jsonb_object_agg(coalesce(renamed.ui_key, field.key), field.value)
         from jsonb_each(p_part - array['type', 'tool_name', 'dynamic', 'source_type', 'name', 'storage']
                         -- The SDK allows an output or an error text on a result, never both.
                         - case when p_part ->> 'type' <> 'tool-result' then '{}'::text[]
                                when conversation_store.result_is_error(p_part) then array['output']
                                else array['error_text'] end)
           as field(key, value)
         left join (values
           ('media_type', 'mediaType'), ('tool_call_id', 'toolCallId'), ('raw_input', 'rawInput'),
           ('error_text', 'errorText'), ('provider_executed', 'providerExecuted'), ('source_id', 'sourceId'),
           ('result_provider_metadata', 'resultProviderMetadata'),
           ('provider_metadata', case when p_part ->> 'type' = 'tool-call' then 'callProviderMetadata'
                                      else 'providerMetadata' end)
         ) as renamed(store_key, ui_key) on renamed.store_key = field.key
       ), '{}'::jsonb)
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
language sql
stable
set search_path = ''
as $$
  select (jsonb_build_object(
      'id', coalesce(p_message.client_message_id, p_message.id::text),
      'role', case when p_message.role in ('tool', 'function') then 'assistant' else p_message.role end,
      'parts', coalesce((
        select jsonb_agg(conversation_store.ui_part(case
                 when result.value is null then part.value
                 when conversation_store.result_is_error(result.value)
                   then part.value - 'output'
                        || jsonb_build_object('state', 'output-error', 'error_text', result.value -> 'error_text')
                 else part.value - 'error_text'
                      || jsonb_build_object('state', 'output-available', 'output', result.value -> 'output')
               end) order by part.position)
        from jsonb_array_elements(conversation_store.message_parts(p_message)) with ordinality as part(value, position)
        left join lateral (
          select p_results -> (part.value ->> 'tool_call_id') as value
          where part.value ->> 'type' = 'tool-call' and part.value ->> 'state' not like 'output-%'
        ) as result on true
        where p_include_reasoning or part.value ->> 'type' <> 'reasoning'), '[]'::jsonb))
    || case when p_message.metadata is null then '{}'::jsonb
            else jsonb_build_object('metadata', p_message.metadata) end)::json
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
language sql
stable
set search_path = ''
as $$
  select case when p_message.parts is null then json_build_array(conversation_store.openai_message(p_message))
  else (
    select json_agg(chat.message order by chat.position)
    from (
      select 0 as position, case
        when p_message.role = 'user' and exists (select from jsonb_array_elements(p_message.parts) as part(value)
                                                 where part.value ->> 'type' = 'file')
          then (jsonb_build_object('role', p_message.role, 'content', (
                  select jsonb_agg(case
                    when part.value ->> 'type' = 'text' then jsonb_build_object('type', 'text', 'text', part.value -> 'text')
                    when part.value ->> 'media_type' like 'image/%' then jsonb_build_object('type', 'image_url',
                      'image_url', jsonb_build_object('url', conversation_store.ui_part(part.value) -> 'url'))
                    else jsonb_build_object('type', 'file', 'file', jsonb_strip_nulls(jsonb_build_object(
                      'file_data', case when part.value ->> 'url' like 'data:%' then part.value -> 'url' end,
                      'filename', part.value -> 'filename')))
                  end order by part.position)
                  from jsonb_array_elements(p_message.parts) with ordinality as part(value, position)
                  where part.value ->> 'type' in ('text', 'file')))
                || jsonb_strip_nulls(jsonb_build_object('name', p_message.name)))::json
        when p_message.content is null and p_message.tool_calls is null
          then (conversation_store.openai_message(p_message)::jsonb || '{"content": ""}'::jsonb)::json
        else conversation_store.openai_message(p_message)
      end as message
      union all
      select part.position, json_build_object('role', 'tool', 'tool_call_id', part.value ->> 'tool_call_id',
                                              'content', conversation_store.tool_output_text(part.value))
      from jsonb_array_elements(p_message.parts) with ordinality as part(value, position)
      where p_message.role = 'assistant' and part.value ->> 'type' = 'tool-call'
        and part.value -> 'provider_executed' is distinct from 'true'::jsonb
        and part.value ->> 'state' like 'output-%'
    ) as chat
  ) end
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
