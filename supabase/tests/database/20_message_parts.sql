-- Message parts: the vocabulary (every kind accepted, every wrong key or type refused), the owner's
-- Storage folder, one source of truth per row, derived columns and token estimates, and the parts
-- derived for rows written without them.
begin;
select plan(50);

insert into auth.users (id) values
  ('00000000-0000-4000-8000-0000000000a1'),  -- Alice
  ('00000000-0000-4000-8000-0000000000b1');  -- Bob
insert into public.conversations (id, user_id) values
  ('c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1');

-- ---------------------------------------------------------------- the vocabulary
select ok(conversation_store.is_part_list(jsonb_build_array(good.part), '00000000-0000-4000-8000-0000000000a1'),
          'accepted: ' || good.label)
from (values
  ('text', '{"type": "text", "text": "hi", "state": "done", "provider_metadata": {"x": {"y": 1}}}'::jsonb),
  ('reasoning', '{"type": "reasoning", "text": "", "state": "streaming", "provider_metadata": {"openai": {"enc": "…"}}}'),
  ('file by url', '{"type": "file", "media_type": "image/png", "url": "https://example.com/a.png", "filename": "a.png"}'),
  ('inline file', '{"type": "file", "media_type": "text/plain", "url": "data:text/plain;base64,aGk="}'),
  ('file in the owner''s folder', '{"type": "file", "media_type": "application/pdf", "storage": {"bucket": "conversation-files", "path": "00000000-0000-4000-8000-0000000000a1/doc.pdf"}}'),
  ('tool-call with every field', '{"type": "tool-call", "tool_call_id": "c1", "tool_name": "render", "state": "output-available", "input": {"a": 1}, "raw_input": "{", "output": [1], "error_text": "e", "provider_executed": false, "dynamic": true, "preliminary": false, "title": "Render", "approval": {"id": "a1"}, "provider_metadata": {}, "result_provider_metadata": {}}'),
  ('tool-result', '{"type": "tool-result", "tool_call_id": "c1", "tool_name": "render", "output": null, "error_text": "failed"}'),
  ('source url', '{"type": "source", "source_type": "url", "source_id": "s1", "url": "https://example.com", "title": "t", "provider_metadata": {}}'),
  ('source document', '{"type": "source", "source_type": "document", "source_id": "s2", "media_type": "application/pdf", "filename": "a.pdf", "title": "t"}'),
  ('data', '{"type": "data", "name": "progress_1", "id": "p", "data": {"percent": 40}}'),
  ('step-start', '{"type": "step-start"}')
) as good(label, part);

select ok(not conversation_store.is_part_list(jsonb_build_array(bad.part), '00000000-0000-4000-8000-0000000000a1'),
          'refused: ' || bad.label)
from (values
  ('not an object', '"text"'::jsonb),
  ('no type', '{"text": "hi"}'),
  ('an unknown type', '{"type": "image", "url": "https://x"}'),
  ('an unknown key on text', '{"type": "text", "text": "hi", "id": "x"}'),
  ('text that is not a string', '{"type": "text", "text": 1}'),
  ('text missing', '{"type": "text"}'),
  ('an unknown text state', '{"type": "text", "text": "a", "state": "partial"}'),
  ('provider_metadata not an object', '{"type": "reasoning", "text": "a", "provider_metadata": "x"}'),
  ('a null optional field', '{"type": "text", "text": "a", "state": null}'),
  ('a file without media_type', '{"type": "file", "url": "https://x"}'),
  ('a file with url and storage', '{"type": "file", "media_type": "a/b", "url": "https://x", "storage": {"bucket": "b", "path": "00000000-0000-4000-8000-0000000000a1/x"}}'),
  ('a file with neither', '{"type": "file", "media_type": "a/b"}'),
  ('a file url of another scheme', '{"type": "file", "media_type": "a/b", "url": "javascript:alert(1)"}'),
  ('storage with an extra key', '{"type": "file", "media_type": "a/b", "storage": {"bucket": "b", "path": "00000000-0000-4000-8000-0000000000a1/x", "x": 1}}'),
  ('a storage path with ..', '{"type": "file", "media_type": "a/b", "storage": {"bucket": "b", "path": "00000000-0000-4000-8000-0000000000a1/../x"}}'),
  ('a file in another user''s folder', '{"type": "file", "media_type": "a/b", "storage": {"bucket": "b", "path": "00000000-0000-4000-8000-0000000000b1/x"}}'),
  ('a tool-call without a state', '{"type": "tool-call", "tool_call_id": "c", "tool_name": "t"}'),
  ('a tool-call with an unknown state', '{"type": "tool-call", "tool_call_id": "c", "tool_name": "t", "state": "done"}'),
  ('a tool-call with a long id', jsonb_build_object('type', 'tool-call', 'tool_call_id', repeat('x', 129), 'tool_name', 't', 'state', 'input-available')),
  ('provider_executed not a boolean', '{"type": "tool-call", "tool_call_id": "c", "tool_name": "t", "state": "input-available", "provider_executed": "yes"}'),
  ('a tool-result without tool_call_id', '{"type": "tool-result", "tool_name": "t"}'),
  ('a source of an unknown type', '{"type": "source", "source_type": "web", "source_id": "s"}'),
  ('a data part without data', '{"type": "data", "name": "x"}'),
  ('a data name with a space', '{"type": "data", "name": "a b", "data": 1}'),
  ('step-start with a key', '{"type": "step-start", "text": ""}')
) as bad(label, part);

select ok(not conversation_store.is_part_list('[]', '00000000-0000-4000-8000-0000000000a1'), 'refused: no parts');
select ok(not conversation_store.is_part_list(
  jsonb_build_array(jsonb_build_object('type', 'file', 'media_type', 'a/b', 'url', 'data:a/b;base64,' || repeat('A', 65536))),
  '00000000-0000-4000-8000-0000000000a1'), 'refused: an inline file over 65,536 characters');

-- ---------------------------------------------------------------- as Alice, through append_messages
select tests.authenticate_as('00000000-0000-4000-8000-0000000000a1');

select is(
  tests.error_of($$select public.append_messages('c0000000-0000-4000-8000-0000000000a1',
    '[{"role": "user", "parts": [{"type": "file", "media_type": "image/png", "storage": {"bucket": "conversation-files", "path": "00000000-0000-4000-8000-0000000000b1/a.png"}}]}]')$$),
  '42501 storage_path_forbidden',
  'a file part pointing at another user''s folder is refused, also for a direct rpc write'
);
select is(
  tests.error_of($$select public.append_messages('c0000000-0000-4000-8000-0000000000a1',
    '[{"role": "user", "content": "hi", "parts": [{"type": "text", "text": "hi"}]}]')$$),
  '22023',
  'parts with content are refused: one source of truth per row'
);
select is(
  tests.error_of($$select public.append_messages('c0000000-0000-4000-8000-0000000000a1',
    '[{"role": "user", "parts": [{"type": "tool-call", "tool_call_id": "c", "tool_name": "t", "state": "input-available"}]}]')$$),
  '22023',
  'a tool-call part is only for an assistant message'
);
select is(
  tests.error_of($$select public.append_messages('c0000000-0000-4000-8000-0000000000a1',
    ('[{"role": "user", "parts": [{"type": "file", "media_type": "a/b", "url": "data:,' || repeat('A', 65536) || '"}]}]')::jsonb)$$),
  '23514',
  'an inline file over the limit is refused as too large (constraint conversation_messages_inline_file_max_size)'
);

select is(
  (select jsonb_build_object('content', m.content, 'tool_calls', m.tool_calls, 'token_count', m.token_count,
                             'reasoning_token_count', m.reasoning_token_count, 'metadata', m.metadata)
   from public.append_messages('c0000000-0000-4000-8000-0000000000a1', $$[
     {"role": "user", "parts": [{"type": "text", "text": "Look: "}, {"type": "file", "media_type": "image/png", "url": "https://x/a.png"}, {"type": "text", "text": "this"}]},
     {"role": "assistant", "metadata": {"model": "m"}, "parts": [
       {"type": "reasoning", "text": "four"},
       {"type": "tool-call", "tool_call_id": "c1", "tool_name": "t", "state": "output-available", "input": {"a": 1}, "output": "ok"},
       {"type": "tool-call", "tool_call_id": "c2", "tool_name": "web", "state": "output-available", "provider_executed": true, "input": {}}]},
     {"role": "tool", "parts": [{"type": "tool-result", "tool_call_id": "c1", "tool_name": "t", "output": {"ok": true}}]}
   ]$$) as m where m.sequence_order = 2),
  jsonb_build_object('content', null, 'tool_calls', '[{"id": "c1", "type": "function", "function": {"name": "t", "arguments": "{\"a\": 1}"}}]'::jsonb,
                     'token_count', 3 + octet_length('[{"id": "c1", "type": "function", "function": {"name": "t", "arguments": "{\"a\": 1}"}}]')
                                      + octet_length('"ok"') + octet_length('web') + octet_length('{}'),
                     'reasoning_token_count', 4, 'metadata', '{"model": "m"}'::jsonb),
  'an assistant message''s tool_calls are its app-executed tool-call parts; the estimate adds outputs and provider-executed calls, reasoning apart'
);
select is(
  (select (m.content, m.token_count)::text from public.conversation_messages m
   where m.conversation_id = 'c0000000-0000-4000-8000-0000000000a1' and m.sequence_order = 1),
  '("Look: this",1013)',
  'content is the text parts joined; the estimate is 3 + its bytes + 1,000 for the file'
);
select is(
  (select (m.content, m.tool_call_id)::text from public.conversation_messages m
   where m.conversation_id = 'c0000000-0000-4000-8000-0000000000a1' and m.sequence_order = 3),
  '("{""ok"": true}",c1)',
  'a tool message takes content and tool_call_id from its tool-result part'
);
select is(
  (select conversation_store.message_json(m)::jsonb -> 'parts' from public.conversation_messages m
   where m.conversation_id = 'c0000000-0000-4000-8000-0000000000a1' and m.sequence_order = 3),
  '[{"type": "tool-result", "tool_call_id": "c1", "tool_name": "t", "output": {"ok": true}}]'::jsonb,
  'message_json carries the parts of a row written with them'
);

-- ---------------------------------------------------------------- rows without parts
reset role;
insert into public.conversation_messages (conversation_id, user_id, sequence_order, role, content, name, function_call, tool_calls, tool_call_id, token_count) values
  ('c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1', 4, 'assistant', 'Calling',
   null, null, '[{"id": "c9", "type": "function", "function": {"name": "f", "arguments": "{\"x\":1}"}}, {"id": "c10", "type": "function", "function": {"name": "g", "arguments": "not json"}}]', null, 9),
  ('c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1', 5, 'tool', 'done', null, null, null, 'c9', 9),
  ('c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1', 6, 'assistant', null, null, '{"name": "lookup", "arguments": "{}"}', null, null, 9),
  ('c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1', 7, 'function', '42', 'lookup', null, null, null, 9);

select is(
  (select conversation_store.message_parts(m) from public.conversation_messages m
   where m.conversation_id = 'c0000000-0000-4000-8000-0000000000a1' and m.sequence_order = 4),
  '[{"type": "text", "text": "Calling"},
    {"type": "tool-call", "tool_call_id": "c9", "tool_name": "f", "state": "input-available", "input": {"x": 1}},
    {"type": "tool-call", "tool_call_id": "c10", "tool_name": "g", "state": "input-available", "input": "not json"}]'::jsonb,
  'a row without parts: a text part from content, tool-call parts in input-available (arguments that are not JSON as a string)'
);
select is(
  (select conversation_store.message_parts(m) from public.conversation_messages m
   where m.conversation_id = 'c0000000-0000-4000-8000-0000000000a1' and m.sequence_order = 5),
  '[{"type": "tool-result", "tool_call_id": "c9", "tool_name": "", "output": "done"}]'::jsonb,
  'a tool row: one tool-result part whose output is the content string'
);
select is(
  (select jsonb_agg(conversation_store.message_parts(m) order by m.sequence_order) from public.conversation_messages m
   where m.conversation_id = 'c0000000-0000-4000-8000-0000000000a1' and m.sequence_order in (6, 7)),
  '[[{"type": "tool-call", "tool_call_id": "function_call", "tool_name": "lookup", "state": "input-available", "input": {}}],
    [{"type": "tool-result", "tool_call_id": "function_call", "tool_name": "lookup", "output": "42"}]]'::jsonb,
  'a function_call and its function message derive with tool_call_id "function_call"'
);
select is(
  (select conversation_store.message_json(m)::jsonb ? 'parts' from public.conversation_messages m
   where m.conversation_id = 'c0000000-0000-4000-8000-0000000000a1' and m.sequence_order = 4),
  false,
  'message_json of a row without parts is unchanged: no parts key'
);

select * from finish();
rollback;
