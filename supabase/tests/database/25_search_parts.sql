-- Search over messages with parts: text, reasoning and file names match; data payloads, tool
-- inputs and outputs, and source titles never do; both indexes serve a search.
begin;
select plan(11);

insert into auth.users (id) values ('00000000-0000-4000-8000-0000000000a1');
insert into public.conversations (id, user_id) values
  ('c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1'),
  ('c0000000-0000-4000-8000-0000000000a2', '00000000-0000-4000-8000-0000000000a1');

select tests.authenticate_as('00000000-0000-4000-8000-0000000000a1');

select is(
  (select count(*) from public.append_messages('c0000000-0000-4000-8000-0000000000a1', $$[
    {"role": "user", "parts": [{"type": "text", "text": "Summarise the attached report."},
                               {"type": "file", "media_type": "application/pdf", "url": "https://x/f", "filename": "quarterly_earnings-2026.pdf"},
                               {"type": "data", "name": "secret", "data": {"note": "walrus"}}]},
    {"role": "assistant", "parts": [
      {"type": "reasoning", "text": "The user wants a précis of the penguin numbers."},
      {"type": "tool-call", "tool_call_id": "c1", "tool_name": "lookup", "state": "output-available", "input": {"term": "narwhal"}, "output": "octopus"},
      {"type": "source", "source_type": "url", "source_id": "s1", "url": "https://x", "title": "flamingo"},
      {"type": "text", "text": "Here is the summary."}]},
    {"role": "tool", "tool_call_id": "c9", "content": "pelican"}
  ]$$)),
  3::bigint,
  'messages with text, reasoning, a named file, data, a tool call and a source are written'
);

create function pg_temp.found(p_query text) returns text language sql as $$
  select coalesce(string_agg(right(r -> 'conversation' ->> 'id', 2) || ':' || (
           select string_agg(mt ->> 'sequence_order', ',') from json_array_elements(r -> 'matches') as mt), ' '), '')
  from json_array_elements(public.search_conversations(p_query) -> 'results') as r
$$;
grant execute on function pg_temp.found(text) to authenticated;

select is(pg_temp.found('summary'), 'a1:2', 'a word of a text part is found');
select is(pg_temp.found('penguins'), 'a1:2', 'a word of the reasoning is found, in any English form');
select is(pg_temp.found('quarterly_earnings-2026.pdf'), 'a1:1', 'a file is found by its name');
select is(pg_temp.found('earnings'), 'a1:1', 'a file is found by a word of its name');
select is(
  pg_temp.found('walrus') || pg_temp.found('narwhal') || pg_temp.found('octopus') || pg_temp.found('flamingo')
    || pg_temp.found('pelican'),
  '',
  'data payloads, tool inputs and outputs, source titles and tool results are never searched'
);
select is(
  (select m -> 'snippet' #>> '{}' || ' ' || (m -> 'highlights')::text
   from json_array_elements(public.search_conversations('penguin') -> 'results' -> 0 -> 'matches') as m),
  E'Here is the summary.\nThe user wants a précis of the penguin numbers. [[52, 59]]',
  'the snippet is cut from the text and the reasoning, with the match highlighted'
);
select is(
  (select m ->> 'snippet'
   from json_array_elements(public.search_conversations('earnings') -> 'results' -> 0 -> 'matches') as m),
  E'Summarise the attached report.\nquarterly_earnings-2026.pdf',
  'a file name appears in the snippet as written'
);
select is(
  (select (r -> 'matches' -> 0 ->> 'sequence_order')::int from json_array_elements(
     public.search_conversations('summary') -> 'results') as r),
  2,
  'a conversation found through parts comes with its matching message'
);

-- ---------------------------------------------------------------- the indexes
reset role;
insert into public.conversation_messages (conversation_id, user_id, sequence_order, role, content, parts, token_count)
select 'c0000000-0000-4000-8000-0000000000a2', '00000000-0000-4000-8000-0000000000a1', s, 'assistant', 'answer ' || s,
       jsonb_build_array(jsonb_build_object('type', 'text', 'text', 'answer ' || s),
                         jsonb_build_object('type', 'reasoning', 'text', 'thought number ' || s)),
       5
from generate_series(1, 2000) as s;
update public.conversations set last_sequence = 2000 where id = 'c0000000-0000-4000-8000-0000000000a2';
analyze public.conversation_messages;

create function pg_temp.explained(p_query text) returns text language plpgsql as $$
declare
  v_line text;
  v_plan text := '';
begin
  for v_line in execute format($q$explain select m.conversation_id from public.conversation_messages m
    where m.user_id = '00000000-0000-4000-8000-0000000000a1'
      and (conversation_store.search_words(m.content) @@ websearch_to_tsquery('english', %1$L)
           or m.parts is not null and conversation_store.part_search_words(m.parts) @@ websearch_to_tsquery('english', %1$L))
      and m.role in ('user', 'assistant') and m.status <> 'in_progress' limit 10000$q$, p_query)
  loop
    v_plan := v_plan || v_line || E'\n';
  end loop;
  return v_plan;
end;
$$;
select matches(
  pg_temp.explained('number 1234'),
  'BitmapOr.*Bitmap Index Scan on idx_conversation_messages_search\s.*Bitmap Index Scan on idx_conversation_messages_search_parts\s',
  'search reads the content index and the parts index together (BitmapOr), the owner and the words in both'
);
set local role authenticated;
select is(pg_temp.found('"thought number 1234"'), 'a2:1234', 'a phrase of the reasoning is found among thousands');

select * from finish();
rollback;
