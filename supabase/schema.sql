--
-- PostgreSQL database dump
--

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: conversation_store; Type: SCHEMA; Schema: -; Owner: postgres
--

CREATE SCHEMA conversation_store;

ALTER SCHEMA conversation_store OWNER TO postgres;

--
-- Name: SCHEMA conversation_store; Type: COMMENT; Schema: -; Owner: postgres
--

COMMENT ON SCHEMA conversation_store IS 'Internal helpers of the conversation store. Not exposed through the Data API; call the public functions.';

--
-- Name: public; Type: SCHEMA; Schema: -; Owner: pg_database_owner
--

CREATE SCHEMA public;

ALTER SCHEMA public OWNER TO pg_database_owner;

--
-- Name: SCHEMA public; Type: COMMENT; Schema: -; Owner: pg_database_owner
--

COMMENT ON SCHEMA public IS 'standard public schema';

--
-- Name: acting_user(uuid); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.acting_user(p_user_id uuid) RETURNS uuid
    LANGUAGE plpgsql STABLE
    SET search_path TO ''
    AS $$
begin
  if conversation_store.caller_is_service_role() then
    return p_user_id;
  end if;
  if auth.uid() is null then
    raise exception 'not authenticated' using errcode = '42501';
  end if;
  if p_user_id <> auth.uid() then
    raise exception 'p_user_id may only name the caller' using errcode = '42501';
  end if;
  return auth.uid();
end;
$$;

ALTER FUNCTION conversation_store.acting_user(p_user_id uuid) OWNER TO postgres;

SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: conversation_messages; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.conversation_messages (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    conversation_id uuid NOT NULL,
    user_id uuid NOT NULL,
    sequence_order integer NOT NULL,
    role text NOT NULL,
    content text,
    name text,
    function_call jsonb,
    tool_calls jsonb,
    tool_call_id text,
    client_message_id text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    token_count integer NOT NULL,
    status text DEFAULT 'completed'::text NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    parts jsonb,
    metadata jsonb,
    reasoning_token_count integer DEFAULT 0 NOT NULL,
    CONSTRAINT conversation_messages_calls_only_from_assistant CHECK (((role = 'assistant'::text) OR ((function_call IS NULL) AND (tool_calls IS NULL)))),
    CONSTRAINT conversation_messages_client_message_id_length CHECK (((char_length(client_message_id) >= 1) AND (char_length(client_message_id) <= 128))),
    CONSTRAINT conversation_messages_content_max_size CHECK ((char_length(content) <= 100000)),
    CONSTRAINT conversation_messages_content_required CHECK (((status = 'in_progress'::text) OR (content IS NOT NULL) OR (parts IS NOT NULL) OR ((role = 'assistant'::text) AND ((function_call IS NOT NULL) OR (tool_calls IS NOT NULL))))),
    CONSTRAINT conversation_messages_function_call_is_object CHECK ((jsonb_typeof(function_call) = 'object'::text)),
    CONSTRAINT conversation_messages_function_call_max_size CHECK ((octet_length((function_call)::text) <= 65536)),
    CONSTRAINT conversation_messages_function_has_name CHECK (((role <> 'function'::text) OR (name IS NOT NULL))),
    CONSTRAINT conversation_messages_metadata_is_object CHECK ((jsonb_typeof(metadata) = 'object'::text)),
    CONSTRAINT conversation_messages_metadata_max_size CHECK ((octet_length((metadata)::text) <= 65536)),
    CONSTRAINT conversation_messages_name_format CHECK ((name ~ '^[A-Za-z0-9_-]{1,64}$'::text)),
    CONSTRAINT conversation_messages_only_assistant_in_progress CHECK (((status <> 'in_progress'::text) OR (role = 'assistant'::text))),
    CONSTRAINT conversation_messages_parts_is_array CHECK ((jsonb_typeof(parts) = 'array'::text)),
    CONSTRAINT conversation_messages_parts_max_size CHECK ((octet_length((parts)::text) <= 524288)),
    CONSTRAINT conversation_messages_reasoning_token_count_range CHECK (((reasoning_token_count >= 0) AND (reasoning_token_count <= 1000000))),
    CONSTRAINT conversation_messages_role_known CHECK ((role = ANY (ARRAY['system'::text, 'user'::text, 'assistant'::text, 'function'::text, 'tool'::text]))),
    CONSTRAINT conversation_messages_sequence_order_positive CHECK ((sequence_order >= 1)),
    CONSTRAINT conversation_messages_status_known CHECK ((status = ANY (ARRAY['in_progress'::text, 'completed'::text, 'incomplete'::text]))),
    CONSTRAINT conversation_messages_token_count_range CHECK (((token_count >= 0) AND (token_count <= 1000000))),
    CONSTRAINT conversation_messages_tool_call_id_length CHECK (((char_length(tool_call_id) >= 1) AND (char_length(tool_call_id) <= 128))),
    CONSTRAINT conversation_messages_tool_call_id_only_on_tool CHECK (((role = 'tool'::text) OR (tool_call_id IS NULL))),
    CONSTRAINT conversation_messages_tool_calls_is_array CHECK ((jsonb_typeof(tool_calls) = 'array'::text)),
    CONSTRAINT conversation_messages_tool_calls_max_size CHECK ((octet_length((tool_calls)::text) <= 65536)),
    CONSTRAINT conversation_messages_tool_has_tool_call_id CHECK (((role <> 'tool'::text) OR (tool_call_id IS NOT NULL)))
);

ALTER TABLE public.conversation_messages OWNER TO postgres;

--
-- Name: TABLE conversation_messages; Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON TABLE public.conversation_messages IS 'Messages of a conversation, numbered from 1 without gaps. Append with public.append_messages.';

--
-- Name: COLUMN conversation_messages.user_id; Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON COLUMN public.conversation_messages.user_id IS 'Owner of the conversation, copied on append so that Row Level Security needs no join.';

--
-- Name: COLUMN conversation_messages.client_message_id; Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON COLUMN public.conversation_messages.client_message_id IS 'Optional idempotency key chosen by the client: retrying an append with it never stores the message twice.';

--
-- Name: COLUMN conversation_messages.token_count; Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON COLUMN public.conversation_messages.token_count IS 'Tokens a model reads for this message, framing included: exact (o200k_base) when written through the edge functions, a byte-based upper bound otherwise.';

--
-- Name: COLUMN conversation_messages.status; Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON COLUMN public.conversation_messages.status IS 'in_progress while a reply streams; completed or incomplete once final. Final messages never change.';

--
-- Name: COLUMN conversation_messages.updated_at; Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON COLUMN public.conversation_messages.updated_at IS 'When the message last changed; a reply in progress whose updated_at is older than the stale limit may be taken over.';

--
-- Name: COLUMN conversation_messages.parts; Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON COLUMN public.conversation_messages.parts IS 'The message as typed parts (docs/MESSAGE_PARTS.md), as written; null for rows written without parts, whose parts are derived on read.';

--
-- Name: COLUMN conversation_messages.metadata; Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON COLUMN public.conversation_messages.metadata IS 'The AI SDK UIMessage metadata: a JSON object, opaque to the store.';

--
-- Name: COLUMN conversation_messages.reasoning_token_count; Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON COLUMN public.conversation_messages.reasoning_token_count IS 'Tokens of the reasoning parts, which token_count leaves out (a model reads them only when asked).';

--
-- Name: answered_call_ids(public.conversation_messages); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.answered_call_ids(p_message public.conversation_messages) RETURNS text[]
    LANGUAGE sql IMMUTABLE
    SET search_path TO ''
    AS $$
  select coalesce(array_agg(part.value ->> 'tool_call_id' order by part.value ->> 'tool_call_id'), '{}')
  from jsonb_array_elements(p_message.parts) as part(value)
  where part.value ->> 'type' = 'tool-call' and part.value -> 'provider_executed' is distinct from 'true'::jsonb
    and part.value ->> 'state' like 'output-%'
$$;

ALTER FUNCTION conversation_store.answered_call_ids(p_message public.conversation_messages) OWNER TO postgres;

--
-- Name: caller_is_service_role(); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.caller_is_service_role() RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
  select current_setting('role') = 'service_role' and auth.role() is not distinct from 'service_role'
$$;

ALTER FUNCTION conversation_store.caller_is_service_role() OWNER TO postgres;

--
-- Name: conversations; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.conversations (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    user_id uuid DEFAULT auth.uid() NOT NULL,
    video_id uuid,
    metadata jsonb DEFAULT '{}'::jsonb NOT NULL,
    last_sequence integer DEFAULT 0 NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    retention_seconds integer,
    deleted_at timestamp with time zone,
    expires_at timestamp with time zone,
    summary text,
    summary_through_sequence integer,
    summary_token_count integer,
    forked_from_conversation_id uuid,
    forked_from_sequence integer,
    CONSTRAINT conversations_forked_from_sequence_positive CHECK ((forked_from_sequence >= 1)),
    CONSTRAINT conversations_last_sequence_not_negative CHECK ((last_sequence >= 0)),
    CONSTRAINT conversations_metadata_is_object CHECK ((jsonb_typeof(metadata) = 'object'::text)),
    CONSTRAINT conversations_metadata_max_size CHECK ((octet_length((metadata)::text) <= 65536)),
    CONSTRAINT conversations_retention_seconds_range CHECK (((retention_seconds >= 60) AND (retention_seconds <= 315360000))),
    CONSTRAINT conversations_summary_complete CHECK ((((summary IS NULL) = (summary_through_sequence IS NULL)) AND ((summary IS NULL) = (summary_token_count IS NULL)))),
    CONSTRAINT conversations_summary_max_size CHECK ((char_length(summary) <= 100000)),
    CONSTRAINT conversations_summary_through_sequence_range CHECK (((summary_through_sequence >= 1) AND (summary_through_sequence <= last_sequence))),
    CONSTRAINT conversations_summary_token_count_range CHECK (((summary_token_count >= 0) AND (summary_token_count <= 1000000)))
);

ALTER TABLE public.conversations OWNER TO postgres;

--
-- Name: TABLE conversations; Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON TABLE public.conversations IS 'A chat between a user and the assistant. Messages live in public.conversation_messages.';

--
-- Name: COLUMN conversations.metadata; Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON COLUMN public.conversations.metadata IS 'Agent state kept across sessions; a JSON object of at most 64 KiB.';

--
-- Name: COLUMN conversations.last_sequence; Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON COLUMN public.conversations.last_sequence IS 'Sequence number of the newest message; 0 for an empty conversation. Written only by public.append_messages.';

--
-- Name: COLUMN conversations.retention_seconds; Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON COLUMN public.conversations.retention_seconds IS 'Seconds of inactivity after which the conversation expires (60 to 315,360,000); null keeps it forever.';

--
-- Name: COLUMN conversations.deleted_at; Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON COLUMN public.conversations.deleted_at IS 'When the conversation was deleted; its storage is being reclaimed. Never returned to clients.';

--
-- Name: COLUMN conversations.expires_at; Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON COLUMN public.conversations.expires_at IS 'When the conversation is gone for clients: updated_at + retention_seconds, or deleted_at. Maintained by a trigger.';

--
-- Name: COLUMN conversations.summary; Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON COLUMN public.conversations.summary IS 'The agent''s summary of messages 1..summary_through_sequence; sent in their place by get_context.';

--
-- Name: COLUMN conversations.summary_token_count; Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON COLUMN public.conversations.summary_token_count IS 'Tokens of the summary as one system message: exact through the edge functions, an upper bound otherwise.';

--
-- Name: COLUMN conversations.forked_from_conversation_id; Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON COLUMN public.conversations.forked_from_conversation_id IS 'The conversation this one was forked from; null when it was not, or once the source is deleted.';

--
-- Name: COLUMN conversations.forked_from_sequence; Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON COLUMN public.conversations.forked_from_sequence IS 'The last message copied from the source: messages 1..forked_from_sequence began as copies.';

--
-- Name: caller_reaches(public.conversations); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.caller_reaches(p_conversation public.conversations) RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
  select (p_conversation.expires_at is null or p_conversation.expires_at > now())
    and (conversation_store.caller_is_service_role() or p_conversation.user_id = auth.uid())
$$;

ALTER FUNCTION conversation_store.caller_reaches(p_conversation public.conversations) OWNER TO postgres;

--
-- Name: check_parts(jsonb, text, uuid); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.check_parts(p_parts jsonb, p_role text, p_owner uuid) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO ''
    AS $$
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

ALTER FUNCTION conversation_store.check_parts(p_parts jsonb, p_role text, p_owner uuid) OWNER TO postgres;

--
-- Name: context_messages(public.conversation_messages[], text, boolean); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.context_messages(p_rows public.conversation_messages[], p_format text, p_include_reasoning boolean) RETURNS json[]
    LANGUAGE plpgsql STABLE
    SET search_path TO ''
    AS $$
declare
  v_row public.conversation_messages;
  v_messages json[] := '{}';
begin
  if p_format = 'ui' then
    if cardinality(p_rows) = 1 then
      return array[conversation_store.ui_message(p_rows[1], '{}', p_include_reasoning)];
    end if;
    return array(select ui.message from conversation_store.ui_messages(p_rows, p_include_reasoning) as ui
                 where ui.message is not null order by ui.sequence_order);
  end if;
  foreach v_row in array p_rows loop
    if p_format = 'rows' then
      v_messages := array_append(v_messages, conversation_store.message_json(
        case when p_include_reasoning or v_row.parts is null then v_row
             else conversation_store.without_reasoning(v_row) end));
    elsif v_row.parts is null then
      v_messages := array_append(v_messages, conversation_store.openai_message(v_row));
    else
      v_messages := v_messages || array(
        select chat.message
        from json_array_elements(conversation_store.openai_messages(v_row)) with ordinality as chat(message, position)
        order by chat.position);
    end if;
  end loop;
  return v_messages;
end;
$$;

ALTER FUNCTION conversation_store.context_messages(p_rows public.conversation_messages[], p_format text, p_include_reasoning boolean) OWNER TO postgres;

--
-- Name: conversation_json(public.conversations); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.conversation_json(p_conversation public.conversations) RETURNS json
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
  select json_build_object(
    'id', p_conversation.id, 'user_id', p_conversation.user_id, 'video_id', p_conversation.video_id,
    'metadata', p_conversation.metadata, 'last_sequence', p_conversation.last_sequence,
    'created_at', p_conversation.created_at, 'updated_at', p_conversation.updated_at,
    'retention_seconds', p_conversation.retention_seconds, 'expires_at', p_conversation.expires_at,
    'summary', p_conversation.summary, 'summary_through_sequence', p_conversation.summary_through_sequence,
    'summary_token_count', p_conversation.summary_token_count,
    'forked_from_conversation_id', p_conversation.forked_from_conversation_id,
    'forked_from_sequence', p_conversation.forked_from_sequence
  )
$$;

ALTER FUNCTION conversation_store.conversation_json(p_conversation public.conversations) OWNER TO postgres;

--
-- Name: drop_reply_log(); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.drop_reply_log() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
  perform conversation_store.lock_reply_log(old.id);
  delete from conversation_store.reply_log l where l.message_id = old.id;
  return null;
end;
$$;

ALTER FUNCTION conversation_store.drop_reply_log() OWNER TO postgres;

--
-- Name: estimate_part_tokens(jsonb); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.estimate_part_tokens(p_parts jsonb) RETURNS integer
    LANGUAGE sql IMMUTABLE
    SET search_path TO ''
    AS $$
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

ALTER FUNCTION conversation_store.estimate_part_tokens(p_parts jsonb) OWNER TO postgres;

--
-- Name: estimate_reasoning_tokens(jsonb); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.estimate_reasoning_tokens(p_parts jsonb) RETURNS integer
    LANGUAGE sql IMMUTABLE
    SET search_path TO ''
    AS $$
  select coalesce(sum(octet_length(part.value ->> 'text')), 0)::integer
  from jsonb_array_elements(p_parts) as part(value)
  where part.value ->> 'type' = 'reasoning'
$$;

ALTER FUNCTION conversation_store.estimate_reasoning_tokens(p_parts jsonb) OWNER TO postgres;

--
-- Name: estimate_tokens(text, text, jsonb, jsonb, text); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.estimate_tokens(p_content text, p_name text, p_function_call jsonb, p_tool_calls jsonb, p_tool_call_id text) RETURNS integer
    LANGUAGE sql IMMUTABLE
    SET search_path TO ''
    AS $$
  select 3 + coalesce(octet_length(p_content), 0) + coalesce(octet_length(p_name), 0)
    + coalesce(octet_length(p_function_call::text), 0) + coalesce(octet_length(p_tool_calls::text), 0)
    + coalesce(octet_length(p_tool_call_id), 0)
$$;

ALTER FUNCTION conversation_store.estimate_tokens(p_content text, p_name text, p_function_call jsonb, p_tool_calls jsonb, p_tool_call_id text) OWNER TO postgres;

--
-- Name: file_token_estimate(); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.file_token_estimate() RETURNS integer
    LANGUAGE sql IMMUTABLE
    SET search_path TO ''
    AS $$
  select 1000
$$;

ALTER FUNCTION conversation_store.file_token_estimate() OWNER TO postgres;

--
-- Name: fold_reply_log(); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.fold_reply_log() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_folded public.conversation_messages := conversation_store.take_reply_log(old);
begin
  if v_folded is distinct from old then
    new.parts := v_folded.parts;
    new.content := v_folded.content;
    new.tool_calls := v_folded.tool_calls;
    new.token_count := v_folded.token_count;
    new.reasoning_token_count := v_folded.reasoning_token_count;
  end if;
  return new;
end;
$$;

ALTER FUNCTION conversation_store.fold_reply_log() OWNER TO postgres;

--
-- Name: inline_file_max_chars(); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.inline_file_max_chars() RETURNS integer
    LANGUAGE sql IMMUTABLE
    SET search_path TO ''
    AS $$
  select 65536
$$;

ALTER FUNCTION conversation_store.inline_file_max_chars() OWNER TO postgres;

--
-- Name: is_function_call(jsonb); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.is_function_call(p_value jsonb) RETURNS boolean
    LANGUAGE sql IMMUTABLE
    SET search_path TO ''
    AS $$
  select coalesce(
    jsonb_typeof(p_value) = 'object'
    and jsonb_typeof(p_value -> 'name') = 'string'
    and jsonb_typeof(p_value -> 'arguments') = 'string'
    and (p_value - 'name' - 'arguments') = '{}'::jsonb,
    false)
$$;

ALTER FUNCTION conversation_store.is_function_call(p_value jsonb) OWNER TO postgres;

--
-- Name: is_part_list(jsonb, uuid); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.is_part_list(p_parts jsonb, p_owner uuid) RETURNS boolean
    LANGUAGE sql IMMUTABLE
    SET search_path TO ''
    AS $$
  select coalesce(jsonb_typeof(p_parts) = 'array', false)
    and jsonb_array_length(p_parts) between 1 and 1000
    and not exists (
      select from jsonb_array_elements(p_parts) as part(value)
      where conversation_store.part_problem(part.value) is not null
         or char_length(part.value ->> 'url') > conversation_store.inline_file_max_chars()
         or not starts_with(part.value -> 'storage' ->> 'path', p_owner::text || '/')
    )
$$;

ALTER FUNCTION conversation_store.is_part_list(p_parts jsonb, p_owner uuid) OWNER TO postgres;

--
-- Name: is_tool_call_list(jsonb); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.is_tool_call_list(p_value jsonb) RETURNS boolean
    LANGUAGE sql IMMUTABLE
    SET search_path TO ''
    AS $$
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

ALTER FUNCTION conversation_store.is_tool_call_list(p_value jsonb) OWNER TO postgres;

--
-- Name: json_or_text(text); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.json_or_text(p_text text) RETURNS jsonb
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO ''
    AS $$
begin
  return p_text::jsonb;
exception when others then
  return to_jsonb(p_text);
end;
$$;

ALTER FUNCTION conversation_store.json_or_text(p_text text) OWNER TO postgres;

--
-- Name: live_message(public.conversation_messages); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.live_message(p_message public.conversation_messages) RETURNS public.conversation_messages
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_parts jsonb := conversation_store.live_parts(p_message);
begin
  if v_parts is not distinct from p_message.parts then
    return p_message;
  end if;
  return conversation_store.with_parts(p_message, v_parts);
end;
$$;

ALTER FUNCTION conversation_store.live_message(p_message public.conversation_messages) OWNER TO postgres;

--
-- Name: live_parts(public.conversation_messages); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.live_parts(p_message public.conversation_messages) RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
  if p_message.status <> 'in_progress' or not exists (
       select from public.conversation_messages m
       where m.id = p_message.id and (conversation_store.caller_is_service_role() or m.user_id = auth.uid())) then
    return p_message.parts;
  end if;
  return conversation_store.logged_parts(p_message);
end;
$$;

ALTER FUNCTION conversation_store.live_parts(p_message public.conversation_messages) OWNER TO postgres;

--
-- Name: lock_reply_log(uuid); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.lock_reply_log(p_message_id uuid) RETURNS void
    LANGUAGE sql
    SET search_path TO ''
    AS $$
  select pg_advisory_xact_lock(32, hashtext(p_message_id::text))
$$;

ALTER FUNCTION conversation_store.lock_reply_log(p_message_id uuid) OWNER TO postgres;

--
-- Name: log_part_operation(uuid, integer, integer, jsonb, text, integer); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.log_part_operation(p_conversation_id uuid, p_sequence_order integer, p_part_index integer, p_part jsonb, p_append_text text, p_text_offset integer) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  c_max_content_chars constant integer := 100000;
  c_max_parts_bytes constant integer := 524288;
  v_id uuid;
  v_status text;
  v_function_call boolean;
  v_quiet boolean;
  v_last conversation_store.reply_log;
  v_part conversation_store.reply_log;
  v_message public.conversation_messages;
  v_parts jsonb;
  v_part_count integer;
  v_length integer;
  v_delta_chars integer;
  v_entry conversation_store.reply_log;
  v_locked boolean := false;
begin
  perform
  from public.conversations c
  where c.id = p_conversation_id
    and conversation_store.caller_reaches(c);
  if not found then
    raise exception 'conversation not found' using errcode = 'PT404';
  end if;
  select m.id into v_id
  from public.conversation_messages m
  where m.conversation_id = p_conversation_id and m.sequence_order = p_sequence_order;
  if not found then
    raise exception 'message not found' using errcode = 'PT404';
  end if;

  -- Checked first without a lock, so that a replay or a refusal writes nothing at all; what is to be
  -- written is checked again under the log's lock when the log moved in between (a second writer).
  loop
    v_parts := null;
    select m.status, m.function_call is not null, m.updated_at < now() - interval '5 seconds'
      into v_status, v_function_call, v_quiet
    from public.conversation_messages m
    where m.id = v_id;
    if not found then
      raise exception 'message not found' using errcode = 'PT404';
    end if;
    if v_status <> 'in_progress' then
      raise exception 'message % is final (%)', p_sequence_order, v_status
        using errcode = 'PT409', hint = 'message_final';
    end if;
    if v_function_call then
      raise exception 'message % has a function_call, which parts do not describe', p_sequence_order
        using errcode = '22023';
    end if;

    v_last := null;
    v_part := null;
    select * into v_last from conversation_store.reply_log l
    where l.message_id = v_id order by l.position desc limit 1;
    if v_last.part_index is not distinct from p_part_index then
      v_part := v_last;
    else
      select * into v_part from conversation_store.reply_log l
      where l.message_id = v_id and l.part_index = p_part_index order by l.position desc limit 1;
    end if;
    if v_last.message_id is null or p_part is not null or v_part.message_id is null then
      select * into v_message from public.conversation_messages m where m.id = v_id;
      v_parts := coalesce(conversation_store.logged_parts(v_message), conversation_store.message_parts(v_message));
      v_part_count := jsonb_array_length(v_parts);
    else
      v_part_count := v_last.part_count;
    end if;
    if p_part_index not between 0 and v_part_count - (case when p_part is null then 1 else 0 end) then
      raise exception 'part_index % is out of range: the message has % parts', p_part_index, v_part_count
        using errcode = '22023';
    end if;

    if p_part is not null then
      if v_parts -> p_part_index = p_part then
        return; -- a retried part: the reply stays exactly as it was
      end if;
      v_parts := case when p_part_index = v_part_count then v_parts || jsonb_build_array(p_part)
                      else jsonb_set(v_parts, array[p_part_index::text], p_part) end;
      perform conversation_store.check_parts(v_parts, v_message.role, v_message.user_id);
      v_entry := row(v_id, null, p_part_index, null, null, p_part, jsonb_array_length(v_parts),
                     coalesce(char_length(conversation_store.parts_content(v_parts, v_message.role)), 0),
                     octet_length(v_parts::text), p_part ->> 'type', coalesce(char_length(p_part ->> 'text'), 0));
    else
      if v_part.message_id is null then
        -- The part's first delta since the reply began.
        v_part.part_type := v_parts -> p_part_index ->> 'type';
        v_part.text_length := coalesce(char_length(v_parts -> p_part_index ->> 'text'), 0);
      end if;
      if v_last.message_id is null then
        v_last.content_chars := coalesce(char_length(conversation_store.parts_content(v_parts, v_message.role)), 0);
        v_last.parts_bytes := octet_length(v_parts::text);
      end if;
      if v_part.part_type not in ('text', 'reasoning') then
        raise exception 'part % is not a text or reasoning part', p_part_index using errcode = '22023';
      end if;
      v_length := v_part.text_length;
      v_delta_chars := char_length(p_append_text);
      if v_length <> p_text_offset then
        if v_length = p_text_offset + v_delta_chars and v_delta_chars > 0 then
          if v_parts is null and not (v_part.text_offset = p_text_offset and v_part.delta = p_append_text) then
            select * into v_message from public.conversation_messages m where m.id = v_id;
            v_parts := conversation_store.logged_parts(v_message);
          end if;
          if v_parts is null or right(v_parts -> p_part_index ->> 'text', v_delta_chars) = p_append_text then
            return; -- a retried delta: the reply stays exactly as it was, its updated_at included
          end if;
        end if;
        raise exception 'content_offset % does not match the stored text, which is % characters long', p_text_offset, v_length
          using errcode = 'PT409', hint = 'content_offset_mismatch',
                detail = jsonb_build_object('content_length', v_length)::text;
      end if;
      if v_delta_chars = 0 then
        v_quiet := true; -- the heartbeat of a writer with nothing new: only updated_at moves
        v_entry := null;
      else
        if v_part.part_type = 'text' and v_last.content_chars + v_delta_chars > c_max_content_chars then
          raise exception 'the reply would be longer than % characters', c_max_content_chars
            using errcode = '23514', constraint = 'conversation_messages_content_max_size',
                  table = 'conversation_messages', schema = 'public';
        end if;
        -- Text grows its JSON by its escaped form: the JSON string of the delta without its quotes.
        v_last.parts_bytes := v_last.parts_bytes + octet_length(to_jsonb(p_append_text)::text) - 2;
        if v_last.parts_bytes > c_max_parts_bytes then
          raise exception 'the reply''s parts would be larger than % bytes', c_max_parts_bytes
            using errcode = '23514', constraint = 'conversation_messages_parts_max_size',
                  table = 'conversation_messages', schema = 'public';
        end if;
        v_entry := row(v_id, null, p_part_index, p_append_text, p_text_offset, null, v_part_count,
                       v_last.content_chars + case when v_part.part_type = 'text' then v_delta_chars else 0 end,
                       v_last.parts_bytes, v_part.part_type, v_length + v_delta_chars);
      end if;
    end if;

    exit when v_locked;
    if v_quiet then
      -- The writer is alive: the row's touch trigger sets updated_at. Before the log's lock, in the
      -- order every writer of a message takes its locks (the row, then the log).
      update public.conversation_messages m set status = m.status where m.id = v_id and m.status = 'in_progress';
    end if;
    -- No row lock otherwise (one would cost WAL on every delta): the log's lock serializes this with
    -- every other writer of the reply's log.
    perform conversation_store.lock_reply_log(v_id);
    v_locked := true;
    exit when exists (select from public.conversation_messages m where m.id = v_id and m.status = 'in_progress')
      and coalesce((select max(l.position) from conversation_store.reply_log l where l.message_id = v_id), 0)
          = coalesce(v_last.position, 0);
  end loop;

  if v_entry.message_id is not null then
    insert into conversation_store.reply_log (message_id, part_index, delta, text_offset, part, part_count,
                                              content_chars, parts_bytes, part_type, text_length)
    values (v_entry.message_id, v_entry.part_index, v_entry.delta, v_entry.text_offset, v_entry.part,
            v_entry.part_count, v_entry.content_chars, v_entry.parts_bytes, v_entry.part_type, v_entry.text_length);
  end if;
end;
$$;

ALTER FUNCTION conversation_store.log_part_operation(p_conversation_id uuid, p_sequence_order integer, p_part_index integer, p_part jsonb, p_append_text text, p_text_offset integer) OWNER TO postgres;

--
-- Name: logged_parts(public.conversation_messages); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.logged_parts(p_message public.conversation_messages) RETURNS jsonb
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
  with log as (
    select l.position, l.part_index, l.delta, l.part
    from conversation_store.reply_log l
    where l.message_id = p_message.id
  ),
  last_set as (
    select l.part_index, max(l.position) as position from log l where l.part is not null group by l.part_index
  ),
  changed as (
    select l.part_index,
           (select s.part from log s where s.part_index = l.part_index and s.position = ls.position) as part,
           string_agg(l.delta, '' order by l.position)
             filter (where l.delta is not null and l.position > coalesce(ls.position, 0)) as text
    from log l left join last_set ls on ls.part_index = l.part_index
    group by l.part_index, ls.position
  ),
  base as (
    select b.value, (b.position - 1)::integer as part_index
    from jsonb_array_elements(conversation_store.message_parts(p_message)) with ordinality as b(value, position)
  )
  select case when not exists (select from log) then p_message.parts else (
    select coalesce(jsonb_agg(
             case when c.text is null then coalesce(c.part, b.value)
                  else jsonb_set(coalesce(c.part, b.value), '{text}',
                                 to_jsonb(coalesce(coalesce(c.part, b.value) ->> 'text', '') || c.text)) end
             order by part_index), '[]'::jsonb)
    from base b full join changed c using (part_index)
  ) end
$$;

ALTER FUNCTION conversation_store.logged_parts(p_message public.conversation_messages) OWNER TO postgres;

--
-- Name: message_json(public.conversation_messages); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.message_json(p_message public.conversation_messages) RETURNS json
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
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

ALTER FUNCTION conversation_store.message_json(p_message public.conversation_messages) OWNER TO postgres;

--
-- Name: message_parts(public.conversation_messages); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.message_parts(p_message public.conversation_messages) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
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

ALTER FUNCTION conversation_store.message_parts(p_message public.conversation_messages) OWNER TO postgres;

--
-- Name: openai_message(public.conversation_messages); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.openai_message(p_message public.conversation_messages) RETURNS json
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
  select json_strip_nulls(json_build_object(
    'role', p_message.role, 'content', p_message.content, 'name', p_message.name,
    'function_call', p_message.function_call, 'tool_calls', p_message.tool_calls,
    'tool_call_id', p_message.tool_call_id
  ))
$$;

ALTER FUNCTION conversation_store.openai_message(p_message public.conversation_messages) OWNER TO postgres;

--
-- Name: openai_messages(public.conversation_messages); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.openai_messages(p_message public.conversation_messages) RETURNS json
    LANGUAGE plpgsql STABLE
    SET search_path TO ''
    AS $$
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

ALTER FUNCTION conversation_store.openai_messages(p_message public.conversation_messages) OWNER TO postgres;

--
-- Name: page_max_bytes(); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.page_max_bytes() RETURNS integer
    LANGUAGE sql IMMUTABLE
    SET search_path TO ''
    AS $$
  select 4194304
$$;

ALTER FUNCTION conversation_store.page_max_bytes() OWNER TO postgres;

--
-- Name: part_problem(jsonb); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.part_problem(p_part jsonb) RETURNS text
    LANGUAGE sql IMMUTABLE
    SET search_path TO ''
    AS $_$
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
$_$;

ALTER FUNCTION conversation_store.part_problem(p_part jsonb) OWNER TO postgres;

--
-- Name: part_search_text(jsonb); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.part_search_text(p_parts jsonb) RETURNS text
    LANGUAGE sql IMMUTABLE
    SET search_path TO ''
    AS $$
  select string_agg(case part.value ->> 'type' when 'reasoning' then part.value ->> 'text'
                                               else part.value ->> 'filename' end,
                    E'\n' order by part.position)
  from jsonb_array_elements(p_parts) with ordinality as part(value, position)
  where part.value ->> 'type' = 'reasoning' or part.value ->> 'type' = 'file' and part.value ? 'filename'
$$;

ALTER FUNCTION conversation_store.part_search_text(p_parts jsonb) OWNER TO postgres;

--
-- Name: part_search_words(jsonb); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.part_search_words(p_parts jsonb) RETURNS tsvector
    LANGUAGE sql IMMUTABLE COST 1000
    SET search_path TO ''
    AS $$
  select to_tsvector('english'::regconfig, string_agg(case part.value ->> 'type' when 'reasoning' then part.value ->> 'text'
           else (part.value ->> 'filename') || E'\n' || translate(part.value ->> 'filename', '._-', '   ') end,
         E'\n' order by part.position))
  from jsonb_array_elements(p_parts) with ordinality as part(value, position)
  where part.value ->> 'type' = 'reasoning' or part.value ->> 'type' = 'file' and part.value ? 'filename'
$$;

ALTER FUNCTION conversation_store.part_search_words(p_parts jsonb) OWNER TO postgres;

--
-- Name: parts_content(jsonb, text); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.parts_content(p_parts jsonb, p_role text) RETURNS text
    LANGUAGE sql IMMUTABLE
    SET search_path TO ''
    AS $$
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

ALTER FUNCTION conversation_store.parts_content(p_parts jsonb, p_role text) OWNER TO postgres;

--
-- Name: parts_tool_calls(jsonb); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.parts_tool_calls(p_parts jsonb) RETURNS jsonb
    LANGUAGE sql IMMUTABLE
    SET search_path TO ''
    AS $$
  select jsonb_agg(jsonb_build_object(
           'id', part.value ->> 'tool_call_id', 'type', 'function',
           'function', jsonb_build_object('name', part.value ->> 'tool_name',
                                          'arguments', coalesce((part.value -> 'input')::text, '{}'))
         ) order by part.position)
  from jsonb_array_elements(p_parts) with ordinality as part(value, position)
  where part.value ->> 'type' = 'tool-call' and part.value -> 'provider_executed' is distinct from 'true'::jsonb
$$;

ALTER FUNCTION conversation_store.parts_tool_calls(p_parts jsonb) OWNER TO postgres;

--
-- Name: reclaim_conversation(uuid, integer); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.reclaim_conversation(p_conversation_id uuid, p_max_messages integer, OUT reclaimed_messages integer, OUT finished boolean) RETURNS record
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
declare
  v_highest integer;
  v_objects jsonb;
begin
  select coalesce(max(m.sequence_order), 0) into v_highest
  from public.conversation_messages m
  where m.conversation_id = p_conversation_id;

  with deleted as (
    delete from public.conversation_messages m
    where m.conversation_id = p_conversation_id and m.sequence_order > v_highest - p_max_messages
    returning m.user_id, m.parts
  ),
  counted as (
    select count(*)::integer as messages from deleted
  ),
  referenced as (
    select distinct d.user_id, file.bucket, file.path
    from deleted d
    cross join lateral conversation_store.storage_objects(d.parts) as file
  ),
  queued as (
    insert into conversation_store.storage_objects_to_remove (bucket, path, user_id)
    select r.bucket, r.path, r.user_id from referenced r
    on conflict (bucket, path) do nothing
  )
  select counted.messages,
         (select jsonb_agg(jsonb_build_object('bucket', r.bucket, 'path', r.path)) from referenced r)
  into reclaimed_messages, v_objects
  from counted;

  if v_objects is not null then
    perform set_config('conversation_store.removed_storage_objects', (
      select jsonb_agg(distinct o.value)::text
      from jsonb_array_elements(
        coalesce(nullif(current_setting('conversation_store.removed_storage_objects', true), '')::jsonb, '[]'::jsonb)
        || v_objects) as o(value)
    ), true);
  end if;

  finished := v_highest <= p_max_messages;
  if finished then
    delete from public.conversations c where c.id = p_conversation_id;
  else
    update public.conversations c set deleted_at = now()
    where c.id = p_conversation_id and c.deleted_at is null;
  end if;
end;
$$;

ALTER FUNCTION conversation_store.reclaim_conversation(p_conversation_id uuid, p_max_messages integer, OUT reclaimed_messages integer, OUT finished boolean) OWNER TO postgres;

--
-- Name: reply_log_after(uuid, bigint); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.reply_log_after(p_message_id uuid, p_after bigint) RETURNS TABLE(log_position bigint, part_index integer, delta text, part jsonb)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
  select l.position, l.part_index, l.delta, l.part
  from conversation_store.reply_log l
  where l.message_id = p_message_id and l.position > p_after
    and exists (select from public.conversation_messages m
                where m.id = p_message_id
                  and (conversation_store.caller_is_service_role() or m.user_id = auth.uid()))
  order by l.position
$$;

ALTER FUNCTION conversation_store.reply_log_after(p_message_id uuid, p_after bigint) OWNER TO postgres;

--
-- Name: reply_log_position(uuid); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.reply_log_position(p_message_id uuid) RETURNS bigint
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
  select coalesce(max(l.position), 0)
  from conversation_store.reply_log l
  where l.message_id = p_message_id
    and exists (select from public.conversation_messages m
                where m.id = p_message_id
                  and (conversation_store.caller_is_service_role() or m.user_id = auth.uid()))
$$;

ALTER FUNCTION conversation_store.reply_log_position(p_message_id uuid) OWNER TO postgres;

--
-- Name: result_is_error(jsonb); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.result_is_error(p_result jsonb) RETURNS boolean
    LANGUAGE sql IMMUTABLE
    SET search_path TO ''
    AS $$
  select p_result ? 'error_text' and coalesce(p_result -> 'output', 'null'::jsonb) = 'null'::jsonb
$$;

ALTER FUNCTION conversation_store.result_is_error(p_result jsonb) OWNER TO postgres;

--
-- Name: search_words(text); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.search_words(p_content text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE COST 1000
    SET search_path TO ''
    AS $$
  select to_tsvector('english'::regconfig, p_content)
$$;

ALTER FUNCTION conversation_store.search_words(p_content text) OWNER TO postgres;

--
-- Name: set_exact_token_count(uuid, integer, integer); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.set_exact_token_count(p_message_id uuid, p_token_count integer, p_reasoning_token_count integer DEFAULT NULL::integer) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
  if not conversation_store.writer_counts_tokens() then
    return false;
  end if;
  update public.conversation_messages m
  set token_count = p_token_count,
      reasoning_token_count = coalesce(p_reasoning_token_count, m.reasoning_token_count)
  where m.id = p_message_id and m.status <> 'in_progress'
    and (m.token_count, m.reasoning_token_count)
        is distinct from (p_token_count, coalesce(p_reasoning_token_count, m.reasoning_token_count))
    and (conversation_store.caller_is_service_role() or m.user_id = auth.uid());
  return found;
end;
$$;

ALTER FUNCTION conversation_store.set_exact_token_count(p_message_id uuid, p_token_count integer, p_reasoning_token_count integer) OWNER TO postgres;

--
-- Name: set_expires_at(); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.set_expires_at() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
begin
  new.expires_at := coalesce(new.deleted_at, new.updated_at + new.retention_seconds * interval '1 second');
  return new;
end;
$$;

ALTER FUNCTION conversation_store.set_expires_at() OWNER TO postgres;

--
-- Name: stale_reply_after(); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.stale_reply_after() RETURNS interval
    LANGUAGE sql IMMUTABLE
    SET search_path TO ''
    AS $$
  select interval '60 seconds'
$$;

ALTER FUNCTION conversation_store.stale_reply_after() OWNER TO postgres;

--
-- Name: storage_objects(jsonb); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.storage_objects(p_parts jsonb) RETURNS TABLE(bucket text, path text)
    LANGUAGE sql IMMUTABLE
    SET search_path TO ''
    AS $$
  select distinct part.value -> 'storage' ->> 'bucket', part.value -> 'storage' ->> 'path'
  from jsonb_array_elements(p_parts) as part(value)
  where part.value ->> 'type' = 'file' and part.value ? 'storage'
$$;

ALTER FUNCTION conversation_store.storage_objects(p_parts jsonb) OWNER TO postgres;

--
-- Name: take_reply_log(public.conversation_messages); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.take_reply_log(p_message public.conversation_messages) RETURNS public.conversation_messages
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_parts jsonb;
begin
  perform conversation_store.lock_reply_log(p_message.id);
  if not exists (select from conversation_store.reply_log l where l.message_id = p_message.id) then
    return p_message;
  end if;
  v_parts := conversation_store.logged_parts(p_message);
  delete from conversation_store.reply_log l where l.message_id = p_message.id;
  return conversation_store.with_parts(p_message, v_parts);
end;
$$;

ALTER FUNCTION conversation_store.take_reply_log(p_message public.conversation_messages) OWNER TO postgres;

--
-- Name: tool_output_text(jsonb); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.tool_output_text(p_part jsonb) RETURNS text
    LANGUAGE sql IMMUTABLE
    SET search_path TO ''
    AS $$
  select case p_part ->> 'state'
    when 'output-available' then case when jsonb_typeof(p_part -> 'output') = 'string' then p_part ->> 'output'
                                      else coalesce((p_part -> 'output')::text, 'null') end
    when 'output-error' then coalesce(p_part ->> 'error_text', '')
    else coalesce(p_part -> 'approval' ->> 'reason', 'denied')
  end
$$;

ALTER FUNCTION conversation_store.tool_output_text(p_part jsonb) OWNER TO postgres;

--
-- Name: ui_message(public.conversation_messages, jsonb, boolean); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.ui_message(p_message public.conversation_messages, p_results jsonb, p_include_reasoning boolean) RETURNS json
    LANGUAGE plpgsql STABLE
    SET search_path TO ''
    AS $$
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

ALTER FUNCTION conversation_store.ui_message(p_message public.conversation_messages, p_results jsonb, p_include_reasoning boolean) OWNER TO postgres;

--
-- Name: ui_messages(public.conversation_messages[], boolean); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.ui_messages(p_messages public.conversation_messages[], p_include_reasoning boolean) RETURNS TABLE(sequence_order integer, message json, folded_into integer)
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
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

ALTER FUNCTION conversation_store.ui_messages(p_messages public.conversation_messages[], p_include_reasoning boolean) OWNER TO postgres;

--
-- Name: ui_part(jsonb); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.ui_part(p_part jsonb) RETURNS jsonb
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO ''
    AS $$
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

ALTER FUNCTION conversation_store.ui_part(p_part jsonb) OWNER TO postgres;

--
-- Name: with_derived_columns(public.conversation_messages); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.with_derived_columns(p_message public.conversation_messages) RETURNS public.conversation_messages
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO ''
    AS $$
begin
  if p_message.parts is not null then
    p_message.content := conversation_store.parts_content(p_message.parts, p_message.role);
    p_message.tool_calls := conversation_store.parts_tool_calls(p_message.parts);
    if p_message.role = 'tool' then
      p_message.tool_call_id := p_message.parts -> 0 ->> 'tool_call_id';
    end if;
  end if;
  return p_message;
end;
$$;

ALTER FUNCTION conversation_store.with_derived_columns(p_message public.conversation_messages) OWNER TO postgres;

--
-- Name: with_parts(public.conversation_messages, jsonb); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.with_parts(p_message public.conversation_messages, p_parts jsonb) RETURNS public.conversation_messages
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO ''
    AS $$
begin
  p_message.parts := p_parts;
  p_message.content := conversation_store.parts_content(p_parts, p_message.role);
  p_message.tool_calls := conversation_store.parts_tool_calls(p_parts);
  p_message.token_count := conversation_store.estimate_tokens(
      p_message.content, p_message.name, p_message.function_call, p_message.tool_calls, p_message.tool_call_id)
    + conversation_store.estimate_part_tokens(p_parts);
  p_message.reasoning_token_count := conversation_store.estimate_reasoning_tokens(p_parts);
  return p_message;
end;
$$;

ALTER FUNCTION conversation_store.with_parts(p_message public.conversation_messages, p_parts jsonb) OWNER TO postgres;

--
-- Name: without_reasoning(public.conversation_messages); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.without_reasoning(p_message public.conversation_messages) RETURNS public.conversation_messages
    LANGUAGE sql IMMUTABLE
    SET search_path TO ''
    AS $$
  select case when p_message.parts is null then p_message
    else jsonb_populate_record(p_message, jsonb_build_object('parts', (
      select coalesce(jsonb_agg(part.value order by part.position), '[]'::jsonb)
      from jsonb_array_elements(p_message.parts) with ordinality as part(value, position)
      where part.value ->> 'type' <> 'reasoning')))
  end
$$;

ALTER FUNCTION conversation_store.without_reasoning(p_message public.conversation_messages) OWNER TO postgres;

--
-- Name: writer_counts_tokens(); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.writer_counts_tokens() RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
  select session_user = pg_catalog.pg_get_userbyid(c.relowner)
  from pg_catalog.pg_class c
  where c.oid = 'public.conversation_messages'::regclass
$$;

ALTER FUNCTION conversation_store.writer_counts_tokens() OWNER TO postgres;

--
-- Name: append_messages(uuid, jsonb, integer); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.append_messages(p_conversation_id uuid, p_messages jsonb, p_expected_last_sequence integer DEFAULT NULL::integer) RETURNS SETOF public.conversation_messages
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_counts_tokens boolean := conversation_store.writer_counts_tokens();
  v_problem text;
  v_incoming public.conversation_messages[];
  v_owner uuid;
  v_last integer;
  v_replayed integer;
  v_mismatched text;
  v_appended integer;
  v_reply_in_progress integer;
begin
  perform conversation_store.acting_user(null); -- 42501 unless a user or the service role calls

  if jsonb_typeof(p_messages) is distinct from 'array' then
    raise exception 'p_messages must be a JSON array' using errcode = '22023';
  end if;
  if jsonb_array_length(p_messages) not between 1 and 100 then
    raise exception 'p_messages must hold 1 to 100 messages, not %', jsonb_array_length(p_messages)
      using errcode = '22023';
  end if;

  -- Check JSON types before reading the messages as rows, which would quietly turn 42 into '42'.
  select format('message %s %s', m.position, checked.problem) into v_problem
  from jsonb_array_elements(p_messages) with ordinality as m(message, position)
  cross join lateral (
    select case
      when jsonb_typeof(m.message) <> 'object' then 'is not an object'
      when exists (
        select from jsonb_object_keys(m.message) as k(key)
        where k.key not in ('role', 'content', 'name', 'function_call', 'tool_calls', 'tool_call_id',
                            'client_message_id', 'status', 'token_count', 'parts', 'metadata',
                            'reasoning_token_count')
      ) then 'has an unknown field'
      when jsonb_typeof(m.message -> 'role') is distinct from 'string' then 'needs a role string'
      when coalesce(jsonb_typeof(m.message -> 'content'), 'null') not in ('string', 'null') then 'has a content that is not a string'
      when coalesce(jsonb_typeof(m.message -> 'name'), 'null') not in ('string', 'null') then 'has a name that is not a string'
      when coalesce(jsonb_typeof(m.message -> 'function_call'), 'null') not in ('object', 'null') then 'has a function_call that is not an object'
      when coalesce(jsonb_typeof(m.message -> 'tool_calls'), 'null') not in ('array', 'null') then 'has tool_calls that are not an array'
      when coalesce(jsonb_typeof(m.message -> 'tool_call_id'), 'null') not in ('string', 'null') then 'has a tool_call_id that is not a string'
      when coalesce(jsonb_typeof(m.message -> 'client_message_id'), 'null') not in ('string', 'null') then 'has a client_message_id that is not a string'
      when coalesce(jsonb_typeof(m.message -> 'status'), 'null') not in ('string', 'null') then 'has a status that is not a string'
      when m.message ? 'token_count' and not v_counts_tokens then 'has a token_count, which only the store sets'
      when coalesce(jsonb_typeof(m.message -> 'token_count'), 'number') <> 'number' then 'has a token_count that is not a number'
      when m.message ? 'reasoning_token_count' and not v_counts_tokens
        then 'has a reasoning_token_count, which only the store sets'
      when coalesce(jsonb_typeof(m.message -> 'reasoning_token_count'), 'number') <> 'number'
        then 'has a reasoning_token_count that is not a number'
      when coalesce(jsonb_typeof(m.message -> 'parts'), 'null') not in ('array', 'null') then 'has parts that are not an array'
      when coalesce(jsonb_typeof(m.message -> 'metadata'), 'null') not in ('object', 'null') then 'has a metadata that is not an object'
      -- One source of truth per row: the old columns of a message with parts are derived from them.
      when coalesce(jsonb_typeof(m.message -> 'parts'), 'null') <> 'null'
           and exists (select from unnest(array['content', 'function_call', 'tool_calls', 'tool_call_id']) as k(key)
                       where coalesce(jsonb_typeof(m.message -> k.key), 'null') <> 'null')
        then 'has parts and content, function_call, tool_calls or tool_call_id: send one or the other'
      when m.message ->> 'status' = 'in_progress' and m.position < jsonb_array_length(p_messages)
        then 'is in_progress but not the last message of the batch'
    end as problem
  ) as checked
  where checked.problem is not null
  order by m.position
  limit 1;
  if v_problem is not null then
    raise exception '%', v_problem using errcode = '22023';
  end if;

  -- Read as table rows: a JSON null becomes SQL NULL, also for the jsonb columns.
  select array_agg(conversation_store.with_derived_columns(
           jsonb_populate_record(null::public.conversation_messages, m.message)) order by m.position)
  into v_incoming
  from jsonb_array_elements(p_messages) with ordinality as m(message, position);

  if (select count(distinct i.client_message_id) <> count(i.client_message_id) from unnest(v_incoming) as i) then
    raise exception 'a client_message_id appears twice in one batch' using errcode = '22023';
  end if;

  -- Lock the counter first: appends to this conversation queue here, so what follows sees a stable
  -- last_sequence, a stable set of stored client_message_ids and a stable reply in progress.
  select c.user_id, c.last_sequence into v_owner, v_last
  from public.conversations c
  where c.id = p_conversation_id and conversation_store.caller_reaches(c)
  for no key update;
  if not found then
    raise exception 'conversation not found' using errcode = 'PT404';
  end if;

  perform conversation_store.check_parts(i.parts, i.role, v_owner)
  from unnest(v_incoming) as i
  where i.parts is not null;

  select count(*), min(i.client_message_id) filter (
           where (s.role, s.name, s.tool_call_id) is distinct from (i.role, i.name, i.tool_call_id)
              or (i.status is distinct from 'in_progress'
                  and (s.content, s.function_call, s.tool_calls, s.status, s.parts, s.metadata)
                      is distinct from (i.content, i.function_call, i.tool_calls, coalesce(i.status, 'completed'),
                                        i.parts, i.metadata))
         )
  into v_replayed, v_mismatched
  from unnest(v_incoming) as i
  join public.conversation_messages s
    on s.conversation_id = p_conversation_id and s.client_message_id = i.client_message_id;
  if v_mismatched is not null then
    raise exception 'client_message_id % is already stored with a different message', v_mismatched
      using errcode = 'PT422';
  end if;

  v_appended := cardinality(v_incoming) - v_replayed;
  perform set_config('conversation_store.appended_count', v_appended::text, true);

  if v_appended > 0 then
    -- A reply whose writer went quiet is final from now on, with what it had written.
    update public.conversation_messages m
    set status = 'incomplete',
        content = case when m.function_call is null and m.tool_calls is null and m.parts is null
                       then coalesce(m.content, '') else m.content end
    where m.conversation_id = p_conversation_id and m.status = 'in_progress'
      and m.updated_at < now() - conversation_store.stale_reply_after();
    select m.sequence_order into v_reply_in_progress
    from public.conversation_messages m
    where m.conversation_id = p_conversation_id and m.status = 'in_progress';
    if found then
      raise exception 'message % is a reply still in progress', v_reply_in_progress
        using errcode = 'PT409', hint = 'reply_in_progress',
              detail = jsonb_build_object('sequence_order', v_reply_in_progress)::text;
    end if;

    if p_expected_last_sequence <> v_last then
      raise exception 'expected last sequence %, but it is %', p_expected_last_sequence, v_last
        using errcode = 'PT409', hint = 'sequence_conflict',
              detail = jsonb_build_object('last_sequence', v_last)::text;
    end if;

    update public.conversations c
    set last_sequence = v_last + v_appended
    where c.id = p_conversation_id;
  end if;

  return query
  with appended as (
    insert into public.conversation_messages
      (conversation_id, user_id, sequence_order, role, content, name, function_call, tool_calls,
       tool_call_id, client_message_id, status, token_count, parts, metadata, reasoning_token_count)
    select p_conversation_id, v_owner, v_last + row_number() over (order by i.ordinality),
           i.role, i.content, i.name, i.function_call, i.tool_calls, i.tool_call_id, i.client_message_id,
           coalesce(i.status, 'completed'),
           coalesce(i.token_count,
                    conversation_store.estimate_tokens(i.content, i.name, i.function_call, i.tool_calls, i.tool_call_id)
                    + conversation_store.estimate_part_tokens(i.parts)),
           i.parts, i.metadata,
           coalesce(i.reasoning_token_count, conversation_store.estimate_reasoning_tokens(i.parts))
    from unnest(v_incoming) with ordinality as i
    where not exists (
      select from public.conversation_messages s
      where s.conversation_id = p_conversation_id and s.client_message_id = i.client_message_id
    )
    returning *
  )
  select * from appended
  union all
  select s.*
  from public.conversation_messages s
  join unnest(v_incoming) as i on s.client_message_id = i.client_message_id
  where s.conversation_id = p_conversation_id
  order by sequence_order;
end;
$$;

ALTER FUNCTION public.append_messages(p_conversation_id uuid, p_messages jsonb, p_expected_last_sequence integer) OWNER TO postgres;

--
-- Name: delete_all_conversations(uuid); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.delete_all_conversations(p_user_id uuid DEFAULT NULL::uuid, OUT deleted_conversations integer, OUT deleted_messages bigint, OUT done boolean) RETURNS record
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_owner uuid;
  v_budget integer := 50000;
  v_conversation uuid;
  v_reclaimed record;
begin
  v_owner := conversation_store.acting_user(p_user_id);
  if v_owner is null then
    raise exception 'service_role must name the user in p_user_id' using errcode = '22023';
  end if;

  with marked as (
    update public.conversations c set deleted_at = now()
    where c.id in (
      select t.id from public.conversations t
      where t.user_id = v_owner and t.deleted_at is null
      order by t.id
      limit 10000
      for update
    )
    returning c.last_sequence
  )
  select count(*), coalesce(sum(marked.last_sequence), 0) into deleted_conversations, deleted_messages
  from marked;

  -- All locked before any is reclaimed (the sort reads the whole query first): deleting one sets
  -- its forks to null, and a row changed that way after a locking query started would be skipped.
  for v_conversation in
    select locked.id from (
      select c.id from public.conversations c
      where c.user_id = v_owner and c.deleted_at is not null
      for update skip locked
    ) as locked
    order by locked.id
  loop
    exit when v_budget = 0;
    select * into v_reclaimed from conversation_store.reclaim_conversation(v_conversation, v_budget);
    v_budget := v_budget - v_reclaimed.reclaimed_messages;
  end loop;

  done := not exists (select from public.conversations c where c.user_id = v_owner);
end;
$$;

ALTER FUNCTION public.delete_all_conversations(p_user_id uuid, OUT deleted_conversations integer, OUT deleted_messages bigint, OUT done boolean) OWNER TO postgres;

--
-- Name: delete_conversation(uuid); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.delete_conversation(p_conversation_id uuid) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_last integer;
begin
  select c.last_sequence into v_last
  from public.conversations c
  where c.id = p_conversation_id
    and conversation_store.caller_reaches(c)
  for update;
  if not found then
    raise exception 'conversation not found' using errcode = 'PT404';
  end if;

  update public.conversations c set deleted_at = now() where c.id = p_conversation_id;
  perform conversation_store.reclaim_conversation(p_conversation_id, 10000);
  return v_last;
end;
$$;

ALTER FUNCTION public.delete_conversation(p_conversation_id uuid) OWNER TO postgres;

--
-- Name: fork_conversation(uuid, integer, uuid, jsonb); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.fork_conversation(p_conversation_id uuid, p_through_sequence integer, p_id uuid DEFAULT NULL::uuid, p_metadata jsonb DEFAULT NULL::jsonb) RETURNS public.conversations
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
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
    public.jsonb_merge_patch(v_source.metadata, coalesce(p_metadata, '{}'::jsonb)),
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

ALTER FUNCTION public.fork_conversation(p_conversation_id uuid, p_through_sequence integer, p_id uuid, p_metadata jsonb) OWNER TO postgres;

--
-- Name: get_context(uuid, integer, integer, text, boolean); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.get_context(p_conversation_id uuid, p_max_tokens integer, p_max_messages integer DEFAULT 1000, p_format text DEFAULT 'openai'::text, p_include_reasoning boolean DEFAULT false) RETURNS json
    LANGUAGE plpgsql STABLE
    SET search_path TO ''
    SET jit TO 'off'
    AS $$
declare
  c_chunk constant integer := 256;
  v_max_bytes constant integer := conversation_store.page_max_bytes();
  v_openai boolean := p_format = 'openai';
  v_reasoning boolean := coalesce(p_include_reasoning, false);
  v_conversation public.conversations;
  v_row public.conversation_messages;
  v_json json;
  v_messages_of_row json[];
  v_first_other integer;
  v_floor integer;
  -- Pinned prompt and summary: always sent, in this order.
  v_fixed json[] := '{}';
  v_fixed_tokens bigint := 0;
  v_fixed_bytes bigint := 0;
  v_summary json;
  -- The window, newest message first while the tail is walked backwards.
  v_window json[] := '{}';
  v_window_roles text[] := '{}';
  v_window_sequences integer[] := '{}';
  v_window_tokens integer[] := '{}';
  v_tokens bigint := 0;
  v_bytes bigint := 0;
  -- The unit being assembled: results seen (newest first) before the call they answer.
  v_pending public.conversation_messages[] := '{}';
  v_pending_ids text[] := '{}';
  v_pending_role text;
  v_unit_rows public.conversation_messages[];
  v_unit json[];
  v_unit_tokens bigint;
  v_unit_bytes bigint;
  v_member public.conversation_messages;
  v_message json;
  v_call_ids text[];
  v_high integer;
  v_low integer;
  v_oldest_user integer;
  v_messages json;
  v_token_count bigint;
  v_first_sequence integer;
  v_has_earlier boolean;
  v_reply_in_progress boolean := false;
begin
  if p_max_tokens is null or p_max_tokens not between 1 and 2000000 then
    raise exception 'p_max_tokens must be between 1 and 2000000' using errcode = '22023';
  end if;
  if p_max_messages is null or p_max_messages not between 1 and 1000 then
    raise exception 'p_max_messages must be between 1 and 1000' using errcode = '22023';
  end if;
  if p_format is null or p_format not in ('openai', 'rows', 'ui') then
    raise exception 'p_format must be openai, rows or ui' using errcode = '22023';
  end if;
  if v_openai and v_reasoning then
    raise exception 'reasoning is never in the openai format: ask for rows or ui' using errcode = '22023';
  end if;

  select * into v_conversation
  from public.conversations c
  where c.id = p_conversation_id and (c.expires_at is null or c.expires_at > now());
  if not found then
    raise exception 'conversation not found' using errcode = 'PT404';
  end if;

  -- 1. The pinned prompt: from message 1 on, a bounded range at a time, up to the first message
  --    that is not a system message. Reading stops past the byte budget (then it is refused
  --    below), so an endless run of system messages costs no more than a page.
  v_low := 1;
  <<pinned>>
  while v_first_other is null and v_low <= v_conversation.last_sequence loop
    for v_row in
      select * from public.conversation_messages m
      where m.conversation_id = p_conversation_id and m.sequence_order between v_low and v_low + c_chunk - 1
      order by m.sequence_order
    loop
      if v_row.role <> 'system' then
        v_first_other := v_row.sequence_order;
        exit pinned;
      end if;
      v_messages_of_row := conversation_store.context_messages(array[v_row], p_format, v_reasoning);
      v_fixed := v_fixed || v_messages_of_row;
      v_fixed_tokens := v_fixed_tokens + v_row.token_count + case when v_reasoning then v_row.reasoning_token_count else 0 end;
      foreach v_message in array v_messages_of_row loop
        v_fixed_bytes := v_fixed_bytes + octet_length(v_message::text);
      end loop;
      exit pinned when v_fixed_bytes > v_max_bytes;
    end loop;
    v_low := v_low + c_chunk;
  end loop;
  v_first_other := coalesce(v_first_other, v_conversation.last_sequence + 1);

  -- 2. The summary.
  v_floor := greatest(v_first_other - 1, coalesce(v_conversation.summary_through_sequence, 0));
  if v_conversation.summary is not null then
    v_json := case p_format
      when 'openai' then json_build_object('role', 'system', 'content', v_conversation.summary)
      when 'ui' then json_build_object('id', 'summary', 'role', 'system',
                                       'parts', json_build_array(json_build_object('type', 'text', 'text', v_conversation.summary)))
      else json_build_object('content', v_conversation.summary,
                             'through_sequence', v_conversation.summary_through_sequence,
                             'token_count', v_conversation.summary_token_count) end;
    if p_format = 'rows' then
      v_summary := v_json;
    else
      v_fixed := array_append(v_fixed, v_json);
    end if;
    v_fixed_tokens := v_fixed_tokens + v_conversation.summary_token_count;
    v_fixed_bytes := v_fixed_bytes + octet_length(v_json::text);
  end if;

  if v_fixed_tokens > p_max_tokens or v_fixed_bytes > v_max_bytes then
    raise exception 'the pinned system prompt and the summary take % tokens, more than the budget of %',
      v_fixed_tokens, p_max_tokens
      using errcode = 'PT422', hint = 'context_budget_exceeded',
            detail = jsonb_build_object('required_tokens', v_fixed_tokens, 'max_bytes', v_max_bytes)::text;
  end if;

  -- 3, 4 and 6. The newest candidates that fit, walking back a bounded range at a time.
  v_high := v_conversation.last_sequence;
  <<walk>>
  while v_high > v_floor loop
    v_low := greatest(v_floor + 1, v_high - c_chunk + 1);
    for v_row in
      select * from public.conversation_messages m
      where m.conversation_id = p_conversation_id and m.sequence_order between v_low and v_high
      order by m.sequence_order desc
    loop
      v_unit_rows := null;

      if v_row.status = 'in_progress' then
        v_reply_in_progress := true;
        continue;
      end if;
      -- A query only for rows with parts: the rest pay nothing for this rule.
      if v_row.parts is not null then
        continue when not exists (
          select from jsonb_array_elements(v_row.parts) as part(value)
          where part.value ->> 'type' in ('text', 'file', 'tool-call', 'tool-result')
             or v_reasoning and part.value ->> 'type' = 'reasoning'
        ); -- nothing a model reads
      end if;
      if v_row.role = 'tool' then
        if v_pending_role is distinct from 'tool' then
          v_pending := '{}'; v_pending_ids := '{}';
        end if;
        v_pending_role := 'tool';
        v_pending := array_append(v_pending, v_row);
        v_pending_ids := array_append(v_pending_ids, v_row.tool_call_id);
        continue;
      elsif v_row.role = 'function' then
        -- Only the function message right after the call answers it; a newer one is an orphan.
        v_pending_role := 'function';
        v_pending := array[v_row];
        continue;
      elsif v_row.role = 'assistant' and v_row.tool_calls is not null then
        -- The calls its own parts do not answer are the ones tool messages must answer.
        select array_agg(call.value ->> 'id' order by call.value ->> 'id') into v_call_ids
        from jsonb_array_elements(case when jsonb_typeof(v_row.tool_calls) = 'array' then v_row.tool_calls end)
          as call(value)
        where not call.value ->> 'id' = any (conversation_store.answered_call_ids(v_row));
        if v_call_ids is null and v_row.parts is not null then
          v_unit_rows := array[v_row]; -- answered in its own parts; any tool rows after it are orphans
        elsif v_pending_role = 'tool'
          and v_call_ids = (select array_agg(id order by id) from unnest(v_pending_ids) as id) then
          v_unit_rows := v_row || (select array_agg(p order by p.sequence_order) from unnest(v_pending) as p);
        end if;
      elsif v_row.role = 'assistant' and v_row.function_call is not null then
        if v_pending_role = 'function' then
          v_unit_rows := v_row || v_pending;
        end if;
      else
        v_unit_rows := array[v_row];
      end if;
      -- Whatever was pending belonged to this message or to nothing: either way it is settled.
      v_pending_role := null;
      v_pending := '{}'; v_pending_ids := '{}';

      continue when v_unit_rows is null;
      v_unit := conversation_store.context_messages(v_unit_rows, p_format, v_reasoning);
      -- Summed in loops, not queries: a unit is a few elements, a query per unit costs more.
      v_unit_tokens := 0;
      foreach v_member in array v_unit_rows loop
        v_unit_tokens := v_unit_tokens + v_member.token_count
                         + case when v_reasoning then v_member.reasoning_token_count else 0 end;
      end loop;
      v_unit_bytes := 0;
      foreach v_message in array v_unit loop
        v_unit_bytes := v_unit_bytes + octet_length(v_message::text);
      end loop;
      exit walk when v_fixed_tokens + v_tokens + v_unit_tokens > p_max_tokens
        or cardinality(v_window) + cardinality(v_unit) > p_max_messages
        or v_fixed_bytes + v_bytes + v_unit_bytes > v_max_bytes;
      -- Newest first, one element at a time: plpgsql appends to an array in place, where || would
      -- copy it whole. The unit's oldest message (its first row) carries its tokens, sequence and role.
      for i in reverse cardinality(v_unit) .. 1 loop
        v_window := array_append(v_window, v_unit[i]);
        v_window_sequences := array_append(v_window_sequences, v_row.sequence_order);
        v_window_tokens := array_append(v_window_tokens, case when i = 1 then v_unit_tokens end::integer);
        v_window_roles := array_append(v_window_roles, case when i = 1 then v_row.role end);
      end loop;
      v_tokens := v_tokens + v_unit_tokens;
      v_bytes := v_bytes + v_unit_bytes;
    end loop;
    v_high := v_low - 1;
  end loop;

  -- 5. Start on a user turn: keep the window up to its oldest user message.
  select max(position) into v_oldest_user
  from unnest(v_window_roles) with ordinality as r(role, position)
  where r.role = 'user';
  if v_oldest_user is not null then
    v_window := v_window[1:v_oldest_user];
    v_window_sequences := v_window_sequences[1:v_oldest_user];
    v_window_tokens := v_window_tokens[1:v_oldest_user];
  end if;

  v_messages := coalesce((
    select json_agg(message order by position)
    from (
      select f.message, f.position from unnest(v_fixed) with ordinality as f(message, position)
      union all
      select w.message, cardinality(v_fixed) + cardinality(v_window) + 1 - w.position
      from unnest(v_window) with ordinality as w(message, position)
    ) as all_messages
  ), '[]'::json);
  v_token_count := v_fixed_tokens + coalesce((select sum(t) from unnest(v_window_tokens) as t), 0);
  v_first_sequence := v_window_sequences[cardinality(v_window_sequences)];
  -- Older candidates were left out; with an empty window, any candidate but a reply in progress.
  v_has_earlier := coalesce(v_first_sequence, v_conversation.last_sequence + 1 - v_reply_in_progress::integer)
                   > v_floor + 1;

  if p_format <> 'rows' then
    return json_build_object(
      'conversation', conversation_store.conversation_json(v_conversation), 'messages', v_messages,
      'token_count', v_token_count, 'has_earlier', v_has_earlier, 'first_sequence', v_first_sequence);
  end if;
  return json_build_object(
    'conversation', conversation_store.conversation_json(v_conversation), 'summary', v_summary,
    'messages', v_messages, 'token_count', v_token_count, 'has_earlier', v_has_earlier,
    'first_sequence', v_first_sequence);
end;
$$;

ALTER FUNCTION public.get_context(p_conversation_id uuid, p_max_tokens integer, p_max_messages integer, p_format text, p_include_reasoning boolean) OWNER TO postgres;

--
-- Name: jsonb_merge_patch(jsonb, jsonb); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.jsonb_merge_patch(p_target jsonb, p_patch jsonb) RETURNS jsonb
    LANGUAGE sql IMMUTABLE
    SET search_path TO ''
    AS $$
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
               public.jsonb_merge_patch(
                 case when jsonb_typeof(p_target) = 'object' then p_target -> patched.key end,
                 patched.value
               )
        from jsonb_each(p_patch) as patched
        where jsonb_typeof(patched.value) <> 'null'
      ) as merged
    )
  end
$$;

ALTER FUNCTION public.jsonb_merge_patch(p_target jsonb, p_patch jsonb) OWNER TO postgres;

--
-- Name: keep_reply_alive(uuid, integer); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.keep_reply_alive(p_conversation_id uuid, p_sequence_order integer) RETURNS public.conversation_messages
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_message public.conversation_messages;
begin
  perform
  from public.conversations c
  where c.id = p_conversation_id
    and conversation_store.caller_reaches(c)
  for no key update;
  if not found then
    raise exception 'conversation not found' using errcode = 'PT404';
  end if;

  select * into v_message
  from public.conversation_messages m
  where m.conversation_id = p_conversation_id and m.sequence_order = p_sequence_order
  for update;
  if not found then
    raise exception 'message not found' using errcode = 'PT404';
  end if;
  if v_message.status <> 'in_progress' then
    raise exception 'message % is final (%)', p_sequence_order, v_message.status
      using errcode = 'PT409', hint = 'message_final';
  end if;

  -- The row's touch trigger sets updated_at.
  update public.conversation_messages m
  set status = m.status
  where m.id = v_message.id
  returning * into v_message;
  return v_message;
end;
$$;

ALTER FUNCTION public.keep_reply_alive(p_conversation_id uuid, p_sequence_order integer) OWNER TO postgres;

--
-- Name: purge_expired_conversations(integer); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.purge_expired_conversations(p_batch_size integer DEFAULT 1000) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_message_budget integer;
  v_conversation uuid;
  v_reclaimed record;
  v_purged integer := 0;
begin
  if p_batch_size is null or p_batch_size not between 1 and 100000 then
    raise exception 'p_batch_size must be between 1 and 100000' using errcode = '22023';
  end if;
  v_message_budget := 50 * p_batch_size;

  -- Lock the batch before reclaiming any of it: a delete sets the forks of what it deletes to null,
  -- and a row changed that way after a locking query started would be skipped by it.
  for v_conversation in
    select locked.id from (
      select c.id, c.expires_at from public.conversations c
      where c.expires_at <= now()
      order by c.expires_at
      limit p_batch_size
      for update skip locked
    ) as locked
    order by locked.expires_at
  loop
    exit when v_message_budget = 0;
    select * into v_reclaimed from conversation_store.reclaim_conversation(v_conversation, v_message_budget);
    v_message_budget := v_message_budget - v_reclaimed.reclaimed_messages;
    if v_reclaimed.finished then
      v_purged := v_purged + 1;
    end if;
  end loop;
  return v_purged;
end;
$$;

ALTER FUNCTION public.purge_expired_conversations(p_batch_size integer) OWNER TO postgres;

--
-- Name: search_conversations(text, integer, jsonb, uuid, uuid); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.search_conversations(p_query text, p_limit integer DEFAULT 20, p_cursor jsonb DEFAULT NULL::jsonb, p_video_id uuid DEFAULT NULL::uuid, p_user_id uuid DEFAULT NULL::uuid) RETURNS json
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    SET plan_cache_mode TO 'force_custom_plan'
    SET jit TO 'off'
    AS $$
declare
  c_ranked_matches constant integer := 10000;
  -- Highlight markers from Unicode's private use area, taken out of the text first; and a stand-in
  -- for "<", so that ts_headline does not take markup in a message for tags and drop it.
  c_start constant text := U&'\E000';
  c_stop constant text := U&'\E001';
  c_less_than constant text := U&'\E002';
  v_user uuid;
  v_query tsquery;
  v_after_rank real;
  v_after_updated_at timestamptz;
  v_after_id uuid;
  v_page json;
begin
  if p_query is null or char_length(p_query) not between 1 and 256 then
    raise exception 'p_query must be 1 to 256 characters' using errcode = '22023';
  end if;
  if p_limit is null or p_limit not between 1 and 50 then
    raise exception 'p_limit must be between 1 and 50' using errcode = '22023';
  end if;
  v_user := conversation_store.acting_user(p_user_id);
  if p_cursor is not null then
    if jsonb_typeof(p_cursor) <> 'array' or jsonb_array_length(p_cursor) <> 3 then
      raise exception 'p_cursor must be the next_cursor of a previous page' using errcode = '22023';
    end if;
    v_after_rank := (p_cursor ->> 0)::real;
    v_after_updated_at := (p_cursor ->> 1)::timestamptz;
    v_after_id := (p_cursor ->> 2)::uuid;
  end if;
  v_query := websearch_to_tsquery('english', p_query);

  with found as (
    -- Two index scans, one per index (BitmapOr): the content of every message, the reasoning and
    -- file names of those written with parts. The snippet is cut from both texts. A row without
    -- parts costs what it did before the second index.
    select m.conversation_id, m.sequence_order, m.role,
           case when m.parts is null then m.content
                else concat_ws(E'\n', m.content, conversation_store.part_search_text(m.parts)) end as content,
           ts_rank_cd(case when m.parts is null then conversation_store.search_words(m.content)
                           else conversation_store.search_words(m.content) || conversation_store.part_search_words(m.parts)
                      end, v_query) as rank
    from public.conversation_messages m
    where (v_user is null or m.user_id = v_user)
      and (conversation_store.search_words(m.content) @@ v_query
           or m.parts is not null and conversation_store.part_search_words(m.parts) @@ v_query)
      and m.role in ('user', 'assistant') and m.status <> 'in_progress'
    limit c_ranked_matches
  ),
  ranked as (
    select c, best.rank
    from (select f.conversation_id, max(f.rank) as rank from found f group by f.conversation_id) as best
    join public.conversations c on c.id = best.conversation_id
    where (c.expires_at is null or c.expires_at > now())
      and (v_user is null or c.user_id = v_user)
      and (p_video_id is null or c.video_id = p_video_id)
      and (p_cursor is null or (best.rank, c.updated_at, c.id) < (v_after_rank, v_after_updated_at, v_after_id))
    order by best.rank desc, c.updated_at desc, c.id desc
    limit p_limit + 1
  ),
  results as (
    select r.rank, (r.c).updated_at, (r.c).id,
           row_number() over (order by r.rank desc, (r.c).updated_at desc, (r.c).id desc) as position,
           json_build_object(
             'conversation', conversation_store.conversation_json(r.c),
             'matches', (
               select json_agg(json_build_object(
                        'sequence_order', best.sequence_order, 'role', best.role,
                        'snippet', marked.snippet, 'highlights', marked.highlights
                      ) order by best.rank desc, best.sequence_order desc)
               from (
                 select f.* from found f where f.conversation_id = (r.c).id
                 order by f.rank desc, f.sequence_order desc limit 3
               ) as best
               cross join lateral (
                 -- The headline alternates plain and highlighted parts between the markers.
                 select translate(string_agg(part.text, '' order by part.n), c_less_than, '<') as snippet,
                        coalesce(json_agg(json_build_array(part.start, part.start + char_length(part.text))
                                          order by part.n) filter (where part.n % 2 = 0 and part.text <> ''),
                                 '[]'::json) as highlights
                 from (
                   select split.text, split.n,
                          coalesce(sum(char_length(split.text)) over (order by split.n rows between unbounded preceding and 1 preceding), 0)::integer as start
                   from regexp_split_to_table(
                          ts_headline('english', translate(best.content, '<' || c_start || c_stop || c_less_than, c_less_than),
                                      v_query,
                                      format('StartSel=%s, StopSel=%s, MaxWords=35, MinWords=15', c_start, c_stop)),
                          '[' || c_start || c_stop || ']'
                        ) with ordinality as split(text, n)
                 ) as part
               ) as marked
             )
           ) as result
    from ranked r
  ),
  sized as (
    select results.*,
           -- A page takes rows until it reaches the byte budget; its first row always.
           results.position <= p_limit
             and (results.position = 1
                  or sum(octet_length(results.result::text)) over (order by results.position)
                     - octet_length(results.result::text) < conversation_store.page_max_bytes()) as included
    from results
  )
  select json_build_object(
           'results', coalesce(json_agg(s.result order by s.position) filter (where s.included), '[]'::json),
           'has_more', coalesce(bool_or(not s.included), false),
           'next_cursor', case when bool_or(not s.included) then
             (array_agg(json_build_array(s.rank, s.updated_at, s.id) order by s.position desc)
                filter (where s.included))[1]
           end
         )
  into v_page
  from sized s;
  return v_page;
end;
$$;

ALTER FUNCTION public.search_conversations(p_query text, p_limit integer, p_cursor jsonb, p_video_id uuid, p_user_id uuid) OWNER TO postgres;

--
-- Name: set_conversation_summary(uuid, text, integer, integer); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.set_conversation_summary(p_conversation_id uuid, p_content text, p_through_sequence integer, p_token_count integer DEFAULT NULL::integer) RETURNS public.conversations
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_conversation public.conversations;
begin
  if (p_content is null) <> (p_through_sequence is null) then
    raise exception 'a summary needs both its content and through_sequence, or neither to clear it'
      using errcode = '22023';
  end if;

  select * into v_conversation
  from public.conversations c
  where c.id = p_conversation_id
    and conversation_store.caller_reaches(c)
  for no key update;
  if not found then
    raise exception 'conversation not found' using errcode = 'PT404';
  end if;
  if p_through_sequence > v_conversation.last_sequence then
    raise exception 'the summary cannot cover message %: the last message is %',
      p_through_sequence, v_conversation.last_sequence
      using errcode = 'PT422', hint = 'beyond_last_sequence',
            detail = jsonb_build_object('last_sequence', v_conversation.last_sequence)::text;
  end if;

  update public.conversations c
  set summary = p_content,
      summary_through_sequence = p_through_sequence,
      summary_token_count = case
        when p_content is null then null
        when p_token_count is not null and conversation_store.writer_counts_tokens() then p_token_count
        else conversation_store.estimate_tokens(p_content, null, null, null, null)
      end
  where c.id = p_conversation_id
  returning * into v_conversation;
  return v_conversation;
end;
$$;

ALTER FUNCTION public.set_conversation_summary(p_conversation_id uuid, p_content text, p_through_sequence integer, p_token_count integer) OWNER TO postgres;

--
-- Name: start_conversation(uuid, jsonb, uuid, uuid, integer); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.start_conversation(p_video_id uuid DEFAULT NULL::uuid, p_metadata jsonb DEFAULT '{}'::jsonb, p_id uuid DEFAULT NULL::uuid, p_user_id uuid DEFAULT NULL::uuid, p_retention_seconds integer DEFAULT NULL::integer) RETURNS public.conversations
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_owner uuid;
  v_conversation public.conversations;
begin
  v_owner := conversation_store.acting_user(p_user_id);
  if v_owner is null then
    raise exception 'service_role must name the owner in p_user_id' using errcode = '22023';
  end if;

  insert into public.conversations (id, user_id, video_id, metadata, retention_seconds)
  values (coalesce(p_id, gen_random_uuid()), v_owner, p_video_id, coalesce(p_metadata, '{}'::jsonb), p_retention_seconds)
  on conflict (id) do nothing
  returning * into v_conversation;
  perform set_config('conversation_store.conversation_created', (v_conversation.id is not null)::text, true);

  if v_conversation.id is null then
    select * into v_conversation
    from public.conversations c
    where c.id = p_id and c.user_id = v_owner and (c.expires_at is null or c.expires_at > now());

    if v_conversation.id is null then
      raise exception 'conversation already exists' using errcode = '23505';
    end if;
  end if;

  return v_conversation;
end;
$$;

ALTER FUNCTION public.start_conversation(p_video_id uuid, p_metadata jsonb, p_id uuid, p_user_id uuid, p_retention_seconds integer) OWNER TO postgres;

--
-- Name: touch_updated_at(); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.touch_updated_at() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
begin
  new.updated_at := now();
  return new;
end;
$$;

ALTER FUNCTION public.touch_updated_at() OWNER TO postgres;

--
-- Name: update_conversation_metadata(uuid, jsonb); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.update_conversation_metadata(p_conversation_id uuid, p_patch jsonb) RETURNS public.conversations
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
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
  set metadata = public.jsonb_merge_patch(c.metadata, p_patch)
  where c.id = p_conversation_id and (c.expires_at is null or c.expires_at > now())
  returning * into v_conversation;

  if v_conversation.id is null then
    raise exception 'conversation not found' using errcode = 'PT404';
  end if;
  return v_conversation;
end;
$$;

ALTER FUNCTION public.update_conversation_metadata(p_conversation_id uuid, p_patch jsonb) OWNER TO postgres;

--
-- Name: update_message(uuid, integer, text, text, integer, jsonb, jsonb, text, integer, jsonb, text, integer, jsonb); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.update_message(p_conversation_id uuid, p_sequence_order integer, p_content text DEFAULT NULL::text, p_append_content text DEFAULT NULL::text, p_content_offset integer DEFAULT NULL::integer, p_tool_calls jsonb DEFAULT NULL::jsonb, p_function_call jsonb DEFAULT NULL::jsonb, p_status text DEFAULT NULL::text, p_part_index integer DEFAULT NULL::integer, p_part jsonb DEFAULT NULL::jsonb, p_append_text text DEFAULT NULL::text, p_text_offset integer DEFAULT NULL::integer, p_metadata jsonb DEFAULT NULL::jsonb) RETURNS public.conversation_messages
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_message public.conversation_messages;
  v_parts jsonb;
  v_text text;
  v_offset integer;
  v_delta text;
  v_length integer;
  v_changed boolean;
  v_content text;
  v_tool_calls jsonb;
  v_logged boolean;
begin
  if p_content is not null and p_append_content is not null then
    raise exception 'send content or append_content, not both' using errcode = '22023';
  end if;
  if (p_append_content is null) <> (p_content_offset is null) then
    raise exception 'append_content and content_offset come together' using errcode = '22023';
  end if;
  if p_status not in ('in_progress', 'completed', 'incomplete') then
    raise exception 'status must be in_progress, completed or incomplete' using errcode = '22023';
  end if;
  if (p_append_text is null) <> (p_text_offset is null) then
    raise exception 'append_text and text_offset come together' using errcode = '22023';
  end if;
  if (p_part_index is null) <> (p_part is null and p_append_text is null) or (p_part is not null and p_append_text is not null) then
    raise exception 'part_index comes with one of part and append_text' using errcode = '22023';
  end if;
  if p_part_index is not null and coalesce(p_content, p_append_content) is not null
     or p_part_index is not null and coalesce(p_tool_calls, p_function_call) is not null then
    raise exception 'send part operations or content and calls, not both' using errcode = '22023';
  end if;
  if jsonb_typeof(p_metadata) <> 'object' then
    raise exception 'metadata must be a JSON object' using errcode = '22023';
  end if;

  -- A part operation alone on a reply in progress is logged beside it (a small row), not written
  -- into the message; the message is returned as readers see it.
  if p_part_index is not null and p_status is null and p_metadata is null then
    perform conversation_store.log_part_operation(p_conversation_id, p_sequence_order, p_part_index, p_part,
                                                  p_append_text, p_text_offset);
    select * into v_message
    from public.conversation_messages m
    where m.conversation_id = p_conversation_id and m.sequence_order = p_sequence_order;
    return conversation_store.live_message(v_message);
  end if;

  perform
  from public.conversations c
  where c.id = p_conversation_id
    and conversation_store.caller_reaches(c)
  for no key update;
  if not found then
    raise exception 'conversation not found' using errcode = 'PT404';
  end if;

  select * into v_message
  from public.conversation_messages m
  where m.conversation_id = p_conversation_id and m.sequence_order = p_sequence_order
  for update;
  if not found then
    raise exception 'message not found' using errcode = 'PT404';
  end if;
  if v_message.status <> 'in_progress' then
    raise exception 'message % is final (%)', p_sequence_order, v_message.status
      using errcode = 'PT409', hint = 'message_final';
  end if;
  -- Anything else first folds the log into the message, so that it applies to the reply as written
  -- (under the log's lock, taken after the row locks as every writer of the log takes it).
  perform conversation_store.lock_reply_log(v_message.id);
  v_logged := exists (select from conversation_store.reply_log l where l.message_id = v_message.id);
  if v_logged then
    v_message := conversation_store.take_reply_log(v_message);
  end if;
  if v_message.parts is not null and coalesce(p_content, p_append_content) is not null
     or v_message.parts is not null and coalesce(p_tool_calls, p_function_call) is not null then
    raise exception 'message % was written with parts: change it with part operations', p_sequence_order
      using errcode = '22023';
  end if;

  v_changed := v_logged or p_content is not null or p_tool_calls is not null or p_function_call is not null
    or p_metadata is not null or p_status is distinct from v_message.status and p_status is not null;
  -- The text being extended: the content, or a text or reasoning part.
  v_delta := coalesce(p_append_content, p_append_text);
  v_offset := coalesce(p_content_offset, p_text_offset);
  v_parts := v_message.parts;
  if p_part_index is not null then
    if v_message.function_call is not null then
      raise exception 'message % has a function_call, which parts do not describe', p_sequence_order
        using errcode = '22023';
    end if;
    v_parts := conversation_store.message_parts(v_message);
    if p_part_index not between 0 and jsonb_array_length(v_parts) - (case when p_part is null then 1 else 0 end) then
      raise exception 'part_index % is out of range: the message has % parts', p_part_index, jsonb_array_length(v_parts)
        using errcode = '22023';
    end if;
    if p_part is not null then
      if v_parts -> p_part_index is distinct from p_part then
        v_parts := case when p_part_index = jsonb_array_length(v_parts) then v_parts || jsonb_build_array(p_part)
                        else jsonb_set(v_parts, array[p_part_index::text], p_part) end;
        perform conversation_store.check_parts(v_parts, v_message.role, v_message.user_id);
        v_changed := true;
      end if;
    elsif v_parts -> p_part_index ->> 'type' not in ('text', 'reasoning') then
      raise exception 'part % is not a text or reasoning part', p_part_index using errcode = '22023';
    end if;
  end if;
  if v_delta is not null then
    v_text := case when p_append_text is null then v_message.content else v_parts -> p_part_index ->> 'text' end;
    v_length := coalesce(char_length(v_text), 0);
    if v_length = v_offset then
      -- An empty delta here changes only updated_at: it is how a quiet writer shows it is alive.
      v_text := coalesce(v_text, '') || v_delta;
      v_changed := true;
    elsif not (v_length = v_offset + char_length(v_delta) and right(v_text, char_length(v_delta)) = v_delta) then
      raise exception 'content_offset % does not match the stored text, which is % characters long', v_offset, v_length
        using errcode = 'PT409', hint = 'content_offset_mismatch',
              detail = jsonb_build_object('content_length', v_length)::text;
    end if;
  end if;
  if not v_changed then
    return v_message; -- a retried delta or part: the reply stays exactly as it was
  end if;

  if v_parts is not null then
    if p_append_text is not null then
      v_parts := jsonb_set(v_parts, array[p_part_index::text, 'text'], to_jsonb(v_text));
    end if;
    v_content := conversation_store.parts_content(v_parts, v_message.role);
    v_tool_calls := conversation_store.parts_tool_calls(v_parts);
  else
    v_content := case
      -- Stopped before its first delta: final with empty text, as the stale takeover leaves it.
      when p_status = 'incomplete' and coalesce(p_content, v_text, v_message.content) is null
           and coalesce(p_tool_calls, v_message.tool_calls) is null
           and coalesce(p_function_call, v_message.function_call) is null
      then ''
      else coalesce(p_content, v_text, v_message.content)
    end;
    v_tool_calls := coalesce(p_tool_calls, v_message.tool_calls);
  end if;

  update public.conversation_messages m
  set content = v_content,
      tool_calls = v_tool_calls,
      function_call = coalesce(p_function_call, m.function_call),
      parts = v_parts,
      metadata = coalesce(p_metadata, m.metadata),
      status = coalesce(p_status, m.status),
      token_count = conversation_store.estimate_tokens(
        v_content, m.name, coalesce(p_function_call, m.function_call), v_tool_calls, m.tool_call_id)
        + conversation_store.estimate_part_tokens(v_parts),
      reasoning_token_count = conversation_store.estimate_reasoning_tokens(v_parts)
  where m.id = v_message.id
  returning * into v_message;

  if v_message.status <> 'in_progress' then
    update public.conversations c set updated_at = now() where c.id = p_conversation_id;
  end if;
  return v_message;
end;
$$;

ALTER FUNCTION public.update_message(p_conversation_id uuid, p_sequence_order integer, p_content text, p_append_content text, p_content_offset integer, p_tool_calls jsonb, p_function_call jsonb, p_status text, p_part_index integer, p_part jsonb, p_append_text text, p_text_offset integer, p_metadata jsonb) OWNER TO postgres;

--
-- Name: reply_log; Type: TABLE; Schema: conversation_store; Owner: postgres
--

CREATE TABLE conversation_store.reply_log (
    message_id uuid NOT NULL,
    "position" bigint NOT NULL,
    part_index integer NOT NULL,
    delta text,
    text_offset integer,
    part jsonb,
    part_count integer NOT NULL,
    content_chars integer NOT NULL,
    parts_bytes integer NOT NULL,
    part_type text NOT NULL,
    text_length integer NOT NULL,
    CONSTRAINT reply_log_delta_offset CHECK (((delta IS NULL) = (text_offset IS NULL))),
    CONSTRAINT reply_log_one_operation CHECK (((delta IS NULL) <> (part IS NULL)))
);

ALTER TABLE conversation_store.reply_log OWNER TO postgres;

--
-- Name: TABLE reply_log; Type: COMMENT; Schema: conversation_store; Owner: postgres
--

COMMENT ON TABLE conversation_store.reply_log IS 'Part operations on replies in progress, folded into the message when it becomes final. Read and written only through the functions of 20261207000300_reply_log.sql.';

--
-- Name: reply_log_position_seq; Type: SEQUENCE; Schema: conversation_store; Owner: postgres
--

ALTER TABLE conversation_store.reply_log ALTER COLUMN "position" ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME conversation_store.reply_log_position_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

--
-- Name: storage_objects_to_remove; Type: TABLE; Schema: conversation_store; Owner: postgres
--

CREATE TABLE conversation_store.storage_objects_to_remove (
    bucket text NOT NULL,
    path text NOT NULL,
    user_id uuid NOT NULL,
    queued_at timestamp with time zone DEFAULT now() NOT NULL
);

ALTER TABLE conversation_store.storage_objects_to_remove OWNER TO postgres;

--
-- Name: TABLE storage_objects_to_remove; Type: COMMENT; Schema: conversation_store; Owner: postgres
--

COMMENT ON TABLE conversation_store.storage_objects_to_remove IS 'Storage objects referenced by deleted messages, for a job to remove through the Storage API (oldest queued_at first).';

--
-- Name: reply_log reply_log_pkey; Type: CONSTRAINT; Schema: conversation_store; Owner: postgres
--

ALTER TABLE ONLY conversation_store.reply_log
    ADD CONSTRAINT reply_log_pkey PRIMARY KEY (message_id, "position");

--
-- Name: storage_objects_to_remove storage_objects_to_remove_pkey; Type: CONSTRAINT; Schema: conversation_store; Owner: postgres
--

ALTER TABLE ONLY conversation_store.storage_objects_to_remove
    ADD CONSTRAINT storage_objects_to_remove_pkey PRIMARY KEY (bucket, path);

--
-- Name: conversation_messages conversation_messages_function_call_shape; Type: CHECK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE public.conversation_messages
    ADD CONSTRAINT conversation_messages_function_call_shape CHECK (((function_call IS NULL) OR conversation_store.is_function_call(function_call))) NOT VALID;

--
-- Name: conversation_messages conversation_messages_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.conversation_messages
    ADD CONSTRAINT conversation_messages_pkey PRIMARY KEY (id);

--
-- Name: conversation_messages conversation_messages_tool_calls_shape; Type: CHECK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE public.conversation_messages
    ADD CONSTRAINT conversation_messages_tool_calls_shape CHECK (((tool_calls IS NULL) OR conversation_store.is_tool_call_list(tool_calls))) NOT VALID;

--
-- Name: conversations conversations_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.conversations
    ADD CONSTRAINT conversations_pkey PRIMARY KEY (id);

--
-- Name: conversation_messages idx_conversation_messages_sequence_order; Type: CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.conversation_messages
    ADD CONSTRAINT idx_conversation_messages_sequence_order UNIQUE (conversation_id, sequence_order);

--
-- Name: idx_conversation_messages_conversation_id; Type: INDEX; Schema: public; Owner: postgres
--

CREATE UNIQUE INDEX idx_conversation_messages_conversation_id ON public.conversation_messages USING btree (conversation_id, client_message_id) WHERE (client_message_id IS NOT NULL);

--
-- Name: idx_conversation_messages_reply_in_progress; Type: INDEX; Schema: public; Owner: postgres
--

CREATE UNIQUE INDEX idx_conversation_messages_reply_in_progress ON public.conversation_messages USING btree (conversation_id) WHERE (status = 'in_progress'::text);

--
-- Name: idx_conversation_messages_search; Type: INDEX; Schema: public; Owner: postgres
--

CREATE INDEX idx_conversation_messages_search ON public.conversation_messages USING gin (user_id, conversation_store.search_words(content)) WHERE ((role = ANY (ARRAY['user'::text, 'assistant'::text])) AND (status <> 'in_progress'::text));

--
-- Name: idx_conversation_messages_search_parts; Type: INDEX; Schema: public; Owner: postgres
--

CREATE INDEX idx_conversation_messages_search_parts ON public.conversation_messages USING gin (user_id, conversation_store.part_search_words(parts)) WHERE ((parts IS NOT NULL) AND (role = ANY (ARRAY['user'::text, 'assistant'::text])) AND (status <> 'in_progress'::text));

--
-- Name: idx_conversations_expires_at; Type: INDEX; Schema: public; Owner: postgres
--

CREATE INDEX idx_conversations_expires_at ON public.conversations USING btree (expires_at) WHERE (expires_at IS NOT NULL);

--
-- Name: idx_conversations_forked_from; Type: INDEX; Schema: public; Owner: postgres
--

CREATE INDEX idx_conversations_forked_from ON public.conversations USING btree (forked_from_conversation_id) WHERE (forked_from_conversation_id IS NOT NULL);

--
-- Name: idx_conversations_user_id; Type: INDEX; Schema: public; Owner: postgres
--

CREATE INDEX idx_conversations_user_id ON public.conversations USING btree (user_id, updated_at DESC, id DESC);

--
-- Name: idx_conversations_video_id; Type: INDEX; Schema: public; Owner: postgres
--

CREATE INDEX idx_conversations_video_id ON public.conversations USING btree (video_id, updated_at DESC, id DESC) WHERE (video_id IS NOT NULL);

--
-- Name: conversation_messages conversation_messages_drop_reply_log; Type: TRIGGER; Schema: public; Owner: postgres
--

CREATE TRIGGER conversation_messages_drop_reply_log AFTER DELETE ON public.conversation_messages FOR EACH ROW WHEN ((old.status = 'in_progress'::text)) EXECUTE FUNCTION conversation_store.drop_reply_log();

--
-- Name: conversation_messages conversation_messages_fold_reply_log; Type: TRIGGER; Schema: public; Owner: postgres
--

CREATE TRIGGER conversation_messages_fold_reply_log BEFORE UPDATE OF status ON public.conversation_messages FOR EACH ROW WHEN (((old.status = 'in_progress'::text) AND (new.status <> 'in_progress'::text))) EXECUTE FUNCTION conversation_store.fold_reply_log();

--
-- Name: conversation_messages conversation_messages_touch_updated_at; Type: TRIGGER; Schema: public; Owner: postgres
--

CREATE TRIGGER conversation_messages_touch_updated_at BEFORE UPDATE ON public.conversation_messages FOR EACH ROW EXECUTE FUNCTION public.touch_updated_at();

--
-- Name: conversations conversations_touch_updated_at; Type: TRIGGER; Schema: public; Owner: postgres
--

CREATE TRIGGER conversations_touch_updated_at BEFORE UPDATE ON public.conversations FOR EACH ROW WHEN ((NOT (old.forked_from_conversation_id IS DISTINCT FROM new.forked_from_conversation_id))) EXECUTE FUNCTION public.touch_updated_at();

--
-- Name: conversations conversations_update_expires_at; Type: TRIGGER; Schema: public; Owner: postgres
--

CREATE TRIGGER conversations_update_expires_at BEFORE INSERT OR UPDATE ON public.conversations FOR EACH ROW EXECUTE FUNCTION conversation_store.set_expires_at();

--
-- Name: conversation_messages conversation_messages_conversation_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.conversation_messages
    ADD CONSTRAINT conversation_messages_conversation_id_fkey FOREIGN KEY (conversation_id) REFERENCES public.conversations(id) ON DELETE CASCADE;

--
-- Name: conversations conversations_forked_from_conversation_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.conversations
    ADD CONSTRAINT conversations_forked_from_conversation_id_fkey FOREIGN KEY (forked_from_conversation_id) REFERENCES public.conversations(id) ON DELETE SET NULL;

--
-- Name: conversations conversations_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.conversations
    ADD CONSTRAINT conversations_user_id_fkey FOREIGN KEY (user_id) REFERENCES auth.users(id) ON DELETE CASCADE;

--
-- Name: storage_objects_to_remove; Type: ROW SECURITY; Schema: conversation_store; Owner: postgres
--

ALTER TABLE conversation_store.storage_objects_to_remove ENABLE ROW LEVEL SECURITY;

--
-- Name: storage_objects_to_remove users read their own queued files; Type: POLICY; Schema: conversation_store; Owner: postgres
--

CREATE POLICY "users read their own queued files" ON conversation_store.storage_objects_to_remove FOR SELECT TO authenticated USING ((user_id = ( SELECT auth.uid() AS uid)));

--
-- Name: conversation_messages; Type: ROW SECURITY; Schema: public; Owner: postgres
--

ALTER TABLE public.conversation_messages ENABLE ROW LEVEL SECURITY;

--
-- Name: conversations; Type: ROW SECURITY; Schema: public; Owner: postgres
--

ALTER TABLE public.conversations ENABLE ROW LEVEL SECURITY;

--
-- Name: conversations owners delete their conversations; Type: POLICY; Schema: public; Owner: postgres
--

CREATE POLICY "owners delete their conversations" ON public.conversations FOR DELETE TO authenticated USING (((user_id = ( SELECT auth.uid() AS uid)) AND ((expires_at IS NULL) OR (expires_at > now()))));

--
-- Name: conversations owners edit their conversations; Type: POLICY; Schema: public; Owner: postgres
--

CREATE POLICY "owners edit their conversations" ON public.conversations FOR UPDATE TO authenticated USING (((user_id = ( SELECT auth.uid() AS uid)) AND ((expires_at IS NULL) OR (expires_at > now())))) WITH CHECK ((user_id = ( SELECT auth.uid() AS uid)));

--
-- Name: conversations owners read their conversations; Type: POLICY; Schema: public; Owner: postgres
--

CREATE POLICY "owners read their conversations" ON public.conversations FOR SELECT TO authenticated USING (((user_id = ( SELECT auth.uid() AS uid)) AND ((expires_at IS NULL) OR (expires_at > now()))));

--
-- Name: conversation_messages owners read their messages; Type: POLICY; Schema: public; Owner: postgres
--

CREATE POLICY "owners read their messages" ON public.conversation_messages FOR SELECT TO authenticated USING (((user_id = ( SELECT auth.uid() AS uid)) AND (EXISTS ( SELECT
   FROM public.conversations c
  WHERE (c.id = conversation_messages.conversation_id)))));

--
-- Name: conversations users create their own conversations; Type: POLICY; Schema: public; Owner: postgres
--

CREATE POLICY "users create their own conversations" ON public.conversations FOR INSERT TO authenticated WITH CHECK ((user_id = ( SELECT auth.uid() AS uid)));

--
-- Name: SCHEMA conversation_store; Type: ACL; Schema: -; Owner: postgres
--

GRANT USAGE ON SCHEMA conversation_store TO authenticated;
GRANT USAGE ON SCHEMA conversation_store TO service_role;

--
-- Name: FUNCTION acting_user(p_user_id uuid); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.acting_user(p_user_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION conversation_store.acting_user(p_user_id uuid) TO authenticated;
GRANT ALL ON FUNCTION conversation_store.acting_user(p_user_id uuid) TO service_role;

--
-- Name: TABLE conversation_messages; Type: ACL; Schema: public; Owner: postgres
--

GRANT SELECT ON TABLE public.conversation_messages TO authenticated;
GRANT SELECT ON TABLE public.conversation_messages TO service_role;

--
-- Name: FUNCTION answered_call_ids(p_message public.conversation_messages); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.answered_call_ids(p_message public.conversation_messages) FROM PUBLIC;
GRANT ALL ON FUNCTION conversation_store.answered_call_ids(p_message public.conversation_messages) TO authenticated;
GRANT ALL ON FUNCTION conversation_store.answered_call_ids(p_message public.conversation_messages) TO service_role;

--
-- Name: FUNCTION caller_is_service_role(); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.caller_is_service_role() FROM PUBLIC;
GRANT ALL ON FUNCTION conversation_store.caller_is_service_role() TO authenticated;
GRANT ALL ON FUNCTION conversation_store.caller_is_service_role() TO service_role;

--
-- Name: TABLE conversations; Type: ACL; Schema: public; Owner: postgres
--

GRANT SELECT,DELETE ON TABLE public.conversations TO authenticated;
GRANT SELECT,DELETE ON TABLE public.conversations TO service_role;

--
-- Name: COLUMN conversations.id; Type: ACL; Schema: public; Owner: postgres
--

GRANT INSERT(id) ON TABLE public.conversations TO authenticated;
GRANT INSERT(id) ON TABLE public.conversations TO service_role;

--
-- Name: COLUMN conversations.user_id; Type: ACL; Schema: public; Owner: postgres
--

GRANT INSERT(user_id) ON TABLE public.conversations TO service_role;

--
-- Name: COLUMN conversations.video_id; Type: ACL; Schema: public; Owner: postgres
--

GRANT INSERT(video_id),UPDATE(video_id) ON TABLE public.conversations TO authenticated;
GRANT INSERT(video_id),UPDATE(video_id) ON TABLE public.conversations TO service_role;

--
-- Name: COLUMN conversations.metadata; Type: ACL; Schema: public; Owner: postgres
--

GRANT INSERT(metadata),UPDATE(metadata) ON TABLE public.conversations TO authenticated;
GRANT INSERT(metadata),UPDATE(metadata) ON TABLE public.conversations TO service_role;

--
-- Name: COLUMN conversations.retention_seconds; Type: ACL; Schema: public; Owner: postgres
--

GRANT INSERT(retention_seconds),UPDATE(retention_seconds) ON TABLE public.conversations TO authenticated;
GRANT INSERT(retention_seconds),UPDATE(retention_seconds) ON TABLE public.conversations TO service_role;

--
-- Name: FUNCTION caller_reaches(p_conversation public.conversations); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.caller_reaches(p_conversation public.conversations) FROM PUBLIC;

--
-- Name: FUNCTION check_parts(p_parts jsonb, p_role text, p_owner uuid); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.check_parts(p_parts jsonb, p_role text, p_owner uuid) FROM PUBLIC;

--
-- Name: FUNCTION context_messages(p_rows public.conversation_messages[], p_format text, p_include_reasoning boolean); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.context_messages(p_rows public.conversation_messages[], p_format text, p_include_reasoning boolean) FROM PUBLIC;
GRANT ALL ON FUNCTION conversation_store.context_messages(p_rows public.conversation_messages[], p_format text, p_include_reasoning boolean) TO authenticated;
GRANT ALL ON FUNCTION conversation_store.context_messages(p_rows public.conversation_messages[], p_format text, p_include_reasoning boolean) TO service_role;

--
-- Name: FUNCTION conversation_json(p_conversation public.conversations); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.conversation_json(p_conversation public.conversations) FROM PUBLIC;
GRANT ALL ON FUNCTION conversation_store.conversation_json(p_conversation public.conversations) TO authenticated;
GRANT ALL ON FUNCTION conversation_store.conversation_json(p_conversation public.conversations) TO service_role;

--
-- Name: FUNCTION drop_reply_log(); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.drop_reply_log() FROM PUBLIC;

--
-- Name: FUNCTION estimate_part_tokens(p_parts jsonb); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.estimate_part_tokens(p_parts jsonb) FROM PUBLIC;

--
-- Name: FUNCTION estimate_reasoning_tokens(p_parts jsonb); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.estimate_reasoning_tokens(p_parts jsonb) FROM PUBLIC;

--
-- Name: FUNCTION estimate_tokens(p_content text, p_name text, p_function_call jsonb, p_tool_calls jsonb, p_tool_call_id text); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.estimate_tokens(p_content text, p_name text, p_function_call jsonb, p_tool_calls jsonb, p_tool_call_id text) FROM PUBLIC;

--
-- Name: FUNCTION file_token_estimate(); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.file_token_estimate() FROM PUBLIC;

--
-- Name: FUNCTION fold_reply_log(); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.fold_reply_log() FROM PUBLIC;

--
-- Name: FUNCTION inline_file_max_chars(); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.inline_file_max_chars() FROM PUBLIC;

--
-- Name: FUNCTION is_function_call(p_value jsonb); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.is_function_call(p_value jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION conversation_store.is_function_call(p_value jsonb) TO authenticated;
GRANT ALL ON FUNCTION conversation_store.is_function_call(p_value jsonb) TO service_role;

--
-- Name: FUNCTION is_part_list(p_parts jsonb, p_owner uuid); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.is_part_list(p_parts jsonb, p_owner uuid) FROM PUBLIC;

--
-- Name: FUNCTION is_tool_call_list(p_value jsonb); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.is_tool_call_list(p_value jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION conversation_store.is_tool_call_list(p_value jsonb) TO authenticated;
GRANT ALL ON FUNCTION conversation_store.is_tool_call_list(p_value jsonb) TO service_role;

--
-- Name: FUNCTION json_or_text(p_text text); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.json_or_text(p_text text) FROM PUBLIC;
GRANT ALL ON FUNCTION conversation_store.json_or_text(p_text text) TO authenticated;
GRANT ALL ON FUNCTION conversation_store.json_or_text(p_text text) TO service_role;

--
-- Name: FUNCTION live_message(p_message public.conversation_messages); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.live_message(p_message public.conversation_messages) FROM PUBLIC;
GRANT ALL ON FUNCTION conversation_store.live_message(p_message public.conversation_messages) TO authenticated;
GRANT ALL ON FUNCTION conversation_store.live_message(p_message public.conversation_messages) TO service_role;

--
-- Name: FUNCTION live_parts(p_message public.conversation_messages); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.live_parts(p_message public.conversation_messages) FROM PUBLIC;
GRANT ALL ON FUNCTION conversation_store.live_parts(p_message public.conversation_messages) TO authenticated;
GRANT ALL ON FUNCTION conversation_store.live_parts(p_message public.conversation_messages) TO service_role;

--
-- Name: FUNCTION lock_reply_log(p_message_id uuid); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.lock_reply_log(p_message_id uuid) FROM PUBLIC;

--
-- Name: FUNCTION log_part_operation(p_conversation_id uuid, p_sequence_order integer, p_part_index integer, p_part jsonb, p_append_text text, p_text_offset integer); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.log_part_operation(p_conversation_id uuid, p_sequence_order integer, p_part_index integer, p_part jsonb, p_append_text text, p_text_offset integer) FROM PUBLIC;
GRANT ALL ON FUNCTION conversation_store.log_part_operation(p_conversation_id uuid, p_sequence_order integer, p_part_index integer, p_part jsonb, p_append_text text, p_text_offset integer) TO authenticated;
GRANT ALL ON FUNCTION conversation_store.log_part_operation(p_conversation_id uuid, p_sequence_order integer, p_part_index integer, p_part jsonb, p_append_text text, p_text_offset integer) TO service_role;

--
-- Name: FUNCTION logged_parts(p_message public.conversation_messages); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.logged_parts(p_message public.conversation_messages) FROM PUBLIC;

--
-- Name: FUNCTION message_json(p_message public.conversation_messages); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.message_json(p_message public.conversation_messages) FROM PUBLIC;
GRANT ALL ON FUNCTION conversation_store.message_json(p_message public.conversation_messages) TO authenticated;
GRANT ALL ON FUNCTION conversation_store.message_json(p_message public.conversation_messages) TO service_role;

--
-- Name: FUNCTION message_parts(p_message public.conversation_messages); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.message_parts(p_message public.conversation_messages) FROM PUBLIC;
GRANT ALL ON FUNCTION conversation_store.message_parts(p_message public.conversation_messages) TO authenticated;
GRANT ALL ON FUNCTION conversation_store.message_parts(p_message public.conversation_messages) TO service_role;

--
-- Name: FUNCTION openai_message(p_message public.conversation_messages); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.openai_message(p_message public.conversation_messages) FROM PUBLIC;
GRANT ALL ON FUNCTION conversation_store.openai_message(p_message public.conversation_messages) TO authenticated;
GRANT ALL ON FUNCTION conversation_store.openai_message(p_message public.conversation_messages) TO service_role;

--
-- Name: FUNCTION openai_messages(p_message public.conversation_messages); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.openai_messages(p_message public.conversation_messages) FROM PUBLIC;
GRANT ALL ON FUNCTION conversation_store.openai_messages(p_message public.conversation_messages) TO authenticated;
GRANT ALL ON FUNCTION conversation_store.openai_messages(p_message public.conversation_messages) TO service_role;

--
-- Name: FUNCTION page_max_bytes(); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.page_max_bytes() FROM PUBLIC;
GRANT ALL ON FUNCTION conversation_store.page_max_bytes() TO authenticated;
GRANT ALL ON FUNCTION conversation_store.page_max_bytes() TO service_role;

--
-- Name: FUNCTION part_problem(p_part jsonb); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.part_problem(p_part jsonb) FROM PUBLIC;

--
-- Name: FUNCTION part_search_text(p_parts jsonb); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.part_search_text(p_parts jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION conversation_store.part_search_text(p_parts jsonb) TO authenticated;
GRANT ALL ON FUNCTION conversation_store.part_search_text(p_parts jsonb) TO service_role;

--
-- Name: FUNCTION part_search_words(p_parts jsonb); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.part_search_words(p_parts jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION conversation_store.part_search_words(p_parts jsonb) TO authenticated;
GRANT ALL ON FUNCTION conversation_store.part_search_words(p_parts jsonb) TO service_role;

--
-- Name: FUNCTION parts_content(p_parts jsonb, p_role text); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.parts_content(p_parts jsonb, p_role text) FROM PUBLIC;

--
-- Name: FUNCTION parts_tool_calls(p_parts jsonb); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.parts_tool_calls(p_parts jsonb) FROM PUBLIC;

--
-- Name: FUNCTION reclaim_conversation(p_conversation_id uuid, p_max_messages integer, OUT reclaimed_messages integer, OUT finished boolean); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.reclaim_conversation(p_conversation_id uuid, p_max_messages integer, OUT reclaimed_messages integer, OUT finished boolean) FROM PUBLIC;

--
-- Name: FUNCTION reply_log_after(p_message_id uuid, p_after bigint); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.reply_log_after(p_message_id uuid, p_after bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION conversation_store.reply_log_after(p_message_id uuid, p_after bigint) TO authenticated;
GRANT ALL ON FUNCTION conversation_store.reply_log_after(p_message_id uuid, p_after bigint) TO service_role;

--
-- Name: FUNCTION reply_log_position(p_message_id uuid); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.reply_log_position(p_message_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION conversation_store.reply_log_position(p_message_id uuid) TO authenticated;
GRANT ALL ON FUNCTION conversation_store.reply_log_position(p_message_id uuid) TO service_role;

--
-- Name: FUNCTION result_is_error(p_result jsonb); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.result_is_error(p_result jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION conversation_store.result_is_error(p_result jsonb) TO authenticated;
GRANT ALL ON FUNCTION conversation_store.result_is_error(p_result jsonb) TO service_role;

--
-- Name: FUNCTION search_words(p_content text); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.search_words(p_content text) FROM PUBLIC;
GRANT ALL ON FUNCTION conversation_store.search_words(p_content text) TO authenticated;
GRANT ALL ON FUNCTION conversation_store.search_words(p_content text) TO service_role;

--
-- Name: FUNCTION set_exact_token_count(p_message_id uuid, p_token_count integer, p_reasoning_token_count integer); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.set_exact_token_count(p_message_id uuid, p_token_count integer, p_reasoning_token_count integer) FROM PUBLIC;
GRANT ALL ON FUNCTION conversation_store.set_exact_token_count(p_message_id uuid, p_token_count integer, p_reasoning_token_count integer) TO authenticated;
GRANT ALL ON FUNCTION conversation_store.set_exact_token_count(p_message_id uuid, p_token_count integer, p_reasoning_token_count integer) TO service_role;

--
-- Name: FUNCTION set_expires_at(); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.set_expires_at() FROM PUBLIC;

--
-- Name: FUNCTION stale_reply_after(); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.stale_reply_after() FROM PUBLIC;

--
-- Name: FUNCTION storage_objects(p_parts jsonb); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.storage_objects(p_parts jsonb) FROM PUBLIC;

--
-- Name: FUNCTION take_reply_log(p_message public.conversation_messages); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.take_reply_log(p_message public.conversation_messages) FROM PUBLIC;

--
-- Name: FUNCTION tool_output_text(p_part jsonb); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.tool_output_text(p_part jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION conversation_store.tool_output_text(p_part jsonb) TO authenticated;
GRANT ALL ON FUNCTION conversation_store.tool_output_text(p_part jsonb) TO service_role;

--
-- Name: FUNCTION ui_message(p_message public.conversation_messages, p_results jsonb, p_include_reasoning boolean); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.ui_message(p_message public.conversation_messages, p_results jsonb, p_include_reasoning boolean) FROM PUBLIC;
GRANT ALL ON FUNCTION conversation_store.ui_message(p_message public.conversation_messages, p_results jsonb, p_include_reasoning boolean) TO authenticated;
GRANT ALL ON FUNCTION conversation_store.ui_message(p_message public.conversation_messages, p_results jsonb, p_include_reasoning boolean) TO service_role;

--
-- Name: FUNCTION ui_messages(p_messages public.conversation_messages[], p_include_reasoning boolean); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.ui_messages(p_messages public.conversation_messages[], p_include_reasoning boolean) FROM PUBLIC;
GRANT ALL ON FUNCTION conversation_store.ui_messages(p_messages public.conversation_messages[], p_include_reasoning boolean) TO authenticated;
GRANT ALL ON FUNCTION conversation_store.ui_messages(p_messages public.conversation_messages[], p_include_reasoning boolean) TO service_role;

--
-- Name: FUNCTION ui_part(p_part jsonb); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.ui_part(p_part jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION conversation_store.ui_part(p_part jsonb) TO authenticated;
GRANT ALL ON FUNCTION conversation_store.ui_part(p_part jsonb) TO service_role;

--
-- Name: FUNCTION with_derived_columns(p_message public.conversation_messages); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.with_derived_columns(p_message public.conversation_messages) FROM PUBLIC;

--
-- Name: FUNCTION with_parts(p_message public.conversation_messages, p_parts jsonb); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.with_parts(p_message public.conversation_messages, p_parts jsonb) FROM PUBLIC;

--
-- Name: FUNCTION without_reasoning(p_message public.conversation_messages); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.without_reasoning(p_message public.conversation_messages) FROM PUBLIC;
GRANT ALL ON FUNCTION conversation_store.without_reasoning(p_message public.conversation_messages) TO authenticated;
GRANT ALL ON FUNCTION conversation_store.without_reasoning(p_message public.conversation_messages) TO service_role;

--
-- Name: FUNCTION writer_counts_tokens(); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.writer_counts_tokens() FROM PUBLIC;

--
-- Name: FUNCTION append_messages(p_conversation_id uuid, p_messages jsonb, p_expected_last_sequence integer); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.append_messages(p_conversation_id uuid, p_messages jsonb, p_expected_last_sequence integer) FROM PUBLIC;
GRANT ALL ON FUNCTION public.append_messages(p_conversation_id uuid, p_messages jsonb, p_expected_last_sequence integer) TO authenticated;
GRANT ALL ON FUNCTION public.append_messages(p_conversation_id uuid, p_messages jsonb, p_expected_last_sequence integer) TO service_role;

--
-- Name: FUNCTION delete_all_conversations(p_user_id uuid, OUT deleted_conversations integer, OUT deleted_messages bigint, OUT done boolean); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.delete_all_conversations(p_user_id uuid, OUT deleted_conversations integer, OUT deleted_messages bigint, OUT done boolean) FROM PUBLIC;
GRANT ALL ON FUNCTION public.delete_all_conversations(p_user_id uuid, OUT deleted_conversations integer, OUT deleted_messages bigint, OUT done boolean) TO authenticated;
GRANT ALL ON FUNCTION public.delete_all_conversations(p_user_id uuid, OUT deleted_conversations integer, OUT deleted_messages bigint, OUT done boolean) TO service_role;

--
-- Name: FUNCTION delete_conversation(p_conversation_id uuid); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.delete_conversation(p_conversation_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION public.delete_conversation(p_conversation_id uuid) TO authenticated;
GRANT ALL ON FUNCTION public.delete_conversation(p_conversation_id uuid) TO service_role;

--
-- Name: FUNCTION fork_conversation(p_conversation_id uuid, p_through_sequence integer, p_id uuid, p_metadata jsonb); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.fork_conversation(p_conversation_id uuid, p_through_sequence integer, p_id uuid, p_metadata jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION public.fork_conversation(p_conversation_id uuid, p_through_sequence integer, p_id uuid, p_metadata jsonb) TO authenticated;
GRANT ALL ON FUNCTION public.fork_conversation(p_conversation_id uuid, p_through_sequence integer, p_id uuid, p_metadata jsonb) TO service_role;

--
-- Name: FUNCTION get_context(p_conversation_id uuid, p_max_tokens integer, p_max_messages integer, p_format text, p_include_reasoning boolean); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.get_context(p_conversation_id uuid, p_max_tokens integer, p_max_messages integer, p_format text, p_include_reasoning boolean) FROM PUBLIC;
GRANT ALL ON FUNCTION public.get_context(p_conversation_id uuid, p_max_tokens integer, p_max_messages integer, p_format text, p_include_reasoning boolean) TO authenticated;
GRANT ALL ON FUNCTION public.get_context(p_conversation_id uuid, p_max_tokens integer, p_max_messages integer, p_format text, p_include_reasoning boolean) TO service_role;

--
-- Name: FUNCTION jsonb_merge_patch(p_target jsonb, p_patch jsonb); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.jsonb_merge_patch(p_target jsonb, p_patch jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION public.jsonb_merge_patch(p_target jsonb, p_patch jsonb) TO authenticated;
GRANT ALL ON FUNCTION public.jsonb_merge_patch(p_target jsonb, p_patch jsonb) TO service_role;

--
-- Name: FUNCTION keep_reply_alive(p_conversation_id uuid, p_sequence_order integer); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.keep_reply_alive(p_conversation_id uuid, p_sequence_order integer) FROM PUBLIC;
GRANT ALL ON FUNCTION public.keep_reply_alive(p_conversation_id uuid, p_sequence_order integer) TO authenticated;
GRANT ALL ON FUNCTION public.keep_reply_alive(p_conversation_id uuid, p_sequence_order integer) TO service_role;

--
-- Name: FUNCTION purge_expired_conversations(p_batch_size integer); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.purge_expired_conversations(p_batch_size integer) FROM PUBLIC;
GRANT ALL ON FUNCTION public.purge_expired_conversations(p_batch_size integer) TO service_role;

--
-- Name: FUNCTION search_conversations(p_query text, p_limit integer, p_cursor jsonb, p_video_id uuid, p_user_id uuid); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.search_conversations(p_query text, p_limit integer, p_cursor jsonb, p_video_id uuid, p_user_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION public.search_conversations(p_query text, p_limit integer, p_cursor jsonb, p_video_id uuid, p_user_id uuid) TO authenticated;
GRANT ALL ON FUNCTION public.search_conversations(p_query text, p_limit integer, p_cursor jsonb, p_video_id uuid, p_user_id uuid) TO service_role;

--
-- Name: FUNCTION set_conversation_summary(p_conversation_id uuid, p_content text, p_through_sequence integer, p_token_count integer); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.set_conversation_summary(p_conversation_id uuid, p_content text, p_through_sequence integer, p_token_count integer) FROM PUBLIC;
GRANT ALL ON FUNCTION public.set_conversation_summary(p_conversation_id uuid, p_content text, p_through_sequence integer, p_token_count integer) TO authenticated;
GRANT ALL ON FUNCTION public.set_conversation_summary(p_conversation_id uuid, p_content text, p_through_sequence integer, p_token_count integer) TO service_role;

--
-- Name: FUNCTION start_conversation(p_video_id uuid, p_metadata jsonb, p_id uuid, p_user_id uuid, p_retention_seconds integer); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.start_conversation(p_video_id uuid, p_metadata jsonb, p_id uuid, p_user_id uuid, p_retention_seconds integer) FROM PUBLIC;
GRANT ALL ON FUNCTION public.start_conversation(p_video_id uuid, p_metadata jsonb, p_id uuid, p_user_id uuid, p_retention_seconds integer) TO authenticated;
GRANT ALL ON FUNCTION public.start_conversation(p_video_id uuid, p_metadata jsonb, p_id uuid, p_user_id uuid, p_retention_seconds integer) TO service_role;

--
-- Name: FUNCTION touch_updated_at(); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.touch_updated_at() FROM PUBLIC;

--
-- Name: FUNCTION update_conversation_metadata(p_conversation_id uuid, p_patch jsonb); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.update_conversation_metadata(p_conversation_id uuid, p_patch jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION public.update_conversation_metadata(p_conversation_id uuid, p_patch jsonb) TO authenticated;
GRANT ALL ON FUNCTION public.update_conversation_metadata(p_conversation_id uuid, p_patch jsonb) TO service_role;

--
-- Name: FUNCTION update_message(p_conversation_id uuid, p_sequence_order integer, p_content text, p_append_content text, p_content_offset integer, p_tool_calls jsonb, p_function_call jsonb, p_status text, p_part_index integer, p_part jsonb, p_append_text text, p_text_offset integer, p_metadata jsonb); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.update_message(p_conversation_id uuid, p_sequence_order integer, p_content text, p_append_content text, p_content_offset integer, p_tool_calls jsonb, p_function_call jsonb, p_status text, p_part_index integer, p_part jsonb, p_append_text text, p_text_offset integer, p_metadata jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION public.update_message(p_conversation_id uuid, p_sequence_order integer, p_content text, p_append_content text, p_content_offset integer, p_tool_calls jsonb, p_function_call jsonb, p_status text, p_part_index integer, p_part jsonb, p_append_text text, p_text_offset integer, p_metadata jsonb) TO authenticated;
GRANT ALL ON FUNCTION public.update_message(p_conversation_id uuid, p_sequence_order integer, p_content text, p_append_content text, p_content_offset integer, p_tool_calls jsonb, p_function_call jsonb, p_status text, p_part_index integer, p_part jsonb, p_append_text text, p_text_offset integer, p_metadata jsonb) TO service_role;

--
-- Name: TABLE storage_objects_to_remove; Type: ACL; Schema: conversation_store; Owner: postgres
--

GRANT SELECT ON TABLE conversation_store.storage_objects_to_remove TO authenticated;

--
-- PostgreSQL database dump complete
--
