-- Search over a user's chats as the sidebar shows them (issue 31): it matches conversation titles
-- as well as messages, and filters the way list-conversations does (archived conversations only
-- when asked for, then only them; a tag).
--
-- Titles have an index of their own, like messages' (owner first, then the words), partial to
-- titled conversations. public.search_conversations takes two more arguments, so the old signature
-- is dropped and the function created anew, with the same grants.

create index idx_conversations_title_search
  on public.conversations
  using gin (user_id, conversation_store.search_words(title))
  where title is not null;

drop function public.search_conversations(text, integer, jsonb, uuid, uuid);

-- Input: the query (1..256 characters, web-search syntax); how many conversations (1..50); the
--   next_cursor of the previous page; optionally a video id; for the service role, optionally a
--   user id (without one it searches every user's conversations); whether to search archived
--   conversations (then only them); optionally a tag (normalised as stored).
-- Guarantees: returns { results, has_more, next_cursor }: live conversations of the caller with a
--   message matching the query (in its text, or its reasoning or file names:
--   conversation_store.part_search_words), by relevance (the best match's ts_rank_cd), then most
--   recently updated; each result is { conversation, matches }, matches being up to 3 of its
--   messages { sequence_order, role, snippet, highlights }, best first. snippet is plain text
--   around the match in the message's text, reasoning and file names (never markup) and
--   highlights are [start, end) ranges of the matched words in it, in
--   characters (code points). At most 10,000 matching messages (and 10,000 titles) are ranked per call, so a word that
--   is everywhere in a user's history costs a bounded amount; a page also stops at
--   conversation_store.page_max_bytes().
-- Errors: 22023 arguments out of range, a malformed cursor or an empty tag; 42501 not authenticated, or p_user_id
--   naming someone else.
-- Security definer, filtering by the caller itself as the policies would (the caller's own
--   messages, live conversations; the service role everyone's or one user's): under Row Level
--   Security a condition holding a function that is not leakproof, such as the words of a message,
--   waits behind the policy, so the index would be read by owner only and every message of the user
--   turned into words again. Plans are made for each call's values (plan_cache_mode), so a user's
--   own statistics choose them; JIT is off, since compiling cost more than the search.
create function public.search_conversations(
  p_query text,
  p_limit integer default 20,
  p_cursor jsonb default null,
  p_video_id uuid default null,
  p_user_id uuid default null,
  p_archived boolean default false,
  p_tag text default null
)
returns json
language plpgsql
stable
security definer
set search_path = ''
set plan_cache_mode = 'force_custom_plan'
set jit = off
as $$
declare
  c_ranked_matches constant integer := 10000;
  -- Highlight markers from Unicode's private use area, taken out of the text first; and a stand-in
  -- for "<", so that ts_headline does not take markup in a message for tags and drop it.
  c_start constant text := U&'\E000';
  c_stop constant text := U&'\E001';
  c_less_than constant text := U&'\E002';
  v_user uuid;
  v_query tsquery;
  v_tags text[];
  v_after_rank real;
  v_after_updated_at timestamptz;
  v_after_id uuid;
  v_page json;
begin
  if p_query is null or char_length(p_query) not between 1 and 256 then
    raise exception 'p_query must be 1 to 256 characters' using errcode = '22023';
  end if;
  if p_limit is null or p_limit not between 1 and 50 then
    raise exception 'p_limit must be between 1 and 50' using errcode = '22023';
  end if;
  if p_archived is null then
    raise exception 'p_archived must be true or false' using errcode = '22023';
  end if;
  if p_tag is not null then
    v_tags := conversation_store.normalize_tags(array[p_tag]);
    if cardinality(v_tags) = 0 then
      raise exception 'p_tag must hold a character other than whitespace' using errcode = '22023';
    end if;
  end if;
  v_user := conversation_store.acting_user(p_user_id);
  if p_cursor is not null then
    if jsonb_typeof(p_cursor) <> 'array' or jsonb_array_length(p_cursor) <> 3 then
      raise exception 'p_cursor must be the next_cursor of a previous page' using errcode = '22023';
    end if;
    v_after_rank := (p_cursor ->> 0)::real;
    v_after_updated_at := (p_cursor ->> 1)::timestamptz;
    v_after_id := (p_cursor ->> 2)::uuid;
  end if;
  v_query := websearch_to_tsquery('english', p_query);

  with found as (
    -- Two index scans, one per index (BitmapOr): the content of every message, the reasoning and
    -- file names of those written with parts. The snippet is cut from both texts. A row without
    -- parts costs what it did before the second index.
    select m.conversation_id, m.sequence_order, m.role,
           case when m.parts is null then m.content
                else concat_ws(E'\n', m.content, conversation_store.part_search_text(m.parts)) end as content,
           ts_rank_cd(case when m.parts is null then conversation_store.search_words(m.content)
                           else conversation_store.search_words(m.content) || conversation_store.part_search_words(m.parts)
                      end, v_query) as rank
    from public.conversation_messages m
    where (v_user is null or m.user_id = v_user)
      and (conversation_store.search_words(m.content) @@ v_query
           or m.parts is not null and conversation_store.part_search_words(m.parts) @@ v_query)
      and m.role in ('user', 'assistant') and m.status <> 'in_progress'
    limit c_ranked_matches
  ),
  titled as (
    -- Titles, through idx_conversations_title_search.
    select c.id as conversation_id, ts_rank_cd(conversation_store.search_words(c.title), v_query) as rank
    from public.conversations c
    where (v_user is null or c.user_id = v_user) and c.title is not null
      and conversation_store.search_words(c.title) @@ v_query
    limit c_ranked_matches
  ),
  best_hits as materialized (
    -- Each conversation's best match, by title or message: aggregated once, not per conversation.
    select hit.conversation_id, max(hit.rank) as rank
    from (select f.conversation_id, f.rank from found f
          union all
          select t.conversation_id, t.rank from titled t) as hit
    group by hit.conversation_id
  ),
  ranked as (
    select c, best_hits.rank
    from best_hits
    join public.conversations c on c.id = best_hits.conversation_id
    where (c.expires_at is null or c.expires_at > now())
      and (v_user is null or c.user_id = v_user)
      and c.archived = p_archived
      and (v_tags is null or c.tags @> v_tags)
      and (p_video_id is null or c.video_id = p_video_id)
      and (p_cursor is null or (best_hits.rank, c.updated_at, c.id) < (v_after_rank, v_after_updated_at, v_after_id))
    order by best_hits.rank desc, c.updated_at desc, c.id desc
    limit p_limit + 1
  ),
  results as (
    select r.rank, (r.c).updated_at, (r.c).id,
           row_number() over (order by r.rank desc, (r.c).updated_at desc, (r.c).id desc) as position,
           json_build_object(
             'conversation', conversation_store.conversation_json(r.c),
             'matches', (
               select coalesce(json_agg(json_build_object(
                        'sequence_order', best.sequence_order, 'role', best.role,
                        'snippet', marked.snippet, 'highlights', marked.highlights
                      ) order by best.rank desc, best.sequence_order desc), '[]'::json)
               from (
                 select f.* from found f where f.conversation_id = (r.c).id
                 order by f.rank desc, f.sequence_order desc limit 3
               ) as best
               cross join lateral (
                 -- The headline alternates plain and highlighted parts between the markers.
                 select translate(string_agg(part.text, '' order by part.n), c_less_than, '<') as snippet,
                        coalesce(json_agg(json_build_array(part.start, part.start + char_length(part.text))
                                          order by part.n) filter (where part.n % 2 = 0 and part.text <> ''),
                                 '[]'::json) as highlights
                 from (
                   select split.text, split.n,
                          coalesce(sum(char_length(split.text)) over (order by split.n rows between unbounded preceding and 1 preceding), 0)::integer as start
                   from regexp_split_to_table(
                          ts_headline('english', translate(best.content, '<' || c_start || c_stop || c_less_than, c_less_than),
                                      v_query,
                                      format('StartSel=%s, StopSel=%s, MaxWords=35, MinWords=15', c_start, c_stop)),
                          '[' || c_start || c_stop || ']'
                        ) with ordinality as split(text, n)
                 ) as part
               ) as marked
             )
           ) as result
    from ranked r
  ),
  sized as (
    select results.*,
           -- A page takes rows until it reaches the byte budget; its first row always.
           results.position <= p_limit
             and (results.position = 1
                  or sum(octet_length(results.result::text)) over (order by results.position)
                     - octet_length(results.result::text) < conversation_store.page_max_bytes()) as included
    from results
  )
  select json_build_object(
           'results', coalesce(json_agg(s.result order by s.position) filter (where s.included), '[]'::json),
           'has_more', coalesce(bool_or(not s.included), false),
           'next_cursor', case when bool_or(not s.included) then
             (array_agg(json_build_array(s.rank, s.updated_at, s.id) order by s.position desc)
                filter (where s.included))[1]
           end
         )
  into v_page
  from sized s;
  return v_page;
end;
$$;


revoke all on function public.search_conversations(text, integer, jsonb, uuid, uuid, boolean, text) from public, anon, authenticated, service_role;
grant execute on function public.search_conversations(text, integer, jsonb, uuid, uuid, boolean, text) to authenticated, service_role;
