-- A user's own chats (issue 31): a title, a pin, an archive flag and a few tags per conversation,
-- the columns a chat sidebar is made of, with their rules here rather than in each app.
--
-- * title: at most 200 characters on one line, whitespace trimmed and collapsed; empty means none.
--   title_source says who wrote it: 'user' (update-conversation or the Data API) or 'generated'
--   (chat, after the first reply). A generated title never replaces a title the user set
--   (conversation_store.set_generated_title); a user may always replace a generated one.
-- * tags: at most 10 distinct labels of 1 to 32 characters, lower case, trimmed, inner whitespace
--   collapsed to one space, no commas or control characters, stored sorted, so that equal sets are
--   equal arrays. A trigger normalises what is written (the functions and the Data API alike);
--   the checks bound what is stored.
-- * pinned and archived: plain flags. Listing puts pinned first and leaves archived out unless
--   asked for them (then only them).
--
-- The listing index becomes (user_id, archived, pinned desc, updated_at desc, id desc): the list's
-- filter and order, so a page of a user's live conversations, pinned first, is one index range
-- whatever else the user has. It replaces idx_conversations_user_id (user_id, updated_at, id),
-- whose every use (a user's rows, in any order) it serves, so appends keep maintaining one index.
-- A tag filter needs the same order within one tag: public.conversation_tags holds a row per tag
-- of a conversation with a copy of the list's sort key (archived, pinned, updated_at), kept by a
-- trigger, and its index (user_id, tag, archived, pinned desc, updated_at desc, conversation_id desc)
-- makes a page of one tag one index range too. An untagged conversation costs nothing there (the
-- trigger's WHEN skips it); a tagged one pays an upsert of its few tag rows on each change, appends
-- included, since each moves updated_at.
--
-- Adding the columns with constant defaults rewrites no row; the two indexes are built once.

alter table public.conversations
  add column title text,
  add column title_source text,
  add column pinned boolean not null default false,
  add column archived boolean not null default false,
  add column tags text[] not null default '{}',
  add constraint conversations_title_length check (char_length(title) between 1 and 200),
  add constraint conversations_title_one_line check (title !~ '[[:cntrl:]]'),
  add constraint conversations_title_source check (
    (title is null) = (title_source is null) and (title_source is null or title_source in ('user', 'generated'))
  ),
  add constraint conversations_tags_max_count check (cardinality(tags) <= 10);

comment on column public.conversations.title is
  'The conversation''s title: at most 200 characters on one line; null when it has none.';
comment on column public.conversations.title_source is
  '''user'' or ''generated'' (by chat); a generated title never replaces a user''s. Null without a title.';
comment on column public.conversations.pinned is 'Listed before the others.';
comment on column public.conversations.archived is 'Left out of lists and searches unless archived ones are asked for.';
comment on column public.conversations.tags is
  'At most 10 distinct normalised labels (1 to 32 characters, lower case), sorted.';

-- Input: a title as given. Guarantees: trimmed, inner whitespace (line breaks included) collapsed
--   to one space; null for null or an empty result. Control characters other than whitespace are
--   kept, so that conversations_title_one_line refuses them rather than changing what was sent.
create function conversation_store.normalize_title(p_title text)
returns text
language sql
immutable
set search_path = ''
as $$
  select nullif(regexp_replace(btrim(p_title, E' \t\n\r\f\v'), '\s+', ' ', 'g'), '')
$$;

-- Input: tags as given (null counts as none). Guarantees: each trimmed, whitespace collapsed, lower
--   case; empty ones dropped; duplicates removed; sorted (by code point, whatever the collation).
-- Errors: none here: a tag that stays malformed fails conversation_store.tags_are_valid.
create function conversation_store.normalize_tags(p_tags text[])
returns text[]
language sql
immutable
set search_path = ''
as $$
  select coalesce(array_agg(distinct normalized.tag order by normalized.tag), '{}')
  from (select lower(conversation_store.normalize_title(tag)) collate "C" as tag from unnest(p_tags) as tag) as normalized
  where normalized.tag is not null
$$;

-- Input: stored tags. Guarantees: true when each is 1 to 32 characters without commas or control
--   characters and in normal form.
create function conversation_store.tags_are_valid(p_tags text[])
returns boolean
language sql
immutable
set search_path = ''
as $$
  select p_tags = conversation_store.normalize_tags(p_tags)
     and not exists (select from unnest(p_tags) as tag
                     where char_length(tag) > 32 or tag ~ '[,[:cntrl:]]')
$$;

alter table public.conversations
  add constraint conversations_tags_valid check (conversation_store.tags_are_valid(tags));

-- Normalises what a writer sends and records who set the title: a title changed without
-- title_source changing with it was set by the user (only conversation_store.set_generated_title
-- writes 'generated'; no client role may write title_source).
create function conversation_store.normalize_labels()
returns trigger
language plpgsql
set search_path = ''
as $$
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

revoke all on function conversation_store.normalize_title(text) from public, anon, authenticated, service_role;
revoke all on function conversation_store.normalize_tags(text[]) from public, anon, authenticated, service_role;
revoke all on function conversation_store.tags_are_valid(text[]) from public, anon, authenticated, service_role;
revoke all on function conversation_store.normalize_labels() from public, anon, authenticated, service_role;
grant execute on function conversation_store.normalize_title(text) to authenticated, service_role;
grant execute on function conversation_store.normalize_tags(text[]) to authenticated, service_role;
grant execute on function conversation_store.tags_are_valid(text[]) to authenticated, service_role;

create trigger conversations_normalize_labels
  before insert or update of title, title_source, tags on public.conversations
  for each row execute function conversation_store.normalize_labels();

-- Clients set the labels through update-conversation or the Data API, under the owners' policies.
grant update (title, pinned, archived, tags) on table public.conversations to authenticated, service_role;

-- Input: a conversation id and a title a model wrote for it.
-- Guarantees: stores the title (normalised) as 'generated' when the conversation has none, so never
--   over a title the user set; returns the conversation's title afterwards (the user's, if any);
--   null when the conversation is not one the caller reaches (conversation_store.caller_reaches:
--   live, and the caller's unless the service role calls).
-- Errors: 23514 a title longer than 200 characters or with control characters.
-- Security definer because it writes title_source, which no client role may write.
create function conversation_store.set_generated_title(p_conversation_id uuid, p_title text)
returns text
language sql
security definer
set search_path = ''
as $$
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

revoke all on function conversation_store.set_generated_title(uuid, text) from public, anon, authenticated, service_role;
grant execute on function conversation_store.set_generated_title(uuid, text) to authenticated, service_role;

drop index public.idx_conversations_user_id;
create index idx_conversations_user_list
  on public.conversations (user_id, archived, pinned desc, updated_at desc, id desc);

-- A conversation's tags with the list's sort key: written only by the trigger below, read by owners.
create table public.conversation_tags (
  conversation_id uuid not null references public.conversations (id) on delete cascade,
  tag text not null,
  user_id uuid not null,
  archived boolean not null,
  pinned boolean not null,
  updated_at timestamptz not null,
  primary key (conversation_id, tag)
);

comment on table public.conversation_tags is
  'One row per tag of a conversation, with a copy of its list order, for paging one tag. Kept by a trigger.';

create index idx_conversation_tags_list
  on public.conversation_tags (user_id, tag, archived, pinned desc, updated_at desc, conversation_id desc);

revoke all on table public.conversation_tags from public, anon, authenticated, service_role;
grant select on table public.conversation_tags to authenticated, service_role;
alter table public.conversation_tags enable row level security;
create policy "owners read their conversations' tags" on public.conversation_tags
  for select to authenticated
  using (user_id = (select auth.uid()));

-- Keeps public.conversation_tags equal to each tagged conversation's tags and sort key. Security
-- definer: the writer (a user through the Data API or a function) may not write that table itself.
create function conversation_store.sync_conversation_tags()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
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

revoke all on function conversation_store.sync_conversation_tags() from public, anon, authenticated, service_role;

create trigger conversations_sync_tags_on_insert
  after insert on public.conversations
  for each row when (new.tags <> '{}')
  execute function conversation_store.sync_conversation_tags();
create trigger conversations_sync_tags
  after update on public.conversations
  for each row when (new.tags <> '{}' or old.tags <> '{}')
  execute function conversation_store.sync_conversation_tags();

-- A conversation as the API returns it: as before, with its title, pin, archive flag and tags.
create or replace function conversation_store.conversation_json(p_conversation public.conversations)
returns json
language sql
stable
set search_path = ''
as $$
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
