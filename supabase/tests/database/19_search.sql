-- search_conversations: only the caller's live conversations, English word forms, web-search
-- syntax, relevance then recency, plain-text snippets with highlight ranges, any query string.
begin;
select plan(27);

insert into auth.users (id) values
  ('00000000-0000-4000-8000-0000000000a1'),  -- Alice
  ('00000000-0000-4000-8000-0000000000b1');  -- Bob
insert into public.conversations (id, user_id, video_id, updated_at, retention_seconds, last_sequence) values
  ('c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1', 'f0000000-0000-4000-8000-000000000001', now() - interval '3 hours', null, 3),
  ('c0000000-0000-4000-8000-0000000000a2', '00000000-0000-4000-8000-0000000000a1', null, now() - interval '2 hours', null, 2),
  ('c0000000-0000-4000-8000-0000000000a3', '00000000-0000-4000-8000-0000000000a1', null, now() - interval '1 hour', null, 2),
  ('c0000000-0000-4000-8000-0000000000a4', '00000000-0000-4000-8000-0000000000a1', null, now() - interval '1 day', 60, 1),
  ('c0000000-0000-4000-8000-0000000000b1', '00000000-0000-4000-8000-0000000000b1', null, now(), null, 1);
insert into public.conversation_messages (conversation_id, user_id, sequence_order, role, content, status, token_count)
select ('c0000000-0000-4000-8000-0000000000' || c)::uuid, ('00000000-0000-4000-8000-0000000000' || left(c, 1) || '1')::uuid,
       s, r, t, coalesce(st, 'completed'), 10
from (values
  ('a1', 1, 'system', 'Always mention rendering.', null),
  ('a1', 2, 'user', 'We are rendering the cat video now.', null),
  ('a1', 3, 'assistant', 'The render finished: your cat video is ready. Rendering took long.', null),
  ('a2', 1, 'user', 'Nous parlons du rendu de la vidéo.', null),
  ('a2', 2, 'assistant', 'Be careful: <script>alert(1)</script> will not render here.', null),
  ('a3', 1, 'user', 'A dog video, please.', null),
  ('a3', 2, 'assistant', 'Rendering a secret draft', 'in_progress'),
  ('a4', 1, 'user', 'Render the old project.', null),
  ('b1', 1, 'user', 'Bob renders render rendering renderer all day.', null)
) as m(c, s, r, t, st);

-- The conversation ids of a search, in order.
create function pg_temp.found(p_query text, p_limit integer default 20, p_cursor jsonb default null, p_video uuid default null)
returns text language sql as $$
  select coalesce(string_agg(right(r -> 'conversation' ->> 'id', 2), ' ' order by n), '')
  from json_array_elements(public.search_conversations(p_query, p_limit, p_cursor, p_video) -> 'results')
    with ordinality as e(r, n)
$$;
grant execute on function pg_temp.found(text, integer, jsonb, uuid) to authenticated, service_role;

-- The plan of the function's search for one user (its query, with the user's id and words as values).
create function pg_temp.explain_search(p_user uuid, p_query text)
returns text language plpgsql as $$
declare
  v_line text;
  v_plan text := '';
begin
  for v_line in execute format($q$explain select m.conversation_id from public.conversation_messages m
    where m.user_id = %L and conversation_store.search_words(m.content) @@ websearch_to_tsquery('english', %L)
      and m.role in ('user', 'assistant') and m.status <> 'in_progress' limit 10000$q$, p_user, p_query)
  loop
    v_plan := v_plan || v_line || E'\n';
  end loop;
  return v_plan;
end;
$$;

-- ---------------------------------------------------------------- as Alice (authenticated)
select tests.authenticate_as('00000000-0000-4000-8000-0000000000a1');

select is(pg_temp.found('render'), 'a1 a2',
  'English word forms match ("render" finds "rendering"), most relevant first; never Bob''s, an expired one, a reply in progress or a system prompt');
select is(pg_temp.found('rendering'), 'a1 a2', 'and the other way round');
select is(pg_temp.found('parlons'), 'a2', 'words of other languages match as written');
select is(pg_temp.found('"cat video"'), 'a1', 'quoted phrases');
select is(pg_temp.found('render -cat'), 'a2', '-word excludes');
select is(pg_temp.found('dog or parlons'), 'a3 a2', '"or" takes either, ties by recency');
select is(pg_temp.found('render', 20, null, 'f0000000-0000-4000-8000-000000000001'), 'a1', 'a search narrows to one video');
select is(pg_temp.found('secret'), '', 'a reply still in progress is not found');
select is(
  (select json_array_length(r -> 'matches') || ' ' || (r -> 'matches' -> 0 ->> 'sequence_order')
   from json_array_elements(public.search_conversations('render') -> 'results') as e(r) limit 1),
  '2 3',
  'each result names up to 3 matching messages, best first'
);
select is(
  (select m ->> 'snippet'
   from json_array_elements(public.search_conversations('careful') -> 'results') as e(r),
        json_array_elements(r -> 'matches') as x(m)),
  'Be careful: <script>alert(1)</script> will not render here.',
  'a snippet is plain text: markup in a message comes back as the text it is'
);
select is(
  (select string_agg(substr(m ->> 'snippet', (h ->> 0)::int + 1, (h ->> 1)::int - (h ->> 0)::int), ',' order by h ->> 0)
   from json_array_elements(public.search_conversations('render') -> 'results') as e(r),
        json_array_elements(r -> 'matches') as x(m),
        json_array_elements(m -> 'highlights') as y(h)
   where m ->> 'sequence_order' = '3' and r -> 'conversation' ->> 'id' = 'c0000000-0000-4000-8000-0000000000a1'),
  'render,Rendering',
  'highlights are [start, end) ranges of the matched words in the snippet'
);
select is(
  (select m -> 'highlights'
   from json_array_elements(public.search_conversations('vidéo') -> 'results') as e(r),
        json_array_elements(r -> 'matches') as x(m))::jsonb,
  '[[28, 33]]'::jsonb,
  'ranges count characters'
);
select is(
  (select (p ->> 'has_more') || ' ' || right(p -> 'results' -> 0 -> 'conversation' ->> 'id', 2)
   from public.search_conversations('render', 1) as p),
  'true a1',
  'a page of one has more'
);
select is(
  pg_temp.found('render', 1, (public.search_conversations('render', 1) -> 'next_cursor')::jsonb),
  'a2',
  'the cursor continues where the page stopped'
);
select is(
  (public.search_conversations('render', 2) ->> 'next_cursor'),
  null,
  'the last page has no cursor'
);

-- Hostile queries: a page (possibly empty), never an error.
select lives_ok($$select public.search_conversations('!!! &&& ||| ::: *** (((')$$, 'operators and punctuation');
select lives_ok($$select public.search_conversations('"unbalanced "quotes" -- or or -')$$, 'unbalanced quotes');
select lives_ok($$select public.search_conversations(repeat('x<>!|&:*"''-() ', 17))$$, '256 characters of noise');
select is(pg_temp.found('the and of'), '', 'a query of stop words finds nothing');
select throws_ok(
  $$select public.search_conversations(repeat('x', 257))$$,
  '22023', 'p_query must be 1 to 256 characters',
  'a query is at most 256 characters'
);
select throws_ok(
  $$select public.search_conversations('render', 20, '["x", "y", "z"]')$$,
  '22P02', 'invalid input syntax for type real: "x"',
  'a malformed cursor is refused as bad input'
);
select throws_ok(
  $$select public.search_conversations('render', 20, null, null, '00000000-0000-4000-8000-0000000000b1')$$,
  '42501', 'p_user_id may only name the caller',
  'Alice cannot search as Bob'
);

-- ---------------------------------------------------------------- as Bob (authenticated)
select tests.authenticate_as('00000000-0000-4000-8000-0000000000b1');
select is(pg_temp.found('render'), 'b1', 'Bob never sees Alice''s matches for the same words');

-- ---------------------------------------------------------------- as service_role
select tests.authenticate_as_role('service_role');
select is(
  (select string_agg(right(r -> 'conversation' ->> 'id', 2), ' ')
   from json_array_elements(public.search_conversations('parlons', 20, null, null, '00000000-0000-4000-8000-0000000000a1') -> 'results') as e(r)),
  'a2',
  'the service role searches one user''s conversations'
);

-- ---------------------------------------------------------------- as the database owner: the plan
-- A word that is in every one of 20,000 messages of other users, and in none of Alice's.
reset role;
insert into auth.users (id) select ('00000000-0000-4000-9000-' || lpad(n::text, 12, '0'))::uuid from generate_series(1, 20) as n;
insert into public.conversations (id, user_id)
select ('c0000000-0000-4000-9000-' || lpad(n::text, 12, '0'))::uuid, ('00000000-0000-4000-9000-' || lpad(n::text, 12, '0'))::uuid
from generate_series(1, 20) as n;
insert into public.conversation_messages (conversation_id, user_id, sequence_order, role, content, token_count)
select ('c0000000-0000-4000-9000-' || lpad((n % 20 + 1)::text, 12, '0'))::uuid,
       ('00000000-0000-4000-9000-' || lpad((n % 20 + 1)::text, 12, '0'))::uuid,
       n, 'user', 'everyone says banana number ' || n, 8
from generate_series(1, 20000) as n;
analyze public.conversation_messages;
select matches(
  pg_temp.explain_search('00000000-0000-4000-8000-0000000000a1', 'banana'),
  'Index Scan on idx_conversation_messages_(user_id|search)[^\n]*\n\s+Index Cond: \(+user_id = ',
  'a search for a word in 20,000 other users'' messages reads only the owner''s entries (eight rows: through the owner index)'
);
select matches(
  pg_temp.explain_search('00000000-0000-4000-9000-000000000007', 'number 77'),
  'Bitmap Index Scan on idx_conversation_messages_search[^\n]*\n\s+Index Cond: \(\(user_id = [^)]*\) AND \(conversation_store\.search_words',
  'a user with a thousand messages is searched through the owner and the words together'
);
select tests.authenticate_as('00000000-0000-4000-8000-0000000000a1');
select is(pg_temp.found('banana'), '', 'and Alice finds none of the 20,000 other users'' messages');

select * from finish();
rollback;
