-- Messages as parts (issue 17): a message may carry `parts`, the ordered, typed pieces an AI SDK
-- UIMessage is made of (text, reasoning, files, tool calls with their states, sources, data), and
-- the UIMessage's `metadata`. One vocabulary, in snake_case (docs/MESSAGE_PARTS.md):
--
--   text, reasoning  {type, text, state?: streaming|done, provider_metadata?}
--   file             {type, media_type, filename?, url? | storage?: {bucket, path}, provider_metadata?}
--   tool-call        {type, tool_call_id, tool_name, state, input?, raw_input?, output?, error_text?,
--                     provider_executed?, dynamic?, preliminary?, title?, approval?,
--                     provider_metadata?, result_provider_metadata?}          (assistant rows)
--   tool-result      {type, tool_call_id, tool_name, output?, error_text?}     (tool rows, alone)
--   source           {type, source_type: url|document, source_id, url?, title?, media_type?,
--                     filename?, provider_metadata?}
--   data             {type, name, id?, data}
--   step-start       {type}
--
-- Old rows keep parts null and are never rewritten: conversation_store.message_parts(m) derives
-- their parts on read. A row written with parts stores them as sent, and the write functions
-- derive the old columns from them (conversation_store.parts_content, parts_tool_calls), so
-- search, token estimates, format=openai and readers of `content` keep working. The same rule is
-- checked here and by the edge functions' zod schema (supabase/functions/_shared/parts.ts).

alter table public.conversation_messages
  add column parts jsonb,
  add column metadata jsonb,
  add column reasoning_token_count integer not null default 0,
  add constraint conversation_messages_parts_is_array check (jsonb_typeof(parts) = 'array'),
  add constraint conversation_messages_metadata_is_object check (jsonb_typeof(metadata) = 'object'),
  add constraint conversation_messages_reasoning_token_count_range check (reasoning_token_count between 0 and 1000000),
  -- The text parts are at most content's 100,000 characters (content is derived from them); the
  -- rest (reasoning, tool inputs and outputs, inline files, data) shares 512 KiB of JSON, so a
  -- row stays far below the 4 MiB page budget.
  add constraint conversation_messages_parts_max_size check (octet_length(parts::text) <= 524288),
  add constraint conversation_messages_metadata_max_size check (octet_length(metadata::text) <= 65536),
  -- A message written with parts may have no text at all (an image, a reasoning-only step).
  drop constraint conversation_messages_content_required,
  add constraint conversation_messages_content_required check (
    status = 'in_progress' or content is not null or parts is not null
    or (role = 'assistant' and (function_call is not null or tool_calls is not null))
  );

comment on column public.conversation_messages.parts is
  'The message as typed parts (docs/MESSAGE_PARTS.md), as written; null for rows written without parts, whose parts are derived on read.';
comment on column public.conversation_messages.metadata is
  'The AI SDK UIMessage metadata: a JSON object, opaque to the store.';
comment on column public.conversation_messages.reasoning_token_count is
  'Tokens of the reasoning parts, which token_count leaves out (a model reads them only when asked).';

-- The largest data: URL a file part may carry inline; larger files go to Storage.
create function conversation_store.inline_file_max_chars()
returns integer
language sql
immutable
set search_path = ''
as $$
  select 65536
$$;

-- The token estimate of one file part, on every path (the edge functions use the same figure).
create function conversation_store.file_token_estimate()
returns integer
language sql
immutable
set search_path = ''
as $$
  select 1000
$$;

-- Input: any JSON value (one part). Guarantees: null when it is a part of the vocabulary above,
--   with only its keys and their types; else what is wrong with it, for the caller. Does not look
--   at sizes, roles or Storage owners (conversation_store.check_parts does).
create function conversation_store.part_problem(p_part jsonb)
returns text
language sql
immutable
set search_path = ''
as $$
  select case
    when jsonb_typeof(p_part) is distinct from 'object' then 'is not an object'
    when jsonb_typeof(p_part -> 'type') is distinct from 'string' then 'needs a type string'
    when p_part ->> 'type' not in ('text', 'reasoning', 'file', 'tool-call', 'tool-result', 'source', 'data', 'step-start')
      then 'has an unknown type'
    when p_part - (case p_part ->> 'type'
        when 'text' then array['type', 'text', 'state', 'provider_metadata']
        when 'reasoning' then array['type', 'text', 'state', 'provider_metadata']
        when 'file' then array['type', 'media_type', 'filename', 'url', 'storage', 'provider_metadata']
        when 'tool-call' then array['type', 'tool_call_id', 'tool_name', 'state', 'input', 'raw_input', 'output',
                                    'error_text', 'provider_executed', 'dynamic', 'preliminary', 'title',
                                    'approval', 'provider_metadata', 'result_provider_metadata']
        when 'tool-result' then array['type', 'tool_call_id', 'tool_name', 'output', 'error_text']
        when 'source' then array['type', 'source_type', 'source_id', 'url', 'title', 'media_type', 'filename',
                                 'provider_metadata']
        when 'data' then array['type', 'name', 'id', 'data']
        else array['type']
      end) <> '{}'::jsonb then 'has an unknown field'
    -- Optional keys: absent, or of their type (a JSON null is not absent).
    when exists (
      select from jsonb_each(p_part) as field(key, value)
      where case
        when field.key in ('text', 'media_type', 'filename', 'url', 'tool_call_id', 'tool_name', 'error_text',
                           'title', 'source_id', 'name', 'id', 'state', 'source_type')
          then jsonb_typeof(field.value) <> 'string'
        when field.key in ('provider_metadata', 'result_provider_metadata', 'approval', 'storage')
          then jsonb_typeof(field.value) <> 'object'
        when field.key in ('provider_executed', 'dynamic', 'preliminary') then jsonb_typeof(field.value) <> 'boolean'
        else false -- input, raw_input, output, data: any JSON
      end
    ) then 'has a field of the wrong type'
    when p_part ->> 'type' in ('text', 'reasoning') then case
      when not p_part ? 'text' then 'needs a text'
      when p_part ->> 'state' not in ('streaming', 'done') then 'has a state that is not streaming or done'
    end
    when p_part ->> 'type' = 'file' then case
      when coalesce(char_length(p_part ->> 'media_type') not between 1 and 255, true) then 'needs a media_type of 1 to 255 characters'
      when (p_part ? 'url') = (p_part ? 'storage') then 'needs exactly one of url and storage'
      when p_part ->> 'url' !~ '^(https?|data):' then 'has a url that is not http:, https: or data:'
      when p_part ? 'storage' and not coalesce(
          jsonb_typeof(p_part -> 'storage' -> 'bucket') = 'string'
          and char_length(p_part -> 'storage' ->> 'bucket') between 1 and 100
          and jsonb_typeof(p_part -> 'storage' -> 'path') = 'string'
          and char_length(p_part -> 'storage' ->> 'path') between 1 and 1024
          and (p_part -> 'storage') - 'bucket' - 'path' = '{}'::jsonb, false)
        then 'has a storage that is not {bucket, path}'
      -- Folder names are compared as written: no empty, "." or ".." segment may hide another folder.
      when ('/' || (p_part -> 'storage' ->> 'path') || '/') ~ '/(\.{0,2})/' then 'has a storage path with an empty, . or .. segment'
    end
    when p_part ->> 'type' = 'tool-call' then case
      when coalesce(char_length(p_part ->> 'tool_call_id') not between 1 and 128, true)
        then 'needs a tool_call_id of 1 to 128 characters'
      when coalesce(char_length(p_part ->> 'tool_name') not between 1 and 128, true)
        then 'needs a tool_name of 1 to 128 characters'
      when p_part ->> 'state' is null or p_part ->> 'state' not in ('input-streaming', 'input-available', 'approval-requested',
          'approval-responded', 'output-available', 'output-error', 'output-denied')
        then 'needs a known state'
    end
    when p_part ->> 'type' = 'tool-result' then case
      when coalesce(char_length(p_part ->> 'tool_call_id') not between 1 and 128, true)
        then 'needs a tool_call_id of 1 to 128 characters'
      -- Empty only when derived from a tool row, which names no tool.
      when coalesce(char_length(p_part ->> 'tool_name') > 128, true)
        then 'needs a tool_name of at most 128 characters'
    end
    when p_part ->> 'type' = 'source' then case
      when p_part ->> 'source_type' is null or p_part ->> 'source_type' not in ('url', 'document')
        then 'needs a source_type of url or document'
      when not p_part ? 'source_id' then 'needs a source_id'
    end
    when p_part ->> 'type' = 'data' then case
      when coalesce(p_part ->> 'name' !~ '^[A-Za-z0-9_-]{1,64}$', true) then 'needs a name of 1-64 letters, digits, _ or -'
      when not p_part ? 'data' then 'needs data'
    end
  end
$$;

-- Input: any JSON value; the conversation's owner. Guarantees: true exactly for an array of 1 to
--   1000 parts of the vocabulary, inline files within conversation_store.inline_file_max_chars(),
--   and Storage files only under the owner's folder (`<owner>/…`); false, never null, otherwise.
create function conversation_store.is_part_list(p_parts jsonb, p_owner uuid)
returns boolean
language sql
immutable
set search_path = ''
as $$
  select coalesce(jsonb_typeof(p_parts) = 'array', false)
    and jsonb_array_length(p_parts) between 1 and 1000
    and not exists (
      select from jsonb_array_elements(p_parts) as part(value)
      where conversation_store.part_problem(part.value) is not null
         or char_length(part.value ->> 'url') > conversation_store.inline_file_max_chars()
         or not starts_with(part.value -> 'storage' ->> 'path', p_owner::text || '/')
    )
$$;

-- Input: the parts of a message to be stored, its role and the conversation's owner.
-- Guarantees: returns when conversation_store.is_part_list(p_parts, p_owner) holds and the parts
--   fit the role: tool-call parts only in assistant messages; a tool message is exactly one
--   tool-result part, and a tool-result part is only that.
-- Errors: 22023 a part is malformed or in the wrong role, naming the part; 23514 (constraint
--   conversation_messages_inline_file_max_size, answered 413) an inline file is too large; 42501
--   (hint storage_path_forbidden) a Storage file outside the owner's folder.
create function conversation_store.check_parts(p_parts jsonb, p_role text, p_owner uuid)
returns void
language plpgsql
immutable
set search_path = ''
as $$
declare
  v_problem text;
begin
  if jsonb_typeof(p_parts) is distinct from 'array' or jsonb_array_length(p_parts) not between 1 and 1000 then
    raise exception 'parts must be an array of 1 to 1000 parts' using errcode = '22023';
  end if;
  select format('part %s %s', checked.position - 1, checked.problem)
  into v_problem
  from jsonb_array_elements(p_parts) with ordinality as part(value, position)
  cross join lateral (
    select part.position, coalesce(
      conversation_store.part_problem(part.value),
      case
        when part.value ->> 'type' = 'tool-call' and p_role <> 'assistant' then 'is a tool-call, which only an assistant message holds'
        when part.value ->> 'type' = 'tool-result' and p_role <> 'tool' then 'is a tool-result, which only a tool message holds'
        when p_role = 'tool' and part.value ->> 'type' <> 'tool-result' then 'is not a tool-result, which a tool message is'
      end) as problem
  ) as checked
  where checked.problem is not null
  order by part.position
  limit 1;
  if v_problem is not null then
    raise exception '%', v_problem using errcode = '22023';
  end if;
  if p_role = 'tool' and jsonb_array_length(p_parts) <> 1 then
    raise exception 'a tool message is exactly one tool-result part' using errcode = '22023';
  end if;
  if exists (
    select from jsonb_array_elements(p_parts) as part(value)
    where char_length(part.value ->> 'url') > conversation_store.inline_file_max_chars()
  ) then
    raise exception 'an inline file is larger than % characters: upload it to Storage', conversation_store.inline_file_max_chars()
      using errcode = '23514', constraint = 'conversation_messages_inline_file_max_size';
  end if;
  if exists (
    select from jsonb_array_elements(p_parts) as part(value)
    where not starts_with(part.value -> 'storage' ->> 'path', p_owner::text || '/')
  ) then
    raise exception 'a file part names a Storage object outside the owner''s folder (%/…)', p_owner
      using errcode = '42501', hint = 'storage_path_forbidden';
  end if;
end;
$$;

-- Input: parts and the message's role. Guarantees: the content the message has for readers of the
--   old shape: its text parts' text joined without separator; for a tool message without text, its
--   tool-result's output (a string as it is, other JSON as JSON text, else the error text); null
--   when there is none.
create function conversation_store.parts_content(p_parts jsonb, p_role text)
returns text
language sql
immutable
set search_path = ''
as $$
  select coalesce(
    (select string_agg(part.value ->> 'text', '' order by part.position)
     from jsonb_array_elements(p_parts) with ordinality as part(value, position)
     where part.value ->> 'type' = 'text'),
    (select case
       when jsonb_typeof(part.value -> 'output') = 'string' then part.value ->> 'output'
       when coalesce(part.value -> 'output', 'null'::jsonb) = 'null'::jsonb then coalesce(part.value ->> 'error_text', '')
       else (part.value -> 'output')::text
     end
     from jsonb_array_elements(p_parts) as part(value)
     where p_role = 'tool' and part.value ->> 'type' = 'tool-result'
     limit 1)
  )
$$;

-- Input: parts. Guarantees: their tool-call parts that the app executes (not provider_executed)
--   as OpenAI tool_calls [{id, type: "function", function: {name, arguments: input as JSON text}}],
--   in order; "{}" for a call whose input has not arrived; null when there is none.
create function conversation_store.parts_tool_calls(p_parts jsonb)
returns jsonb
language sql
immutable
set search_path = ''
as $$
  select jsonb_agg(jsonb_build_object(
           'id', part.value ->> 'tool_call_id', 'type', 'function',
           'function', jsonb_build_object('name', part.value ->> 'tool_name',
                                          'arguments', coalesce((part.value -> 'input')::text, '{}'))
         ) order by part.position)
  from jsonb_array_elements(p_parts) with ordinality as part(value, position)
  where part.value ->> 'type' = 'tool-call' and part.value -> 'provider_executed' is distinct from 'true'::jsonb
$$;

-- Input: a tool call's arguments. Guarantees: the JSON they hold, or the text itself as a JSON
--   string when they are not JSON (models do send broken arguments).
create function conversation_store.json_or_text(p_text text)
returns jsonb
language plpgsql
immutable
set search_path = ''
as $$
begin
  return p_text::jsonb;
exception when others then
  return to_jsonb(p_text);
end;
$$;

-- Input: a stored message. Guarantees: its parts: as written, or for a row written without them,
--   derived from the old columns: a text part from content; a tool-call part in input-available
--   per tool call (and for a function_call, with tool_call_id "function_call"), input parsed from
--   the arguments; a tool message as one tool-result part whose output is the content string; a
--   function message likewise (tool_call_id "function_call", tool_name its name). Calls in a shape
--   stored before shapes were enforced are left out. An empty array when there is nothing.
create function conversation_store.message_parts(p_message public.conversation_messages)
returns jsonb
language sql
stable
set search_path = ''
as $$
  select case
    when p_message.parts is not null then p_message.parts
    when p_message.role in ('tool', 'function') then jsonb_build_array(jsonb_build_object(
      'type', 'tool-result',
      'tool_call_id', coalesce(p_message.tool_call_id, 'function_call'),
      'tool_name', coalesce(p_message.name, ''),
      'output', to_jsonb(coalesce(p_message.content, ''))))
    else
      case when p_message.content is null then '[]'::jsonb
           else jsonb_build_array(jsonb_build_object('type', 'text', 'text', p_message.content)) end
      || coalesce((
        select jsonb_agg(jsonb_build_object(
                 'type', 'tool-call', 'tool_call_id', call.value ->> 'id',
                 'tool_name', call.value -> 'function' ->> 'name', 'state', 'input-available',
                 'input', conversation_store.json_or_text(call.value -> 'function' ->> 'arguments')
               ) order by call.position)
        from jsonb_array_elements(p_message.tool_calls) with ordinality as call(value, position)
        where conversation_store.is_tool_call_list(p_message.tool_calls)), '[]'::jsonb)
      || case when conversation_store.is_function_call(p_message.function_call) then jsonb_build_array(jsonb_build_object(
           'type', 'tool-call', 'tool_call_id', 'function_call',
           'tool_name', p_message.function_call ->> 'name', 'state', 'input-available',
           'input', conversation_store.json_or_text(p_message.function_call ->> 'arguments')))
         else '[]'::jsonb end
  end
$$;

-- Input: parts (or null). Guarantees: what the database adds to conversation_store.estimate_tokens
--   of the derived columns for them: the bytes of tool outputs and error texts carried by tool-call
--   parts and of provider-executed calls' inputs (not in tool_calls), plus
--   conversation_store.file_token_estimate() per file part. Data, source and step-start parts count 0.
create function conversation_store.estimate_part_tokens(p_parts jsonb)
returns integer
language sql
immutable
set search_path = ''
as $$
  select coalesce(sum(case part.value ->> 'type'
    when 'file' then conversation_store.file_token_estimate()
    when 'tool-call' then coalesce(octet_length((part.value -> 'output')::text), 0)
      + coalesce(octet_length(part.value ->> 'error_text'), 0)
      + case when part.value -> 'provider_executed' = 'true'::jsonb
             then octet_length(part.value ->> 'tool_name') + coalesce(octet_length((part.value -> 'input')::text), 0)
             else 0 end
    else 0
  end), 0)::integer
  from jsonb_array_elements(p_parts) as part(value)
$$;

-- Input: parts (or null). Guarantees: the UTF-8 bytes of the reasoning parts' text, an upper bound
--   of their o200k_base tokens (as conversation_store.estimate_tokens is for the rest).
create function conversation_store.estimate_reasoning_tokens(p_parts jsonb)
returns integer
language sql
immutable
set search_path = ''
as $$
  select coalesce(sum(octet_length(part.value ->> 'text')), 0)::integer
  from jsonb_array_elements(p_parts) as part(value)
  where part.value ->> 'type' = 'reasoning'
$$;

-- A stored message as the API returns it: every column but the owner and the reasoning count;
-- rows written with parts also carry `parts` and, when set, `metadata`. Rows without parts come
-- out exactly as before, so existing clients see what they saw.
create or replace function conversation_store.message_json(p_message public.conversation_messages)
returns json
language sql
stable
set search_path = ''
as $$
  select case when p_message.parts is null then fields.base
    else (left(fields.base::text, -1) || ', "parts" : ' || p_message.parts::text
          || coalesce(', "metadata" : ' || p_message.metadata::text, '') || '}')::json
  end
  from (select json_build_object(
    'id', p_message.id, 'conversation_id', p_message.conversation_id, 'sequence_order', p_message.sequence_order,
    'role', p_message.role, 'content', p_message.content, 'name', p_message.name,
    'function_call', p_message.function_call, 'tool_calls', p_message.tool_calls,
    'tool_call_id', p_message.tool_call_id, 'client_message_id', p_message.client_message_id,
    'status', p_message.status, 'token_count', p_message.token_count,
    'created_at', p_message.created_at, 'updated_at', p_message.updated_at
  ) as base) as fields
$$;

revoke all on function conversation_store.inline_file_max_chars() from public, anon, authenticated, service_role;
revoke all on function conversation_store.file_token_estimate() from public, anon, authenticated, service_role;
revoke all on function conversation_store.part_problem(jsonb) from public, anon, authenticated, service_role;
revoke all on function conversation_store.is_part_list(jsonb, uuid) from public, anon, authenticated, service_role;
revoke all on function conversation_store.check_parts(jsonb, text, uuid) from public, anon, authenticated, service_role;
revoke all on function conversation_store.parts_content(jsonb, text) from public, anon, authenticated, service_role;
revoke all on function conversation_store.parts_tool_calls(jsonb) from public, anon, authenticated, service_role;
revoke all on function conversation_store.json_or_text(text) from public, anon, authenticated, service_role;
revoke all on function conversation_store.message_parts(public.conversation_messages) from public, anon, authenticated, service_role;
revoke all on function conversation_store.estimate_part_tokens(jsonb) from public, anon, authenticated, service_role;
revoke all on function conversation_store.estimate_reasoning_tokens(jsonb) from public, anon, authenticated, service_role;
-- The readers (security invoker, as the caller) build parts for the API.
grant execute on function conversation_store.message_parts(public.conversation_messages) to authenticated, service_role;
grant execute on function conversation_store.json_or_text(text) to authenticated, service_role;
