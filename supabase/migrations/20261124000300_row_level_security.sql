-- Row Level Security and privileges: every user reaches only their own conversations and messages.
--
-- Supabase grants everything on new tables to anon, authenticated and service_role by default.
-- Close that first, then open exactly what the Data API needs:
--   * anon reaches nothing.
--   * authenticated reads, creates, edits and deletes its own conversations, but only the columns a
--     client may choose (id, video_id, metadata): never the owner, the counter or the timestamps.
--   * messages are an append-only log: clients read them; only public.append_messages writes them,
--     so nobody can forge a sequence number or write into another user's conversation.
--   * service_role (which bypasses RLS) administers conversations the same way and may name the owner.

revoke all on table public.conversations from public, anon, authenticated, service_role;
revoke all on table public.conversation_messages from public, anon, authenticated, service_role;

grant select, delete on table public.conversations to authenticated, service_role;
grant insert (id, video_id, metadata) on table public.conversations to authenticated;
grant insert (id, user_id, video_id, metadata) on table public.conversations to service_role;
grant update (video_id, metadata) on table public.conversations to authenticated, service_role;

grant select on table public.conversation_messages to authenticated, service_role;

alter table public.conversations enable row level security;
alter table public.conversation_messages enable row level security;

create policy "owners read their conversations" on public.conversations
  for select to authenticated
  using (user_id = (select auth.uid()));

create policy "users create their own conversations" on public.conversations
  for insert to authenticated
  with check (user_id = (select auth.uid()));

create policy "owners edit their conversations" on public.conversations
  for update to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));

create policy "owners delete their conversations" on public.conversations
  for delete to authenticated
  using (user_id = (select auth.uid()));

create policy "owners read their messages" on public.conversation_messages
  for select to authenticated
  using (user_id = (select auth.uid()));

-- The messages policy is a plain comparison on an indexed column. The index leads with user_id and
-- continues with the history order, so a user's history is one index range under the policy. An
-- index on user_id alone made things worse: auth.uid() is unknown when the plan is made, so the
-- planner guessed an average user and combined that index with the conversation's (a BitmapAnd
-- over every message of the user: 8.9 ms instead of 0.2 ms for 50 messages of a 100,000-message user).
create index idx_conversation_messages_user_id
  on public.conversation_messages (user_id, conversation_id, sequence_order);
