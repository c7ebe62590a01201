-- Compaction: a conversation may carry one summary of its older part, written by the agent (the
-- store never calls a model). public.get_context sends it, as one system message, in place of the
-- messages it covers: 1..summary_through_sequence.

alter table public.conversations
  add column summary text,
  add column summary_through_sequence integer,
  add column summary_token_count integer,
  add constraint conversations_summary_max_size check (char_length(summary) <= 100000),
  add constraint conversations_summary_complete check (
    (summary is null) = (summary_through_sequence is null) and (summary is null) = (summary_token_count is null)
  ),
  add constraint conversations_summary_through_sequence_range
    check (summary_through_sequence between 1 and last_sequence),
  add constraint conversations_summary_token_count_range check (summary_token_count between 0 and 1000000);

comment on column public.conversations.summary is
  'The agent''s summary of messages 1..summary_through_sequence; sent in their place by get_context.';
comment on column public.conversations.summary_token_count is
  'Tokens of the summary as one system message: exact through the edge functions, an upper bound otherwise.';

-- Input: a conversation id; the summary's text and the last sequence number it covers, or both
--   null to clear it; p_token_count, the exact count, honoured only from a session that counts
--   tokens (the edge functions); anyone else gets conversation_store.estimate_tokens.
-- Guarantees: sets, replaces or clears the summary in one update and returns the row.
-- Errors: 22023 content and through_sequence not given together; PT422 (hint
--   beyond_last_sequence) through_sequence after the last message, DETAIL
--   {"last_sequence": n}; PT404 not found, not live or not the caller's; 23514 too large or < 1.
-- Security definer because clients may not write the summary columns (nor its token count)
--   directly; ownership is checked against auth.uid() (the service role reaches every conversation).
create function public.set_conversation_summary(
  p_conversation_id uuid,
  p_content text,
  p_through_sequence integer,
  p_token_count integer default null
)
returns public.conversations
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_conversation public.conversations;
begin
  if (p_content is null) <> (p_through_sequence is null) then
    raise exception 'a summary needs both its content and through_sequence, or neither to clear it'
      using errcode = '22023';
  end if;

  select * into v_conversation
  from public.conversations c
  where c.id = p_conversation_id
    and conversation_store.caller_reaches(c)
  for no key update;
  if not found then
    raise exception 'conversation not found' using errcode = 'PT404';
  end if;
  if p_through_sequence > v_conversation.last_sequence then
    raise exception 'the summary cannot cover message %: the last message is %',
      p_through_sequence, v_conversation.last_sequence
      using errcode = 'PT422', hint = 'beyond_last_sequence',
            detail = jsonb_build_object('last_sequence', v_conversation.last_sequence)::text;
  end if;

  update public.conversations c
  set summary = p_content,
      summary_through_sequence = p_through_sequence,
      summary_token_count = case
        when p_content is null then null
        when p_token_count is not null and conversation_store.writer_counts_tokens() then p_token_count
        else conversation_store.estimate_tokens(p_content, null, null, null, null)
      end
  where c.id = p_conversation_id
  returning * into v_conversation;
  return v_conversation;
end;
$$;

revoke all on function public.set_conversation_summary(uuid, text, integer, integer) from public, anon, authenticated, service_role;
grant execute on function public.set_conversation_summary(uuid, text, integer, integer) to authenticated, service_role;
