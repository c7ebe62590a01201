-- Rules against a hostile user (issue 26), each where the data lives so that supabase.rpc() and
-- direct table writes meet the same limits as the edge functions:
--   * a Storage bucket id is 1-100 of [a-z0-9_-]: a "/" or ".." in it named another user's folder
--     (storage://conversation-files/<other>/secret.png/<own>/x);
--   * JSON is nested at most 32 levels deep in part fields and in both metadata columns (one that
--     is 8,000 deep broke every chat turn of its conversation with a stack overflow);
--   * a source part's url is http: or https: (a javascript: URL came back as a source-url);
--   * a message holds at most conversation_store.max_file_parts() file parts (1,000 were refused
--     as a token_count out of range);
--   * every part costs at least one token, so get_context's token budget bounds the parts it
--     reads per call as well as the text (300 messages of 999 data parts cost 2 s a turn);
--   * append_messages takes at most what one HTTP request may carry, and 1,000 parts in all;
--   * a conversation is regenerated once at a time: conversation_store.claim_regeneration;
--   * a file part stored before with such a bucket is never answered or queued for removal.
-- Constraints on existing columns are added NOT VALID: rows stored before are not rechecked (an
-- upgrade never fails on old data), every new or changed row is.

-- Input: any JSON value (or null); a depth (default 32, MAX_JSON_DEPTH in parts.ts). Guarantees:
--   true when an object or array in it is nested more than p_depth levels deep (the value itself
--   is level 1), false otherwise (null for null). The walk stops at that level, so a deeper value
--   costs no more.
create function conversation_store.too_deep(p_value jsonb, p_depth integer default 32)
returns boolean
language sql
immutable
set search_path = ''
as $$
  -- .**{n} is the items n levels below the root: a container there is at depth n + 1.
  select jsonb_path_exists(p_value,
    format('strict $.**{%s} ? (@.type() == "object" || @.type() == "array")', p_depth)::jsonpath)
$$;

-- The most file parts one message may hold (MAX_FILE_PARTS in parts.ts): each counts
-- conversation_store.file_token_estimate() tokens and is fetched or signed on every chat turn.
create function conversation_store.max_file_parts()
returns integer
language sql
immutable
set search_path = ''
as $$
  select 100
$$;

-- The largest p_messages append_messages takes, as JSON text: the HTTP body cap (MAX_BODY_BYTES).
create function conversation_store.max_batch_bytes()
returns integer
language sql
immutable
set search_path = ''
as $$
  select 1048576
$$;

alter table public.conversations
  add constraint conversations_metadata_max_depth check (not conversation_store.too_deep(metadata)) not valid;
alter table public.conversation_messages
  add constraint conversation_messages_metadata_max_depth check (not conversation_store.too_deep(metadata)) not valid,
  -- The list and a part are two levels above a part's fields, which may be 32 deep.
  add constraint conversation_messages_parts_max_depth check (not conversation_store.too_deep(parts, 34)) not valid;

-- Input: any JSON value (one part). Guarantees: as before (20261206000200), and also: a storage
--   bucket matches ^[a-z0-9_-]{1,100}$; a source's url, when given, is http: or https:; no field
--   holds JSON nested more than 32 levels (conversation_store.too_deep). An unknown field,
--   `__proto__` or `constructor` included, is refused as before.
create or replace function conversation_store.part_problem(p_part jsonb)
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
$$;

-- Input: the parts of a message to be stored, its role and the conversation's owner.
-- Guarantees: as before (20261206000200), and at most conversation_store.max_file_parts() file
--   parts (part_problem's new rules apply through it).
-- Errors: as before; 22023 also for too many file parts, naming the limit.
create or replace function conversation_store.check_parts(p_parts jsonb, p_role text, p_owner uuid)
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

-- Input: parts (or null). Guarantees: as before (20261206000200), except that no part counts
--   nothing: a data, source or step-start part, and a text or reasoning part with empty text, add
--   1 (a part with text has its tokens counted by estimate_tokens, or reasoning_token_count), so a
--   message's token_count grows with its number of parts and a window's budget bounds the parts
--   get_context reads. countMessageTokens (tokens.ts) counts the same floor.
create or replace function conversation_store.estimate_part_tokens(p_parts jsonb)
returns integer
language sql
immutable
set search_path = ''
as $$
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

-- Input: a conversation id; p_messages, a JSON array of 1..100 message objects with the fields
--   role, content, name, function_call, tool_calls, tool_call_id, client_message_id, status
--   ('in_progress', 'completed' default, 'incomplete'), parts and metadata (20261206000200), and
--   token_count and reasoning_token_count (only from a session that counts tokens: the edge
--   functions); optionally the sequence number the caller believes is last. A message with parts
--   sends no content, function_call, tool_calls or tool_call_id: they are derived from its parts.
-- Guarantees, under any concurrency:
--   * All or nothing: the batch is stored with consecutive sequence numbers after the current last.
--   * The conversation row is locked before numbers are handed out, so concurrent appends to one
--     conversation queue behind each other; numbering needs no max()+1 and no retries.
--   * A message whose client_message_id is already stored is not stored again; the stored row is
--     returned instead. When every message is such a replay nothing is written and neither the
--     reply rule nor p_expected_last_sequence is checked, so retrying a successful call returns
--     its result. A reply started in_progress replays whatever its content became since.
--   * One reply at a time: only an assistant message may be in_progress, only as the batch's last.
--     While the conversation holds a reply in progress nothing is appended; a reply silent for
--     conversation_store.stale_reply_after() is first marked incomplete, in this transaction.
--   * Every stored message has a token_count and a reasoning_token_count: the given ones from a
--     session that counts tokens, else estimates (conversation_store.estimate_tokens of the columns
--     plus conversation_store.estimate_part_tokens, and estimate_reasoning_tokens).
--   * A replay compares parts and metadata too.
--   * Returns the batch's rows (new and replayed) in sequence order, and sets the transaction-local
--     setting conversation_store.appended_count to the number of rows it inserted, so that callers
--     in the same transaction can tell a replay (0) from an append.
-- Size (20261207000200): p_messages is at most conversation_store.max_batch_bytes() as JSON text
--   and holds at most 1,000 parts in all, as one append-message request; checked first.
-- Errors: 54000 (hint payload_too_large) p_messages over either bound; 42501 not authenticated, or (hint storage_path_forbidden) a file part outside the owner's
--   Storage folder; 22023 malformed batch or parts; PT404 not found, not live or not the
--   caller's; PT422 client_message_id reused for a different message; PT409 (hint
--   reply_in_progress) a reply is in progress, DETAIL {"sequence_order": n}; PT409 stale
--   p_expected_last_sequence, DETAIL {"last_sequence": n}; 23514 a message breaks a table rule.
-- Security definer because clients have no insert on messages and no update on the counter;
--   ownership is checked against auth.uid() (the service role may append anywhere).
create or replace function public.append_messages(
  p_conversation_id uuid,
  p_messages jsonb,
  p_expected_last_sequence integer default null
)
returns setof public.conversation_messages
language plpgsql
security definer
set search_path = ''
as $$
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

-- Input: parts (or null). Guarantees: the distinct {bucket, path} of their Storage file parts whose
--   bucket is a bucket id (^[a-z0-9_-]{1,100}$). A part stored before that rule, whose "bucket" held
--   a "/" and so named a path in another bucket or folder, is left out: the delete functions never
--   answer it for removal, nor queue it.
create or replace function conversation_store.storage_objects(p_parts jsonb)
returns table (bucket text, path text)
language sql
immutable
set search_path = ''
as $$
  select distinct part.value -> 'storage' ->> 'bucket', part.value -> 'storage' ->> 'path'
  from jsonb_array_elements(p_parts) as part(value)
  where part.value ->> 'type' = 'file' and part.value ? 'storage'
    and (part.value -> 'storage' ->> 'bucket') ~ '^[a-z0-9_-]{1,100}$'
$$;

-- Input: the conversation to regenerate a reply of. Guarantees: locks it (regenerations of one
--   conversation queue here, in the transaction that forks it) and returns when no fork of it
--   holds a reply in progress that is not stale (conversation_store.stale_reply_after()), so of
--   concurrent regenerations exactly one forks and asks the model.
-- Errors: PT404 not found, not live or not the caller's; PT409 (hint reply_in_progress) a
--   regeneration of it is still replying, DETAIL {"conversation_id": fork, "sequence_order": n}.
-- Security definer to lock the row (clients may not update conversations); ownership is checked
--   against auth.uid().
create function conversation_store.claim_regeneration(p_conversation_id uuid)
returns void
language plpgsql
security definer
set search_path = ''
as $$
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

revoke all on function conversation_store.too_deep(jsonb, integer) from public, anon, authenticated, service_role;
revoke all on function conversation_store.max_file_parts() from public, anon, authenticated, service_role;
revoke all on function conversation_store.max_batch_bytes() from public, anon, authenticated, service_role;
revoke all on function conversation_store.claim_regeneration(uuid) from public, anon, authenticated, service_role;
grant execute on function conversation_store.claim_regeneration(uuid) to authenticated, service_role;
-- The metadata constraints run as whoever writes the row (an owner may update a conversation's
-- metadata directly).
grant execute on function conversation_store.too_deep(jsonb, integer) to authenticated, service_role;
