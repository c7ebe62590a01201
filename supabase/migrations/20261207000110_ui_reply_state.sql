-- format=ui tells each reply's state (issue 25): a page loading the history after a reload shows
-- "stopped" or "failed, retry" instead of an empty bubble, and knows which reply is still streaming.
--
-- conversation_store.ui_message is as in 20261206000400_part_formats.sql, except that an assistant
-- message written as a reply in progress (reply_outcome not null, 20261207000100_reply_outcome.sql)
-- or not completed carries its state in metadata, over the metadata stored with it:
--   status     completed | incomplete | in_progress
--   reason     with incomplete: stopped | model_error | time_limit | taken_over (when known: replies
--              that ended before this migration have none)
--   error      with model_error: {code, message, provider_status?, rate_limited, retryable}
-- A message stored whole (append-message, saveUIMessages) reads back exactly as it was stored.
-- get-history and get-context format=ui both shape messages here; a model never reads metadata.

-- Input: a stored message; the results folded into its tool calls ({tool_call_id: tool-result
--   part}); whether reasoning parts are kept. Guarantees: the message as an AI SDK UIMessage
--   (a tool or function row as an assistant message with a dynamic-tool part). A tool-call part
--   not yet in an output state takes its folded result: output-available with the output, or
--   output-error with the error text (conversation_store.result_is_error). An assistant reply's
--   metadata holds its status, and when it ended incomplete the reason and error (above).
create or replace function conversation_store.ui_message(
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
  v_metadata jsonb := p_message.metadata;
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
  if p_message.role = 'assistant' and (p_message.reply_outcome is not null or p_message.status <> 'completed') then
    -- A reason recorded while the reply is in progress is what it is about to end with, not its state.
    v_metadata := coalesce(v_metadata, '{}'::jsonb)
      || jsonb_build_object('status', p_message.status)
      || case when p_message.status = 'incomplete' then coalesce(p_message.reply_outcome, '{}'::jsonb)
              else '{}'::jsonb end;
  end if;
  return (jsonb_build_object(
      'id', coalesce(p_message.client_message_id, p_message.id::text),
      'role', case when p_message.role in ('tool', 'function') then 'assistant' else p_message.role end,
      'parts', to_jsonb(v_ui))
    || case when v_metadata is null then '{}'::jsonb
            else jsonb_build_object('metadata', v_metadata) end)::json;
end;
$$;
