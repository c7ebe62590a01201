-- Read-only share links (issue 31): the owner shares a conversation as it is now, through its last
-- message; anyone holding the link reads that much of it without signing in, and nothing more.
--
-- * The token is 32 bytes from two gen_random_uuid() (244 random bits, PostgreSQL's strong random
--   source), base64url: 43 characters. Only its sha256 is stored, so the table (or a backup of
--   it) holds nothing that opens a link; a link is found by the hash, the primary key.
-- * A link freezes through_sequence: later messages, a reply in progress, never show.
-- * Revoking deletes the row; an expired link, a deleted or expired conversation, a revoked or
--   unknown token and a malformed one all read as "not found" alike (no oracle). A conversation's
--   links go with it (a foreign key, on delete cascade; until the purge removes a deleted
--   conversation, its deleted_at already makes it unreachable).
-- * What a reader gets leaves out the owner: no user id, no conversation metadata, no message
--   metadata, no system messages; reasoning only if the owner chose to include it.

create table public.conversation_shares (
  token_hash bytea primary key,
  conversation_id uuid not null references public.conversations (id) on delete cascade,
  user_id uuid not null,
  through_sequence integer not null,
  include_reasoning boolean not null default false,
  created_at timestamptz not null default now(),
  expires_at timestamptz,
  constraint conversation_shares_token_hash_length check (octet_length(token_hash) = 32),
  constraint conversation_shares_through_sequence_positive check (through_sequence >= 1)
);

comment on table public.conversation_shares is
  'Read-only links to a conversation through one message. Only the sha256 of each token is stored.';

-- The cascade from conversations, and counting a conversation's links.
create index idx_conversation_shares_conversation_id on public.conversation_shares (conversation_id);

revoke all on table public.conversation_shares from public, anon, authenticated, service_role;
grant select on table public.conversation_shares to authenticated, service_role;
alter table public.conversation_shares enable row level security;
create policy "owners read their share links" on public.conversation_shares
  for select to authenticated
  using (user_id = (select auth.uid()));

-- Input: a token as a client sent it. Guarantees: its sha256 when it has the shape of a token
--   (43 base64url characters), else null, which matches no link.
create function conversation_store.share_token_hash(p_token text)
returns bytea
language sql
immutable
set search_path = ''
as $$
  select case when p_token ~ '^[A-Za-z0-9_-]{43}$' then sha256(convert_to(p_token, 'UTF8')) end
$$;

-- How many live links one conversation may have: enough for any use, not a table anyone can fill.
create function conversation_store.shares_per_conversation()
returns integer
language sql
immutable
set search_path = ''
as $$
  select 100
$$;

revoke all on function conversation_store.share_token_hash(text) from public, anon, authenticated, service_role;
revoke all on function conversation_store.shares_per_conversation() from public, anon, authenticated, service_role;

-- Input: a conversation; optionally how long the link lives (60 to 315,360,000 seconds; null: until
--   revoked) and whether readers see reasoning.
-- Guarantees: a new link through the conversation's last message (a reply in progress left out),
--   returned as json { token, through_sequence, expires_at, include_reasoning }; the token is
--   shown this once. The service role shares for the owner.
-- Errors: PT404 conversation not found, not live or not the caller's; PT422 (hint
--   conversation_empty) nothing to share yet; PT422 (hint share_limit_reached) the conversation has
--   conversation_store.shares_per_conversation() live links; 22023 an expiry out of range.
-- Security definer because links have no write grant.
create function public.share_conversation(
  p_conversation_id uuid,
  p_expires_in_seconds integer default null,
  p_include_reasoning boolean default false
)
returns json
language plpgsql
security definer
set search_path = ''
as $$
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

-- Input: a link's token.
-- Guarantees: the link is gone; readers get "not found" from now on.
-- Errors: PT404 no such link of the caller's (a malformed token included). The service role
--   revokes any link.
-- Security definer because links have no delete grant.
create function public.revoke_conversation_share(p_token text)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  delete from public.conversation_shares s
  where s.token_hash = conversation_store.share_token_hash(p_token)
    and (conversation_store.caller_is_service_role() or s.user_id = auth.uid());
  if not found then
    raise exception 'share link not found' using errcode = 'PT404';
  end if;
end;
$$;

-- Input: a link's token, from anyone (anon included); a page: messages after p_after (0..), at most
--   p_limit (1..1000).
-- Guarantees: json { conversation: { title, created_at, through_sequence, shared_at, expires_at },
--   messages, has_more, next_cursor }: the shared messages of the page as AI SDK UIMessages, never
--   one after through_sequence, without system messages, message metadata or (unless the link
--   includes it) reasoning, and nothing naming the owner. Storage files keep their storage:// url
--   (the edge function signs them). A page stops at conversation_store.page_max_bytes() (its first
--   message always), never between a tool call and its folded result; next_cursor is the p_after
--   of the next page.
-- Errors: PT404 for a token that is malformed, unknown, revoked or expired, or whose conversation
--   is deleted or expired, alike; 22023 a page out of range.
-- Security definer: the reader has no rights of their own; the token is the only key.
create function public.get_shared_conversation(p_token text, p_after integer default 0, p_limit integer default 100)
returns json
language plpgsql
stable
security definer
set search_path = ''
as $$
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

revoke all on function public.share_conversation(uuid, integer, boolean) from public, anon, authenticated, service_role;
revoke all on function public.revoke_conversation_share(text) from public, anon, authenticated, service_role;
revoke all on function public.get_shared_conversation(text, integer, integer) from public, anon, authenticated, service_role;
grant execute on function public.share_conversation(uuid, integer, boolean) to authenticated, service_role;
grant execute on function public.revoke_conversation_share(text) to authenticated, service_role;
grant execute on function public.get_shared_conversation(text, integer, integer) to anon, authenticated, service_role;
