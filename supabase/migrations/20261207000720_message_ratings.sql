-- Feedback on replies (issue 31): a user rates an assistant message of their own conversation up
-- or down, with an optional reason (a short code) and comment. One rating per user and message: a
-- second replaces the first, and rating null removes it.
--
-- A rating points at its message by (conversation_id, sequence_order), the key the API uses, with a
-- foreign key to the messages' unique index, so it goes with the message: a deleted or erased
-- conversation, a retention purge, all take their ratings along (the cascade finds them through
-- the primary key, which leads with the same two columns).
--
-- Owners read their ratings (get-history returns them with the page); the service role reads every
-- rating with the rated reply through public.message_rating_evaluations, for evaluation.

create table public.message_ratings (
  conversation_id uuid not null,
  sequence_order integer not null,
  user_id uuid not null,
  rating text not null,
  reason text,
  comment text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (conversation_id, sequence_order, user_id),
  foreign key (conversation_id, sequence_order)
    references public.conversation_messages (conversation_id, sequence_order) on delete cascade,
  constraint message_ratings_rating check (rating in ('up', 'down')),
  constraint message_ratings_reason check (reason ~ '^[a-z0-9_]{1,64}$'),
  constraint message_ratings_comment_max_size check (char_length(comment) <= 2000)
);

comment on table public.message_ratings is
  'A user''s rating of an assistant message of their conversation. Written only by public.rate_message.';
comment on column public.message_ratings.reason is 'A short code chosen by the app (a-z, 0-9, _; at most 64).';

revoke all on table public.message_ratings from public, anon, authenticated, service_role;
grant select on table public.message_ratings to authenticated, service_role;
alter table public.message_ratings enable row level security;
create policy "owners read their ratings" on public.message_ratings
  for select to authenticated
  using (user_id = (select auth.uid()));

-- A rating as the API returns it, with the ids of the message it rates (a UIMessage's id is its
-- client_message_id, else its message_id): not its conversation or owner, which the caller knows.
create function conversation_store.rating_json(p_rating public.message_ratings, p_message public.conversation_messages)
returns json
language sql
stable
set search_path = ''
as $$
  select json_build_object(
    'sequence_order', p_rating.sequence_order, 'message_id', p_message.id,
    'client_message_id', p_message.client_message_id, 'rating', p_rating.rating, 'reason', p_rating.reason,
    'comment', p_rating.comment, 'created_at', p_rating.created_at, 'updated_at', p_rating.updated_at
  )
$$;

revoke all on function conversation_store.rating_json(public.message_ratings, public.conversation_messages) from public, anon, authenticated, service_role;
grant execute on function conversation_store.rating_json(public.message_ratings, public.conversation_messages) to authenticated, service_role;

-- Input: a conversation and the sequence number of one of its assistant messages; 'up', 'down' or
--   null; optionally a reason (1 to 64 of a-z, 0-9, _) and a comment (at most 2,000 characters).
-- Guarantees: the owner's rating of that message becomes the one given (replacing any earlier one),
--   or is removed for null; returns it as json { sequence_order, message_id, client_message_id,
--   rating, reason, comment, created_at, updated_at }, or null once removed. The service role rates for the owner.
-- Errors: PT404 conversation or message not found, not live or not the caller's; PT422 (hint
--   message_not_rateable) the message is not an assistant message, or is a reply in progress;
--   22023 a rating other than up, down or null, or a reason or comment with a null rating;
--   23514 a malformed reason, a comment over 2,000 characters.
-- Security definer because ratings have no write grant; the caller must reach the conversation
-- (conversation_store.caller_reaches).
create function public.rate_message(
  p_conversation_id uuid,
  p_sequence_order integer,
  p_rating text,
  p_reason text default null,
  p_comment text default null
)
returns json
language plpgsql
security definer
set search_path = ''
as $$
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

revoke all on function public.rate_message(uuid, integer, text, text, text) from public, anon, authenticated, service_role;
grant execute on function public.rate_message(uuid, integer, text, text, text) to authenticated, service_role;

-- Every rating with the reply it rates, for the service role's evaluations (supabase-js:
-- `from('message_rating_evaluations').select()`). `model` is the model that wrote the reply, as the
-- reply's metadata records it (`metadata.model`); null where it was not recorded.
create view public.message_rating_evaluations
with (security_invoker = true)
as
select r.conversation_id, r.sequence_order, r.user_id, r.rating, r.reason, r.comment,
       r.created_at, r.updated_at, m.metadata ->> 'model' as model, m.content as reply, m.parts as reply_parts,
       m.created_at as replied_at
from public.message_ratings r
join public.conversation_messages m
  on m.conversation_id = r.conversation_id and m.sequence_order = r.sequence_order;

revoke all on table public.message_rating_evaluations from public, anon, authenticated, service_role;
grant select on table public.message_rating_evaluations to service_role;
