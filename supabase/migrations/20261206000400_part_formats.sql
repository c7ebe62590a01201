-- Reading messages with parts in the model's and the UI's shapes (issue 17).
--
-- format=ui: AI SDK UIMessages {id, role, parts, metadata?}, parts in the SDK's camelCase shapes
--   (conversation_store.ui_part). id is the client_message_id when set, else the row id; Storage
--   files come out as url "storage://<bucket>/<path>". A tool or function row whose call is in the
--   nearest assistant row before it on the same page is folded into that call's part
--   (output-available, or output-error); otherwise it stays an assistant message of its own with a
--   dynamic-tool part.
-- format=openai: unchanged for rows without parts. A message with file parts gets content as a
--   content-part array; an assistant row whose tool-call parts carry their outputs is followed by
--   one synthesized tool message per output, so the window stays valid for chat models. Reasoning
--   is never in this format.
-- get_context: an assistant row whose tool calls all carry their outputs is a whole unit on its
--   own (tool rows may answer the others); reasoning is left out unless p_include_reasoning, which
--   (format ui only) puts it in the window and counts reasoning_token_count against the budget.

-- Input: a stored part (the vocabulary of 20261206000200_message_parts.sql). Guarantees: the AI SDK
--   UIMessage part for it: tool-call → tool-<name> (dynamic-tool with toolName when dynamic),
--   provider_metadata → callProviderMetadata on tool parts; a lone tool-result → dynamic-tool in
--   output-available (output-error when it has only an error text); source → source-url or
--   source-document; data → data-<name>; storage → url storage://bucket/path; other keys renamed
--   from snake_case to camelCase, values untouched.
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
            then jsonb_build_object('state', case when p_part ? 'error_text' and not p_part ? 'output'
                                                  then 'output-error' else 'output-available' end)
            else '{}'::jsonb end
    || case when p_part ? 'storage'
            then jsonb_build_object('url', 'storage://' || (p_part -> 'storage' ->> 'bucket') || '/'
                                           || (p_part -> 'storage' ->> 'path'))
            else '{}'::jsonb end
    || coalesce((
         select jsonb_object_agg(coalesce(renamed.ui_key, field.key), field.value)
         from jsonb_each(p_part - array['type', 'tool_name', 'dynamic', 'source_type', 'name', 'storage'])
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
--   not yet in an output state takes its folded result's output (or error text).
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
                 when part.value ->> 'type' = 'tool-call' and p_results ? (part.value ->> 'tool_call_id')
                      and part.value ->> 'state' not like 'output-%'
                   then part.value
                        || jsonb_build_object('state', case when p_results -> (part.value ->> 'tool_call_id') ? 'output'
                                                            then 'output-available' else 'output-error' end)
                        || ((p_results -> (part.value ->> 'tool_call_id')) - array['type', 'tool_call_id', 'tool_name'])
                 else part.value end) order by part.position)
        from jsonb_array_elements(conversation_store.message_parts(p_message)) with ordinality as part(value, position)
        where p_include_reasoning or part.value ->> 'type' <> 'reasoning'), '[]'::jsonb))
    || case when p_message.metadata is null then '{}'::jsonb
            else jsonb_build_object('metadata', p_message.metadata) end)::json
$$;

-- Input: consecutive stored messages (a page, a window), in any order; whether reasoning is kept.
-- Guarantees: one row per message, as UIMessages: a tool or function row whose call is in the
--   nearest assistant message before it in the list is folded into that message and comes out
--   with message null; every other row is conversation_store.ui_message of it.
create function conversation_store.ui_messages(
  p_messages public.conversation_messages[],
  p_include_reasoning boolean
)
returns table (sequence_order integer, message json)
language sql
stable
set search_path = ''
as $$
  with listed as (
    select m from unnest(p_messages) as m
  ),
  results as (
    select (l.m).sequence_order, conversation_store.message_parts(l.m) -> 0 as result,
           (select a.m from listed as a
            where (a.m).role = 'assistant' and (a.m).sequence_order < (l.m).sequence_order
            order by (a.m).sequence_order desc limit 1) as target
    from listed as l
    where (l.m).role in ('tool', 'function')
  ),
  folded as (
    select r.sequence_order, r.result, (r.target).sequence_order as target_sequence
    from results as r
    where exists (
      select from jsonb_array_elements(conversation_store.message_parts(r.target)) as part(value)
      where part.value ->> 'type' = 'tool-call' and part.value ->> 'tool_call_id' = r.result ->> 'tool_call_id'
    )
  )
  select (l.m).sequence_order,
         case when (l.m).sequence_order in (select f.sequence_order from folded as f) then null
              else conversation_store.ui_message(l.m, coalesce((
                     select jsonb_object_agg(f.result ->> 'tool_call_id', f.result)
                     from folded as f where f.target_sequence = (l.m).sequence_order), '{}'::jsonb),
                   p_include_reasoning) end
  from listed as l
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

-- Input: a stored message. Guarantees: the chat messages it stands for, as a JSON array: the
--   message as conversation_store.openai_message gives it, except that content is a content-part
--   array when it has file parts (text, image_url for image/*, file with file_data for a data:
--   URL and the filename otherwise); then, for an assistant row, one tool message per tool call in
--   tool_calls whose part carries its output (conversation_store.tool_output_text).
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
        when not exists (select from jsonb_array_elements(p_message.parts) as part(value)
                         where part.value ->> 'type' = 'file')
          then conversation_store.openai_message(p_message)
        else (jsonb_build_object('role', p_message.role, 'content', (
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
              || jsonb_strip_nulls(jsonb_build_object('name', p_message.name,
                   'tool_calls', p_message.tool_calls, 'tool_call_id', p_message.tool_call_id)))::json
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

revoke all on function conversation_store.ui_part(jsonb) from public, anon, authenticated, service_role;
revoke all on function conversation_store.ui_message(public.conversation_messages, jsonb, boolean) from public, anon, authenticated, service_role;
revoke all on function conversation_store.ui_messages(public.conversation_messages[], boolean) from public, anon, authenticated, service_role;
revoke all on function conversation_store.tool_output_text(jsonb) from public, anon, authenticated, service_role;
revoke all on function conversation_store.openai_messages(public.conversation_messages) from public, anon, authenticated, service_role;
revoke all on function conversation_store.answered_call_ids(public.conversation_messages) from public, anon, authenticated, service_role;
-- The readers run as the caller.
grant execute on function conversation_store.ui_part(jsonb) to authenticated, service_role;
grant execute on function conversation_store.ui_message(public.conversation_messages, jsonb, boolean) to authenticated, service_role;
grant execute on function conversation_store.ui_messages(public.conversation_messages[], boolean) to authenticated, service_role;
grant execute on function conversation_store.tool_output_text(jsonb) to authenticated, service_role;
grant execute on function conversation_store.openai_messages(public.conversation_messages) to authenticated, service_role;
grant execute on function conversation_store.answered_call_ids(public.conversation_messages) to authenticated, service_role;
