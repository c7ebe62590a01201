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
    reply_outcome jsonb,
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
    CONSTRAINT conversation_messages_only_assistant_awaits CHECK (((status <> 'awaiting_input'::text) OR ((role = 'assistant'::text) AND (parts IS NOT NULL)))),
    CONSTRAINT conversation_messages_only_assistant_in_progress CHECK (((status <> 'in_progress'::text) OR (role = 'assistant'::text))),
    CONSTRAINT conversation_messages_parts_is_array CHECK ((jsonb_typeof(parts) = 'array'::text)),
    CONSTRAINT conversation_messages_parts_max_size CHECK ((octet_length((parts)::text) <= 524288)),
    CONSTRAINT conversation_messages_reasoning_token_count_range CHECK (((reasoning_token_count >= 0) AND (reasoning_token_count <= 1000000))),
    CONSTRAINT conversation_messages_reply_outcome_max_size CHECK (((reply_outcome IS NULL) OR (pg_column_size(reply_outcome) <= 2048))),
    CONSTRAINT conversation_messages_reply_outcome_shape CHECK (((reply_outcome IS NULL) OR ((jsonb_typeof(reply_outcome) = 'object'::text) AND ((NOT (reply_outcome ? 'reason'::text)) OR ((reply_outcome ->> 'reason'::text) = ANY (ARRAY['stopped'::text, 'model_error'::text, 'time_limit'::text, 'taken_over'::text, 'refused'::text]))) AND ((NOT (reply_outcome ? 'error'::text)) OR (jsonb_typeof((reply_outcome -> 'error'::text)) = 'object'::text)) AND (((reply_outcome ->> 'reason'::text) IS NULL) OR (status <> 'completed'::text))))),
    CONSTRAINT conversation_messages_role_known CHECK ((role = ANY (ARRAY['system'::text, 'user'::text, 'assistant'::text, 'function'::text, 'tool'::text]))),
    CONSTRAINT conversation_messages_sequence_order_positive CHECK ((sequence_order >= 1)),
    CONSTRAINT conversation_messages_status_known CHECK ((status = ANY (ARRAY['in_progress'::text, 'awaiting_input'::text, 'completed'::text, 'incomplete'::text]))),
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

COMMENT ON COLUMN public.conversation_messages.status IS 'in_progress while a reply streams; awaiting_input while it waits for tool approvals or outputs from the user; completed or incomplete once final. Final messages never change.';

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
-- Name: COLUMN conversation_messages.reply_outcome; Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON COLUMN public.conversation_messages.reply_outcome IS 'How a reply ended: {} completed, {"reason": …, "error"?: …} incomplete; null for messages not written as a reply in progress.';

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
-- Name: any_word_query(text); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.any_word_query(p_text text) RETURNS tsquery
    LANGUAGE sql IMMUTABLE
    SET search_path TO ''
    AS $$
  select pg_catalog.string_agg('(' || word.query::text || ')', ' | ')::tsquery
  from (
    select pg_catalog.plainto_tsquery('simple'::regconfig, v.lexeme) as query
    from pg_catalog.unnest(pg_catalog.to_tsvector('english'::regconfig, p_text)) as v
    order by (v.positions)[1]
    limit 32
  ) as word
  where pg_catalog.numnode(word.query) > 0
$$;

ALTER FUNCTION conversation_store.any_word_query(p_text text) OWNER TO postgres;

--
-- Name: tags_are_valid(text[]); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.tags_are_valid(p_tags text[]) RETURNS boolean
    LANGUAGE sql IMMUTABLE
    SET search_path TO ''
    AS $$
  select p_tags = conversation_store.normalize_tags(p_tags)
     and not exists (select from unnest(p_tags) as tag
                     where char_length(tag) > 32 or tag ~ '[,[:cntrl:]]')
$$;

ALTER FUNCTION conversation_store.tags_are_valid(p_tags text[]) OWNER TO postgres;

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
    title text,
    title_source text,
    pinned boolean DEFAULT false NOT NULL,
    archived boolean DEFAULT false NOT NULL,
    tags text[] DEFAULT '{}'::text[] NOT NULL,
    CONSTRAINT conversations_forked_from_sequence_positive CHECK ((forked_from_sequence >= 1)),
    CONSTRAINT conversations_last_sequence_not_negative CHECK ((last_sequence >= 0)),
    CONSTRAINT conversations_metadata_is_object CHECK ((jsonb_typeof(metadata) = 'object'::text)),
    CONSTRAINT conversations_metadata_max_size CHECK ((octet_length((metadata)::text) <= 65536)),
    CONSTRAINT conversations_retention_seconds_range CHECK (((retention_seconds >= 60) AND (retention_seconds <= 315360000))),
    CONSTRAINT conversations_summary_complete CHECK ((((summary IS NULL) = (summary_through_sequence IS NULL)) AND ((summary IS NULL) = (summary_token_count IS NULL)))),
    CONSTRAINT conversations_summary_max_size CHECK ((char_length(summary) <= 100000)),
    CONSTRAINT conversations_summary_through_sequence_range CHECK (((summary_through_sequence >= 1) AND (summary_through_sequence <= last_sequence))),
    CONSTRAINT conversations_summary_token_count_range CHECK (((summary_token_count >= 0) AND (summary_token_count <= 1000000))),
    CONSTRAINT conversations_tags_max_count CHECK ((cardinality(tags) <= 10)),
    CONSTRAINT conversations_tags_valid CHECK (conversation_store.tags_are_valid(tags)),
    CONSTRAINT conversations_title_length CHECK (((char_length(title) >= 1) AND (char_length(title) <= 200))),
    CONSTRAINT conversations_title_one_line CHECK ((title !~ '[[:cntrl:]]'::text)),
    CONSTRAINT conversations_title_source CHECK ((((title IS NULL) = (title_source IS NULL)) AND ((title_source IS NULL) OR (title_source = ANY (ARRAY['user'::text, 'generated'::text])))))
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
-- Name: COLUMN conversations.title; Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON COLUMN public.conversations.title IS 'The conversation''s title: at most 200 characters on one line; null when it has none.';

--
-- Name: COLUMN conversations.title_source; Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON COLUMN public.conversations.title_source IS '''user'' or ''generated'' (by chat); a generated title never replaces a user''s. Null without a title.';

--
-- Name: COLUMN conversations.pinned; Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON COLUMN public.conversations.pinned IS 'Listed before the others.';

--
-- Name: COLUMN conversations.archived; Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON COLUMN public.conversations.archived IS 'Left out of lists and searches unless archived ones are asked for.';

--
-- Name: COLUMN conversations.tags; Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON COLUMN public.conversations.tags IS 'At most 10 distinct normalised labels (1 to 32 characters, lower case), sorted.';

--
-- Name: awaits_user(public.conversations); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.awaits_user(p_conversation public.conversations) RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
  select exists (select from public.conversation_messages m
                 where m.conversation_id = p_conversation.id and m.status = 'awaiting_input')
$$;

ALTER FUNCTION conversation_store.awaits_user(p_conversation public.conversations) OWNER TO postgres;

--
-- Name: base_part_problem(jsonb); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.base_part_problem(p_part jsonb) RETURNS text
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
    when exists (select from jsonb_each(p_part) as field(key, value) where conversation_store.too_deep(field.value))
      then 'has a value nested more than 32 levels deep'
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
          and (p_part -> 'storage' ->> 'bucket') ~ '^[a-z0-9_-]{1,100}$'
          and jsonb_typeof(p_part -> 'storage' -> 'path') = 'string'
          and char_length(p_part -> 'storage' ->> 'path') between 1 and 1024
          and (p_part -> 'storage') - 'bucket' - 'path' = '{}'::jsonb, false)
        then 'has a storage that is not {bucket, path} with a bucket of 1-100 lowercase letters, digits, _ or -'
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
      when p_part ->> 'url' !~* '^https?://' then 'has a url that is not http: or https:'
    end
    when p_part ->> 'type' = 'data' then case
      when coalesce(p_part ->> 'name' !~ '^[A-Za-z0-9_-]{1,64}$', true) then 'needs a name of 1-64 letters, digits, _ or -'
      when not p_part ? 'data' then 'needs data'
    end
  end
$_$;

ALTER FUNCTION conversation_store.base_part_problem(p_part jsonb) OWNER TO postgres;

--
-- Name: FUNCTION base_part_problem(p_part jsonb); Type: COMMENT; Schema: conversation_store; Owner: postgres
--

COMMENT ON FUNCTION conversation_store.base_part_problem(p_part jsonb) IS 'The part rules before 20261207000410_ai7_parts.sql; conversation_store.part_problem adds custom and reasoning-file parts on top.';

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
-- Name: callers_reply_in_progress(uuid, integer); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.callers_reply_in_progress(p_conversation_id uuid, p_sequence_order integer DEFAULT NULL::integer) RETURNS uuid
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
  select m.id
  from public.conversation_messages m
  join public.conversations c on c.id = m.conversation_id
  where m.conversation_id = p_conversation_id
    and (p_sequence_order is null or m.sequence_order = p_sequence_order)
    and m.status = 'in_progress'
    and conversation_store.caller_reaches(c)
$$;

ALTER FUNCTION conversation_store.callers_reply_in_progress(p_conversation_id uuid, p_sequence_order integer) OWNER TO postgres;

--
-- Name: check_numbers(jsonb, text, text[], text[], numeric, boolean); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.check_numbers(p_value jsonb, p_name text, p_keys text[], p_whole_keys text[], p_max numeric, p_nullable boolean) RETURNS void
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO ''
    AS $$
declare
  v_key text;
  v_value jsonb;
begin
  if jsonb_typeof(p_value) is distinct from 'object' then
    raise exception '% must be an object of numbers', p_name using errcode = '22023';
  end if;
  for v_key, v_value in select * from jsonb_each(p_value) loop
    if not v_key = any(p_keys) then
      raise exception '% has an unknown key %', p_name, v_key using errcode = '22023';
    end if;
    continue when v_value = 'null'::jsonb and p_nullable;
    if jsonb_typeof(v_value) <> 'number' or v_value::numeric not between 0 and p_max
       or (v_key = any(p_whole_keys) and v_value::numeric <> trunc(v_value::numeric)) then
      raise exception '%.% must be a % from 0 to %', p_name, v_key,
        case when v_key = any(p_whole_keys) then 'whole number' else 'number' end, p_max
        using errcode = '22023';
    end if;
  end loop;
end;
$$;

ALTER FUNCTION conversation_store.check_numbers(p_value jsonb, p_name text, p_keys text[], p_whole_keys text[], p_max numeric, p_nullable boolean) OWNER TO postgres;

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
  if (select count(*) from jsonb_array_elements(p_parts) as part(value) where part.value ->> 'type' = 'file')
     > conversation_store.max_file_parts() then
    raise exception 'a message holds at most % file parts', conversation_store.max_file_parts()
      using errcode = '22023';
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
-- Name: claim_regeneration(uuid); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.claim_regeneration(p_conversation_id uuid) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_fork uuid;
  v_sequence integer;
begin
  perform from public.conversations c
  where c.id = p_conversation_id and conversation_store.caller_reaches(c)
  for no key update;
  if not found then
    raise exception 'conversation not found' using errcode = 'PT404';
  end if;
  select m.conversation_id, m.sequence_order into v_fork, v_sequence
  from public.conversations f
  join public.conversation_messages m on m.conversation_id = f.id
  where f.forked_from_conversation_id = p_conversation_id
    and m.status = 'in_progress' and m.updated_at >= now() - conversation_store.stale_reply_after()
  limit 1;
  if found then
    raise exception 'a regeneration of this conversation is still replying' using errcode = 'PT409',
      hint = 'reply_in_progress',
      detail = jsonb_build_object('conversation_id', v_fork, 'sequence_order', v_sequence)::text;
  end if;
end;
$$;

ALTER FUNCTION conversation_store.claim_regeneration(p_conversation_id uuid) OWNER TO postgres;

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
    'title', p_conversation.title, 'pinned', p_conversation.pinned, 'archived', p_conversation.archived,
    'tags', to_json(p_conversation.tags),
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
    when 'text' then case when part.value ->> 'text' = '' then 1 else 0 end
    when 'reasoning' then case when part.value ->> 'text' = '' then 1 else 0 end
    when 'file' then conversation_store.file_token_estimate()
    when 'tool-call' then coalesce(octet_length((part.value -> 'output')::text), 0)
      + coalesce(octet_length(part.value ->> 'error_text'), 0)
      + case when part.value -> 'provider_executed' = 'true'::jsonb
             then octet_length(part.value ->> 'tool_name') + coalesce(octet_length((part.value -> 'input')::text), 0)
             else 0 end
    else 1
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
-- Name: import_id(uuid, text); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.import_id(p_user_id uuid, p_key text) RETURNS uuid
    LANGUAGE sql IMMUTABLE
    SET search_path TO ''
    AS $$
  select encode(substr(sha256(convert_to(p_user_id::text || '/' || p_key, 'UTF8')), 1, 16), 'hex')::uuid
$$;

ALTER FUNCTION conversation_store.import_id(p_user_id uuid, p_key text) OWNER TO postgres;

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
-- Name: jsonb_merge_patch(jsonb, jsonb); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.jsonb_merge_patch(p_target jsonb, p_patch jsonb) RETURNS jsonb
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

ALTER FUNCTION conversation_store.jsonb_merge_patch(p_target jsonb, p_patch jsonb) OWNER TO postgres;

--
-- Name: FUNCTION jsonb_merge_patch(p_target jsonb, p_patch jsonb); Type: COMMENT; Schema: conversation_store; Owner: postgres
--

COMMENT ON FUNCTION conversation_store.jsonb_merge_patch(p_target jsonb, p_patch jsonb) IS 'Input: a stored JSON document and a merge patch.
Guarantees (RFC 7396): objects merge key by key, recursively; a key whose patch value is null is
  removed; any other patch value replaces the stored one. Work is linear in the sizes of the target
  and the patch.
Errors: none.';

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
-- Name: max_batch_bytes(); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.max_batch_bytes() RETURNS integer
    LANGUAGE sql IMMUTABLE
    SET search_path TO ''
    AS $$
  select 1048576
$$;

ALTER FUNCTION conversation_store.max_batch_bytes() OWNER TO postgres;

--
-- Name: max_file_parts(); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.max_file_parts() RETURNS integer
    LANGUAGE sql IMMUTABLE
    SET search_path TO ''
    AS $$
  select 100
$$;

ALTER FUNCTION conversation_store.max_file_parts() OWNER TO postgres;

--
-- Name: memory_entries; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.memory_entries (
    user_id uuid NOT NULL,
    key text NOT NULL,
    value text NOT NULL,
    version bigint NOT NULL,
    token_count integer NOT NULL,
    conversation_id uuid,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT memory_entries_key_shape CHECK ((((char_length(key) >= 1) AND (char_length(key) <= 100)) AND (key !~ '[[:cntrl:]]'::text))),
    CONSTRAINT memory_entries_token_count_range CHECK (((token_count >= 1) AND (token_count <= 100000))),
    CONSTRAINT memory_entries_value_shape CHECK (((char_length(value) >= 1) AND (char_length(value) <= 4000))),
    CONSTRAINT memory_entries_version_positive CHECK ((version > 0))
);

ALTER TABLE public.memory_entries OWNER TO postgres;

--
-- Name: TABLE memory_entries; Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON TABLE public.memory_entries IS 'What the assistant remembers about a user across conversations. Written only by public.write_memory (versioned, bounded).';

--
-- Name: COLUMN memory_entries.version; Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON COLUMN public.memory_entries.version IS 'Changes on every write, never repeats (one sequence): a writer names the version it read.';

--
-- Name: COLUMN memory_entries.token_count; Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON COLUMN public.memory_entries.token_count IS 'Tokens of "key: value" plus 3: exact (o200k_base) when written through the edge functions, a byte-based upper bound otherwise.';

--
-- Name: COLUMN memory_entries.conversation_id; Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON COLUMN public.memory_entries.conversation_id IS 'The conversation the entry was last written from, if any; null once that conversation is deleted.';

--
-- Name: memory_entry_json(public.memory_entries); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.memory_entry_json(p_entry public.memory_entries) RETURNS json
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
  select json_build_object(
    'key', p_entry.key, 'value', p_entry.value, 'version', p_entry.version,
    'token_count', p_entry.token_count, 'conversation_id', p_entry.conversation_id,
    'updated_at', p_entry.updated_at
  )
$$;

ALTER FUNCTION conversation_store.memory_entry_json(p_entry public.memory_entries) OWNER TO postgres;

--
-- Name: memory_max_entries(); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.memory_max_entries() RETURNS integer
    LANGUAGE sql IMMUTABLE
    SET search_path TO ''
    AS $$ select 100 $$;

ALTER FUNCTION conversation_store.memory_max_entries() OWNER TO postgres;

--
-- Name: memory_max_tokens(); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.memory_max_tokens() RETURNS integer
    LANGUAGE sql IMMUTABLE
    SET search_path TO ''
    AS $$ select 2000 $$;

ALTER FUNCTION conversation_store.memory_max_tokens() OWNER TO postgres;

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
-- Name: normalize_labels(); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.normalize_labels() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
begin
  new.title := conversation_store.normalize_title(new.title);
  new.tags := conversation_store.normalize_tags(new.tags);
  if tg_op = 'INSERT' or new.title is distinct from old.title then
    if tg_op = 'INSERT' or new.title_source is not distinct from old.title_source then
      new.title_source := case when new.title is null then null else 'user' end;
    end if;
  end if;
  if new.title is null then
    new.title_source := null;
  end if;
  return new;
end;
$$;

ALTER FUNCTION conversation_store.normalize_labels() OWNER TO postgres;

--
-- Name: normalize_tags(text[]); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.normalize_tags(p_tags text[]) RETURNS text[]
    LANGUAGE sql IMMUTABLE
    SET search_path TO ''
    AS $$
  select coalesce(array_agg(distinct normalized.tag order by normalized.tag), '{}')
  from (select lower(conversation_store.normalize_title(tag)) collate "C" as tag from unnest(p_tags) as tag) as normalized
  where normalized.tag is not null
$$;

ALTER FUNCTION conversation_store.normalize_tags(p_tags text[]) OWNER TO postgres;

--
-- Name: normalize_title(text); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.normalize_title(p_title text) RETURNS text
    LANGUAGE sql IMMUTABLE
    SET search_path TO ''
    AS $$
  select nullif(regexp_replace(btrim(p_title, E' \t\n\r\f\v'), '\s+', ' ', 'g'), '')
$$;

ALTER FUNCTION conversation_store.normalize_title(p_title text) OWNER TO postgres;

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
    when jsonb_typeof(p_part) is distinct from 'object' or p_part ->> 'type' not in ('custom', 'reasoning-file')
      then conversation_store.base_part_problem(p_part)
    when p_part - (case p_part ->> 'type'
        when 'custom' then array['type', 'kind', 'provider_metadata']
        else array['type', 'media_type', 'url', 'provider_metadata']
      end) <> '{}'::jsonb then 'has an unknown field'
    when p_part ? 'provider_metadata' and jsonb_typeof(p_part -> 'provider_metadata') <> 'object'
      then 'has a field of the wrong type'
    when conversation_store.base_part_problem(jsonb_build_object('type', 'data', 'name', 'x', 'data',
           coalesce(p_part -> 'provider_metadata', '{}'::jsonb))) is not null
      then 'has a provider_metadata that cannot be stored'
    when p_part ->> 'type' = 'custom' then case
      when jsonb_typeof(p_part -> 'kind') is distinct from 'string'
           or p_part ->> 'kind' !~ '^[^.]+\.[^.].*$' or char_length(p_part ->> 'kind') > 256
        then 'needs a kind "<provider>.<type>" of at most 256 characters'
    end
    else case
      when jsonb_typeof(p_part -> 'media_type') is distinct from 'string'
           or char_length(p_part ->> 'media_type') not between 1 and 255
        then 'needs a media_type of 1 to 255 characters'
      when jsonb_typeof(p_part -> 'url') is distinct from 'string' or p_part ->> 'url' !~ '^(https?|data):'
        then 'needs a url that is http:, https: or data:'
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
-- Name: message_ratings; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.message_ratings (
    conversation_id uuid NOT NULL,
    sequence_order integer NOT NULL,
    user_id uuid NOT NULL,
    rating text NOT NULL,
    reason text,
    comment text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT message_ratings_comment_max_size CHECK ((char_length(comment) <= 2000)),
    CONSTRAINT message_ratings_rating CHECK ((rating = ANY (ARRAY['up'::text, 'down'::text]))),
    CONSTRAINT message_ratings_reason CHECK ((reason ~ '^[a-z0-9_]{1,64}$'::text))
);

ALTER TABLE public.message_ratings OWNER TO postgres;

--
-- Name: TABLE message_ratings; Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON TABLE public.message_ratings IS 'A user''s rating of an assistant message of their conversation. Written only by public.rate_message.';

--
-- Name: COLUMN message_ratings.reason; Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON COLUMN public.message_ratings.reason IS 'A short code chosen by the app (a-z, 0-9, _; at most 64).';

--
-- Name: rating_json(public.message_ratings, public.conversation_messages); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.rating_json(p_rating public.message_ratings, p_message public.conversation_messages) RETURNS json
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
  select json_build_object(
    'sequence_order', p_rating.sequence_order, 'message_id', p_message.id,
    'client_message_id', p_message.client_message_id, 'rating', p_rating.rating, 'reason', p_rating.reason,
    'comment', p_rating.comment, 'created_at', p_rating.created_at, 'updated_at', p_rating.updated_at
  )
$$;

ALTER FUNCTION conversation_store.rating_json(p_rating public.message_ratings, p_message public.conversation_messages) OWNER TO postgres;

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
-- Name: reply_usage(uuid); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.reply_usage(p_message_id uuid) RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
  select jsonb_strip_nulls(jsonb_build_object(
    'model', l.model,
    'usage', case when l.status = 'settled' then jsonb_strip_nulls(jsonb_build_object(
      'inputTokens', l.input_tokens, 'outputTokens', l.output_tokens, 'totalTokens', l.total_tokens,
      'reasoningTokens', l.reasoning_tokens, 'cachedInputTokens', l.cached_input_tokens,
      'estimated', case when l.estimated then true end)) end))
  from public.usage_ledger as l
  where l.message_id = p_message_id
$$;

ALTER FUNCTION conversation_store.reply_usage(p_message_id uuid) OWNER TO postgres;

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
-- Name: semantic_candidates(uuid, real[], uuid, integer); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.semantic_candidates(p_user uuid, p_embedding real[], p_exclude_conversation_id uuid, p_limit integer) RETURNS TABLE(message_id uuid, rank bigint)
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
  select null::uuid, null::bigint where false
$$;

ALTER FUNCTION conversation_store.semantic_candidates(p_user uuid, p_embedding real[], p_exclude_conversation_id uuid, p_limit integer) OWNER TO postgres;

--
-- Name: semantic_recall_ready(text, integer); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.semantic_recall_ready(p_model text, p_dimensions integer) RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$ select false $$;

ALTER FUNCTION conversation_store.semantic_recall_ready(p_model text, p_dimensions integer) OWNER TO postgres;

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
-- Name: set_generated_title(uuid, text); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.set_generated_title(p_conversation_id uuid, p_title text) RETURNS text
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO ''
    AS $$
  with written as (
    update public.conversations as c
    set title = p_title, title_source = 'generated'
    where c.id = p_conversation_id and c.title is null and conversation_store.caller_reaches(c)
    returning c.title
  )
  select coalesce((select w.title from written w),
                  (select c.title from public.conversations c
                   where c.id = p_conversation_id and conversation_store.caller_reaches(c)))
$$;

ALTER FUNCTION conversation_store.set_generated_title(p_conversation_id uuid, p_title text) OWNER TO postgres;

--
-- Name: settle_abandoned_usage(uuid); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.settle_abandoned_usage(p_user_id uuid) RETURNS void
    LANGUAGE sql
    SET search_path TO ''
    AS $$
  with abandoned as (
    select l.id, coalesce(m.token_count, l.reserved_tokens) as output_tokens, l.model
    from public.usage_ledger as l
    left join public.conversation_messages as m on m.id = l.message_id
    where l.user_id = p_user_id and l.status = 'reserved'
      and case
        when l.message_id is null then l.created_at < now() - interval '1 hour'
        else m.id is null
          or (m.status <> 'in_progress' and m.updated_at < now() - conversation_store.stale_reply_after())
      end
  )
  update public.usage_ledger as l
  set status = 'settled', settled_at = now(), estimated = true,
      output_tokens = a.output_tokens, total_tokens = a.output_tokens,
      cost = c.cost, priced = c.priced
  from abandoned as a
  cross join lateral conversation_store.usage_cost(a.model, null, null, a.output_tokens) as c
  where l.id = a.id
$$;

ALTER FUNCTION conversation_store.settle_abandoned_usage(p_user_id uuid) OWNER TO postgres;

--
-- Name: settle_inserted_waiting_reply(); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.settle_inserted_waiting_reply() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
  new.parts := conversation_store.settled_parts(new.parts, 'the request was not made by this conversation''s reply');
  new.content := conversation_store.parts_content(new.parts, new.role);
  new.tool_calls := conversation_store.parts_tool_calls(new.parts);
  new.status := 'completed';
  return new;
end;
$$;

ALTER FUNCTION conversation_store.settle_inserted_waiting_reply() OWNER TO postgres;

--
-- Name: settle_reply_outcome(); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.settle_reply_outcome() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
begin
  if new.status = 'completed' then
    new.reply_outcome := '{}'::jsonb;
  elsif old.reply_outcome ? 'reason' then
    new.reply_outcome := old.reply_outcome;
  else
    new.reply_outcome := jsonb_build_object('reason',
      case when old.updated_at < now() - conversation_store.stale_reply_after() then 'taken_over'
           else 'stopped' end);
  end if;
  return new;
end;
$$;

ALTER FUNCTION conversation_store.settle_reply_outcome() OWNER TO postgres;

--
-- Name: settle_waiting_replies(); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.settle_waiting_replies() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
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

ALTER FUNCTION conversation_store.settle_waiting_replies() OWNER TO postgres;

--
-- Name: settled_parts(jsonb, text); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.settled_parts(p_parts jsonb, p_reason text) RETURNS jsonb
    LANGUAGE sql IMMUTABLE
    SET search_path TO ''
    AS $$
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

ALTER FUNCTION conversation_store.settled_parts(p_parts jsonb, p_reason text) OWNER TO postgres;

--
-- Name: share_token_hash(text); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.share_token_hash(p_token text) RETURNS bytea
    LANGUAGE sql IMMUTABLE
    SET search_path TO ''
    AS $_$
  select case when p_token ~ '^[A-Za-z0-9_-]{43}$' then sha256(convert_to(p_token, 'UTF8')) end
$_$;

ALTER FUNCTION conversation_store.share_token_hash(p_token text) OWNER TO postgres;

--
-- Name: shares_per_conversation(); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.shares_per_conversation() RETURNS integer
    LANGUAGE sql IMMUTABLE
    SET search_path TO ''
    AS $$
  select 100
$$;

ALTER FUNCTION conversation_store.shares_per_conversation() OWNER TO postgres;

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
    AS $_$
  select distinct part.value -> 'storage' ->> 'bucket', part.value -> 'storage' ->> 'path'
  from jsonb_array_elements(p_parts) as part(value)
  where part.value ->> 'type' = 'file' and part.value ? 'storage'
    and (part.value -> 'storage' ->> 'bucket') ~ '^[a-z0-9_-]{1,100}$'
$_$;

ALTER FUNCTION conversation_store.storage_objects(p_parts jsonb) OWNER TO postgres;

--
-- Name: sync_conversation_tags(); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.sync_conversation_tags() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
  if tg_op = 'UPDATE' and old.tags is distinct from new.tags then
    delete from public.conversation_tags as t
    where t.conversation_id = new.id and t.tag <> all (new.tags);
  end if;
  insert into public.conversation_tags as t (conversation_id, tag, user_id, archived, pinned, updated_at)
  select new.id, tag, new.user_id, new.archived, new.pinned, new.updated_at from unnest(new.tags) as tag
  on conflict (conversation_id, tag) do update
    set user_id = excluded.user_id, archived = excluded.archived, pinned = excluded.pinned,
        updated_at = excluded.updated_at;
  return null;
end;
$$;

ALTER FUNCTION conversation_store.sync_conversation_tags() OWNER TO postgres;

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
-- Name: too_deep(jsonb, integer); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.too_deep(p_value jsonb, p_depth integer DEFAULT 32) RETURNS boolean
    LANGUAGE sql IMMUTABLE
    SET search_path TO ''
    AS $_$
  -- .**{n} is the items n levels below the root: a container there is at depth n + 1.
  select jsonb_path_exists(p_value,
    format('strict $.**{%s} ? (@.type() == "object" || @.type() == "array")', p_depth)::jsonpath)
$_$;

ALTER FUNCTION conversation_store.too_deep(p_value jsonb, p_depth integer) OWNER TO postgres;

--
-- Name: tool_call_waits(jsonb); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.tool_call_waits(p_part jsonb) RETURNS boolean
    LANGUAGE sql IMMUTABLE
    SET search_path TO ''
    AS $$
  select coalesce(p_part ->> 'type' = 'tool-call'
    and (p_part ->> 'state' = 'approval-requested'
         or (p_part ->> 'state' = 'input-available' and p_part -> 'provider_executed' is distinct from 'true'::jsonb)),
    false)
$$;

ALTER FUNCTION conversation_store.tool_call_waits(p_part jsonb) OWNER TO postgres;

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
-- Name: tool_request_max_age(); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.tool_request_max_age() RETURNS interval
    LANGUAGE sql IMMUTABLE
    SET search_path TO ''
    AS $$
  select interval '7 days'
$$;

ALTER FUNCTION conversation_store.tool_request_max_age() OWNER TO postgres;

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
-- Name: usage_allowance(uuid); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.usage_allowance(p_user_id uuid) RETURNS TABLE(plan text, policy text, code text, quota numeric, used numeric, remaining numeric, window_seconds integer, reset_seconds integer)
    LANGUAGE plpgsql STABLE
    SET search_path TO ''
    AS $$
declare
  v_plan public.usage_plans;
  v_hour timestamptz := date_trunc('hour', now(), 'UTC');
  v_day timestamptz := date_trunc('day', now(), 'UTC');
  v_month timestamptz := date_trunc('month', now(), 'UTC');
  v_used record;
begin
  select * into v_plan from public.usage_plans as p where p.name = conversation_store.usage_plan_of(p_user_id);
  select count(*) filter (where l.created_at >= v_hour) as hour_requests,
         count(*) filter (where l.created_at >= v_day) as day_requests,
         coalesce(sum(case when l.status = 'reserved' then l.reserved_tokens else coalesce(l.total_tokens, 0) end)
                    filter (where l.created_at >= v_day), 0) as day_tokens,
         coalesce(sum(l.cost), 0) as month_cost
  into v_used
  from public.usage_ledger as l
  where l.user_id = p_user_id
    -- The month is read only when a cost budget needs it.
    and l.created_at >= case when v_plan.cost_per_month is null then v_day else v_month end;

  return query
  select v_plan.name, w.policy, w.code, w.quota, w.used,
         case when w.quota is null then null else greatest(w.quota - w.used, 0) end,
         extract(epoch from w.length)::integer,
         greatest(ceil(extract(epoch from w.starts + w.length - now())), 1)::integer
  from (values
    ('requests_per_hour', 'rate_limited', v_plan.requests_per_hour::numeric, v_used.hour_requests::numeric,
     v_hour, interval '1 hour'),
    ('requests_per_day', 'rate_limited', v_plan.requests_per_day::numeric, v_used.day_requests::numeric,
     v_day, interval '1 day'),
    ('tokens_per_day', 'quota_exceeded', v_plan.tokens_per_day::numeric, v_used.day_tokens::numeric,
     v_day, interval '1 day'),
    ('cost_per_month', 'quota_exceeded', v_plan.cost_per_month, v_used.month_cost,
     v_month, (v_month + interval '1 month') - v_month)
  ) as w(policy, code, quota, used, starts, length);
end;
$$;

ALTER FUNCTION conversation_store.usage_allowance(p_user_id uuid) OWNER TO postgres;

--
-- Name: usage_cost(text, integer, integer, integer); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.usage_cost(p_model text, p_input_tokens integer, p_cached_input_tokens integer, p_output_tokens integer, OUT cost numeric, OUT priced boolean) RETURNS record
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
  select coalesce((greatest(coalesce(p_input_tokens, 0) - coalesce(p_cached_input_tokens, 0), 0) * p.input_per_million
                   + coalesce(p_cached_input_tokens, 0) * p.cached_input_per_million
                   + coalesce(p_output_tokens, 0) * p.output_per_million) / 1000000, 0),
         p.model is not null
  from (select) as one
  left join public.model_prices as p on p.model = p_model
$$;

ALTER FUNCTION conversation_store.usage_cost(p_model text, p_input_tokens integer, p_cached_input_tokens integer, p_output_tokens integer, OUT cost numeric, OUT priced boolean) OWNER TO postgres;

--
-- Name: usage_plan_of(uuid); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.usage_plan_of(p_user_id uuid) RETURNS text
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
  select coalesce(
    (select a.plan from public.usage_plan_assignments as a where a.user_id = p_user_id),
    case
      when (p_user_id = auth.uid() and auth.jwt() ->> 'is_anonymous' = 'true')
        -- to_jsonb: the column is Supabase Auth's, and absent from a bare auth.users.
        or exists (select from auth.users as u where u.id = p_user_id and to_jsonb(u) ->> 'is_anonymous' = 'true')
      then 'guest'
      else 'default'
    end)
$$;

ALTER FUNCTION conversation_store.usage_plan_of(p_user_id uuid) OWNER TO postgres;

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
-- Name: with_reply_usage(json, public.conversation_messages, boolean); Type: FUNCTION; Schema: conversation_store; Owner: postgres
--

CREATE FUNCTION conversation_store.with_reply_usage(p_json json, p_message public.conversation_messages, p_in_metadata boolean) RETURNS json
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
  select case
    -- A tool message that an assistant row also stands for (format openai) gets nothing.
    when p_message.role is distinct from 'assistant' or u.usage is null
      or (p_json ->> 'role') is distinct from 'assistant' then p_json
    when p_in_metadata then jsonb_set(p_json::jsonb, '{metadata}', coalesce(p_json::jsonb -> 'metadata', '{}') || u.usage)::json
    else (p_json::jsonb || u.usage)::json
  end
  from (select conversation_store.reply_usage(p_message.id) as usage) as u
$$;

ALTER FUNCTION conversation_store.with_reply_usage(p_json json, p_message public.conversation_messages, p_in_metadata boolean) OWNER TO postgres;

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
-- Name: answer_tool_calls(uuid, text, jsonb, integer); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.answer_tool_calls(p_conversation_id uuid, p_message_id text, p_answers jsonb, p_max_age_seconds integer DEFAULT NULL::integer) RETURNS public.conversation_messages
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
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

ALTER FUNCTION public.answer_tool_calls(p_conversation_id uuid, p_message_id text, p_answers jsonb, p_max_age_seconds integer) OWNER TO postgres;

--
-- Name: FUNCTION answer_tool_calls(p_conversation_id uuid, p_message_id text, p_answers jsonb, p_max_age_seconds integer); Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON FUNCTION public.answer_tool_calls(p_conversation_id uuid, p_message_id text, p_answers jsonb, p_max_age_seconds integer) IS 'Input: a conversation; the id of one of its assistant replies (client_message_id, the id the
  browser knows); the user''s answers: an array of 1 to 128 tool-call parts (the store''s
  vocabulary, snake_case, as the browser''s message holds them), each with tool_call_id,
  tool_name, input and a state: `approval-responded` with approval {id, approved, reason?},
  or `output-available` with output, or `output-error` with error_text; and how old (seconds,
  1 and up) an approval request may be, at most conversation_store.tool_request_max_age()
  (null: that).
Guarantees: decided under the reply''s lock, so that of two answers racing, or an answer and its
  replay, exactly one is applied:
  * Each answer to a waiting call (conversation_store.tool_call_waits) must match the stored
    request: the same tool name and input, and for an approval request an approval-responded
    answer with the same approval id; for a client-side call an output. Every waiting call of
    the reply must be answered. Only the answer''s approval decision and reason, or its output or
    error text (with its result_provider_metadata, where the chat function puts its stamp on a
    result it vouches for: check_parts keeps it an object), are taken; everything else stays as
    stored.
  * An answer for a call that is not waiting is accepted only when it says what is stored (the
    browser sends back the outputs it was streamed); an approval answer for such a call is a
    replay, and refused.
  * An approval request older than the given age is denied, whatever the answer says (reason
    "the approval request expired").
  * The reply (status awaiting_input) is put back in progress with the answers applied (a denied
    call stays approval-responded with approved false: the chat function''s model run turns it
    into output-denied and tells the model). The parts stay conversation_store.check_parts-valid.
Errors: 22023 malformed answers or age; PT404 conversation or reply not found, not live or not
  the caller''s; PT409 (hint tool_call_answered) the call was answered already, or the reply waits
  for nothing; PT422 (hint tool_response_mismatch) an answer names a call the reply does not
  hold or that is not waiting, or differs from the request (tool name, input, approval id), or a
  waiting call is left unanswered; 23514 the answered reply breaks a table rule (sizes).
Security definer because messages have no update grant; ownership is checked against auth.uid().';

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
  -- What one HTTP request may carry (MAX_BODY_BYTES), and no more parts than one message may hold:
  -- the checks below cost time per part, so supabase.rpc() gets the same bound as append-message.
  if octet_length(p_messages::text) > conversation_store.max_batch_bytes() then
    raise exception 'p_messages is larger than % bytes', conversation_store.max_batch_bytes()
      using errcode = '54000', hint = 'payload_too_large';
  end if;
  if (select sum(jsonb_array_length(m.message -> 'parts'))
      from jsonb_array_elements(p_messages) as m(message)
      where jsonb_typeof(m.message -> 'parts') = 'array') > 1000 then
    raise exception 'p_messages holds more than 1000 parts in all' using errcode = '54000', hint = 'payload_too_large';
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
-- Name: FUNCTION append_messages(p_conversation_id uuid, p_messages jsonb, p_expected_last_sequence integer); Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON FUNCTION public.append_messages(p_conversation_id uuid, p_messages jsonb, p_expected_last_sequence integer) IS 'Input: a conversation id; p_messages, a JSON array of 1..100 message objects with the fields
  role, content, name, function_call, tool_calls, tool_call_id, client_message_id, status
  (''in_progress'', ''completed'' default, ''incomplete''), parts and metadata (20261206000200), and
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
  * One reply at a time: only an assistant message may be in_progress, only as the batch''s last.
    While the conversation holds a reply in progress nothing is appended; a reply silent for
    conversation_store.stale_reply_after() is first marked incomplete, in this transaction.
  * Every stored message has a token_count and a reasoning_token_count: the given ones from a
    session that counts tokens, else estimates (conversation_store.estimate_tokens of the columns
    plus conversation_store.estimate_part_tokens, and estimate_reasoning_tokens).
  * A replay compares parts and metadata too.
  * Returns the batch''s rows (new and replayed) in sequence order, and sets the transaction-local
    setting conversation_store.appended_count to the number of rows it inserted, so that callers
    in the same transaction can tell a replay (0) from an append.
Size (20261207000200): p_messages is at most conversation_store.max_batch_bytes() as JSON text
  and holds at most 1,000 parts in all, as one append-message request; checked first.
Errors: 54000 (hint payload_too_large) p_messages over either bound; 42501 not authenticated, or (hint storage_path_forbidden) a file part outside the owner''s
  Storage folder; 22023 malformed batch or parts; PT404 not found, not live or not the
  caller''s; PT422 client_message_id reused for a different message; PT409 (hint
  reply_in_progress) a reply is in progress, DETAIL {"sequence_order": n}; PT409 stale
  p_expected_last_sequence, DETAIL {"last_sequence": n}; 23514 a message breaks a table rule.
Security definer because clients have no insert on messages and no update on the counter;
  ownership is checked against auth.uid() (the service role may append anywhere).';

--
-- Name: assign_usage_plan(uuid, text); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.assign_usage_plan(p_user_id uuid, p_plan text) RETURNS text
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
begin
  if not conversation_store.caller_is_service_role() then
    raise exception 'only the service role assigns plans' using errcode = '42501';
  end if;
  if p_user_id is null then
    raise exception 'name the user in p_user_id' using errcode = '22023';
  end if;
  if p_plan is null then
    delete from public.usage_plan_assignments as a where a.user_id = p_user_id;
  else
    perform from public.usage_plans as p where p.name = p_plan;
    if not found then
      raise exception 'plan % not found', p_plan using errcode = 'PT404';
    end if;
    insert into public.usage_plan_assignments as a (user_id, plan) values (p_user_id, p_plan)
    on conflict (user_id) do update set plan = excluded.plan, assigned_at = now();
  end if;
  return p_plan;
end;
$$;

ALTER FUNCTION public.assign_usage_plan(p_user_id uuid, p_plan text) OWNER TO postgres;

--
-- Name: FUNCTION assign_usage_plan(p_user_id uuid, p_plan text); Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON FUNCTION public.assign_usage_plan(p_user_id uuid, p_plan text) IS 'Input: a user and a plan''s name, or null to put the user back on default (guest when anonymous).
Guarantees: the user is on that plan from the next reservation; returns the plan assigned (null:
  none, the user is on default, or guest when anonymous).
Errors: 42501 not the service role; PT404 no such plan; 23503 no such user.';

--
-- Name: await_tool_input(uuid, integer); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.await_tool_input(p_conversation_id uuid, p_sequence_order integer) RETURNS public.conversation_messages
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
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

ALTER FUNCTION public.await_tool_input(p_conversation_id uuid, p_sequence_order integer) OWNER TO postgres;

--
-- Name: FUNCTION await_tool_input(p_conversation_id uuid, p_sequence_order integer); Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON FUNCTION public.await_tool_input(p_conversation_id uuid, p_sequence_order integer) IS 'Input: the conversation and the sequence number of a reply in progress of the caller''s.
Guarantees: the reply, its log folded in (its parts as written), waits for the user: status
  awaiting_input, updated_at now (when the wait began: approvals expire from there). It must
  hold at least one waiting call (conversation_store.tool_call_waits); nothing else changes.
  Finishing a stream this way is activity: the conversation''s updated_at moves.
Errors: PT404 conversation or message not found, not live or not the caller''s; PT409 (hint
  message_final) the message is not in progress; 22023 the reply waits for nothing.
Security definer because messages have no update grant; ownership is checked against auth.uid().';

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

  -- Memory is the user's, not a conversation's: erasing everything erases it too, at once (it is
  -- bounded: conversation_store.memory_max_entries() rows).
  delete from public.memory_entries e where e.user_id = v_owner;
  -- The ledger is bounded like the rest: at most 50,000 entries a call.
  delete from public.usage_ledger as l
  where l.id in (select e.id from public.usage_ledger as e where e.user_id = v_owner limit 50000);

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

  done := not exists (select from public.conversations c where c.user_id = v_owner)
    and not exists (select from public.usage_ledger as l where l.user_id = v_owner);
end;
$$;

ALTER FUNCTION public.delete_all_conversations(p_user_id uuid, OUT deleted_conversations integer, OUT deleted_messages bigint, OUT done boolean) OWNER TO postgres;

--
-- Name: FUNCTION delete_all_conversations(p_user_id uuid, OUT deleted_conversations integer, OUT deleted_messages bigint, OUT done boolean); Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON FUNCTION public.delete_all_conversations(p_user_id uuid, OUT deleted_conversations integer, OUT deleted_messages bigint, OUT done boolean) IS 'Input: p_user_id, whose data to erase: required for the service role, optional for a user (own
  id only).
Guarantees: erases the user''s memory entries and up to 50,000 of their usage ledger entries, marks
  up to 10,000 of the user''s conversations deleted, so they are gone for clients at once, then
  reclaims up to 50,000 messages of the user''s deleted conversations (deleting each conversation
  once its messages are gone). Returns how many conversations this call deleted, how many messages
  they held, and whether nothing of the user is stored any more; while done is false, call again:
  each call continues where the last stopped.
Errors: 22023 the service role names no user; 42501 not authenticated, or p_user_id names someone
  else.
Security definer because clients cannot delete messages or ledger entries; the user comes from the
  verified JWT claims, never from a parameter alone.';

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
-- Name: FUNCTION delete_conversation(p_conversation_id uuid); Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON FUNCTION public.delete_conversation(p_conversation_id uuid) IS 'Input: a conversation id.
Guarantees: the conversation is gone for clients when this returns (marked deleted); when it
  holds at most 10,000 messages they and the conversation are deleted now, otherwise
  public.purge_expired_conversations reclaims the rest, newest first, in later calls. Returns
  how many messages the conversation held (its last_sequence).
Errors: PT404 not found, not live or not the caller''s.
Security definer because clients cannot delete messages; ownership is checked against auth.uid().';

--
-- Name: export_conversations(jsonb, integer, uuid); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.export_conversations(p_cursor jsonb DEFAULT NULL::jsonb, p_max_messages integer DEFAULT 5000, p_user_id uuid DEFAULT NULL::uuid) RETURNS json
    LANGUAGE plpgsql STABLE
    SET search_path TO ''
    AS $$
declare
  v_user uuid;
  v_after_created timestamptz;
  v_after_id uuid;
  v_after_sequence integer := 0;
  v_conversation public.conversations;
  v_room integer := p_max_messages;
  v_bytes bigint := conversation_store.page_max_bytes();
  v_entry record;
  v_entries json[] := '{}';
  v_next json;
begin
  if p_max_messages is null or p_max_messages not between 1 and 10000 then
    raise exception 'p_max_messages must be between 1 and 10000' using errcode = '22023';
  end if;
  v_user := conversation_store.acting_user(p_user_id);
  if v_user is null then
    raise exception 'service_role must name the user in p_user_id' using errcode = '22023';
  end if;
  if p_cursor is not null then
    if jsonb_typeof(p_cursor) <> 'array' or jsonb_array_length(p_cursor) <> 3 then
      raise exception 'p_cursor must be the next_cursor of a previous page' using errcode = '22023';
    end if;
    v_after_created := (p_cursor ->> 0)::timestamptz;
    v_after_id := (p_cursor ->> 1)::uuid;
    v_after_sequence := (p_cursor ->> 2)::integer;
  end if;

  for v_conversation in
    select * from public.conversations c
    where c.user_id = v_user and (c.expires_at is null or c.expires_at > now())
      and (p_cursor is null or (c.created_at, c.id) >= (v_after_created, v_after_id))
    order by c.created_at, c.id
  loop
    if v_room = 0 or v_bytes <= 0 then
      v_next := json_build_array(v_conversation.created_at, v_conversation.id, 0);
      exit;
    end if;
    -- A page's messages: as many as fit, the page's first always.
    with candidates as (
      select m, octet_length(conversation_store.message_json(m)::text) as size,
             row_number() over (order by m.sequence_order) as n
      from public.conversation_messages m
      where m.conversation_id = v_conversation.id
        and m.sequence_order > case when v_conversation.id = v_after_id then v_after_sequence else 0 end
      order by m.sequence_order
      limit v_room
    ),
    taken as (
      select c.* from (select candidates.*, sum(candidates.size) over (order by candidates.n) as running
                       from candidates) as c
      where c.running <= v_bytes or (c.n = 1 and v_room = p_max_messages and cardinality(v_entries) = 0)
    )
    select coalesce(min((t.m).sequence_order), v_conversation.last_sequence + 1) as first_sequence,
           coalesce(max((t.m).sequence_order), case when v_conversation.id = v_after_id then v_after_sequence else 0 end)
             as last_sequence,
           count(t.*)::integer as taken,
           coalesce(sum(t.size), 0) as bytes,
           coalesce(json_agg(conversation_store.message_json(t.m) order by (t.m).sequence_order), '[]') as messages,
           (select coalesce(json_agg(conversation_store.rating_json(r, rm) order by r.sequence_order), '[]')
            from public.message_ratings r
            join public.conversation_messages rm
              on rm.conversation_id = r.conversation_id and rm.sequence_order = r.sequence_order
            where r.conversation_id = v_conversation.id and r.user_id = v_user
              and r.sequence_order between min((t.m).sequence_order) and max((t.m).sequence_order)) as ratings
    into v_entry
    from taken t;

    if v_entry.taken = 0 and v_entry.last_sequence < v_conversation.last_sequence then
      -- Not one more message fits: the next page starts here.
      v_next := json_build_array(v_conversation.created_at, v_conversation.id, v_entry.last_sequence);
      exit;
    end if;
    v_entries := v_entries || json_build_object(
      'conversation', conversation_store.conversation_json(v_conversation),
      'first_sequence', v_entry.first_sequence,
      'messages', v_entry.messages,
      'ratings', v_entry.ratings,
      'complete', v_entry.last_sequence >= v_conversation.last_sequence);
    v_room := v_room - v_entry.taken;
    v_bytes := v_bytes - v_entry.bytes;
    if v_entry.last_sequence < v_conversation.last_sequence then
      v_next := json_build_array(v_conversation.created_at, v_conversation.id, v_entry.last_sequence);
      exit;
    end if;
  end loop;

  return json_build_object('conversations', array_to_json(v_entries), 'next_cursor', v_next);
end;
$$;

ALTER FUNCTION public.export_conversations(p_cursor jsonb, p_max_messages integer, p_user_id uuid) OWNER TO postgres;

--
-- Name: FUNCTION export_conversations(p_cursor jsonb, p_max_messages integer, p_user_id uuid); Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON FUNCTION public.export_conversations(p_cursor jsonb, p_max_messages integer, p_user_id uuid) IS 'Input: the next_cursor of the previous page ([created_at, id, after_sequence]) or null; at most
  how many messages a page holds (1..10,000); for the service role, the user to export.
Guarantees: json { conversations, next_cursor }: the caller''s live conversations in (created_at,
  id) order, each entry { conversation, first_sequence, messages, ratings, complete }:
  conversation_store.conversation_json, the messages from first_sequence on in sequence order
  (conversation_store.message_json), the owner''s ratings of those messages
  (conversation_store.rating_json), and whether the entry ends with the conversation''s last
  message. A page stops once it holds p_max_messages messages or
  conversation_store.page_max_bytes() of them (its first message always); a conversation cut
  there continues in the next page''s first entry. next_cursor is null after the last page.
Errors: 22023 arguments out of range or a malformed cursor; 42501 not authenticated, or
  p_user_id naming someone else; 22023 the service role names no user.';

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

ALTER FUNCTION public.fork_conversation(p_conversation_id uuid, p_through_sequence integer, p_id uuid, p_metadata jsonb) OWNER TO postgres;

--
-- Name: FUNCTION fork_conversation(p_conversation_id uuid, p_through_sequence integer, p_id uuid, p_metadata jsonb); Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON FUNCTION public.fork_conversation(p_conversation_id uuid, p_through_sequence integer, p_id uuid, p_metadata jsonb) IS 'Input: the source conversation; the last message to copy (1..its last_sequence); optionally the
  fork''s id (makes the call idempotent) and a merge patch for its metadata.
Guarantees: creates a conversation of the source''s owner with the source''s video and retention,
  the source''s metadata merged with p_metadata, and copies of messages 1..p_through_sequence
  (same sequence numbers, roles, contents, parts, metadata, token counts, statuses, timestamps
  and client_message_ids; new ids); last_sequence = p_through_sequence. The source''s summary comes
  along when it covers no more than p_through_sequence. The same p_id again, for the same source
  and sequence, returns the stored fork and copies nothing. Sets the transaction-local setting
  conversation_store.conversation_created to true or false, as start_conversation does.
  At most 100,000 messages are copied, so a fork always finishes within a request.
Errors: 22023 arguments out of range or p_metadata not an object; PT404 the source is not found,
  not live or not the caller''s; PT422 (hint beyond_last_sequence) p_through_sequence after the
  source''s last message, DETAIL {"last_sequence": n}; PT422 (hint fork_too_large) more than
  100,000 messages to copy; PT409 (hint reply_in_progress) a reply in progress is among them,
  DETAIL {"sequence_order": n}; 23505 p_id is taken by another conversation.
Security definer because clients cannot write messages; ownership is checked against auth.uid().';

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
-- Name: FUNCTION get_context(p_conversation_id uuid, p_max_tokens integer, p_max_messages integer, p_format text, p_include_reasoning boolean); Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON FUNCTION public.get_context(p_conversation_id uuid, p_max_tokens integer, p_max_messages integer, p_format text, p_include_reasoning boolean) IS 'Input: a conversation id; a token budget (1..2,000,000); at most how many candidates to choose
  (1..1000); the format of the messages: ''openai'' (default), ''rows'' or ''ui''; whether reasoning
  comes along (formats rows and ui only).
Guarantees: returns { conversation, messages, token_count, has_earlier, first_sequence }, plus
  summary ({ content, through_sequence, token_count } or null) in the rows format, where the
  summary is not a message. token_count is the sum over what is returned (reasoning tokens
  included when reasoning is); first_sequence is the sequence number of the oldest chosen
  candidate (null when none is); has_earlier says whether candidates older than it were left
  out, so the agent knows what to summarise next: the messages after the summary and before
  first_sequence.
Errors: 22023 arguments out of range, or reasoning asked for in the openai format; PT404 not
  found, not live or not the caller''s; PT422 (hint context_budget_exceeded) the pinned prompt and
  the summary alone exceed the budget, DETAIL {"required_tokens": n, "max_bytes": n} (exact,
  unless the prompt alone is over the byte budget: then what was read of it).
Security invoker: Row Level Security decides what the caller reaches. JIT is off: its reads are
  bounded ranges, and compiling their expressions cost more than running them.';

--
-- Name: get_memory(uuid); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.get_memory(p_user_id uuid DEFAULT NULL::uuid) RETURNS json
    LANGUAGE plpgsql STABLE
    SET search_path TO ''
    AS $$
declare
  v_user uuid := conversation_store.acting_user(p_user_id);
  v_memory json;
begin
  if v_user is null then
    raise exception 'service_role must name the user in p_user_id' using errcode = '22023';
  end if;
  select json_build_object(
           'entries', coalesce(json_agg(conversation_store.memory_entry_json(e) order by e.key), '[]'::json),
           'total_tokens', coalesce(sum(e.token_count), 0),
           'max_entries', conversation_store.memory_max_entries(),
           'max_tokens', conversation_store.memory_max_tokens())
  into v_memory
  from public.memory_entries e
  where e.user_id = v_user;
  return v_memory;
end;
$$;

ALTER FUNCTION public.get_memory(p_user_id uuid) OWNER TO postgres;

--
-- Name: FUNCTION get_memory(p_user_id uuid); Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON FUNCTION public.get_memory(p_user_id uuid) IS 'Input: for the service role, the user whose memory to read (required); a user may name only
  themselves or no one.
Guarantees: returns { entries, total_tokens, max_entries, max_tokens }: the user''s entries in key
  order, the sum of their token counts, and the bounds they are held to.
Errors: 22023 the service role names no user; 42501 not authenticated, or p_user_id naming
  someone else.';

--
-- Name: get_shared_conversation(text, integer, integer); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.get_shared_conversation(p_token text, p_after integer DEFAULT 0, p_limit integer DEFAULT 100) RETURNS json
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_share public.conversation_shares;
  v_conversation public.conversations;
  v_page json;
begin
  if p_after is null or p_after < 0 or p_limit is null or p_limit not between 1 and 1000 then
    raise exception 'p_after must be 0 or more and p_limit between 1 and 1000' using errcode = '22023';
  end if;
  select s.* into v_share
  from public.conversation_shares s
  where s.token_hash = conversation_store.share_token_hash(p_token)
    and (s.expires_at is null or s.expires_at > now());
  if found then
    select c.* into v_conversation
    from public.conversations c
    where c.id = v_share.conversation_id and (c.expires_at is null or c.expires_at > now());
  end if;
  if v_conversation.id is null then
    raise exception 'shared conversation not found' using errcode = 'PT404';
  end if;

  with rows as (
    select m from public.conversation_messages m
    where m.conversation_id = v_share.conversation_id
      and m.sequence_order between p_after + 1 and least(p_after + p_limit, v_share.through_sequence)
  ),
  page as materialized (
    select u.sequence_order, u.message::jsonb - 'metadata' as message,
           coalesce(u.folded_into, u.sequence_order) as unit
    from conversation_store.ui_messages((select array_agg(r.m) from rows r), v_share.include_reasoning) as u
  ),
  sized as (
    select page.*,
           dense_rank() over (order by page.unit) = 1
           or sum(coalesce(octet_length(page.message::text), 0)) over (order by page.unit)
              - sum(coalesce(octet_length(page.message::text), 0)) over (partition by page.unit)
              < conversation_store.page_max_bytes() as included
    from page
  )
  select json_build_object(
           'conversation', json_build_object(
             'title', v_conversation.title, 'created_at', v_conversation.created_at,
             'through_sequence', v_share.through_sequence, 'shared_at', v_share.created_at,
             'expires_at', v_share.expires_at),
           'messages', coalesce(json_agg(s.message order by s.sequence_order)
                                  filter (where s.included and s.message is not null
                                                and s.message ->> 'role' <> 'system'), '[]'),
           'has_more', coalesce(max(s.sequence_order) filter (where s.included), p_after) < v_share.through_sequence,
           'next_cursor', case when coalesce(max(s.sequence_order) filter (where s.included), p_after) < v_share.through_sequence
                               then coalesce(max(s.sequence_order) filter (where s.included), p_after) end)
  into v_page
  from sized s;
  return v_page;
end;
$$;

ALTER FUNCTION public.get_shared_conversation(p_token text, p_after integer, p_limit integer) OWNER TO postgres;

--
-- Name: FUNCTION get_shared_conversation(p_token text, p_after integer, p_limit integer); Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON FUNCTION public.get_shared_conversation(p_token text, p_after integer, p_limit integer) IS 'Input: a link''s token, from anyone (anon included); a page: messages after p_after (0..), at most
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
Security definer: the reader has no rights of their own; the token is the only key.';

--
-- Name: get_usage(uuid, integer); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.get_usage(p_user_id uuid DEFAULT NULL::uuid, p_days integer DEFAULT 30) RETURNS json
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_user uuid := conversation_store.acting_user(p_user_id);
  v_hour timestamptz := date_trunc('hour', now(), 'UTC');
  v_day timestamptz := date_trunc('day', now(), 'UTC');
  v_month timestamptz := date_trunc('month', now(), 'UTC');
begin
  if p_days is null or p_days not between 1 and 366 then
    raise exception 'p_days must be from 1 to 366' using errcode = '22023';
  end if;
  if v_user is null then
    return json_build_object('days', coalesce((
      select json_agg(json_build_object(
               'day', t.day, 'model', t.model, 'requests', t.requests, 'users', t.users,
               'input_tokens', t.input_tokens, 'cached_input_tokens', t.cached_input_tokens,
               'output_tokens', t.output_tokens, 'reasoning_tokens', t.reasoning_tokens,
               'total_tokens', t.total_tokens, 'reserved_tokens', t.reserved_tokens, 'cost', t.cost)
             order by t.day desc, t.model nulls last)
      from (
        select (date_trunc('day', l.created_at, 'UTC') at time zone 'UTC')::date as day, l.model,
               count(*) as requests, count(distinct l.user_id) as users,
               coalesce(sum(l.input_tokens), 0) as input_tokens,
               coalesce(sum(l.cached_input_tokens), 0) as cached_input_tokens,
               coalesce(sum(l.output_tokens), 0) as output_tokens,
               coalesce(sum(l.reasoning_tokens), 0) as reasoning_tokens,
               coalesce(sum(l.total_tokens), 0) as total_tokens,
               coalesce(sum(l.reserved_tokens) filter (where l.status = 'reserved'), 0) as reserved_tokens,
               sum(l.cost) as cost
        from public.usage_ledger as l
        where l.created_at >= v_day - (p_days - 1) * interval '1 day'
        group by 1, 2
      ) as t), '[]'));
  end if;

  return (
    with allowance as (select * from conversation_store.usage_allowance(v_user)),
    month as (select * from public.usage_ledger as l where l.user_id = v_user and l.created_at >= v_month),
    windows as (
      select w.name, count(m.id) as requests, coalesce(sum(m.total_tokens), 0) as tokens,
             coalesce(sum(m.reserved_tokens) filter (where m.status = 'reserved'), 0) as reserved_tokens,
             coalesce(sum(m.cost), 0) as cost
      from (values ('hour', v_hour), ('day', v_day), ('month', v_month)) as w(name, starts)
      left join month as m on m.created_at >= w.starts
      group by w.name
    )
    select json_build_object(
      'user_id', v_user,
      'plan', (select min(a.plan) from allowance as a),
      'limits', (select json_object_agg(a.policy, a.quota) from allowance as a),
      'remaining', (select json_object_agg(a.policy, a.remaining) from allowance as a),
      'reset_seconds', (select json_object_agg(a.policy, a.reset_seconds) from allowance as a),
      'usage', (select json_object_agg(w.name, json_build_object(
                  'requests', w.requests, 'tokens', w.tokens, 'reserved_tokens', w.reserved_tokens, 'cost', w.cost))
                from windows as w),
      'models', coalesce((
        select json_agg(json_build_object(
                 'model', t.model, 'requests', t.requests, 'input_tokens', t.input_tokens,
                 'cached_input_tokens', t.cached_input_tokens, 'output_tokens', t.output_tokens,
                 'reasoning_tokens', t.reasoning_tokens, 'total_tokens', t.total_tokens,
                 'cost', t.cost, 'priced', t.priced)
               order by t.requests desc, t.model nulls last)
        from (
          select m.model, count(*) as requests,
                 coalesce(sum(m.input_tokens), 0) as input_tokens,
                 coalesce(sum(m.cached_input_tokens), 0) as cached_input_tokens,
                 coalesce(sum(m.output_tokens), 0) as output_tokens,
                 coalesce(sum(m.reasoning_tokens), 0) as reasoning_tokens,
                 coalesce(sum(m.total_tokens), 0) as total_tokens,
                 sum(m.cost) as cost, bool_and(m.priced) filter (where m.status = 'settled') as priced
          from month as m
          group by m.model
        ) as t), '[]')));
end;
$$;

ALTER FUNCTION public.get_usage(p_user_id uuid, p_days integer) OWNER TO postgres;

--
-- Name: FUNCTION get_usage(p_user_id uuid, p_days integer); Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON FUNCTION public.get_usage(p_user_id uuid, p_days integer) IS 'Input: p_user_id (a user: their own id or none; the service role: any user, or none for every
  user), p_days (1 … 366, the service role''s totals).
Guarantees: for one user `{ user_id, plan, limits, remaining, reset_seconds, usage, models }`:
  the plan''s limits (null: unlimited), what is left and when each window resets; requests,
  tokens (settled totals, and tokens still reserved) and cost in the current UTC hour, day and
  month; the month per model. For the service role without a user: `{ days }`, totals per UTC day
  and model over the last p_days days, newest first. Reads only.
Errors: 42501 not authenticated, or a user naming someone else; 22023 p_days out of range.
Security definer because users cannot read plans or assignments; the user comes from the JWT.';

--
-- Name: get_usage_limits(); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.get_usage_limits() RETURNS json
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_user uuid := auth.uid();
begin
  if v_user is null or conversation_store.caller_is_service_role() then
    raise exception 'get_usage_limits answers a signed-in user' using errcode = '42501';
  end if;
  return (
    select json_build_object(
      'plan', min(a.plan),
      'limits', coalesce(json_agg(json_build_object(
        'policy', a.policy, 'quota', a.quota, 'remaining', a.remaining,
        'window_seconds', a.window_seconds, 'reset_seconds', a.reset_seconds)) filter (where a.quota is not null), '[]'))
    from conversation_store.usage_allowance(v_user) as a);
end;
$$;

ALTER FUNCTION public.get_usage_limits() OWNER TO postgres;

--
-- Name: FUNCTION get_usage_limits(); Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON FUNCTION public.get_usage_limits() IS 'Input: nothing; reads the caller.
Guarantees: the caller''s plan and its limits as JSON
  `{ plan, limits: [{ policy, quota, remaining, window_seconds, reset_seconds }] }`, unlimited
  ones left out. Reads only.
Errors: 42501 not a signed-in user.
Security definer because users cannot read plans or assignments.';

--
-- Name: import_conversation(text, jsonb, jsonb, integer, text, integer); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.import_conversation(p_key text, p_conversation jsonb, p_messages jsonb, p_first_sequence integer DEFAULT 1, p_fork_key text DEFAULT NULL::text, p_fork_through integer DEFAULT NULL::integer) RETURNS json
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
declare
  v_user uuid := auth.uid();
  v_id uuid;
  v_created boolean;
  v_last integer;
  v_skip integer;
  v_appended integer := 0;
  v_batch jsonb;
  v_rating jsonb;
begin
  if v_user is null or conversation_store.caller_is_service_role() then
    raise exception 'a signed-in user imports their own conversations' using errcode = '42501';
  end if;
  if p_key is null or char_length(p_key) not between 1 and 300 then
    raise exception 'p_key must be 1 to 300 characters' using errcode = '22023';
  end if;
  if jsonb_typeof(p_conversation) is distinct from 'object' or jsonb_typeof(p_messages) is distinct from 'array' then
    raise exception 'p_conversation must be an object and p_messages an array' using errcode = '22023';
  end if;
  -- One call is one transaction within the statement timeout, through the edge function or rpc alike.
  if jsonb_array_length(p_messages) > 10000
     or jsonb_array_length(coalesce(nullif(p_conversation -> 'ratings', 'null'), '[]')) > 10000 then
    raise exception 'at most 10000 messages and 10000 ratings per call' using errcode = '22023';
  end if;
  if p_first_sequence is null or p_first_sequence < 1
     or (p_fork_key is null) <> (p_fork_through is null)
     or (p_fork_key is not null and p_first_sequence <> p_fork_through + 1) then
    raise exception 'p_first_sequence must be 1 or more, and a fork''s must follow p_fork_through' using errcode = '22023';
  end if;
  v_id := conversation_store.import_id(v_user, p_key);

  if p_fork_key is null then
    perform public.start_conversation(p_id => v_id, p_metadata => coalesce(p_conversation -> 'metadata', '{}'));
  else
    perform public.fork_conversation(conversation_store.import_id(v_user, p_fork_key), p_fork_through, v_id,
                                     p_conversation -> 'metadata');
  end if;
  v_created := current_setting('conversation_store.conversation_created')::boolean;

  select c.last_sequence into v_last from public.conversations c where c.id = v_id;
  if v_last < p_first_sequence - 1 then
    raise exception 'conversation % holds % messages: import the messages before % first', p_key, v_last, p_first_sequence
      using errcode = 'PT409', hint = 'sequence_conflict', detail = json_build_object('last_sequence', v_last)::text;
  end if;
  v_skip := v_last - (p_first_sequence - 1);
  for v_batch in
    select jsonb_agg(m.value order by m.position)
    from jsonb_array_elements(p_messages) with ordinality as m(value, position)
    where m.position > v_skip
    group by (m.position - v_skip - 1) / 100
    order by min(m.position)
  loop
    perform public.append_messages(v_id, v_batch, v_last + v_appended);
    v_appended := v_appended + jsonb_array_length(v_batch);
  end loop;

  if v_created then
    update public.conversations as c
    set title = coalesce(p_conversation ->> 'title', c.title),
        pinned = coalesce((p_conversation ->> 'pinned')::boolean, c.pinned),
        archived = coalesce((p_conversation ->> 'archived')::boolean, c.archived),
        tags = coalesce(array(select jsonb_array_elements_text(p_conversation -> 'tags')), c.tags)
    where c.id = v_id and p_conversation ?| array['title', 'pinned', 'archived', 'tags'];
  end if;
  -- Ratings of the messages this call appended (a page of a conversation carries those of its own).
  for v_rating in
    select r.value from jsonb_array_elements(coalesce(p_conversation -> 'ratings', '[]')) as r(value)
    where (r.value ->> 'sequence_order')::integer > v_last
  loop
    perform public.rate_message(v_id, (v_rating ->> 'sequence_order')::integer, v_rating ->> 'rating',
                                v_rating ->> 'reason', v_rating ->> 'comment');
  end loop;
  return json_build_object('id', v_id, 'created', v_created, 'appended', v_appended);
end;
$$;

ALTER FUNCTION public.import_conversation(p_key text, p_conversation jsonb, p_messages jsonb, p_first_sequence integer, p_fork_key text, p_fork_through integer) OWNER TO postgres;

--
-- Name: FUNCTION import_conversation(p_key text, p_conversation jsonb, p_messages jsonb, p_first_sequence integer, p_fork_key text, p_fork_through integer); Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON FUNCTION public.import_conversation(p_key text, p_conversation jsonb, p_messages jsonb, p_first_sequence integer, p_fork_key text, p_fork_through integer) IS 'Input: p_key, the conversation''s key in its source (1 to 300 characters); p_conversation, a JSON
  object of what to set on a new conversation: title, pinned, archived, tags, metadata (each
  optional) and ratings ([{ sequence_order, rating, reason?, comment? }]); p_messages, a JSON array
  of messages as append_messages takes them, the first being message p_first_sequence; for a
  fork, the key of the conversation it was forked from (imported before it) and the sequence
  number it copies through (then p_first_sequence is that number + 1).
Guarantees: the caller''s conversation import_id(caller, p_key) exists, made by start_conversation
  (or fork_conversation) if it did not; the messages it does not hold yet are appended after its
  last (in batches of 100); labels are set only on a conversation this call made, ratings only
  on messages this call appended.
  Returns json { id, created, appended }. A second call with the same arguments appends nothing.
Errors: 42501 not a signed-in user (the service role imports nothing); 22023 a key or arguments
  out of range (more than 10,000 messages or ratings in one call among them); PT409 (hint sequence_conflict) the conversation holds fewer messages than come
  before p_first_sequence (an earlier page of it was not imported); PT404 the fork''s source is
  not imported; and every error of start_conversation, fork_conversation, append_messages,
  rate_message and the labels'' checks.';

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
-- Name: FUNCTION keep_reply_alive(p_conversation_id uuid, p_sequence_order integer); Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON FUNCTION public.keep_reply_alive(p_conversation_id uuid, p_sequence_order integer) IS 'Input: a reply (a message in progress) of the caller''s, by conversation and sequence_order.
Guarantees: its updated_at becomes now() and nothing else changes; returns it. Locks the
  conversation before the message, in the order append_messages and update_message lock them.
Errors: PT404 conversation or message not found, not live or not the caller''s; PT409 (hint
  message_final) the message is final.
Security definer because messages have no update grant; ownership is checked against auth.uid().';

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
-- Name: FUNCTION purge_expired_conversations(p_batch_size integer); Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON FUNCTION public.purge_expired_conversations(p_batch_size integer) IS 'Input: how many conversations to delete at most (1..100,000, default 1000).
Guarantees: deletes expired conversations, oldest expiry first, with their messages: at most
  p_batch_size conversations and 50 × p_batch_size messages per call, so one call never runs
  long; a conversation with more messages is finished by later calls. Conversations locked by a
  writer are skipped (for update skip locked) and taken next time, so purging never waits for an
  append and never makes one wait. Returns how many conversations it deleted.
Errors: 22023 p_batch_size out of range.
Security definer because it deletes messages, which no API role may; executable only by
  service_role and the database owner (pg_cron runs it as the owner).';

--
-- Name: rate_message(uuid, integer, text, text, text); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.rate_message(p_conversation_id uuid, p_sequence_order integer, p_rating text, p_reason text DEFAULT NULL::text, p_comment text DEFAULT NULL::text) RETURNS json
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_owner uuid;
  v_message public.conversation_messages;
  v_rating public.message_ratings;
begin
  if p_rating is not null and p_rating not in ('up', 'down') then
    raise exception 'rating must be up, down or null' using errcode = '22023';
  end if;
  if p_rating is null and (p_reason is not null or p_comment is not null) then
    raise exception 'a reason or comment comes with a rating' using errcode = '22023';
  end if;
  select c.user_id into v_owner
  from public.conversations c
  where c.id = p_conversation_id and conversation_store.caller_reaches(c);
  if not found then
    raise exception 'conversation not found' using errcode = 'PT404';
  end if;
  select * into v_message
  from public.conversation_messages m
  where m.conversation_id = p_conversation_id and m.sequence_order = p_sequence_order;
  if not found then
    raise exception 'message not found' using errcode = 'PT404';
  end if;
  if v_message.role <> 'assistant' or v_message.status = 'in_progress' then
    raise exception 'only a finished assistant message can be rated'
      using errcode = 'PT422', hint = 'message_not_rateable';
  end if;

  if p_rating is null then
    delete from public.message_ratings r
    where r.conversation_id = p_conversation_id and r.sequence_order = p_sequence_order and r.user_id = v_owner;
    return null;
  end if;
  insert into public.message_ratings as r (conversation_id, sequence_order, user_id, rating, reason, comment)
  values (p_conversation_id, p_sequence_order, v_owner, p_rating, p_reason, p_comment)
  on conflict (conversation_id, sequence_order, user_id) do update
    set rating = excluded.rating, reason = excluded.reason, comment = excluded.comment, updated_at = now()
  returning * into v_rating;
  return conversation_store.rating_json(v_rating, v_message);
end;
$$;

ALTER FUNCTION public.rate_message(p_conversation_id uuid, p_sequence_order integer, p_rating text, p_reason text, p_comment text) OWNER TO postgres;

--
-- Name: FUNCTION rate_message(p_conversation_id uuid, p_sequence_order integer, p_rating text, p_reason text, p_comment text); Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON FUNCTION public.rate_message(p_conversation_id uuid, p_sequence_order integer, p_rating text, p_reason text, p_comment text) IS 'Input: a conversation and the sequence number of one of its assistant messages; ''up'', ''down'' or
  null; optionally a reason (1 to 64 of a-z, 0-9, _) and a comment (at most 2,000 characters).
Guarantees: the owner''s rating of that message becomes the one given (replacing any earlier one),
  or is removed for null; returns it as json { sequence_order, message_id, client_message_id,
  rating, reason, comment, created_at, updated_at }, or null once removed. The service role rates for the owner.
Errors: PT404 conversation or message not found, not live or not the caller''s; PT422 (hint
  message_not_rateable) the message is not an assistant message, or is a reply in progress;
  22023 a rating other than up, down or null, or a reason or comment with a null rating;
  23514 a malformed reason, a comment over 2,000 characters.
Security definer because ratings have no write grant; the caller must reach the conversation
(conversation_store.caller_reaches).';

--
-- Name: recall_messages(text, integer, uuid, real[], text, uuid); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.recall_messages(p_query text, p_limit integer DEFAULT 8, p_exclude_conversation_id uuid DEFAULT NULL::uuid, p_query_embedding real[] DEFAULT NULL::real[], p_embedding_model text DEFAULT NULL::text, p_user_id uuid DEFAULT NULL::uuid) RETURNS json
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO ''
    SET plan_cache_mode TO 'force_custom_plan'
    SET jit TO 'off'
    AS $$
declare
  c_candidates constant integer := 50;
  c_ranked_matches constant integer := 2000;
  c_less_than constant text := U&'\E002';
  v_user uuid := conversation_store.acting_user(p_user_id);
  v_query tsquery;
  v_semantic boolean;
  v_result json;
begin
  if v_user is null then
    raise exception 'service_role must name the user in p_user_id' using errcode = '22023';
  end if;
  if p_query is null or char_length(p_query) not between 1 and 256 then
    raise exception 'p_query must be 1 to 256 characters' using errcode = '22023';
  end if;
  if p_limit is null or p_limit not between 1 and 20 then
    raise exception 'p_limit must be between 1 and 20' using errcode = '22023';
  end if;
  v_query := conversation_store.any_word_query(p_query);
  v_semantic := p_query_embedding is not null
    and conversation_store.semantic_recall_ready(p_embedding_model, cardinality(p_query_embedding));

  with found as (
    select m.id, ts_rank_cd(case when m.parts is null then conversation_store.search_words(m.content)
                                 else conversation_store.search_words(m.content) || conversation_store.part_search_words(m.parts)
                            end, v_query) as rank
    from public.conversation_messages m
    where v_query is not null
      and m.user_id = v_user
      and (conversation_store.search_words(m.content) @@ v_query
           or m.parts is not null and conversation_store.part_search_words(m.parts) @@ v_query)
      and m.role in ('user', 'assistant') and m.status <> 'in_progress'
      and m.conversation_id is distinct from p_exclude_conversation_id
    limit c_ranked_matches
  ),
  words as (
    select f.id, row_number() over (order by f.rank desc, f.id) as rank
    from found f
    order by f.rank desc, f.id
    limit c_candidates
  ),
  meaning as (
    select s.message_id as id, s.rank
    from conversation_store.semantic_candidates(v_user, p_query_embedding, p_exclude_conversation_id, c_candidates) s
    where v_semantic
  ),
  fused as (
    select both_lists.id, sum(1.0 / (60 + both_lists.rank)) as score
    from (select * from words union all select * from meaning) as both_lists
    group by both_lists.id
  ),
  passages as (
    select m.conversation_id, m.sequence_order, m.role, m.created_at, fused.score,
           left(coalesce(
             case when v_query is not null then
               translate(ts_headline('english', translate(concat_ws(E'\n', m.content, conversation_store.part_search_text(m.parts)), '<', c_less_than),
                                     v_query, 'StartSel="", StopSel="", MaxWords=50, MinWords=20'),
                         c_less_than, '<')
             end,
             m.content, ''), 400) as snippet
    from fused
    join public.conversation_messages m on m.id = fused.id
    join public.conversations c on c.id = m.conversation_id
    where c.user_id = v_user and (c.expires_at is null or c.expires_at > now())
    order by fused.score desc, m.created_at desc
    limit p_limit
  )
  select json_build_object(
           'mode', case when v_semantic then 'hybrid' else 'full_text' end,
           'passages', coalesce(json_agg(json_build_object(
             'conversation_id', p.conversation_id, 'sequence_order', p.sequence_order, 'role', p.role,
             'snippet', p.snippet, 'created_at', p.created_at, 'score', round(p.score, 6)
           ) order by p.score desc, p.created_at desc), '[]'::json))
  into v_result
  from passages p;
  return v_result;
end;
$$;

ALTER FUNCTION public.recall_messages(p_query text, p_limit integer, p_exclude_conversation_id uuid, p_query_embedding real[], p_embedding_model text, p_user_id uuid) OWNER TO postgres;

--
-- Name: FUNCTION recall_messages(p_query text, p_limit integer, p_exclude_conversation_id uuid, p_query_embedding real[], p_embedding_model text, p_user_id uuid); Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON FUNCTION public.recall_messages(p_query text, p_limit integer, p_exclude_conversation_id uuid, p_query_embedding real[], p_embedding_model text, p_user_id uuid) IS 'Input: the query (1..256 characters, natural language); how many passages (1..20); a
  conversation to leave out (the one asking, whose messages the model already has); an
  embedding of the query and the model that made it (optional: used where semantic recall is
  ready for that model, else ignored); for the service role,
  the user whose conversations to search (required).
Guarantees: returns { mode, passages }: mode is "hybrid" when ranked by words and by meaning,
  "full_text" otherwise; passages are up to p_limit completed user and assistant messages of the
  user''s live conversations, each { conversation_id, sequence_order, role, snippet, created_at,
  score }, best first: full-text candidates ranked by ts_rank_cd over the words of
  conversation_store.search_words and part_search_words (any word of the query matches), semantic
  candidates by distance, merged by reciprocal rank fusion (score = Σ 1 / (60 + rank), each list
  taking its best 50). snippet is plain text around the match (at most 400 characters). At most
  2,000 matching messages are ranked per call (a question''s common words match much of a
  history, and ranking recomputes each message''s words: bench/memory.ts). Never another user''s
  messages.
Errors: 22023 arguments out of range, or the service role names no user; 42501 not
  authenticated, or p_user_id naming someone else.
Security definer for the same reason as public.search_conversations: the index is read for the
  owner only when the filter is not behind the policy. The filter is the caller''s own id.';

--
-- Name: record_usage(uuid, jsonb, text, boolean, uuid); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.record_usage(p_reservation_id uuid, p_usage jsonb, p_model text DEFAULT NULL::text, p_estimated boolean DEFAULT false, p_message_id uuid DEFAULT NULL::uuid) RETURNS json
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_service boolean := conversation_store.caller_is_service_role();
  v_entry public.usage_ledger;
  v_input integer;
  v_cached integer;
  v_output integer;
  v_cost record;
begin
  if not v_service and auth.uid() is null then
    raise exception 'not authenticated' using errcode = '42501';
  end if;
  perform conversation_store.check_numbers(
    p_usage, 'p_usage', c.counts, c.counts, 2147483647, true)
  from (select array['inputTokens', 'outputTokens', 'totalTokens', 'reasoningTokens', 'cachedInputTokens'] as counts) as c;
  if char_length(p_model) > 200 then
    raise exception 'p_model is longer than 200 characters' using errcode = '22023';
  end if;

  select * into v_entry from public.usage_ledger as l
  where l.id = p_reservation_id
    and (v_service or (l.user_id = auth.uid() and not l.service_records))
  for update;
  if not found then
    raise exception 'usage reservation not found' using errcode = 'PT404';
  end if;
  if v_entry.status = 'settled' and not (v_service and v_entry.estimated) then
    return row_to_json(v_entry);
  end if;
  if p_message_id is not null and p_message_id is distinct from v_entry.message_id then
    if v_entry.message_id is not null or not exists (
      select from public.conversation_messages as m where m.id = p_message_id and m.user_id = v_entry.user_id
    ) then
      raise exception 'message not found' using errcode = 'PT404';
    end if;
  end if;

  v_input := (p_usage ->> 'inputTokens')::integer;
  v_cached := (p_usage ->> 'cachedInputTokens')::integer;
  v_output := (p_usage ->> 'outputTokens')::integer;
  select * into v_cost
  from conversation_store.usage_cost(coalesce(p_model, v_entry.model), v_input, v_cached, v_output);

  update public.usage_ledger as l
  set status = 'settled', settled_at = now(), estimated = coalesce(p_estimated, false),
      model = coalesce(p_model, l.model),
      message_id = coalesce(l.message_id, p_message_id),
      conversation_id = coalesce(l.conversation_id,
                                 (select m.conversation_id from public.conversation_messages as m
                                  where m.id = p_message_id)),
      input_tokens = v_input, cached_input_tokens = v_cached, output_tokens = v_output,
      reasoning_tokens = (p_usage ->> 'reasoningTokens')::integer,
      total_tokens = least(coalesce((p_usage ->> 'totalTokens')::bigint,
                                    coalesce(v_input, 0)::bigint + coalesce(v_output, 0)), 2147483647),
      cost = v_cost.cost, priced = v_cost.priced
  where l.id = v_entry.id
  returning * into v_entry;
  return row_to_json(v_entry);
end;
$$;

ALTER FUNCTION public.record_usage(p_reservation_id uuid, p_usage jsonb, p_model text, p_estimated boolean, p_message_id uuid) OWNER TO postgres;

--
-- Name: FUNCTION record_usage(p_reservation_id uuid, p_usage jsonb, p_model text, p_estimated boolean, p_message_id uuid); Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON FUNCTION public.record_usage(p_reservation_id uuid, p_usage jsonb, p_model text, p_estimated boolean, p_message_id uuid) IS 'Input: a reservation (reserve_usage''s reservation_id); the usage the provider reported, in the AI
  SDK''s names: `{ inputTokens?, outputTokens?, totalTokens?, reasoningTokens?, cachedInputTokens? }`
  (whole numbers from 0 to 2^31-1; totalTokens defaults to input + output); the model id (else
  the reserved one); p_estimated when the counts are an estimate (a reply stopped before the
  provider reported); optionally the message the call produced, when the reservation named none.
Guarantees: the entry is settled once with these counts and their cost (public.model_prices at
  this moment; priced false and cost 0 for a model without a price) and returned as JSON. A user
  records only their own entries not reserved for the service role, once: recording a settled
  entry again returns it unchanged. The service role may record any entry, and replaces an
  estimate (its own or the store''s) with reported counts.
Errors: 42501 not signed in; 22023 usage not an object of those counts; PT404 no such entry
  of the caller''s (or one reserved for the service role), or no such message of its user.
Security definer because users cannot write the ledger.';

--
-- Name: release_reply(uuid, integer); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.release_reply(p_conversation_id uuid, p_sequence_order integer) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_message_id constant uuid := conversation_store.callers_reply_in_progress(p_conversation_id, p_sequence_order);
begin
  if v_message_id is null then
    return false;
  end if;
  insert into conversation_store.reply_releases as r (message_id, released_at)
  values (v_message_id, now())
  on conflict (message_id) do update set released_at = excluded.released_at;
  return true;
end;
$$;

ALTER FUNCTION public.release_reply(p_conversation_id uuid, p_sequence_order integer) OWNER TO postgres;

--
-- Name: FUNCTION release_reply(p_conversation_id uuid, p_sequence_order integer); Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON FUNCTION public.release_reply(p_conversation_id uuid, p_sequence_order integer) IS 'Input: a reply of the caller''s (conversation and sequence_order).
Guarantees: when it is in progress, its released_at becomes now(); returns whether it was. A
  reply already final, another user''s or one that does not exist gives false: a request closing
  after its reply ended is no event.
Errors: none of its own.
Security definer because the marks are not the caller''s to write directly.';

--
-- Name: reply_release_state(uuid, integer); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.reply_release_state(p_conversation_id uuid, p_sequence_order integer, OUT status text, OUT released_seconds double precision) RETURNS record
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO ''
    AS $$
  select m.status,
         case when r.released_at is not null and (r.resumed_at is null or r.resumed_at < r.released_at)
              then extract(epoch from now() - r.released_at)::float8 end
  from (select) as one
  left join public.conversation_messages m
    on m.conversation_id = p_conversation_id and m.sequence_order = p_sequence_order
   and exists (select from public.conversations c
               where c.id = m.conversation_id and conversation_store.caller_reaches(c))
  left join conversation_store.reply_releases r on r.message_id = m.id
$$;

ALTER FUNCTION public.reply_release_state(p_conversation_id uuid, p_sequence_order integer, OUT status text, OUT released_seconds double precision) OWNER TO postgres;

--
-- Name: FUNCTION reply_release_state(p_conversation_id uuid, p_sequence_order integer, OUT status text, OUT released_seconds double precision); Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON FUNCTION public.reply_release_state(p_conversation_id uuid, p_sequence_order integer, OUT status text, OUT released_seconds double precision) IS 'Input: a reply of the caller''s (conversation and sequence_order).
Guarantees: one row: the reply''s status, and while it is released and not resumed since, how
  many seconds ago it was released by the database''s clock (else null). A reply not found (gone,
  not live, not the caller''s) reads as status null.
Errors: none of its own.
Security definer because the marks are not the caller''s to read directly.';

--
-- Name: reserve_usage(integer, uuid, uuid, text, boolean); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.reserve_usage(p_max_output_tokens integer, p_conversation_id uuid DEFAULT NULL::uuid, p_message_id uuid DEFAULT NULL::uuid, p_model text DEFAULT NULL::text, p_service_records boolean DEFAULT false) RETURNS json
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_user uuid := auth.uid();
  v_conversation uuid := p_conversation_id;
  v_existing public.usage_ledger;
  v_limit record;
  v_grant integer := p_max_output_tokens;
  v_limits json[] := '{}';
  v_plan text;
  v_id uuid;
begin
  if v_user is null or conversation_store.caller_is_service_role() then
    raise exception 'reserve_usage is called as the signed-in user' using errcode = '42501';
  end if;
  if p_max_output_tokens is null or p_max_output_tokens not between 1 and 100000000 then
    raise exception 'p_max_output_tokens must be from 1 to 100000000' using errcode = '22023';
  end if;
  if char_length(p_model) > 200 then
    raise exception 'p_model is longer than 200 characters' using errcode = '22023';
  end if;
  if p_message_id is not null then
    select m.conversation_id into v_conversation
    from public.conversation_messages as m
    where m.id = p_message_id and m.user_id = v_user
      and (p_conversation_id is null or m.conversation_id = p_conversation_id);
    if not found then
      raise exception 'message not found' using errcode = 'PT404';
    end if;
  elsif p_conversation_id is not null then
    perform from public.conversations as c
    where c.id = p_conversation_id and conversation_store.caller_reaches(c);
    if not found then
      raise exception 'conversation not found' using errcode = 'PT404';
    end if;
  end if;

  -- One transaction at a time per user from here to its commit: the next one counts this one's entry.
  perform pg_advisory_xact_lock(hashtextextended('conversation_store.usage:' || v_user::text, 0));

  if p_message_id is not null then
    select * into v_existing from public.usage_ledger as l where l.message_id = p_message_id;
    if found then
      return json_build_object('reservation_id', v_existing.id, 'max_output_tokens', v_existing.reserved_tokens,
                               'plan', conversation_store.usage_plan_of(v_user), 'limits', '[]'::json);
    end if;
  end if;

  perform conversation_store.settle_abandoned_usage(v_user);

  for v_limit in select * from conversation_store.usage_allowance(v_user) as a order by a.window_seconds loop
    v_plan := v_limit.plan;
    continue when v_limit.quota is null;
    if v_limit.code = 'rate_limited' and v_limit.remaining < 1
       or v_limit.code = 'quota_exceeded' and v_limit.remaining <= 0 then
      raise exception 'over the % limit of the plan %', v_limit.policy, v_limit.plan
        using errcode = 'PT429', hint = v_limit.code,
              detail = json_build_object('limit', v_limit.policy, 'quota', v_limit.quota,
                                         'retry_after', v_limit.reset_seconds)::text;
    end if;
    if v_limit.policy = 'tokens_per_day' then
      v_grant := least(v_grant, v_limit.remaining)::integer;
    end if;
    v_limits := v_limits || json_build_object(
      'policy', v_limit.policy, 'quota', v_limit.quota,
      'remaining', v_limit.remaining - case v_limit.policy when 'tokens_per_day' then v_grant
                                                          when 'cost_per_month' then 0 else 1 end,
      'window_seconds', v_limit.window_seconds, 'reset_seconds', v_limit.reset_seconds);
  end loop;

  insert into public.usage_ledger (user_id, conversation_id, message_id, model, reserved_tokens, service_records)
  values (v_user, v_conversation, p_message_id, p_model, v_grant, coalesce(p_service_records, false))
  returning id into v_id;

  return json_build_object('reservation_id', v_id, 'max_output_tokens', v_grant, 'plan', v_plan,
                           'limits', array_to_json(v_limits));
end;
$$;

ALTER FUNCTION public.reserve_usage(p_max_output_tokens integer, p_conversation_id uuid, p_message_id uuid, p_model text, p_service_records boolean) OWNER TO postgres;

--
-- Name: FUNCTION reserve_usage(p_max_output_tokens integer, p_conversation_id uuid, p_message_id uuid, p_model text, p_service_records boolean); Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON FUNCTION public.reserve_usage(p_max_output_tokens integer, p_conversation_id uuid, p_message_id uuid, p_model text, p_service_records boolean) IS 'Input: p_max_output_tokens, the most output the call may produce (1 … 100,000,000); optionally
  the conversation and the message (public.conversation_messages.id, e.g. the reply in progress)
  the call answers, the model id, and p_service_records (only the service role may then record
  the usage: chat''s replies, so that a user cannot report less than the provider did).
Guarantees: under a lock on the caller''s usage (so concurrent reservations are counted one after
  the other), settles abandoned entries, checks every limit of the caller''s plan, and records a
  reserved entry holding the granted output tokens: min(p_max_output_tokens, the token budget
  left). Returns `{ reservation_id, max_output_tokens, plan, limits }` (limits as
  get_usage_limits, counting this call). The same message reserved again returns its entry and
  counts nothing (a replay).
Errors: 42501 not a signed-in user; 22023 p_max_output_tokens out of range; PT404 conversation
  or message not found or not the caller''s; PT429 over a limit: hint rate_limited (requests) or
  quota_exceeded (tokens, cost), DETAIL `{ "limit", "quota", "retry_after" }` (seconds until the
  window resets).
Security definer because users cannot write the ledger or read plans.';

--
-- Name: resume_reply(uuid); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.resume_reply(p_conversation_id uuid) RETURNS SETOF public.conversation_messages
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_message_id constant uuid := conversation_store.callers_reply_in_progress(p_conversation_id);
begin
  if v_message_id is null then
    return;
  end if;
  insert into conversation_store.reply_releases as r (message_id, resumed_at)
  values (v_message_id, now())
  on conflict (message_id) do update set resumed_at = excluded.resumed_at;
  return query select m.* from public.conversation_messages m where m.id = v_message_id;
end;
$$;

ALTER FUNCTION public.resume_reply(p_conversation_id uuid) OWNER TO postgres;

--
-- Name: FUNCTION resume_reply(p_conversation_id uuid); Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON FUNCTION public.resume_reply(p_conversation_id uuid) IS 'Input: a conversation id.
Guarantees: when the caller''s live conversation holds a reply in progress, records it resumed
  (resumed_at = now()) and returns it; else returns no row, the same for a conversation that does
  not exist, another user''s and an expired one (no oracle). The reply''s own row is not written.
Errors: none of its own.
Security definer because the marks are not the caller''s to write directly.';

--
-- Name: revoke_conversation_share(text); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.revoke_conversation_share(p_token text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
  delete from public.conversation_shares s
  where s.token_hash = conversation_store.share_token_hash(p_token)
    and (conversation_store.caller_is_service_role() or s.user_id = auth.uid());
  if not found then
    raise exception 'share link not found' using errcode = 'PT404';
  end if;
end;
$$;

ALTER FUNCTION public.revoke_conversation_share(p_token text) OWNER TO postgres;

--
-- Name: FUNCTION revoke_conversation_share(p_token text); Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON FUNCTION public.revoke_conversation_share(p_token text) IS 'Input: a link''s token.
Guarantees: the link is gone; readers get "not found" from now on.
Errors: PT404 no such link of the caller''s (a malformed token included). The service role
  revokes any link.
Security definer because links have no delete grant.';

--
-- Name: search_conversations(text, integer, jsonb, uuid, uuid, boolean, text); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.search_conversations(p_query text, p_limit integer DEFAULT 20, p_cursor jsonb DEFAULT NULL::jsonb, p_video_id uuid DEFAULT NULL::uuid, p_user_id uuid DEFAULT NULL::uuid, p_archived boolean DEFAULT false, p_tag text DEFAULT NULL::text) RETURNS json
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
  v_tags text[];
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
  if p_archived is null then
    raise exception 'p_archived must be true or false' using errcode = '22023';
  end if;
  if p_tag is not null then
    v_tags := conversation_store.normalize_tags(array[p_tag]);
    if cardinality(v_tags) = 0 then
      raise exception 'p_tag must hold a character other than whitespace' using errcode = '22023';
    end if;
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
  titled as (
    -- Titles, through idx_conversations_title_search.
    select c.id as conversation_id, ts_rank_cd(conversation_store.search_words(c.title), v_query) as rank
    from public.conversations c
    where (v_user is null or c.user_id = v_user) and c.title is not null
      and conversation_store.search_words(c.title) @@ v_query
    limit c_ranked_matches
  ),
  best_hits as materialized (
    -- Each conversation's best match, by title or message: aggregated once, not per conversation.
    select hit.conversation_id, max(hit.rank) as rank
    from (select f.conversation_id, f.rank from found f
          union all
          select t.conversation_id, t.rank from titled t) as hit
    group by hit.conversation_id
  ),
  ranked as (
    select c, best_hits.rank
    from best_hits
    join public.conversations c on c.id = best_hits.conversation_id
    where (c.expires_at is null or c.expires_at > now())
      and (v_user is null or c.user_id = v_user)
      and c.archived = p_archived
      and (v_tags is null or c.tags @> v_tags)
      and (p_video_id is null or c.video_id = p_video_id)
      and (p_cursor is null or (best_hits.rank, c.updated_at, c.id) < (v_after_rank, v_after_updated_at, v_after_id))
    order by best_hits.rank desc, c.updated_at desc, c.id desc
    limit p_limit + 1
  ),
  results as (
    select r.rank, (r.c).updated_at, (r.c).id,
           row_number() over (order by r.rank desc, (r.c).updated_at desc, (r.c).id desc) as position,
           json_build_object(
             'conversation', conversation_store.conversation_json(r.c),
             'matches', (
               select coalesce(json_agg(json_build_object(
                        'sequence_order', best.sequence_order, 'role', best.role,
                        'snippet', marked.snippet, 'highlights', marked.highlights
                      ) order by best.rank desc, best.sequence_order desc), '[]'::json)
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

ALTER FUNCTION public.search_conversations(p_query text, p_limit integer, p_cursor jsonb, p_video_id uuid, p_user_id uuid, p_archived boolean, p_tag text) OWNER TO postgres;

--
-- Name: FUNCTION search_conversations(p_query text, p_limit integer, p_cursor jsonb, p_video_id uuid, p_user_id uuid, p_archived boolean, p_tag text); Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON FUNCTION public.search_conversations(p_query text, p_limit integer, p_cursor jsonb, p_video_id uuid, p_user_id uuid, p_archived boolean, p_tag text) IS 'Input: the query (1..256 characters, web-search syntax); how many conversations (1..50); the
  next_cursor of the previous page; optionally a video id; for the service role, optionally a
  user id (without one it searches every user''s conversations); whether to search archived
  conversations (then only them); optionally a tag (normalised as stored).
Guarantees: returns { results, has_more, next_cursor }: live conversations of the caller with a
  message matching the query (in its text, or its reasoning or file names:
  conversation_store.part_search_words), by relevance (the best match''s ts_rank_cd), then most
  recently updated; each result is { conversation, matches }, matches being up to 3 of its
  messages { sequence_order, role, snippet, highlights }, best first. snippet is plain text
  around the match in the message''s text, reasoning and file names (never markup) and
  highlights are [start, end) ranges of the matched words in it, in
  characters (code points). At most 10,000 matching messages (and 10,000 titles) are ranked per call, so a word that
  is everywhere in a user''s history costs a bounded amount; a page also stops at
  conversation_store.page_max_bytes().
Errors: 22023 arguments out of range, a malformed cursor or an empty tag; 42501 not authenticated, or p_user_id
  naming someone else.
Security definer, filtering by the caller itself as the policies would (the caller''s own
  messages, live conversations; the service role everyone''s or one user''s): under Row Level
  Security a condition holding a function that is not leakproof, such as the words of a message,
  waits behind the policy, so the index would be read by owner only and every message of the user
  turned into words again. Plans are made for each call''s values (plan_cache_mode), so a user''s
  own statistics choose them; JIT is off, since compiling cost more than the search.';

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
-- Name: FUNCTION set_conversation_summary(p_conversation_id uuid, p_content text, p_through_sequence integer, p_token_count integer); Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON FUNCTION public.set_conversation_summary(p_conversation_id uuid, p_content text, p_through_sequence integer, p_token_count integer) IS 'Input: a conversation id; the summary''s text and the last sequence number it covers, or both
  null to clear it; p_token_count, the exact count, honoured only from a session that counts
  tokens (the edge functions); anyone else gets conversation_store.estimate_tokens.
Guarantees: sets, replaces or clears the summary in one update and returns the row.
Errors: 22023 content and through_sequence not given together; PT422 (hint
  beyond_last_sequence) through_sequence after the last message, DETAIL
  {"last_sequence": n}; PT404 not found, not live or not the caller''s; 23514 too large or < 1.
Security definer because clients may not write the summary columns (nor its token count)
  directly; ownership is checked against auth.uid() (the service role reaches every conversation).';

--
-- Name: model_prices; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.model_prices (
    model text NOT NULL,
    input_per_million numeric(14,6) DEFAULT 0 NOT NULL,
    cached_input_per_million numeric(14,6) DEFAULT 0 NOT NULL,
    output_per_million numeric(14,6) DEFAULT 0 NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT model_prices_cached_input_per_million_check CHECK ((cached_input_per_million >= (0)::numeric)),
    CONSTRAINT model_prices_input_per_million_check CHECK ((input_per_million >= (0)::numeric)),
    CONSTRAINT model_prices_model_check CHECK (((char_length(model) >= 1) AND (char_length(model) <= 200))),
    CONSTRAINT model_prices_output_per_million_check CHECK ((output_per_million >= (0)::numeric))
);

ALTER TABLE public.model_prices OWNER TO postgres;

--
-- Name: TABLE model_prices; Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON TABLE public.model_prices IS 'Price per million tokens of each model (the provider''s list price, in the app''s currency). Service role only.';

--
-- Name: set_model_price(text, jsonb); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.set_model_price(p_model text, p_prices jsonb) RETURNS public.model_prices
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
declare
  v_price public.model_prices;
begin
  if not conversation_store.caller_is_service_role() then
    raise exception 'only the service role sets prices' using errcode = '42501';
  end if;
  if p_model is null or char_length(p_model) not between 1 and 200 then
    raise exception 'a model id is 1 to 200 characters' using errcode = '22023';
  end if;
  if p_prices is null then
    delete from public.model_prices as p where p.model = p_model returning * into v_price;
    return v_price;
  end if;
  perform conversation_store.check_numbers(p_prices, 'p_prices',
    array['input_per_million', 'cached_input_per_million', 'output_per_million'], '{}', 1e8, false);
  insert into public.model_prices as p (model, input_per_million, cached_input_per_million, output_per_million)
  values (p_model, coalesce((p_prices ->> 'input_per_million')::numeric, 0),
          coalesce((p_prices ->> 'cached_input_per_million')::numeric, 0),
          coalesce((p_prices ->> 'output_per_million')::numeric, 0))
  on conflict (model) do update
  set input_per_million = coalesce((p_prices ->> 'input_per_million')::numeric, p.input_per_million),
      cached_input_per_million = coalesce((p_prices ->> 'cached_input_per_million')::numeric,
                                          p.cached_input_per_million),
      output_per_million = coalesce((p_prices ->> 'output_per_million')::numeric, p.output_per_million),
      updated_at = now()
  returning * into v_price;
  return v_price;
end;
$$;

ALTER FUNCTION public.set_model_price(p_model text, p_prices jsonb) OWNER TO postgres;

--
-- Name: FUNCTION set_model_price(p_model text, p_prices jsonb); Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON FUNCTION public.set_model_price(p_model text, p_prices jsonb) IS 'Input: a model id and its prices `{ input_per_million?, cached_input_per_million?,
  output_per_million? }` (0 or more; absent: 0 for a new model, unchanged otherwise), or null
  prices to remove the model''s price (its calls then cost 0, priced false).
Guarantees: entries settled from now on use these prices; settled entries keep their cost.
Errors: 42501 not the service role; 22023 an unknown key or a value out of range.';

--
-- Name: set_reply_outcome(uuid, integer, text, jsonb); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.set_reply_outcome(p_conversation_id uuid, p_sequence_order integer, p_reason text, p_error jsonb DEFAULT NULL::jsonb) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_message_id uuid;
  v_status text;
begin
  if p_reason is null or p_reason not in ('stopped', 'model_error', 'time_limit', 'taken_over', 'refused') then
    raise exception 'reason must be stopped, model_error, time_limit, taken_over or refused' using errcode = '22023';
  end if;
  if p_error is not null and (
    jsonb_typeof(p_error) <> 'object'
    or jsonb_typeof(p_error -> 'code') is distinct from 'string'
    or jsonb_typeof(p_error -> 'message') is distinct from 'string'
    or length(p_error ->> 'message') > 500
    or length(p_error ->> 'code') > 64
    or jsonb_typeof(coalesce(p_error -> 'provider_status', '0')) <> 'number'
    or jsonb_typeof(coalesce(p_error -> 'rate_limited', 'false')) <> 'boolean'
    or jsonb_typeof(coalesce(p_error -> 'retryable', 'false')) <> 'boolean'
    or exists (select from jsonb_object_keys(p_error) as k(key)
               where k.key not in ('code', 'message', 'provider_status', 'rate_limited', 'retryable'))
  ) then
    raise exception 'error must be {code, message, provider_status?, rate_limited?, retryable?}'
      using errcode = '22023';
  end if;

  select m.id, m.status into v_message_id, v_status
  from public.conversation_messages m
  join public.conversations c on c.id = m.conversation_id
  where m.conversation_id = p_conversation_id and m.sequence_order = p_sequence_order
    and conversation_store.caller_reaches(c)
  for update of m;
  if not found then
    raise exception 'message not found' using errcode = 'PT404';
  end if;
  if v_status <> 'in_progress' then
    return false;
  end if;

  update public.conversation_messages m
  set reply_outcome = jsonb_strip_nulls(jsonb_build_object('reason', p_reason, 'error', p_error))
  where m.id = v_message_id;
  return true;
end;
$$;

ALTER FUNCTION public.set_reply_outcome(p_conversation_id uuid, p_sequence_order integer, p_reason text, p_error jsonb) OWNER TO postgres;

--
-- Name: FUNCTION set_reply_outcome(p_conversation_id uuid, p_sequence_order integer, p_reason text, p_error jsonb); Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON FUNCTION public.set_reply_outcome(p_conversation_id uuid, p_sequence_order integer, p_reason text, p_error jsonb) IS 'Input: a reply of the caller''s (conversation and sequence_order); the reason it is about to end
  with (stopped, model_error, time_limit, taken_over); for model_error, the error as the browser
  was told it: an object {code, message, provider_status?, rate_limited?, retryable?} (strings,
  a number, booleans), the code up to 64 characters, the message up to 500.
Guarantees: while the reply is in progress, records the reason (and error) that the trigger
  settles when the reply becomes final (and, as any write, moves updated_at). Returns whether it was recorded: false when the reply is already final (its outcome
  stays what it was).
Errors: 22023 an unknown reason, an error that is not such an object; PT404 conversation or
  message not found, not live or not the caller''s.
Security definer because messages have no update grant; ownership is checked against auth.uid().';

--
-- Name: usage_plans; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.usage_plans (
    name text NOT NULL,
    requests_per_hour integer,
    requests_per_day integer,
    tokens_per_day bigint,
    cost_per_month numeric(14,6),
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT usage_plans_cost_per_month_check CHECK ((cost_per_month >= (0)::numeric)),
    CONSTRAINT usage_plans_name_check CHECK ((name ~ '^[a-z0-9_-]{1,50}$'::text)),
    CONSTRAINT usage_plans_requests_per_day_check CHECK ((requests_per_day >= 0)),
    CONSTRAINT usage_plans_requests_per_hour_check CHECK ((requests_per_hour >= 0)),
    CONSTRAINT usage_plans_tokens_per_day_check CHECK ((tokens_per_day >= 0))
);

ALTER TABLE public.usage_plans OWNER TO postgres;

--
-- Name: TABLE usage_plans; Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON TABLE public.usage_plans IS 'Limits per plan; null is unlimited. Hours, days and months are UTC calendar windows. Service role only.';

--
-- Name: set_usage_plan(text, jsonb); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.set_usage_plan(p_plan text, p_limits jsonb) RETURNS public.usage_plans
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $_$
declare
  v_plan public.usage_plans;
begin
  if not conversation_store.caller_is_service_role() then
    raise exception 'only the service role manages plans' using errcode = '42501';
  end if;
  if p_plan is null or p_plan !~ '^[a-z0-9_-]{1,50}$' then
    raise exception 'a plan name is 1 to 50 of a-z, 0-9, _ and -' using errcode = '22023';
  end if;
  -- A request limit past an integer fails its cast below (22003), a cost past numeric(14, 6) its column.
  perform conversation_store.check_numbers(p_limits, 'p_limits',
    array['requests_per_hour', 'requests_per_day', 'tokens_per_day', 'cost_per_month'],
    array['requests_per_hour', 'requests_per_day', 'tokens_per_day'], 1e15, true);

  insert into public.usage_plans as p (name, requests_per_hour, requests_per_day, tokens_per_day, cost_per_month)
  values (p_plan, (p_limits ->> 'requests_per_hour')::integer, (p_limits ->> 'requests_per_day')::integer,
          (p_limits ->> 'tokens_per_day')::bigint, (p_limits ->> 'cost_per_month')::numeric)
  on conflict (name) do update
  set requests_per_hour = case when p_limits ? 'requests_per_hour' then excluded.requests_per_hour
                               else p.requests_per_hour end,
      requests_per_day = case when p_limits ? 'requests_per_day' then excluded.requests_per_day
                              else p.requests_per_day end,
      tokens_per_day = case when p_limits ? 'tokens_per_day' then excluded.tokens_per_day else p.tokens_per_day end,
      cost_per_month = case when p_limits ? 'cost_per_month' then excluded.cost_per_month else p.cost_per_month end,
      updated_at = now()
  returning * into v_plan;
  return v_plan;
end;
$_$;

ALTER FUNCTION public.set_usage_plan(p_plan text, p_limits jsonb) OWNER TO postgres;

--
-- Name: FUNCTION set_usage_plan(p_plan text, p_limits jsonb); Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON FUNCTION public.set_usage_plan(p_plan text, p_limits jsonb) IS 'Input: a plan''s name (a-z, 0-9, _ and -, up to 50) and limits `{ requests_per_hour?,
  requests_per_day?, tokens_per_day?, cost_per_month? }`: a number (0 or more, whole but for the
  cost) or null (unlimited).
Guarantees: the plan exists afterwards with the limits given (a new plan''s others unlimited, an
  existing plan''s others unchanged); returns it. Takes effect at the next reservation.
Errors: 42501 not the service role (and users have no execute grant); 22023 an unknown key or a
  value out of range.';

--
-- Name: share_conversation(uuid, integer, boolean); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.share_conversation(p_conversation_id uuid, p_expires_in_seconds integer DEFAULT NULL::integer, p_include_reasoning boolean DEFAULT false) RETURNS json
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_conversation public.conversations;
  v_through integer;
  v_token text;
  v_share public.conversation_shares;
begin
  if p_expires_in_seconds is not null and p_expires_in_seconds not between 60 and 315360000 then
    raise exception 'p_expires_in_seconds must be between 60 and 315360000' using errcode = '22023';
  end if;
  -- Locked, so that two calls at the limit cannot both pass the count below.
  select * into v_conversation
  from public.conversations c
  where c.id = p_conversation_id and conversation_store.caller_reaches(c)
  for no key update;
  if not found then
    raise exception 'conversation not found' using errcode = 'PT404';
  end if;
  -- At most one reply is in progress, and it is the last message.
  v_through := v_conversation.last_sequence - case when exists (
      select from public.conversation_messages m
      where m.conversation_id = p_conversation_id and m.sequence_order = v_conversation.last_sequence
        and m.status = 'in_progress') then 1 else 0 end;
  if v_through < 1 then
    raise exception 'the conversation has no message to share yet'
      using errcode = 'PT422', hint = 'conversation_empty';
  end if;
  if (select count(*) from public.conversation_shares s
      where s.conversation_id = p_conversation_id and (s.expires_at is null or s.expires_at > now()))
     >= conversation_store.shares_per_conversation() then
    raise exception 'the conversation has % live share links; revoke one first', conversation_store.shares_per_conversation()
      using errcode = 'PT422', hint = 'share_limit_reached';
  end if;

  v_token := translate(encode(uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid()), 'base64'), '+/=', '-_');
  insert into public.conversation_shares (token_hash, conversation_id, user_id, through_sequence, include_reasoning, expires_at)
  values (conversation_store.share_token_hash(v_token), p_conversation_id, v_conversation.user_id, v_through,
          coalesce(p_include_reasoning, false), now() + p_expires_in_seconds * interval '1 second')
  returning * into v_share;
  return json_build_object('token', v_token, 'through_sequence', v_share.through_sequence,
                           'expires_at', v_share.expires_at, 'include_reasoning', v_share.include_reasoning);
end;
$$;

ALTER FUNCTION public.share_conversation(p_conversation_id uuid, p_expires_in_seconds integer, p_include_reasoning boolean) OWNER TO postgres;

--
-- Name: FUNCTION share_conversation(p_conversation_id uuid, p_expires_in_seconds integer, p_include_reasoning boolean); Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON FUNCTION public.share_conversation(p_conversation_id uuid, p_expires_in_seconds integer, p_include_reasoning boolean) IS 'Input: a conversation; optionally how long the link lives (60 to 315,360,000 seconds; null: until
  revoked) and whether readers see reasoning.
Guarantees: a new link through the conversation''s last message (a reply in progress left out),
  returned as json { token, through_sequence, expires_at, include_reasoning }; the token is
  shown this once. The service role shares for the owner.
Errors: PT404 conversation not found, not live or not the caller''s; PT422 (hint
  conversation_empty) nothing to share yet; PT422 (hint share_limit_reached) the conversation has
  conversation_store.shares_per_conversation() live links; 22023 an expiry out of range.
Security definer because links have no write grant.';

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
-- Name: FUNCTION start_conversation(p_video_id uuid, p_metadata jsonb, p_id uuid, p_user_id uuid, p_retention_seconds integer); Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON FUNCTION public.start_conversation(p_video_id uuid, p_metadata jsonb, p_id uuid, p_user_id uuid, p_retention_seconds integer) IS 'Input: optional video id, metadata and retention; p_id makes the call idempotent; p_user_id
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
  verified JWT claims, never from a parameter alone.';

--
-- Name: stop_released_reply(uuid); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.stop_released_reply(p_conversation_id uuid) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
begin
  perform from public.conversations c
  where c.id = p_conversation_id and conversation_store.caller_reaches(c)
  for no key update;
  if not found then
    return false;
  end if;
  update public.conversation_messages m
  set status = 'incomplete',
      content = case when m.function_call is null and m.tool_calls is null and m.parts is null
                     then coalesce(m.content, '') else m.content end
  from conversation_store.reply_releases r
  where m.conversation_id = p_conversation_id and m.status = 'in_progress'
    and r.message_id = m.id and r.released_at is not null
    and (r.resumed_at is null or r.resumed_at < r.released_at);
  return found;
end;
$$;

ALTER FUNCTION public.stop_released_reply(p_conversation_id uuid) OWNER TO postgres;

--
-- Name: FUNCTION stop_released_reply(p_conversation_id uuid); Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON FUNCTION public.stop_released_reply(p_conversation_id uuid) IS 'Input: a conversation id.
Guarantees: when the caller''s conversation holds a reply in progress that is released and not
  resumed since, marks it incomplete (reason stopped, with what it holds) and returns true; the
  writer learns it at its next write or poll. Otherwise changes nothing and returns false. Locks
  the conversation before the message, as append_messages does.
Errors: none of its own.
Security definer because messages have no update grant; ownership is checked against auth.uid().';

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
-- Name: FUNCTION touch_updated_at(); Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON FUNCTION public.touch_updated_at() IS 'Input: none; the trigger function of conversations'' before-update trigger, not callable by any API role.
Guarantees: updated_at moves to now() on every change to a conversation, including each append (which
  bumps last_sequence).
Errors: none.';

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
  set metadata = conversation_store.jsonb_merge_patch(c.metadata, p_patch)
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
-- Name: FUNCTION update_conversation_metadata(p_conversation_id uuid, p_patch jsonb); Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON FUNCTION public.update_conversation_metadata(p_conversation_id uuid, p_patch jsonb) IS 'Input: a conversation id and a patch object (JSON merge patch, RFC 7396).
Guarantees: a patch over 64 KiB is refused before it is merged (check violation
  conversations_metadata_patch_max_size); otherwise applies the patch to the stored metadata
  (conversation_store.jsonb_merge_patch) in one atomic update and returns the row.
Errors: 22023 patch is not an object; 23514 patch or result too large; PT404 not found, not live
  or not the caller''s.
Security invoker: Row Level Security limits it to the caller''s own live conversations (the service
  role reaches every live one).';

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
-- Name: FUNCTION update_message(p_conversation_id uuid, p_sequence_order integer, p_content text, p_append_content text, p_content_offset integer, p_tool_calls jsonb, p_function_call jsonb, p_status text, p_part_index integer, p_part jsonb, p_append_text text, p_text_offset integer, p_metadata jsonb); Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON FUNCTION public.update_message(p_conversation_id uuid, p_sequence_order integer, p_content text, p_append_content text, p_content_offset integer, p_tool_calls jsonb, p_function_call jsonb, p_status text, p_part_index integer, p_part jsonb, p_append_text text, p_text_offset integer, p_metadata jsonb) IS 'Input: the message (conversation id and sequence number); at most one of p_content (replaces
  the text) and p_append_content with p_content_offset (adds a delta); p_tool_calls or
  p_function_call (replace them); p_status (''in_progress'', ''completed'', ''incomplete''). Part
  operations, instead of content and calls: p_part_index with p_part (replaces the part at that
  index, or appends it when the index is the number of parts), or p_part_index with
  p_append_text and p_text_offset (a delta to the text or reasoning part at that index);
  p_metadata replaces the message''s metadata.
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
  * token_count and reasoning_token_count follow the message (the database''s estimates); the
    edge functions replace them with exact counts once the reply is final
    (conversation_store.set_exact_token_count).
  * Finishing a reply is activity: the conversation''s updated_at moves (and so its expires_at).
  * The conversation is locked before the message, in the order append_messages locks them.
Errors: 22023 malformed arguments, a part index out of range, a delta to a part without text, a
  malformed part, content or calls sent to a message written with parts, or a part operation on
  a message with a function_call; 42501 (hint storage_path_forbidden) a file part outside the
  owner''s Storage folder; PT404 conversation or message not found, not live or not the caller''s;
  PT409 (hint message_final) the message is final; PT409 (hint content_offset_mismatch) the
  offset does not match, DETAIL {"content_length": n}; 23514 the result breaks a table rule.
Security definer because messages have no update grant; ownership is checked against auth.uid().';

--
-- Name: write_memory(text, text, bigint, uuid, integer, uuid); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.write_memory(p_key text, p_value text, p_expected_version bigint DEFAULT NULL::bigint, p_conversation_id uuid DEFAULT NULL::uuid, p_token_count integer DEFAULT NULL::integer, p_user_id uuid DEFAULT NULL::uuid) RETURNS json
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
declare
  v_user uuid := conversation_store.acting_user(p_user_id);
  v_current public.memory_entries;
  v_tokens integer;
  v_others record;
  v_entry public.memory_entries;
begin
  if v_user is null then
    raise exception 'service_role must name the user in p_user_id' using errcode = '22023';
  end if;
  if p_key is null or char_length(p_key) not between 1 and 100 or p_key ~ '[[:cntrl:]]' then
    raise exception 'key must be 1 to 100 characters without control characters' using errcode = '22023';
  end if;
  if p_value is not null and char_length(p_value) not between 1 and 4000 then
    raise exception 'value must be 1 to 4000 characters, or null to delete' using errcode = '22023';
  end if;
  if p_conversation_id is not null and not exists (
    select from public.conversations c
    where c.id = p_conversation_id and c.user_id = v_user
      and (c.expires_at is null or c.expires_at > now())
  ) then
    raise exception 'conversation not found' using errcode = 'PT404';
  end if;

  -- One writer per user at a time: the version check and the bounds below read what every earlier
  -- writer committed.
  perform pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('memory_entries ' || v_user::text, 0));

  select * into v_current from public.memory_entries e where e.user_id = v_user and e.key = p_key;
  if v_current.version is distinct from p_expected_version then
    raise exception 'memory entry % changed since it was read', p_key
      using errcode = 'PT409', hint = 'memory_conflict',
            detail = json_build_object('key', p_key, 'current_version', v_current.version)::text;
  end if;

  if p_value is null then
    delete from public.memory_entries e where e.user_id = v_user and e.key = p_key;
    return json_build_object('key', p_key, 'value', null, 'version', null, 'token_count', 0,
                             'conversation_id', p_conversation_id, 'updated_at', now());
  end if;

  v_tokens := case when p_token_count is not null and conversation_store.writer_counts_tokens()
                   then p_token_count
                   else conversation_store.estimate_tokens(p_key || ': ' || p_value, null, null, null, null) end;
  select count(*) as entries, coalesce(sum(e.token_count), 0) as tokens into v_others
  from public.memory_entries e where e.user_id = v_user and e.key <> p_key;
  if v_others.entries + 1 > conversation_store.memory_max_entries()
     or v_others.tokens + v_tokens > conversation_store.memory_max_tokens() then
    raise exception 'memory is full: at most % entries of % tokens in all',
        conversation_store.memory_max_entries(), conversation_store.memory_max_tokens()
      using errcode = 'PT422', hint = 'memory_full',
            detail = json_build_object('max_entries', conversation_store.memory_max_entries(),
                                       'max_tokens', conversation_store.memory_max_tokens(),
                                       'used_tokens', v_others.tokens, 'entry_tokens', v_tokens)::text;
  end if;

  insert into public.memory_entries as e (user_id, key, value, version, token_count, conversation_id)
  values (v_user, p_key, p_value, nextval('conversation_store.memory_versions'), v_tokens, p_conversation_id)
  on conflict (user_id, key) do update
    set value = excluded.value, version = excluded.version, token_count = excluded.token_count,
        conversation_id = excluded.conversation_id, updated_at = now()
  returning e.* into v_entry;
  return conversation_store.memory_entry_json(v_entry);
end;
$$;

ALTER FUNCTION public.write_memory(p_key text, p_value text, p_expected_version bigint, p_conversation_id uuid, p_token_count integer, p_user_id uuid) OWNER TO postgres;

--
-- Name: FUNCTION write_memory(p_key text, p_value text, p_expected_version bigint, p_conversation_id uuid, p_token_count integer, p_user_id uuid); Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON FUNCTION public.write_memory(p_key text, p_value text, p_expected_version bigint, p_conversation_id uuid, p_token_count integer, p_user_id uuid) IS 'Input: the key (1..100 characters, no control characters); the value (1..4000 characters), or
  null to delete the entry; the version the writer read, or null when it read no entry; the
  conversation the write comes from, if any (the caller''s, live); a token count of "key: value"
  (honoured only from the edge functions'' own connection, as for messages; otherwise a byte-based
  upper bound is stored); for the service role, the user whose memory to write (required).
Guarantees: when the entry''s current version is p_expected_version (null: there is no entry),
  creates, replaces or deletes it, and returns { key, value, version, token_count,
  conversation_id, updated_at } (value and version null after a delete). Each write gets a new
  version. The user''s writes are serialized, and after the write the user holds at most
  memory_max_entries() entries of at most memory_max_tokens() tokens in all.
Errors: PT409 (hint memory_conflict, detail { key, current_version }) the version is stale;
  PT422 (hint memory_full, detail { max_entries, max_tokens }) the write would pass a bound;
  PT404 p_conversation_id is not the user''s live conversation; 22023 a key or value out of
  range, or the service role names no user; 42501 not authenticated, or p_user_id naming
  someone else.
Security definer because clients cannot write the table; the user comes from the verified JWT
  claims (or the service role''s p_user_id), never from a parameter alone.';

--
-- Name: memory_versions; Type: SEQUENCE; Schema: conversation_store; Owner: postgres
--

CREATE SEQUENCE conversation_store.memory_versions
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER TABLE conversation_store.memory_versions OWNER TO postgres;

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
)
WITH (autovacuum_vacuum_insert_threshold='-1');
ALTER TABLE ONLY conversation_store.reply_log ALTER COLUMN delta SET STATISTICS 0;
ALTER TABLE ONLY conversation_store.reply_log ALTER COLUMN part SET STATISTICS 0;

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
-- Name: reply_releases; Type: TABLE; Schema: conversation_store; Owner: postgres
--

CREATE TABLE conversation_store.reply_releases (
    message_id uuid NOT NULL,
    released_at timestamp with time zone,
    resumed_at timestamp with time zone
);

ALTER TABLE conversation_store.reply_releases OWNER TO postgres;

--
-- Name: TABLE reply_releases; Type: COMMENT; Schema: conversation_store; Owner: postgres
--

COMMENT ON TABLE conversation_store.reply_releases IS 'When the last request streaming a reply closed early (released_at) and when a page last resumed it (resumed_at).';

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
-- Name: conversation_shares; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.conversation_shares (
    token_hash bytea NOT NULL,
    conversation_id uuid NOT NULL,
    user_id uuid NOT NULL,
    through_sequence integer NOT NULL,
    include_reasoning boolean DEFAULT false NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone,
    CONSTRAINT conversation_shares_through_sequence_positive CHECK ((through_sequence >= 1)),
    CONSTRAINT conversation_shares_token_hash_length CHECK ((octet_length(token_hash) = 32))
);

ALTER TABLE public.conversation_shares OWNER TO postgres;

--
-- Name: TABLE conversation_shares; Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON TABLE public.conversation_shares IS 'Read-only links to a conversation through one message. Only the sha256 of each token is stored.';

--
-- Name: conversation_tags; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.conversation_tags (
    conversation_id uuid NOT NULL,
    tag text NOT NULL,
    user_id uuid NOT NULL,
    archived boolean NOT NULL,
    pinned boolean NOT NULL,
    updated_at timestamp with time zone NOT NULL
);

ALTER TABLE public.conversation_tags OWNER TO postgres;

--
-- Name: TABLE conversation_tags; Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON TABLE public.conversation_tags IS 'One row per tag of a conversation, with a copy of its list order, for paging one tag. Kept by a trigger.';

--
-- Name: message_rating_evaluations; Type: VIEW; Schema: public; Owner: postgres
--

CREATE VIEW public.message_rating_evaluations WITH (security_invoker='true') AS
 SELECT r.conversation_id,
    r.sequence_order,
    r.user_id,
    r.rating,
    r.reason,
    r.comment,
    r.created_at,
    r.updated_at,
    (m.metadata ->> 'model'::text) AS model,
    m.content AS reply,
    m.parts AS reply_parts,
    m.created_at AS replied_at
   FROM (public.message_ratings r
     JOIN public.conversation_messages m ON (((m.conversation_id = r.conversation_id) AND (m.sequence_order = r.sequence_order))));

ALTER TABLE public.message_rating_evaluations OWNER TO postgres;

--
-- Name: usage_ledger; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.usage_ledger (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    user_id uuid NOT NULL,
    conversation_id uuid,
    message_id uuid,
    model text,
    status text DEFAULT 'reserved'::text NOT NULL,
    reserved_tokens integer NOT NULL,
    service_records boolean DEFAULT false NOT NULL,
    input_tokens integer,
    cached_input_tokens integer,
    output_tokens integer,
    reasoning_tokens integer,
    total_tokens integer,
    cost numeric(20,10) DEFAULT 0 NOT NULL,
    priced boolean DEFAULT false NOT NULL,
    estimated boolean DEFAULT false NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    settled_at timestamp with time zone,
    CONSTRAINT usage_ledger_cached_input_tokens_check CHECK ((cached_input_tokens >= 0)),
    CONSTRAINT usage_ledger_cost_check CHECK ((cost >= (0)::numeric)),
    CONSTRAINT usage_ledger_input_tokens_check CHECK ((input_tokens >= 0)),
    CONSTRAINT usage_ledger_model_check CHECK ((char_length(model) <= 200)),
    CONSTRAINT usage_ledger_output_tokens_check CHECK ((output_tokens >= 0)),
    CONSTRAINT usage_ledger_reasoning_tokens_check CHECK ((reasoning_tokens >= 0)),
    CONSTRAINT usage_ledger_reserved_tokens_check CHECK (((reserved_tokens >= 0) AND (reserved_tokens <= 100000000))),
    CONSTRAINT usage_ledger_settled CHECK (((status = 'settled'::text) = (settled_at IS NOT NULL))),
    CONSTRAINT usage_ledger_status_check CHECK ((status = ANY (ARRAY['reserved'::text, 'settled'::text]))),
    CONSTRAINT usage_ledger_total_tokens_check CHECK ((total_tokens >= 0))
);

ALTER TABLE public.usage_ledger OWNER TO postgres;

--
-- Name: TABLE usage_ledger; Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON TABLE public.usage_ledger IS 'One entry per model call: reserved before the call, settled with the reported usage. Users read their own; the functions write.';

--
-- Name: usage_plan_assignments; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.usage_plan_assignments (
    user_id uuid NOT NULL,
    plan text NOT NULL,
    assigned_at timestamp with time zone DEFAULT now() NOT NULL
);

ALTER TABLE public.usage_plan_assignments OWNER TO postgres;

--
-- Name: TABLE usage_plan_assignments; Type: COMMENT; Schema: public; Owner: postgres
--

COMMENT ON TABLE public.usage_plan_assignments IS 'Users on a plan other than default (or guest, for anonymous users). Service role only.';

--
-- Name: reply_log reply_log_pkey; Type: CONSTRAINT; Schema: conversation_store; Owner: postgres
--

ALTER TABLE ONLY conversation_store.reply_log
    ADD CONSTRAINT reply_log_pkey PRIMARY KEY (message_id, "position");

--
-- Name: reply_releases reply_releases_pkey; Type: CONSTRAINT; Schema: conversation_store; Owner: postgres
--

ALTER TABLE ONLY conversation_store.reply_releases
    ADD CONSTRAINT reply_releases_pkey PRIMARY KEY (message_id);

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
-- Name: conversation_messages conversation_messages_metadata_max_depth; Type: CHECK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE public.conversation_messages
    ADD CONSTRAINT conversation_messages_metadata_max_depth CHECK ((NOT conversation_store.too_deep(metadata))) NOT VALID;

--
-- Name: conversation_messages conversation_messages_parts_max_depth; Type: CHECK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE public.conversation_messages
    ADD CONSTRAINT conversation_messages_parts_max_depth CHECK ((NOT conversation_store.too_deep(parts, 34))) NOT VALID;

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
-- Name: conversation_shares conversation_shares_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.conversation_shares
    ADD CONSTRAINT conversation_shares_pkey PRIMARY KEY (token_hash);

--
-- Name: conversation_tags conversation_tags_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.conversation_tags
    ADD CONSTRAINT conversation_tags_pkey PRIMARY KEY (conversation_id, tag);

--
-- Name: conversations conversations_metadata_max_depth; Type: CHECK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE public.conversations
    ADD CONSTRAINT conversations_metadata_max_depth CHECK ((NOT conversation_store.too_deep(metadata))) NOT VALID;

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
-- Name: memory_entries memory_entries_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.memory_entries
    ADD CONSTRAINT memory_entries_pkey PRIMARY KEY (user_id, key);

--
-- Name: message_ratings message_ratings_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.message_ratings
    ADD CONSTRAINT message_ratings_pkey PRIMARY KEY (conversation_id, sequence_order, user_id);

--
-- Name: model_prices model_prices_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.model_prices
    ADD CONSTRAINT model_prices_pkey PRIMARY KEY (model);

--
-- Name: usage_ledger usage_ledger_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.usage_ledger
    ADD CONSTRAINT usage_ledger_pkey PRIMARY KEY (id);

--
-- Name: usage_plan_assignments usage_plan_assignments_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.usage_plan_assignments
    ADD CONSTRAINT usage_plan_assignments_pkey PRIMARY KEY (user_id);

--
-- Name: usage_plans usage_plans_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.usage_plans
    ADD CONSTRAINT usage_plans_pkey PRIMARY KEY (name);

--
-- Name: idx_conversation_messages_awaiting_input; Type: INDEX; Schema: public; Owner: postgres
--

CREATE INDEX idx_conversation_messages_awaiting_input ON public.conversation_messages USING btree (conversation_id) WHERE (status = 'awaiting_input'::text);

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
-- Name: idx_conversation_shares_conversation_id; Type: INDEX; Schema: public; Owner: postgres
--

CREATE INDEX idx_conversation_shares_conversation_id ON public.conversation_shares USING btree (conversation_id);

--
-- Name: idx_conversation_tags_list; Type: INDEX; Schema: public; Owner: postgres
--

CREATE INDEX idx_conversation_tags_list ON public.conversation_tags USING btree (user_id, tag, archived, pinned DESC, updated_at DESC, conversation_id DESC);

--
-- Name: idx_conversations_expires_at; Type: INDEX; Schema: public; Owner: postgres
--

CREATE INDEX idx_conversations_expires_at ON public.conversations USING btree (expires_at) WHERE (expires_at IS NOT NULL);

--
-- Name: idx_conversations_forked_from; Type: INDEX; Schema: public; Owner: postgres
--

CREATE INDEX idx_conversations_forked_from ON public.conversations USING btree (forked_from_conversation_id) WHERE (forked_from_conversation_id IS NOT NULL);

--
-- Name: idx_conversations_title_search; Type: INDEX; Schema: public; Owner: postgres
--

CREATE INDEX idx_conversations_title_search ON public.conversations USING gin (user_id, conversation_store.search_words(title)) WHERE (title IS NOT NULL);

--
-- Name: idx_conversations_user_list; Type: INDEX; Schema: public; Owner: postgres
--

CREATE INDEX idx_conversations_user_list ON public.conversations USING btree (user_id, archived, pinned DESC, updated_at DESC, id DESC);

--
-- Name: idx_conversations_video_id; Type: INDEX; Schema: public; Owner: postgres
--

CREATE INDEX idx_conversations_video_id ON public.conversations USING btree (video_id, updated_at DESC, id DESC) WHERE (video_id IS NOT NULL);

--
-- Name: idx_memory_entries_conversation_id; Type: INDEX; Schema: public; Owner: postgres
--

CREATE INDEX idx_memory_entries_conversation_id ON public.memory_entries USING btree (conversation_id) WHERE (conversation_id IS NOT NULL);

--
-- Name: idx_usage_ledger_created; Type: INDEX; Schema: public; Owner: postgres
--

CREATE INDEX idx_usage_ledger_created ON public.usage_ledger USING btree (created_at);

--
-- Name: idx_usage_ledger_message; Type: INDEX; Schema: public; Owner: postgres
--

CREATE UNIQUE INDEX idx_usage_ledger_message ON public.usage_ledger USING btree (message_id) WHERE (message_id IS NOT NULL);

--
-- Name: idx_usage_ledger_user_created; Type: INDEX; Schema: public; Owner: postgres
--

CREATE INDEX idx_usage_ledger_user_created ON public.usage_ledger USING btree (user_id, created_at);

--
-- Name: idx_usage_plan_assignments_plan; Type: INDEX; Schema: public; Owner: postgres
--

CREATE INDEX idx_usage_plan_assignments_plan ON public.usage_plan_assignments USING btree (plan);

--
-- Name: conversation_messages conversation_messages_drop_reply_log; Type: TRIGGER; Schema: public; Owner: postgres
--

CREATE TRIGGER conversation_messages_drop_reply_log AFTER DELETE ON public.conversation_messages FOR EACH ROW WHEN ((old.status = 'in_progress'::text)) EXECUTE FUNCTION conversation_store.drop_reply_log();

--
-- Name: conversation_messages conversation_messages_fold_reply_log; Type: TRIGGER; Schema: public; Owner: postgres
--

CREATE TRIGGER conversation_messages_fold_reply_log BEFORE UPDATE OF status ON public.conversation_messages FOR EACH ROW WHEN (((old.status = 'in_progress'::text) AND (new.status <> 'in_progress'::text))) EXECUTE FUNCTION conversation_store.fold_reply_log();

--
-- Name: conversation_messages conversation_messages_reply_outcome; Type: TRIGGER; Schema: public; Owner: postgres
--

CREATE TRIGGER conversation_messages_reply_outcome BEFORE UPDATE OF status ON public.conversation_messages FOR EACH ROW WHEN (((old.status = ANY (ARRAY['in_progress'::text, 'awaiting_input'::text])) AND (new.status = ANY (ARRAY['completed'::text, 'incomplete'::text])))) EXECUTE FUNCTION conversation_store.settle_reply_outcome();

--
-- Name: conversation_messages conversation_messages_settle_inserted_waiting_reply; Type: TRIGGER; Schema: public; Owner: postgres
--

CREATE TRIGGER conversation_messages_settle_inserted_waiting_reply BEFORE INSERT ON public.conversation_messages FOR EACH ROW WHEN ((new.status = 'awaiting_input'::text)) EXECUTE FUNCTION conversation_store.settle_inserted_waiting_reply();

--
-- Name: conversation_messages conversation_messages_settle_waiting_replies; Type: TRIGGER; Schema: public; Owner: postgres
--

CREATE TRIGGER conversation_messages_settle_waiting_replies AFTER INSERT ON public.conversation_messages REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION conversation_store.settle_waiting_replies();

--
-- Name: conversation_messages conversation_messages_touch_updated_at; Type: TRIGGER; Schema: public; Owner: postgres
--

CREATE TRIGGER conversation_messages_touch_updated_at BEFORE UPDATE ON public.conversation_messages FOR EACH ROW EXECUTE FUNCTION public.touch_updated_at();

--
-- Name: conversations conversations_normalize_labels; Type: TRIGGER; Schema: public; Owner: postgres
--

CREATE TRIGGER conversations_normalize_labels BEFORE INSERT OR UPDATE OF title, title_source, tags ON public.conversations FOR EACH ROW EXECUTE FUNCTION conversation_store.normalize_labels();

--
-- Name: conversations conversations_sync_tags; Type: TRIGGER; Schema: public; Owner: postgres
--

CREATE TRIGGER conversations_sync_tags AFTER UPDATE ON public.conversations FOR EACH ROW WHEN (((new.tags <> '{}'::text[]) OR (old.tags <> '{}'::text[]))) EXECUTE FUNCTION conversation_store.sync_conversation_tags();

--
-- Name: conversations conversations_sync_tags_on_insert; Type: TRIGGER; Schema: public; Owner: postgres
--

CREATE TRIGGER conversations_sync_tags_on_insert AFTER INSERT ON public.conversations FOR EACH ROW WHEN ((new.tags <> '{}'::text[])) EXECUTE FUNCTION conversation_store.sync_conversation_tags();

--
-- Name: conversations conversations_touch_updated_at; Type: TRIGGER; Schema: public; Owner: postgres
--

CREATE TRIGGER conversations_touch_updated_at BEFORE UPDATE ON public.conversations FOR EACH ROW WHEN ((NOT (old.forked_from_conversation_id IS DISTINCT FROM new.forked_from_conversation_id))) EXECUTE FUNCTION public.touch_updated_at();

--
-- Name: conversations conversations_update_expires_at; Type: TRIGGER; Schema: public; Owner: postgres
--

CREATE TRIGGER conversations_update_expires_at BEFORE INSERT OR UPDATE ON public.conversations FOR EACH ROW EXECUTE FUNCTION conversation_store.set_expires_at();

--
-- Name: reply_releases reply_releases_message_id_fkey; Type: FK CONSTRAINT; Schema: conversation_store; Owner: postgres
--

ALTER TABLE ONLY conversation_store.reply_releases
    ADD CONSTRAINT reply_releases_message_id_fkey FOREIGN KEY (message_id) REFERENCES public.conversation_messages(id) ON DELETE CASCADE;

--
-- Name: conversation_messages conversation_messages_conversation_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.conversation_messages
    ADD CONSTRAINT conversation_messages_conversation_id_fkey FOREIGN KEY (conversation_id) REFERENCES public.conversations(id) ON DELETE CASCADE;

--
-- Name: conversation_shares conversation_shares_conversation_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.conversation_shares
    ADD CONSTRAINT conversation_shares_conversation_id_fkey FOREIGN KEY (conversation_id) REFERENCES public.conversations(id) ON DELETE CASCADE;

--
-- Name: conversation_tags conversation_tags_conversation_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.conversation_tags
    ADD CONSTRAINT conversation_tags_conversation_id_fkey FOREIGN KEY (conversation_id) REFERENCES public.conversations(id) ON DELETE CASCADE;

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
-- Name: memory_entries memory_entries_conversation_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.memory_entries
    ADD CONSTRAINT memory_entries_conversation_id_fkey FOREIGN KEY (conversation_id) REFERENCES public.conversations(id) ON DELETE SET NULL;

--
-- Name: memory_entries memory_entries_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.memory_entries
    ADD CONSTRAINT memory_entries_user_id_fkey FOREIGN KEY (user_id) REFERENCES auth.users(id) ON DELETE CASCADE;

--
-- Name: message_ratings message_ratings_conversation_id_sequence_order_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.message_ratings
    ADD CONSTRAINT message_ratings_conversation_id_sequence_order_fkey FOREIGN KEY (conversation_id, sequence_order) REFERENCES public.conversation_messages(conversation_id, sequence_order) ON DELETE CASCADE;

--
-- Name: usage_ledger usage_ledger_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.usage_ledger
    ADD CONSTRAINT usage_ledger_user_id_fkey FOREIGN KEY (user_id) REFERENCES auth.users(id) ON DELETE CASCADE;

--
-- Name: usage_plan_assignments usage_plan_assignments_plan_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.usage_plan_assignments
    ADD CONSTRAINT usage_plan_assignments_plan_fkey FOREIGN KEY (plan) REFERENCES public.usage_plans(name) ON UPDATE CASCADE;

--
-- Name: usage_plan_assignments usage_plan_assignments_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.usage_plan_assignments
    ADD CONSTRAINT usage_plan_assignments_user_id_fkey FOREIGN KEY (user_id) REFERENCES auth.users(id) ON DELETE CASCADE;

--
-- Name: reply_releases; Type: ROW SECURITY; Schema: conversation_store; Owner: postgres
--

ALTER TABLE conversation_store.reply_releases ENABLE ROW LEVEL SECURITY;

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
-- Name: conversation_shares; Type: ROW SECURITY; Schema: public; Owner: postgres
--

ALTER TABLE public.conversation_shares ENABLE ROW LEVEL SECURITY;

--
-- Name: conversation_tags; Type: ROW SECURITY; Schema: public; Owner: postgres
--

ALTER TABLE public.conversation_tags ENABLE ROW LEVEL SECURITY;

--
-- Name: conversations; Type: ROW SECURITY; Schema: public; Owner: postgres
--

ALTER TABLE public.conversations ENABLE ROW LEVEL SECURITY;

--
-- Name: memory_entries; Type: ROW SECURITY; Schema: public; Owner: postgres
--

ALTER TABLE public.memory_entries ENABLE ROW LEVEL SECURITY;

--
-- Name: message_ratings; Type: ROW SECURITY; Schema: public; Owner: postgres
--

ALTER TABLE public.message_ratings ENABLE ROW LEVEL SECURITY;

--
-- Name: model_prices; Type: ROW SECURITY; Schema: public; Owner: postgres
--

ALTER TABLE public.model_prices ENABLE ROW LEVEL SECURITY;

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
-- Name: conversation_tags owners read their conversations' tags; Type: POLICY; Schema: public; Owner: postgres
--

CREATE POLICY "owners read their conversations' tags" ON public.conversation_tags FOR SELECT TO authenticated USING ((user_id = ( SELECT auth.uid() AS uid)));

--
-- Name: memory_entries owners read their memory; Type: POLICY; Schema: public; Owner: postgres
--

CREATE POLICY "owners read their memory" ON public.memory_entries FOR SELECT TO authenticated USING ((user_id = ( SELECT auth.uid() AS uid)));

--
-- Name: conversation_messages owners read their messages; Type: POLICY; Schema: public; Owner: postgres
--

CREATE POLICY "owners read their messages" ON public.conversation_messages FOR SELECT TO authenticated USING (((user_id = ( SELECT auth.uid() AS uid)) AND (EXISTS ( SELECT
   FROM public.conversations c
  WHERE (c.id = conversation_messages.conversation_id)))));

--
-- Name: message_ratings owners read their ratings; Type: POLICY; Schema: public; Owner: postgres
--

CREATE POLICY "owners read their ratings" ON public.message_ratings FOR SELECT TO authenticated USING ((user_id = ( SELECT auth.uid() AS uid)));

--
-- Name: conversation_shares owners read their share links; Type: POLICY; Schema: public; Owner: postgres
--

CREATE POLICY "owners read their share links" ON public.conversation_shares FOR SELECT TO authenticated USING ((user_id = ( SELECT auth.uid() AS uid)));

--
-- Name: usage_ledger; Type: ROW SECURITY; Schema: public; Owner: postgres
--

ALTER TABLE public.usage_ledger ENABLE ROW LEVEL SECURITY;

--
-- Name: usage_plan_assignments; Type: ROW SECURITY; Schema: public; Owner: postgres
--

ALTER TABLE public.usage_plan_assignments ENABLE ROW LEVEL SECURITY;

--
-- Name: usage_plans; Type: ROW SECURITY; Schema: public; Owner: postgres
--

ALTER TABLE public.usage_plans ENABLE ROW LEVEL SECURITY;

--
-- Name: conversations users create their own conversations; Type: POLICY; Schema: public; Owner: postgres
--

CREATE POLICY "users create their own conversations" ON public.conversations FOR INSERT TO authenticated WITH CHECK ((user_id = ( SELECT auth.uid() AS uid)));

--
-- Name: usage_ledger users read their usage; Type: POLICY; Schema: public; Owner: postgres
--

CREATE POLICY "users read their usage" ON public.usage_ledger FOR SELECT TO authenticated USING ((user_id = ( SELECT auth.uid() AS uid)));

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
-- Name: FUNCTION any_word_query(p_text text); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.any_word_query(p_text text) FROM PUBLIC;

--
-- Name: FUNCTION tags_are_valid(p_tags text[]); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.tags_are_valid(p_tags text[]) FROM PUBLIC;
GRANT ALL ON FUNCTION conversation_store.tags_are_valid(p_tags text[]) TO authenticated;
GRANT ALL ON FUNCTION conversation_store.tags_are_valid(p_tags text[]) TO service_role;

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
-- Name: COLUMN conversations.title; Type: ACL; Schema: public; Owner: postgres
--

GRANT UPDATE(title) ON TABLE public.conversations TO authenticated;
GRANT UPDATE(title) ON TABLE public.conversations TO service_role;

--
-- Name: COLUMN conversations.pinned; Type: ACL; Schema: public; Owner: postgres
--

GRANT UPDATE(pinned) ON TABLE public.conversations TO authenticated;
GRANT UPDATE(pinned) ON TABLE public.conversations TO service_role;

--
-- Name: COLUMN conversations.archived; Type: ACL; Schema: public; Owner: postgres
--

GRANT UPDATE(archived) ON TABLE public.conversations TO authenticated;
GRANT UPDATE(archived) ON TABLE public.conversations TO service_role;

--
-- Name: COLUMN conversations.tags; Type: ACL; Schema: public; Owner: postgres
--

GRANT UPDATE(tags) ON TABLE public.conversations TO authenticated;
GRANT UPDATE(tags) ON TABLE public.conversations TO service_role;

--
-- Name: FUNCTION awaits_user(p_conversation public.conversations); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.awaits_user(p_conversation public.conversations) FROM PUBLIC;
GRANT ALL ON FUNCTION conversation_store.awaits_user(p_conversation public.conversations) TO authenticated;
GRANT ALL ON FUNCTION conversation_store.awaits_user(p_conversation public.conversations) TO service_role;

--
-- Name: FUNCTION base_part_problem(p_part jsonb); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.base_part_problem(p_part jsonb) FROM PUBLIC;

--
-- Name: FUNCTION caller_is_service_role(); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.caller_is_service_role() FROM PUBLIC;
GRANT ALL ON FUNCTION conversation_store.caller_is_service_role() TO authenticated;
GRANT ALL ON FUNCTION conversation_store.caller_is_service_role() TO service_role;

--
-- Name: FUNCTION caller_reaches(p_conversation public.conversations); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.caller_reaches(p_conversation public.conversations) FROM PUBLIC;

--
-- Name: FUNCTION callers_reply_in_progress(p_conversation_id uuid, p_sequence_order integer); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.callers_reply_in_progress(p_conversation_id uuid, p_sequence_order integer) FROM PUBLIC;

--
-- Name: FUNCTION check_numbers(p_value jsonb, p_name text, p_keys text[], p_whole_keys text[], p_max numeric, p_nullable boolean); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.check_numbers(p_value jsonb, p_name text, p_keys text[], p_whole_keys text[], p_max numeric, p_nullable boolean) FROM PUBLIC;
GRANT ALL ON FUNCTION conversation_store.check_numbers(p_value jsonb, p_name text, p_keys text[], p_whole_keys text[], p_max numeric, p_nullable boolean) TO service_role;

--
-- Name: FUNCTION check_parts(p_parts jsonb, p_role text, p_owner uuid); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.check_parts(p_parts jsonb, p_role text, p_owner uuid) FROM PUBLIC;

--
-- Name: FUNCTION claim_regeneration(p_conversation_id uuid); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.claim_regeneration(p_conversation_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION conversation_store.claim_regeneration(p_conversation_id uuid) TO authenticated;
GRANT ALL ON FUNCTION conversation_store.claim_regeneration(p_conversation_id uuid) TO service_role;

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
-- Name: FUNCTION import_id(p_user_id uuid, p_key text); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.import_id(p_user_id uuid, p_key text) FROM PUBLIC;
GRANT ALL ON FUNCTION conversation_store.import_id(p_user_id uuid, p_key text) TO authenticated;

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
-- Name: FUNCTION jsonb_merge_patch(p_target jsonb, p_patch jsonb); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.jsonb_merge_patch(p_target jsonb, p_patch jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION conversation_store.jsonb_merge_patch(p_target jsonb, p_patch jsonb) TO authenticated;
GRANT ALL ON FUNCTION conversation_store.jsonb_merge_patch(p_target jsonb, p_patch jsonb) TO service_role;

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
-- Name: FUNCTION max_batch_bytes(); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.max_batch_bytes() FROM PUBLIC;

--
-- Name: FUNCTION max_file_parts(); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.max_file_parts() FROM PUBLIC;

--
-- Name: TABLE memory_entries; Type: ACL; Schema: public; Owner: postgres
--

GRANT SELECT ON TABLE public.memory_entries TO authenticated;
GRANT SELECT ON TABLE public.memory_entries TO service_role;

--
-- Name: FUNCTION memory_entry_json(p_entry public.memory_entries); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.memory_entry_json(p_entry public.memory_entries) FROM PUBLIC;
GRANT ALL ON FUNCTION conversation_store.memory_entry_json(p_entry public.memory_entries) TO authenticated;
GRANT ALL ON FUNCTION conversation_store.memory_entry_json(p_entry public.memory_entries) TO service_role;

--
-- Name: FUNCTION memory_max_entries(); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.memory_max_entries() FROM PUBLIC;
GRANT ALL ON FUNCTION conversation_store.memory_max_entries() TO authenticated;
GRANT ALL ON FUNCTION conversation_store.memory_max_entries() TO service_role;

--
-- Name: FUNCTION memory_max_tokens(); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.memory_max_tokens() FROM PUBLIC;
GRANT ALL ON FUNCTION conversation_store.memory_max_tokens() TO authenticated;
GRANT ALL ON FUNCTION conversation_store.memory_max_tokens() TO service_role;

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
-- Name: FUNCTION normalize_labels(); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.normalize_labels() FROM PUBLIC;

--
-- Name: FUNCTION normalize_tags(p_tags text[]); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.normalize_tags(p_tags text[]) FROM PUBLIC;
GRANT ALL ON FUNCTION conversation_store.normalize_tags(p_tags text[]) TO authenticated;
GRANT ALL ON FUNCTION conversation_store.normalize_tags(p_tags text[]) TO service_role;

--
-- Name: FUNCTION normalize_title(p_title text); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.normalize_title(p_title text) FROM PUBLIC;
GRANT ALL ON FUNCTION conversation_store.normalize_title(p_title text) TO authenticated;
GRANT ALL ON FUNCTION conversation_store.normalize_title(p_title text) TO service_role;

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
-- Name: TABLE message_ratings; Type: ACL; Schema: public; Owner: postgres
--

GRANT SELECT ON TABLE public.message_ratings TO authenticated;
GRANT SELECT ON TABLE public.message_ratings TO service_role;

--
-- Name: FUNCTION rating_json(p_rating public.message_ratings, p_message public.conversation_messages); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.rating_json(p_rating public.message_ratings, p_message public.conversation_messages) FROM PUBLIC;
GRANT ALL ON FUNCTION conversation_store.rating_json(p_rating public.message_ratings, p_message public.conversation_messages) TO authenticated;
GRANT ALL ON FUNCTION conversation_store.rating_json(p_rating public.message_ratings, p_message public.conversation_messages) TO service_role;

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
-- Name: FUNCTION reply_usage(p_message_id uuid); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.reply_usage(p_message_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION conversation_store.reply_usage(p_message_id uuid) TO authenticated;
GRANT ALL ON FUNCTION conversation_store.reply_usage(p_message_id uuid) TO service_role;

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
-- Name: FUNCTION semantic_candidates(p_user uuid, p_embedding real[], p_exclude_conversation_id uuid, p_limit integer); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.semantic_candidates(p_user uuid, p_embedding real[], p_exclude_conversation_id uuid, p_limit integer) FROM PUBLIC;

--
-- Name: FUNCTION semantic_recall_ready(p_model text, p_dimensions integer); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.semantic_recall_ready(p_model text, p_dimensions integer) FROM PUBLIC;
GRANT ALL ON FUNCTION conversation_store.semantic_recall_ready(p_model text, p_dimensions integer) TO authenticated;
GRANT ALL ON FUNCTION conversation_store.semantic_recall_ready(p_model text, p_dimensions integer) TO service_role;

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
-- Name: FUNCTION set_generated_title(p_conversation_id uuid, p_title text); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.set_generated_title(p_conversation_id uuid, p_title text) FROM PUBLIC;
GRANT ALL ON FUNCTION conversation_store.set_generated_title(p_conversation_id uuid, p_title text) TO authenticated;
GRANT ALL ON FUNCTION conversation_store.set_generated_title(p_conversation_id uuid, p_title text) TO service_role;

--
-- Name: FUNCTION settle_abandoned_usage(p_user_id uuid); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.settle_abandoned_usage(p_user_id uuid) FROM PUBLIC;

--
-- Name: FUNCTION settle_inserted_waiting_reply(); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.settle_inserted_waiting_reply() FROM PUBLIC;

--
-- Name: FUNCTION settle_reply_outcome(); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.settle_reply_outcome() FROM PUBLIC;

--
-- Name: FUNCTION settle_waiting_replies(); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.settle_waiting_replies() FROM PUBLIC;

--
-- Name: FUNCTION settled_parts(p_parts jsonb, p_reason text); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.settled_parts(p_parts jsonb, p_reason text) FROM PUBLIC;

--
-- Name: FUNCTION share_token_hash(p_token text); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.share_token_hash(p_token text) FROM PUBLIC;

--
-- Name: FUNCTION shares_per_conversation(); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.shares_per_conversation() FROM PUBLIC;

--
-- Name: FUNCTION stale_reply_after(); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.stale_reply_after() FROM PUBLIC;

--
-- Name: FUNCTION storage_objects(p_parts jsonb); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.storage_objects(p_parts jsonb) FROM PUBLIC;

--
-- Name: FUNCTION sync_conversation_tags(); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.sync_conversation_tags() FROM PUBLIC;

--
-- Name: FUNCTION take_reply_log(p_message public.conversation_messages); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.take_reply_log(p_message public.conversation_messages) FROM PUBLIC;

--
-- Name: FUNCTION too_deep(p_value jsonb, p_depth integer); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.too_deep(p_value jsonb, p_depth integer) FROM PUBLIC;
GRANT ALL ON FUNCTION conversation_store.too_deep(p_value jsonb, p_depth integer) TO authenticated;
GRANT ALL ON FUNCTION conversation_store.too_deep(p_value jsonb, p_depth integer) TO service_role;

--
-- Name: FUNCTION tool_call_waits(p_part jsonb); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.tool_call_waits(p_part jsonb) FROM PUBLIC;

--
-- Name: FUNCTION tool_output_text(p_part jsonb); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.tool_output_text(p_part jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION conversation_store.tool_output_text(p_part jsonb) TO authenticated;
GRANT ALL ON FUNCTION conversation_store.tool_output_text(p_part jsonb) TO service_role;

--
-- Name: FUNCTION tool_request_max_age(); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.tool_request_max_age() FROM PUBLIC;

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
-- Name: FUNCTION usage_allowance(p_user_id uuid); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.usage_allowance(p_user_id uuid) FROM PUBLIC;

--
-- Name: FUNCTION usage_cost(p_model text, p_input_tokens integer, p_cached_input_tokens integer, p_output_tokens integer, OUT cost numeric, OUT priced boolean); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.usage_cost(p_model text, p_input_tokens integer, p_cached_input_tokens integer, p_output_tokens integer, OUT cost numeric, OUT priced boolean) FROM PUBLIC;

--
-- Name: FUNCTION usage_plan_of(p_user_id uuid); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.usage_plan_of(p_user_id uuid) FROM PUBLIC;

--
-- Name: FUNCTION with_derived_columns(p_message public.conversation_messages); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.with_derived_columns(p_message public.conversation_messages) FROM PUBLIC;

--
-- Name: FUNCTION with_parts(p_message public.conversation_messages, p_parts jsonb); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.with_parts(p_message public.conversation_messages, p_parts jsonb) FROM PUBLIC;

--
-- Name: FUNCTION with_reply_usage(p_json json, p_message public.conversation_messages, p_in_metadata boolean); Type: ACL; Schema: conversation_store; Owner: postgres
--

REVOKE ALL ON FUNCTION conversation_store.with_reply_usage(p_json json, p_message public.conversation_messages, p_in_metadata boolean) FROM PUBLIC;
GRANT ALL ON FUNCTION conversation_store.with_reply_usage(p_json json, p_message public.conversation_messages, p_in_metadata boolean) TO authenticated;
GRANT ALL ON FUNCTION conversation_store.with_reply_usage(p_json json, p_message public.conversation_messages, p_in_metadata boolean) TO service_role;

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
-- Name: FUNCTION answer_tool_calls(p_conversation_id uuid, p_message_id text, p_answers jsonb, p_max_age_seconds integer); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.answer_tool_calls(p_conversation_id uuid, p_message_id text, p_answers jsonb, p_max_age_seconds integer) FROM PUBLIC;
GRANT ALL ON FUNCTION public.answer_tool_calls(p_conversation_id uuid, p_message_id text, p_answers jsonb, p_max_age_seconds integer) TO authenticated;
GRANT ALL ON FUNCTION public.answer_tool_calls(p_conversation_id uuid, p_message_id text, p_answers jsonb, p_max_age_seconds integer) TO service_role;

--
-- Name: FUNCTION append_messages(p_conversation_id uuid, p_messages jsonb, p_expected_last_sequence integer); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.append_messages(p_conversation_id uuid, p_messages jsonb, p_expected_last_sequence integer) FROM PUBLIC;
GRANT ALL ON FUNCTION public.append_messages(p_conversation_id uuid, p_messages jsonb, p_expected_last_sequence integer) TO authenticated;
GRANT ALL ON FUNCTION public.append_messages(p_conversation_id uuid, p_messages jsonb, p_expected_last_sequence integer) TO service_role;

--
-- Name: FUNCTION assign_usage_plan(p_user_id uuid, p_plan text); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.assign_usage_plan(p_user_id uuid, p_plan text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.assign_usage_plan(p_user_id uuid, p_plan text) TO service_role;

--
-- Name: FUNCTION await_tool_input(p_conversation_id uuid, p_sequence_order integer); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.await_tool_input(p_conversation_id uuid, p_sequence_order integer) FROM PUBLIC;
GRANT ALL ON FUNCTION public.await_tool_input(p_conversation_id uuid, p_sequence_order integer) TO authenticated;
GRANT ALL ON FUNCTION public.await_tool_input(p_conversation_id uuid, p_sequence_order integer) TO service_role;

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
-- Name: FUNCTION export_conversations(p_cursor jsonb, p_max_messages integer, p_user_id uuid); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.export_conversations(p_cursor jsonb, p_max_messages integer, p_user_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION public.export_conversations(p_cursor jsonb, p_max_messages integer, p_user_id uuid) TO authenticated;
GRANT ALL ON FUNCTION public.export_conversations(p_cursor jsonb, p_max_messages integer, p_user_id uuid) TO service_role;

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
-- Name: FUNCTION get_memory(p_user_id uuid); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.get_memory(p_user_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION public.get_memory(p_user_id uuid) TO authenticated;
GRANT ALL ON FUNCTION public.get_memory(p_user_id uuid) TO service_role;

--
-- Name: FUNCTION get_shared_conversation(p_token text, p_after integer, p_limit integer); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.get_shared_conversation(p_token text, p_after integer, p_limit integer) FROM PUBLIC;
GRANT ALL ON FUNCTION public.get_shared_conversation(p_token text, p_after integer, p_limit integer) TO anon;
GRANT ALL ON FUNCTION public.get_shared_conversation(p_token text, p_after integer, p_limit integer) TO authenticated;
GRANT ALL ON FUNCTION public.get_shared_conversation(p_token text, p_after integer, p_limit integer) TO service_role;

--
-- Name: FUNCTION get_usage(p_user_id uuid, p_days integer); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.get_usage(p_user_id uuid, p_days integer) FROM PUBLIC;
GRANT ALL ON FUNCTION public.get_usage(p_user_id uuid, p_days integer) TO authenticated;
GRANT ALL ON FUNCTION public.get_usage(p_user_id uuid, p_days integer) TO service_role;

--
-- Name: FUNCTION get_usage_limits(); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.get_usage_limits() FROM PUBLIC;
GRANT ALL ON FUNCTION public.get_usage_limits() TO authenticated;

--
-- Name: FUNCTION import_conversation(p_key text, p_conversation jsonb, p_messages jsonb, p_first_sequence integer, p_fork_key text, p_fork_through integer); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.import_conversation(p_key text, p_conversation jsonb, p_messages jsonb, p_first_sequence integer, p_fork_key text, p_fork_through integer) FROM PUBLIC;
GRANT ALL ON FUNCTION public.import_conversation(p_key text, p_conversation jsonb, p_messages jsonb, p_first_sequence integer, p_fork_key text, p_fork_through integer) TO authenticated;

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
-- Name: FUNCTION rate_message(p_conversation_id uuid, p_sequence_order integer, p_rating text, p_reason text, p_comment text); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.rate_message(p_conversation_id uuid, p_sequence_order integer, p_rating text, p_reason text, p_comment text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.rate_message(p_conversation_id uuid, p_sequence_order integer, p_rating text, p_reason text, p_comment text) TO authenticated;
GRANT ALL ON FUNCTION public.rate_message(p_conversation_id uuid, p_sequence_order integer, p_rating text, p_reason text, p_comment text) TO service_role;

--
-- Name: FUNCTION recall_messages(p_query text, p_limit integer, p_exclude_conversation_id uuid, p_query_embedding real[], p_embedding_model text, p_user_id uuid); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.recall_messages(p_query text, p_limit integer, p_exclude_conversation_id uuid, p_query_embedding real[], p_embedding_model text, p_user_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION public.recall_messages(p_query text, p_limit integer, p_exclude_conversation_id uuid, p_query_embedding real[], p_embedding_model text, p_user_id uuid) TO authenticated;
GRANT ALL ON FUNCTION public.recall_messages(p_query text, p_limit integer, p_exclude_conversation_id uuid, p_query_embedding real[], p_embedding_model text, p_user_id uuid) TO service_role;

--
-- Name: FUNCTION record_usage(p_reservation_id uuid, p_usage jsonb, p_model text, p_estimated boolean, p_message_id uuid); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.record_usage(p_reservation_id uuid, p_usage jsonb, p_model text, p_estimated boolean, p_message_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION public.record_usage(p_reservation_id uuid, p_usage jsonb, p_model text, p_estimated boolean, p_message_id uuid) TO authenticated;
GRANT ALL ON FUNCTION public.record_usage(p_reservation_id uuid, p_usage jsonb, p_model text, p_estimated boolean, p_message_id uuid) TO service_role;

--
-- Name: FUNCTION release_reply(p_conversation_id uuid, p_sequence_order integer); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.release_reply(p_conversation_id uuid, p_sequence_order integer) FROM PUBLIC;
GRANT ALL ON FUNCTION public.release_reply(p_conversation_id uuid, p_sequence_order integer) TO authenticated;
GRANT ALL ON FUNCTION public.release_reply(p_conversation_id uuid, p_sequence_order integer) TO service_role;

--
-- Name: FUNCTION reply_release_state(p_conversation_id uuid, p_sequence_order integer, OUT status text, OUT released_seconds double precision); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.reply_release_state(p_conversation_id uuid, p_sequence_order integer, OUT status text, OUT released_seconds double precision) FROM PUBLIC;
GRANT ALL ON FUNCTION public.reply_release_state(p_conversation_id uuid, p_sequence_order integer, OUT status text, OUT released_seconds double precision) TO authenticated;
GRANT ALL ON FUNCTION public.reply_release_state(p_conversation_id uuid, p_sequence_order integer, OUT status text, OUT released_seconds double precision) TO service_role;

--
-- Name: FUNCTION reserve_usage(p_max_output_tokens integer, p_conversation_id uuid, p_message_id uuid, p_model text, p_service_records boolean); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.reserve_usage(p_max_output_tokens integer, p_conversation_id uuid, p_message_id uuid, p_model text, p_service_records boolean) FROM PUBLIC;
GRANT ALL ON FUNCTION public.reserve_usage(p_max_output_tokens integer, p_conversation_id uuid, p_message_id uuid, p_model text, p_service_records boolean) TO authenticated;

--
-- Name: FUNCTION resume_reply(p_conversation_id uuid); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.resume_reply(p_conversation_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION public.resume_reply(p_conversation_id uuid) TO authenticated;
GRANT ALL ON FUNCTION public.resume_reply(p_conversation_id uuid) TO service_role;

--
-- Name: FUNCTION revoke_conversation_share(p_token text); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.revoke_conversation_share(p_token text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.revoke_conversation_share(p_token text) TO authenticated;
GRANT ALL ON FUNCTION public.revoke_conversation_share(p_token text) TO service_role;

--
-- Name: FUNCTION search_conversations(p_query text, p_limit integer, p_cursor jsonb, p_video_id uuid, p_user_id uuid, p_archived boolean, p_tag text); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.search_conversations(p_query text, p_limit integer, p_cursor jsonb, p_video_id uuid, p_user_id uuid, p_archived boolean, p_tag text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.search_conversations(p_query text, p_limit integer, p_cursor jsonb, p_video_id uuid, p_user_id uuid, p_archived boolean, p_tag text) TO authenticated;
GRANT ALL ON FUNCTION public.search_conversations(p_query text, p_limit integer, p_cursor jsonb, p_video_id uuid, p_user_id uuid, p_archived boolean, p_tag text) TO service_role;

--
-- Name: FUNCTION set_conversation_summary(p_conversation_id uuid, p_content text, p_through_sequence integer, p_token_count integer); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.set_conversation_summary(p_conversation_id uuid, p_content text, p_through_sequence integer, p_token_count integer) FROM PUBLIC;
GRANT ALL ON FUNCTION public.set_conversation_summary(p_conversation_id uuid, p_content text, p_through_sequence integer, p_token_count integer) TO authenticated;
GRANT ALL ON FUNCTION public.set_conversation_summary(p_conversation_id uuid, p_content text, p_through_sequence integer, p_token_count integer) TO service_role;

--
-- Name: TABLE model_prices; Type: ACL; Schema: public; Owner: postgres
--

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.model_prices TO service_role;

--
-- Name: FUNCTION set_model_price(p_model text, p_prices jsonb); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.set_model_price(p_model text, p_prices jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION public.set_model_price(p_model text, p_prices jsonb) TO service_role;

--
-- Name: FUNCTION set_reply_outcome(p_conversation_id uuid, p_sequence_order integer, p_reason text, p_error jsonb); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.set_reply_outcome(p_conversation_id uuid, p_sequence_order integer, p_reason text, p_error jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION public.set_reply_outcome(p_conversation_id uuid, p_sequence_order integer, p_reason text, p_error jsonb) TO authenticated;
GRANT ALL ON FUNCTION public.set_reply_outcome(p_conversation_id uuid, p_sequence_order integer, p_reason text, p_error jsonb) TO service_role;

--
-- Name: TABLE usage_plans; Type: ACL; Schema: public; Owner: postgres
--

GRANT SELECT,INSERT,UPDATE ON TABLE public.usage_plans TO service_role;

--
-- Name: FUNCTION set_usage_plan(p_plan text, p_limits jsonb); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.set_usage_plan(p_plan text, p_limits jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION public.set_usage_plan(p_plan text, p_limits jsonb) TO service_role;

--
-- Name: FUNCTION share_conversation(p_conversation_id uuid, p_expires_in_seconds integer, p_include_reasoning boolean); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.share_conversation(p_conversation_id uuid, p_expires_in_seconds integer, p_include_reasoning boolean) FROM PUBLIC;
GRANT ALL ON FUNCTION public.share_conversation(p_conversation_id uuid, p_expires_in_seconds integer, p_include_reasoning boolean) TO authenticated;
GRANT ALL ON FUNCTION public.share_conversation(p_conversation_id uuid, p_expires_in_seconds integer, p_include_reasoning boolean) TO service_role;

--
-- Name: FUNCTION start_conversation(p_video_id uuid, p_metadata jsonb, p_id uuid, p_user_id uuid, p_retention_seconds integer); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.start_conversation(p_video_id uuid, p_metadata jsonb, p_id uuid, p_user_id uuid, p_retention_seconds integer) FROM PUBLIC;
GRANT ALL ON FUNCTION public.start_conversation(p_video_id uuid, p_metadata jsonb, p_id uuid, p_user_id uuid, p_retention_seconds integer) TO authenticated;
GRANT ALL ON FUNCTION public.start_conversation(p_video_id uuid, p_metadata jsonb, p_id uuid, p_user_id uuid, p_retention_seconds integer) TO service_role;

--
-- Name: FUNCTION stop_released_reply(p_conversation_id uuid); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.stop_released_reply(p_conversation_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION public.stop_released_reply(p_conversation_id uuid) TO authenticated;
GRANT ALL ON FUNCTION public.stop_released_reply(p_conversation_id uuid) TO service_role;

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
-- Name: FUNCTION write_memory(p_key text, p_value text, p_expected_version bigint, p_conversation_id uuid, p_token_count integer, p_user_id uuid); Type: ACL; Schema: public; Owner: postgres
--

REVOKE ALL ON FUNCTION public.write_memory(p_key text, p_value text, p_expected_version bigint, p_conversation_id uuid, p_token_count integer, p_user_id uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION public.write_memory(p_key text, p_value text, p_expected_version bigint, p_conversation_id uuid, p_token_count integer, p_user_id uuid) TO authenticated;
GRANT ALL ON FUNCTION public.write_memory(p_key text, p_value text, p_expected_version bigint, p_conversation_id uuid, p_token_count integer, p_user_id uuid) TO service_role;

--
-- Name: TABLE storage_objects_to_remove; Type: ACL; Schema: conversation_store; Owner: postgres
--

GRANT SELECT ON TABLE conversation_store.storage_objects_to_remove TO authenticated;

--
-- Name: TABLE conversation_shares; Type: ACL; Schema: public; Owner: postgres
--

GRANT SELECT ON TABLE public.conversation_shares TO authenticated;
GRANT SELECT ON TABLE public.conversation_shares TO service_role;

--
-- Name: TABLE conversation_tags; Type: ACL; Schema: public; Owner: postgres
--

GRANT SELECT ON TABLE public.conversation_tags TO authenticated;
GRANT SELECT ON TABLE public.conversation_tags TO service_role;

--
-- Name: TABLE message_rating_evaluations; Type: ACL; Schema: public; Owner: postgres
--

GRANT SELECT ON TABLE public.message_rating_evaluations TO service_role;

--
-- Name: TABLE usage_ledger; Type: ACL; Schema: public; Owner: postgres
--

GRANT SELECT ON TABLE public.usage_ledger TO authenticated;
GRANT SELECT ON TABLE public.usage_ledger TO service_role;

--
-- Name: TABLE usage_plan_assignments; Type: ACL; Schema: public; Owner: postgres
--

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.usage_plan_assignments TO service_role;

--
-- PostgreSQL database dump complete
--
