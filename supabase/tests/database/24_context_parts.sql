-- get_context over messages with parts: a call answered in its own parts is a whole unit, tool
-- units stay whole, reasoning only when asked (and then counted), the ui format, messages with
-- nothing for a model left out, and the byte budget on the shapes returned.
begin;
select plan(20);

insert into auth.users (id) values ('00000000-0000-4000-8000-0000000000a1');
insert into public.conversations (id, user_id) values
  ('c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1'),
  ('c0000000-0000-4000-8000-0000000000a2', '00000000-0000-4000-8000-0000000000a1'),
  ('c0000000-0000-4000-8000-0000000000a3', '00000000-0000-4000-8000-0000000000a1');

select tests.authenticate_as('00000000-0000-4000-8000-0000000000a1');

-- Token counts are given, so that every budget below is exact.
select is(
  (select count(*) from public.append_messages('c0000000-0000-4000-8000-0000000000a1', $$[
    {"role": "system", "content": "Be brief.", "token_count": 5},
    {"role": "user", "parts": [{"type": "text", "text": "Weather in Oslo?"}, {"type": "file", "media_type": "image/png", "url": "https://x/sky.png"}], "token_count": 1010},
    {"role": "assistant", "token_count": 30, "reasoning_token_count": 40, "parts": [
      {"type": "reasoning", "text": "Oslo is in Norway."},
      {"type": "tool-call", "tool_call_id": "c1", "tool_name": "weather", "state": "output-available", "input": {"city": "Oslo"}, "output": {"t": 3}}]},
    {"role": "assistant", "parts": [{"type": "data", "name": "progress", "data": {"p": 100}}], "token_count": 3},
    {"role": "assistant", "token_count": 20, "reasoning_token_count": 10, "parts": [
      {"type": "reasoning", "text": "Also the time."},
      {"type": "text", "text": "Checking."},
      {"type": "tool-call", "tool_call_id": "c2", "tool_name": "calc", "state": "output-available", "input": {}, "output": 2},
      {"type": "tool-call", "tool_call_id": "c3", "tool_name": "time", "state": "input-available", "input": {}}]},
    {"role": "tool", "parts": [{"type": "tool-result", "tool_call_id": "c3", "tool_name": "time", "output": "noon"}], "token_count": 5},
    {"role": "assistant", "content": "3 degrees at noon.", "token_count": 10}
  ]$$)),
  7::bigint,
  'a conversation with files, reasoning and calls answered in their own parts is written'
);

create function pg_temp.roles_of(p_context json) returns text language sql as $$
  select string_agg(m ->> 'role' || coalesce(':' || (m ->> 'tool_call_id'), ''), ' ' order by n)
  from json_array_elements(p_context -> 'messages') with ordinality as e(m, n)
$$;
grant execute on function pg_temp.roles_of(json) to authenticated;

select is(
  pg_temp.roles_of(public.get_context('c0000000-0000-4000-8000-0000000000a1', 100000)),
  'system user assistant tool:c1 assistant tool:c2 tool:c3 assistant',
  'openai: a call answered in its own parts is a whole unit (its tool message synthesized), a mixed unit whole, the data-only row left out'
);
select is(
  (public.get_context('c0000000-0000-4000-8000-0000000000a1', 100000) ->> 'token_count')::int,
  5 + 1010 + 30 + 20 + 5 + 10,
  'openai: token_count counts the file estimate in the user message, and no reasoning'
);
select is(
  (public.get_context('c0000000-0000-4000-8000-0000000000a1', 100000) -> 'messages' -> 1 -> 'content')::jsonb,
  '[{"type": "text", "text": "Weather in Oslo?"}, {"type": "image_url", "image_url": {"url": "https://x/sky.png"}}]'::jsonb,
  'openai: the user message with a file is a content-part array'
);
select is(
  (select count(*) from json_array_elements(public.get_context('c0000000-0000-4000-8000-0000000000a1', 100000) -> 'messages') as m
   where m::text like '%Norway%' or m::text like '%Also the time%'),
  0::bigint,
  'openai: no reasoning'
);
select is(
  tests.error_of($$select public.get_context('c0000000-0000-4000-8000-0000000000a1', 100000, 1000, 'openai', true)$$),
  '22023',
  'openai with reasoning is refused: reasoning is never in that format'
);
select is(
  pg_temp.roles_of(public.get_context('c0000000-0000-4000-8000-0000000000a1', 5 + 10 + 25, 1000, 'openai')),
  'system assistant tool:c2 tool:c3 assistant',
  'a unit of a call answered in its parts and one answered by a tool row fits whole (then the next unit does not)'
);
select is(
  pg_temp.roles_of(public.get_context('c0000000-0000-4000-8000-0000000000a1', 5 + 10 + 25 - 1, 1000, 'openai')),
  'system assistant',
  'one token short, the unit is left out entirely'
);

-- ---------------------------------------------------------------- rows
select is(
  (select jsonb_agg(json_array_length(m -> 'parts') order by n)
   from json_array_elements(public.get_context('c0000000-0000-4000-8000-0000000000a1', 100000, 1000, 'rows') -> 'messages')
     with ordinality as e(m, n) where m::jsonb ? 'parts'),
  '[2, 1, 3, 1]'::jsonb,
  'rows: the parts of each message without its reasoning parts'
);
select is(
  (select jsonb_agg(json_array_length(m -> 'parts') order by n)
   from json_array_elements(public.get_context('c0000000-0000-4000-8000-0000000000a1', 100000, 1000, 'rows', true) -> 'messages')
     with ordinality as e(m, n) where m::jsonb ? 'parts'),
  '[2, 2, 4, 1]'::jsonb,
  'rows with reasoning: the parts as stored'
);
select is(
  (public.get_context('c0000000-0000-4000-8000-0000000000a1', 100000, 1000, 'rows', true) ->> 'token_count')::int,
  5 + 1010 + 30 + 40 + 20 + 10 + 5 + 10,
  'with reasoning, reasoning_token_count counts against the budget'
);
select is(
  pg_temp.roles_of(public.get_context('c0000000-0000-4000-8000-0000000000a1', 5 + 10 + 35 + 70 - 1, 1000, 'rows', true)),
  'system assistant tool:c3 assistant',
  'with reasoning, a unit whose reasoning does not fit is left out'
);

-- ---------------------------------------------------------------- ui
select is(
  (select jsonb_agg(m::jsonb - 'id' order by n)
   from json_array_elements(public.get_context('c0000000-0000-4000-8000-0000000000a1', 100000, 1000, 'ui') -> 'messages')
     with ordinality as e(m, n)),
  '[{"role": "system", "parts": [{"type": "text", "text": "Be brief."}]},
    {"role": "user", "parts": [{"type": "text", "text": "Weather in Oslo?"}, {"type": "file", "mediaType": "image/png", "url": "https://x/sky.png"}]},
    {"role": "assistant", "parts": [{"type": "tool-weather", "toolCallId": "c1", "state": "output-available", "input": {"city": "Oslo"}, "output": {"t": 3}}]},
    {"role": "assistant", "parts": [{"type": "text", "text": "Checking."},
      {"type": "tool-calc", "toolCallId": "c2", "state": "output-available", "input": {}, "output": 2},
      {"type": "tool-time", "toolCallId": "c3", "state": "output-available", "input": {}, "output": "noon"}]},
    {"role": "assistant", "parts": [{"type": "text", "text": "3 degrees at noon."}]}]'::jsonb,
  'ui: UIMessages, a tool unit as one message with its results folded in, no reasoning'
);
select is(
  (public.get_context('c0000000-0000-4000-8000-0000000000a1', 100000, 1000, 'ui') ->> 'first_sequence')::int,
  2,
  'ui: first_sequence is the oldest chosen message'
);
select is(
  (select string_agg(part ->> 'text', '|')
   from json_array_elements(public.get_context('c0000000-0000-4000-8000-0000000000a1', 100000, 1000, 'ui', true) -> 'messages') as m,
        json_array_elements(m -> 'parts') as part
   where part ->> 'type' = 'reasoning'),
  'Oslo is in Norway.|Also the time.',
  'ui with reasoning: the reasoning parts come along'
);
select is(
  (public.get_context('c0000000-0000-4000-8000-0000000000a1', 100000, 1000, 'ui', true) ->> 'token_count')::int,
  5 + 1010 + 30 + 40 + 20 + 10 + 5 + 10,
  'ui with reasoning: counted'
);

select is(
  (select count(*) from public.append_messages('c0000000-0000-4000-8000-0000000000a2', $$[
    {"role": "user", "content": "hello", "token_count": 3},
    {"role": "user", "parts": [{"type": "text", "text": "again"}], "token_count": 4}
  ]$$)),
  2::bigint,
  'a conversation with a summary'
);
reset role;
update public.conversations
set summary = 'Earlier: hello.', summary_through_sequence = 1, summary_token_count = 7
where id = 'c0000000-0000-4000-8000-0000000000a2';
set local role authenticated;
select is(
  (public.get_context('c0000000-0000-4000-8000-0000000000a2', 100, 1000, 'ui') -> 'messages')::jsonb - 1,
  '[{"id": "summary", "role": "system", "parts": [{"type": "text", "text": "Earlier: hello."}]}]'::jsonb,
  'ui: the summary is a system UIMessage, first'
);
select is(
  (public.get_context('c0000000-0000-4000-8000-0000000000a2', 100, 1000, 'ui') ->> 'token_count')::int,
  7 + 4,
  'ui: the summary counts its tokens'
);

-- ---------------------------------------------------------------- the byte budget
-- 40 messages of about 165 KB each as UIMessages (6.6 MB), with tiny token counts: only the byte
-- budget stops the window.
reset role;
insert into public.conversation_messages (conversation_id, user_id, sequence_order, role, parts, token_count)
select 'c0000000-0000-4000-8000-0000000000a3', '00000000-0000-4000-8000-0000000000a1', s, 'user',
       jsonb_build_array(jsonb_build_object('type', 'text', 'text', repeat('w', 100000)),
                         jsonb_build_object('type', 'file', 'media_type', 'text/plain', 'url', 'data:,' || repeat('f', 65000))),
       1
from generate_series(1, 40) as s;
update public.conversations set last_sequence = 40 where id = 'c0000000-0000-4000-8000-0000000000a3';
set local role authenticated;

select is(
  (select jsonb_agg(jsonb_build_object('under', octet_length((c -> 'messages')::text) <= 4194304,
                                       'earlier', c -> 'has_earlier', 'some', json_array_length(c -> 'messages') > 20))
   from (values ('ui'), ('rows'), ('openai')) as f(format),
        public.get_context('c0000000-0000-4000-8000-0000000000a3', 2000000, 1000, f.format) as c),
  '[{"under": true, "earlier": true, "some": true}, {"under": true, "earlier": true, "some": true},
    {"under": true, "earlier": true, "some": true}]'::jsonb,
  'in every format the window stops within 4 MiB of messages as returned, and says that earlier ones were left out'
);

select * from finish();
rollback;
