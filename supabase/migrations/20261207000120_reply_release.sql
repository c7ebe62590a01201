-- Reload or Stop (issue 25): a browser closes its request in both cases, and `useChat` sends nothing
-- else on Stop, so the store decides which it was by whether a page comes back for the reply.
--
-- When a request streaming a reply in progress closes before the reply ended (the request that
-- started it, or a resumed one once that one is gone), the function records the reply *released*
-- (public.release_reply). A resume of the conversation (GET chat/<id>/stream) records the reply
-- *resumed* (public.resume_reply). The writer of a released reply stops reading the model and
-- polls public.reply_release_state; if the reply is resumed within the grace period
-- (CHAT_RESUME_GRACE_MS) it goes on, else it ends incomplete as a Stop. A new message in the
-- conversation ends a released reply at once (public.stop_released_reply), so Stop then send never
-- meets reply_in_progress. Everything is a row read or written in one statement, so it holds across
-- instances and through a transaction pooler.
--
-- The marks live in a table of their own, not on the message: a resume must not move the reply's
-- updated_at, which is how a dead writer is detected.

create table conversation_store.reply_releases (
  message_id uuid primary key references public.conversation_messages (id) on delete cascade,
  released_at timestamptz,
  resumed_at timestamptz
);

comment on table conversation_store.reply_releases is
  'When the last request streaming a reply closed early (released_at) and when a page last resumed it (resumed_at).';

alter table conversation_store.reply_releases enable row level security;
revoke all on table conversation_store.reply_releases from public, anon, authenticated, service_role;

-- Input: a conversation id, and a sequence_order or null for any. Guarantees: the id of the
--   caller's reply in progress there (the conversation live and the caller's), else null.
create function conversation_store.callers_reply_in_progress(
  p_conversation_id uuid,
  p_sequence_order integer default null
)
returns uuid
language sql
stable
set search_path = ''
as $$
  select m.id
  from public.conversation_messages m
  join public.conversations c on c.id = m.conversation_id
  where m.conversation_id = p_conversation_id
    and (p_sequence_order is null or m.sequence_order = p_sequence_order)
    and m.status = 'in_progress'
    and conversation_store.caller_reaches(c)
$$;

revoke all on function conversation_store.callers_reply_in_progress(uuid, integer) from public, anon, authenticated, service_role;

-- Input: a reply of the caller's (conversation and sequence_order).
-- Guarantees: when it is in progress, its released_at becomes now(); returns whether it was. A
--   reply already final, another user's or one that does not exist gives false: a request closing
--   after its reply ended is no event.
-- Errors: none of its own.
-- Security definer because the marks are not the caller's to write directly.
create function public.release_reply(p_conversation_id uuid, p_sequence_order integer)
returns boolean
language plpgsql
security definer
set search_path = ''
as $$
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

-- Input: a conversation id.
-- Guarantees: when the caller's live conversation holds a reply in progress, records it resumed
--   (resumed_at = now()) and returns it; else returns no row, the same for a conversation that does
--   not exist, another user's and an expired one (no oracle). The reply's own row is not written.
-- Errors: none of its own.
-- Security definer because the marks are not the caller's to write directly.
create function public.resume_reply(p_conversation_id uuid)
returns setof public.conversation_messages
language plpgsql
security definer
set search_path = ''
as $$
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

-- Input: a reply of the caller's (conversation and sequence_order).
-- Guarantees: one row: the reply's status, and while it is released and not resumed since, how
--   many seconds ago it was released by the database's clock (else null). A reply not found (gone,
--   not live, not the caller's) reads as status null.
-- Errors: none of its own.
-- Security definer because the marks are not the caller's to read directly.
create function public.reply_release_state(
  p_conversation_id uuid,
  p_sequence_order integer,
  out status text,
  out released_seconds double precision
)
language sql
stable
security definer
set search_path = ''
as $$
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

-- Input: a conversation id.
-- Guarantees: when the caller's conversation holds a reply in progress that is released and not
--   resumed since, marks it incomplete (reason stopped, with what it holds) and returns true; the
--   writer learns it at its next write or poll. Otherwise changes nothing and returns false. Locks
--   the conversation before the message, as append_messages does.
-- Errors: none of its own.
-- Security definer because messages have no update grant; ownership is checked against auth.uid().
create function public.stop_released_reply(p_conversation_id uuid)
returns boolean
language plpgsql
security definer
set search_path = ''
as $$
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

revoke all on function public.release_reply(uuid, integer) from public, anon, authenticated, service_role;
revoke all on function public.resume_reply(uuid) from public, anon, authenticated, service_role;
revoke all on function public.reply_release_state(uuid, integer) from public, anon, authenticated, service_role;
revoke all on function public.stop_released_reply(uuid) from public, anon, authenticated, service_role;
grant execute on function public.release_reply(uuid, integer) to authenticated, service_role;
grant execute on function public.resume_reply(uuid) to authenticated, service_role;
grant execute on function public.reply_release_state(uuid, integer) to authenticated, service_role;
grant execute on function public.stop_released_reply(uuid) to authenticated, service_role;
