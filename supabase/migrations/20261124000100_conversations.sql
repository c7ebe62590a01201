-- Conversations: one row per chat between a user and the assistant.
--
-- `last_sequence` is the per-conversation message counter. public.append_messages locks this row
-- to hand out gap-free sequence numbers, so numbering needs no max()+1 and no retries.
-- `metadata` holds agent state kept across sessions (for example a video-generation step).

create table public.conversations (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  video_id uuid,
  metadata jsonb not null default '{}'::jsonb,
  last_sequence integer not null default 0,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint conversations_metadata_is_object check (jsonb_typeof(metadata) = 'object'),
  constraint conversations_metadata_max_size check (octet_length(metadata::text) <= 65536),
  constraint conversations_last_sequence_not_negative check (last_sequence >= 0)
);

comment on table public.conversations is
  'A chat between a user and the assistant. Messages live in public.conversation_messages.';
comment on column public.conversations.last_sequence is
  'Sequence number of the newest message; 0 for an empty conversation. Written only by public.append_messages.';
comment on column public.conversations.metadata is
  'Agent state kept across sessions; a JSON object of at most 64 KiB.';

-- Listing a user's conversations, most recently updated first, with a keyset cursor on (updated_at, id).
create index idx_conversations_user_id
  on public.conversations (user_id, updated_at desc, id desc);

-- The same listing narrowed to one video. Most conversations have no video, so they stay out of it.
create index idx_conversations_video_id
  on public.conversations (video_id, updated_at desc, id desc)
  where video_id is not null;

-- updated_at moves on every change to a conversation, including each append (which bumps last_sequence).
create function public.touch_updated_at()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.updated_at := now();
  return new;
end;
$$;

revoke all on function public.touch_updated_at() from public, anon, authenticated, service_role;

create trigger conversations_touch_updated_at
  before update on public.conversations
  for each row execute function public.touch_updated_at();

-- The seed describes video_id as a foreign key to videos, but this project owns no videos table.
-- Link it only where the host project already has one; elsewhere it stays a plain indexed uuid.
do $$
begin
  if to_regclass('public.videos') is not null then
    alter table public.conversations
      add constraint conversations_video_id_fkey
      foreign key (video_id) references public.videos (id) on delete set null;
  end if;
end;
$$;
