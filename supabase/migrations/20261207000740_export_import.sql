-- Export and import (issue 31): a user takes their conversations out in a documented, versioned
-- JSON format (docs/EXPORT.md), in pages, and brings conversations in, from that format or from
-- ChatGPT's data export (the edge function converts those to the same shape).
--
-- * Export pages are keyset pages over the user's conversations in (created_at, id) order, each
--   with every message (the API's message shape, parts and metadata included) and the owner's
--   ratings. A page stops at conversation_store.page_max_bytes() of messages or at a message
--   count, so a conversation larger than a page continues on the next one (the cursor holds the
--   sequence number to continue after).
-- * An import writes one conversation per call of public.import_conversation, through
--   start_conversation, fork_conversation and append_messages, so every rule of a write holds.
--   Its id is derived from the owner and a key naming it in the source (the source's id), so a
--   second import of the same file finds the conversations it made: it appends only the messages
--   they do not hold yet and changes nothing else. An import therefore stores nothing twice, and a
--   conversation is whole once its call commits.

-- Input: a user and the key of an imported conversation. Guarantees: the same uuid for the same
--   pair, a different one for another user or key (the first 128 bits of their sha256).
create function conversation_store.import_id(p_user_id uuid, p_key text)
returns uuid
language sql
immutable
set search_path = ''
as $$
  select encode(substr(sha256(convert_to(p_user_id::text || '/' || p_key, 'UTF8')), 1, 16), 'hex')::uuid
$$;

revoke all on function conversation_store.import_id(uuid, text) from public, anon, authenticated, service_role;
grant execute on function conversation_store.import_id(uuid, text) to authenticated;

-- Input: p_key, the conversation's key in its source (1 to 300 characters); p_conversation, a JSON
--   object of what to set on a new conversation: title, pinned, archived, tags, metadata (each
--   optional) and ratings ([{ sequence_order, rating, reason?, comment? }]); p_messages, a JSON array
--   of messages as append_messages takes them, the first being message p_first_sequence; for a
--   fork, the key of the conversation it was forked from (imported before it) and the sequence
--   number it copies through (then p_first_sequence is that number + 1).
-- Guarantees: the caller's conversation import_id(caller, p_key) exists, made by start_conversation
--   (or fork_conversation) if it did not; the messages it does not hold yet are appended after its
--   last (in batches of 100); labels are set only on a conversation this call made, ratings only
--   on messages this call appended.
--   Returns json { id, created, appended }. A second call with the same arguments appends nothing.
-- Errors: 42501 not a signed-in user (the service role imports nothing); 22023 a key or arguments
--   out of range (more than 10,000 messages or ratings in one call among them); PT409 (hint sequence_conflict) the conversation holds fewer messages than come
--   before p_first_sequence (an earlier page of it was not imported); PT404 the fork's source is
--   not imported; and every error of start_conversation, fork_conversation, append_messages,
--   rate_message and the labels' checks.
create function public.import_conversation(
  p_key text,
  p_conversation jsonb,
  p_messages jsonb,
  p_first_sequence integer default 1,
  p_fork_key text default null,
  p_fork_through integer default null
)
returns json
language plpgsql
set search_path = ''
as $$
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

revoke all on function public.import_conversation(text, jsonb, jsonb, integer, text, integer) from public, anon, authenticated, service_role;
grant execute on function public.import_conversation(text, jsonb, jsonb, integer, text, integer) to authenticated;

-- Input: the next_cursor of the previous page ([created_at, id, after_sequence]) or null; at most
--   how many messages a page holds (1..10,000); for the service role, the user to export.
-- Guarantees: json { conversations, next_cursor }: the caller's live conversations in (created_at,
--   id) order, each entry { conversation, first_sequence, messages, ratings, complete }:
--   conversation_store.conversation_json, the messages from first_sequence on in sequence order
--   (conversation_store.message_json), the owner's ratings of those messages
--   (conversation_store.rating_json), and whether the entry ends with the conversation's last
--   message. A page stops once it holds p_max_messages messages or
--   conversation_store.page_max_bytes() of them (its first message always); a conversation cut
--   there continues in the next page's first entry. next_cursor is null after the last page.
-- Errors: 22023 arguments out of range or a malformed cursor; 42501 not authenticated, or
--   p_user_id naming someone else; 22023 the service role names no user.
create function public.export_conversations(
  p_cursor jsonb default null,
  p_max_messages integer default 5000,
  p_user_id uuid default null
)
returns json
language plpgsql
stable
set search_path = ''
as $$
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

revoke all on function public.export_conversations(jsonb, integer, uuid) from public, anon, authenticated, service_role;
grant execute on function public.export_conversations(jsonb, integer, uuid) to authenticated, service_role;
