-- One message shape on every path: the shapes the edge functions' zod schemas accept, enforced by
-- the table itself, so supabase.rpc() callers and future functions cannot store anything else.
--
--   function_call  {"name": string, "arguments": string}, nothing more
--   tool_calls     1 to 128 of {"id": 1-128 characters, "type": "function",
--                               "function": {"name": string, "arguments": string}}
--
-- Before this, append_messages accepted any object or array there (function_call {"zz": [1, 2]},
-- tool_calls [1, "a", null] or nested 6,000 deep), which readers then failed to turn into
-- OpenAI's format. The constraints are NOT VALID: rows stored before them stay readable as they
-- are, and every row written or changed from now on must conform. (So this comes after the
-- migrations that fill new columns of every stored row.)

-- Input: any JSON value. Guarantees: true exactly for an object with string "name" and "arguments"
--   and no other key; false, never null, otherwise (a CHECK lets null pass).
create function conversation_store.is_function_call(p_value jsonb)
returns boolean
language sql
immutable
set search_path = ''
as $$
  select coalesce(
    jsonb_typeof(p_value) = 'object'
    and jsonb_typeof(p_value -> 'name') = 'string'
    and jsonb_typeof(p_value -> 'arguments') = 'string'
    and (p_value - 'name' - 'arguments') = '{}'::jsonb,
    false)
$$;

-- Input: any JSON value. Guarantees: true exactly for an array of 1 to 128 tool calls of the shape
--   above; false, never null, otherwise.
create function conversation_store.is_tool_call_list(p_value jsonb)
returns boolean
language sql
immutable
set search_path = ''
as $$
  select coalesce(jsonb_typeof(p_value) = 'array', false)
    and jsonb_array_length(p_value) between 1 and 128
    and not exists (
      select from jsonb_array_elements(p_value) as call(value)
      where not coalesce(
        jsonb_typeof(call.value) = 'object'
        and jsonb_typeof(call.value -> 'id') = 'string'
        and char_length(call.value ->> 'id') between 1 and 128
        and call.value -> 'type' = '"function"'::jsonb
        and conversation_store.is_function_call(call.value -> 'function')
        and (call.value - 'id' - 'type' - 'function') = '{}'::jsonb,
        false)
    )
$$;

revoke all on function conversation_store.is_function_call(jsonb) from public, anon, authenticated, service_role;
revoke all on function conversation_store.is_tool_call_list(jsonb) from public, anon, authenticated, service_role;

alter table public.conversation_messages
  add constraint conversation_messages_function_call_shape
    check (function_call is null or conversation_store.is_function_call(function_call)) not valid,
  add constraint conversation_messages_tool_calls_shape
    check (tool_calls is null or conversation_store.is_tool_call_list(tool_calls)) not valid;
