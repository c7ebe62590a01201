-- Replies that are written while they stream: a message has a status, and a conversation holds at
-- most one reply in progress.
--
--   in_progress  an assistant reply being written (by public.update_message); the last message
--   completed    final: the reply is whole (every message written without a status)
--   incomplete   final: the reply stopped early (Stop pressed, or its writer went quiet)
--
-- Final messages never change again, which is how a writer learns that the user pressed Stop: its
-- next delta is refused. While a reply is in progress the conversation takes no other message;
-- a reply whose writer has been silent for conversation_store.stale_reply_after() is stale, and
-- the next append marks it incomplete before it proceeds.

alter table public.conversation_messages
  add column status text not null default 'completed',
  add column updated_at timestamptz;

-- Messages stored before this changed when they were created.
update public.conversation_messages m set updated_at = m.created_at;

alter table public.conversation_messages
  alter column updated_at set not null,
  alter column updated_at set default now(),
  add constraint conversation_messages_status_known check (status in ('in_progress', 'completed', 'incomplete')),
  add constraint conversation_messages_only_assistant_in_progress check (status <> 'in_progress' or role = 'assistant'),
  -- A reply may stream its tool calls before any text; once final it obeys the rule again.
  drop constraint conversation_messages_content_required,
  add constraint conversation_messages_content_required check (
    status = 'in_progress' or content is not null
    or (role = 'assistant' and (function_call is not null or tool_calls is not null))
  );

comment on column public.conversation_messages.status is
  'in_progress while a reply streams; completed or incomplete once final. Final messages never change.';
comment on column public.conversation_messages.updated_at is
  'When the message last changed; a reply in progress whose updated_at is older than the stale limit may be taken over.';

-- One reply at a time, enforced by the database whatever path writes.
create unique index idx_conversation_messages_reply_in_progress
  on public.conversation_messages (conversation_id)
  where status = 'in_progress';

create trigger conversation_messages_touch_updated_at
  before update on public.conversation_messages
  for each row execute function public.touch_updated_at();

-- The one constant of the stale rule: how long a reply may go without an update before the next
-- append may mark it incomplete. Writers that pause longer (a slow tool) send an empty delta.
create function conversation_store.stale_reply_after()
returns interval
language sql
immutable
set search_path = ''
as $$
  select interval '60 seconds'
$$;

revoke all on function conversation_store.stale_reply_after() from public, anon, authenticated, service_role;
