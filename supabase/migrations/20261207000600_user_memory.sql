-- User memory (issue 30): what the assistant remembers about a user across conversations, as
-- entries the user owns and sees (a key and a text value), that the model keeps through chat's
-- built-in memory tool and the user edits through update-memory.
--
-- The failures other memory stores are known for are ruled out here, in the database:
--   * lost updates: every write names the version it read (none: the entry must not exist yet),
--     and a stale one is refused (PT409 memory_conflict, with the current version), so two
--     conversations writing at once never silently overwrite each other. Versions come from one
--     sequence, so they never repeat: an entry deleted and created again has a new version, and a
--     writer that read the old one is refused (no ABA);
--   * unbounded growth: at most conversation_store.memory_max_entries() entries and
--     conversation_store.memory_max_tokens() tokens per user (PT422 memory_full); the writes of one
--     user are serialized (a transaction-scoped advisory lock on the user), so concurrent writers
--     cannot pass the bounds together;
--   * entries vanishing with a conversation: an entry records the conversation it was written
--     from, and deleting that conversation only clears the reference (the entry stays the user's).
--
-- Clients read their entries (Row Level Security: owner only); only public.write_memory writes.

-- Guarantees: the most entries one user may keep.
create function conversation_store.memory_max_entries()
returns integer
language sql
immutable
set search_path = ''
as $$ select 100 $$;

-- Guarantees: the most tokens one user's entries may hold together (each entry counted as the line
--   "key: value" the model reads, plus 3 for its framing; see token_count).
create function conversation_store.memory_max_tokens()
returns integer
language sql
immutable
set search_path = ''
as $$ select 2000 $$;

revoke all on function conversation_store.memory_max_entries() from public, anon, authenticated, service_role;
revoke all on function conversation_store.memory_max_tokens() from public, anon, authenticated, service_role;
grant execute on function conversation_store.memory_max_entries() to authenticated, service_role;
grant execute on function conversation_store.memory_max_tokens() to authenticated, service_role;

create sequence conversation_store.memory_versions as bigint;
revoke all on sequence conversation_store.memory_versions from public, anon, authenticated, service_role;

create table public.memory_entries (
  user_id uuid not null references auth.users (id) on delete cascade,
  key text not null,
  value text not null,
  version bigint not null,
  token_count integer not null,
  conversation_id uuid references public.conversations (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (user_id, key),
  constraint memory_entries_key_shape check (char_length(key) between 1 and 100 and key !~ '[[:cntrl:]]'),
  constraint memory_entries_value_shape check (char_length(value) between 1 and 4000),
  constraint memory_entries_version_positive check (version > 0),
  constraint memory_entries_token_count_range check (token_count between 1 and 100000)
);

comment on table public.memory_entries is
  'What the assistant remembers about a user across conversations. Written only by public.write_memory (versioned, bounded).';
comment on column public.memory_entries.version is
  'Changes on every write, never repeats (one sequence): a writer names the version it read.';
comment on column public.memory_entries.token_count is
  'Tokens of "key: value" plus 3: exact (o200k_base) when written through the edge functions, a byte-based upper bound otherwise.';
comment on column public.memory_entries.conversation_id is
  'The conversation the entry was last written from, if any; null once that conversation is deleted.';

-- Deleting a conversation sets its entries' conversation_id to null: an index, so that it is not a
-- scan of every entry.
create index idx_memory_entries_conversation_id
  on public.memory_entries (conversation_id)
  where conversation_id is not null;

revoke all on table public.memory_entries from public, anon, authenticated, service_role;
grant select on table public.memory_entries to authenticated, service_role;
alter table public.memory_entries enable row level security;

create policy "owners read their memory" on public.memory_entries
  for select to authenticated
  using (user_id = (select auth.uid()));

-- Input: an entry as stored. Guarantees: its API shape { key, value, version, token_count,
--   conversation_id, updated_at }.
create function conversation_store.memory_entry_json(p_entry public.memory_entries)
returns json
language sql
stable
set search_path = ''
as $$
  select json_build_object(
    'key', p_entry.key, 'value', p_entry.value, 'version', p_entry.version,
    'token_count', p_entry.token_count, 'conversation_id', p_entry.conversation_id,
    'updated_at', p_entry.updated_at
  )
$$;

revoke all on function conversation_store.memory_entry_json(public.memory_entries) from public, anon, authenticated, service_role;
grant execute on function conversation_store.memory_entry_json(public.memory_entries) to authenticated, service_role;

-- Input: for the service role, the user whose memory to read (required); a user may name only
--   themselves or no one.
-- Guarantees: returns { entries, total_tokens, max_entries, max_tokens }: the user's entries in key
--   order, the sum of their token counts, and the bounds they are held to.
-- Errors: 22023 the service role names no user; 42501 not authenticated, or p_user_id naming
--   someone else.
create function public.get_memory(p_user_id uuid default null)
returns json
language plpgsql
stable
set search_path = ''
as $$
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

revoke all on function public.get_memory(uuid) from public, anon, authenticated, service_role;
grant execute on function public.get_memory(uuid) to authenticated, service_role;

-- Input: the key (1..100 characters, no control characters); the value (1..4000 characters), or
--   null to delete the entry; the version the writer read, or null when it read no entry; the
--   conversation the write comes from, if any (the caller's, live); a token count of "key: value"
--   (honoured only from the edge functions' own connection, as for messages; otherwise a byte-based
--   upper bound is stored); for the service role, the user whose memory to write (required).
-- Guarantees: when the entry's current version is p_expected_version (null: there is no entry),
--   creates, replaces or deletes it, and returns { key, value, version, token_count,
--   conversation_id, updated_at } (value and version null after a delete). Each write gets a new
--   version. The user's writes are serialized, and after the write the user holds at most
--   memory_max_entries() entries of at most memory_max_tokens() tokens in all.
-- Errors: PT409 (hint memory_conflict, detail { key, current_version }) the version is stale;
--   PT422 (hint memory_full, detail { max_entries, max_tokens }) the write would pass a bound;
--   PT404 p_conversation_id is not the user's live conversation; 22023 a key or value out of
--   range, or the service role names no user; 42501 not authenticated, or p_user_id naming
--   someone else.
-- Security definer because clients cannot write the table; the user comes from the verified JWT
--   claims (or the service role's p_user_id), never from a parameter alone.
create function public.write_memory(
  p_key text,
  p_value text,
  p_expected_version bigint default null,
  p_conversation_id uuid default null,
  p_token_count integer default null,
  p_user_id uuid default null
)
returns json
language plpgsql
security definer
set search_path = ''
as $$
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

revoke all on function public.write_memory(text, text, bigint, uuid, integer, uuid) from public, anon, authenticated, service_role;
grant execute on function public.write_memory(text, text, bigint, uuid, integer, uuid) to authenticated, service_role;
