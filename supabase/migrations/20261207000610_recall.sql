-- Recall (issue 30): the passages of a user's past conversations most relevant to a question, for
-- chat's built-in recall tool and the recall function. Full text everywhere, through the indexes
-- search already has (20261125001400_search.sql over content, 20261206000420_search_parts.sql over
-- reasoning and file names); semantic too where the vector extension is installed and embeddings
-- are configured (20261207000620_semantic_recall.sql), the two lists merged by reciprocal rank
-- fusion. Nothing here depends on vector: the semantic candidates come from a helper that answers
-- nothing until that migration replaces it.

-- Input: a user, a query embedding, a conversation to leave out, how many candidates.
-- Guarantees: the user's messages nearest to the embedding, best first, with their rank (1, 2, …);
--   here none: without the vector extension there are no embeddings. Replaced where vector exists.
create function conversation_store.semantic_candidates(
  p_user uuid,
  p_embedding real[],
  p_exclude_conversation_id uuid,
  p_limit integer
)
returns table (message_id uuid, rank bigint)
language sql
stable
set search_path = ''
as $$
  select null::uuid, null::bigint where false
$$;

-- Input: an embedding model's name and dimensions.
-- Guarantees: whether recall can rank by meaning with embeddings of that model in this database
--   (vector installed, and this model the one the stored embeddings were made with); false here,
--   replaced where vector exists.
create function conversation_store.semantic_recall_ready(p_model text, p_dimensions integer)
returns boolean
language sql
stable
set search_path = ''
as $$ select false $$;

revoke all on function conversation_store.semantic_candidates(uuid, real[], uuid, integer) from public, anon, authenticated, service_role;
revoke all on function conversation_store.semantic_recall_ready(text, integer) from public, anon, authenticated, service_role;
grant execute on function conversation_store.semantic_recall_ready(text, integer) to authenticated, service_role;

-- Input: free text. Guarantees: a tsquery matching any of its words (stemmed, stop words left
--   out), since a question asked in natural language rarely holds all of a passage's words; null
--   when it has none. At most its first 32 words count.
create function conversation_store.any_word_query(p_text text)
returns tsquery
language sql
immutable
set search_path = ''
as $$
  select pg_catalog.string_agg('(' || word.query::text || ')', ' | ')::tsquery
  from (
    select pg_catalog.plainto_tsquery('simple'::regconfig, v.lexeme) as query
    from pg_catalog.unnest(pg_catalog.to_tsvector('english'::regconfig, p_text)) as v
    order by (v.positions)[1]
    limit 32
  ) as word
  where pg_catalog.numnode(word.query) > 0
$$;

revoke all on function conversation_store.any_word_query(text) from public, anon, authenticated, service_role;

-- Input: the query (1..256 characters, natural language); how many passages (1..20); a
--   conversation to leave out (the one asking, whose messages the model already has); an
--   embedding of the query and the model that made it (optional: used where semantic recall is
--   ready for that model, else ignored); for the service role,
--   the user whose conversations to search (required).
-- Guarantees: returns { mode, passages }: mode is "hybrid" when ranked by words and by meaning,
--   "full_text" otherwise; passages are up to p_limit completed user and assistant messages of the
--   user's live conversations, each { conversation_id, sequence_order, role, snippet, created_at,
--   score }, best first: full-text candidates ranked by ts_rank_cd over the words of
--   conversation_store.search_words and part_search_words (any word of the query matches), semantic
--   candidates by distance, merged by reciprocal rank fusion (score = Σ 1 / (60 + rank), each list
--   taking its best 50). snippet is plain text around the match (at most 400 characters). At most
--   2,000 matching messages are ranked per call (a question's common words match much of a
--   history, and ranking recomputes each message's words: bench/memory.ts). Never another user's
--   messages.
-- Errors: 22023 arguments out of range, or the service role names no user; 42501 not
--   authenticated, or p_user_id naming someone else.
-- Security definer for the same reason as public.search_conversations: the index is read for the
--   owner only when the filter is not behind the policy. The filter is the caller's own id.
create function public.recall_messages(
  p_query text,
  p_limit integer default 8,
  p_exclude_conversation_id uuid default null,
  p_query_embedding real[] default null,
  p_embedding_model text default null,
  p_user_id uuid default null
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
  c_candidates constant integer := 50;
  c_ranked_matches constant integer := 2000;
  c_less_than constant text := U&'\E002';
  v_user uuid := conversation_store.acting_user(p_user_id);
  v_query tsquery;
  v_semantic boolean;
  v_result json;
begin
  if v_user is null then
    raise exception 'service_role must name the user in p_user_id' using errcode = '22023';
  end if;
  if p_query is null or char_length(p_query) not between 1 and 256 then
    raise exception 'p_query must be 1 to 256 characters' using errcode = '22023';
  end if;
  if p_limit is null or p_limit not between 1 and 20 then
    raise exception 'p_limit must be between 1 and 20' using errcode = '22023';
  end if;
  v_query := conversation_store.any_word_query(p_query);
  v_semantic := p_query_embedding is not null
    and conversation_store.semantic_recall_ready(p_embedding_model, cardinality(p_query_embedding));

  with found as (
    select m.id, ts_rank_cd(case when m.parts is null then conversation_store.search_words(m.content)
                                 else conversation_store.search_words(m.content) || conversation_store.part_search_words(m.parts)
                            end, v_query) as rank
    from public.conversation_messages m
    where v_query is not null
      and m.user_id = v_user
      and (conversation_store.search_words(m.content) @@ v_query
           or m.parts is not null and conversation_store.part_search_words(m.parts) @@ v_query)
      and m.role in ('user', 'assistant') and m.status <> 'in_progress'
      and m.conversation_id is distinct from p_exclude_conversation_id
    limit c_ranked_matches
  ),
  words as (
    select f.id, row_number() over (order by f.rank desc, f.id) as rank
    from found f
    order by f.rank desc, f.id
    limit c_candidates
  ),
  meaning as (
    select s.message_id as id, s.rank
    from conversation_store.semantic_candidates(v_user, p_query_embedding, p_exclude_conversation_id, c_candidates) s
    where v_semantic
  ),
  fused as (
    select both_lists.id, sum(1.0 / (60 + both_lists.rank)) as score
    from (select * from words union all select * from meaning) as both_lists
    group by both_lists.id
  ),
  passages as (
    select m.conversation_id, m.sequence_order, m.role, m.created_at, fused.score,
           left(coalesce(
             case when v_query is not null then
               translate(ts_headline('english', translate(concat_ws(E'\n', m.content, conversation_store.part_search_text(m.parts)), '<', c_less_than),
                                     v_query, 'StartSel="", StopSel="", MaxWords=50, MinWords=20'),
                         c_less_than, '<')
             end,
             m.content, ''), 400) as snippet
    from fused
    join public.conversation_messages m on m.id = fused.id
    join public.conversations c on c.id = m.conversation_id
    where c.user_id = v_user and (c.expires_at is null or c.expires_at > now())
    order by fused.score desc, m.created_at desc
    limit p_limit
  )
  select json_build_object(
           'mode', case when v_semantic then 'hybrid' else 'full_text' end,
           'passages', coalesce(json_agg(json_build_object(
             'conversation_id', p.conversation_id, 'sequence_order', p.sequence_order, 'role', p.role,
             'snippet', p.snippet, 'created_at', p.created_at, 'score', round(p.score, 6)
           ) order by p.score desc, p.created_at desc), '[]'::json))
  into v_result
  from passages p;
  return v_result;
end;
$$;

revoke all on function public.recall_messages(text, integer, uuid, real[], text, uuid) from public, anon, authenticated, service_role;
grant execute on function public.recall_messages(text, integer, uuid, real[], text, uuid) to authenticated, service_role;
