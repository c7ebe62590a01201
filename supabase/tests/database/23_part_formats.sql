-- Reading parts: every part kind as the AI SDK's UI part, tool results folded into their calls
-- (and where they are not), the openai shape of messages with files and answered tool calls, and
-- reasoning left out of the openai shape. Read as the owner, as the API reads.
begin;
select plan(34);

insert into auth.users (id) values ('00000000-0000-4000-8000-0000000000a1');
insert into public.conversations (id, user_id) values
  ('c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1'),
  ('c0000000-0000-4000-8000-0000000000a2', '00000000-0000-4000-8000-0000000000a1');

-- ---------------------------------------------------------------- one part at a time
select is(conversation_store.ui_part(kind.part), kind.ui, 'ui part: ' || kind.label)
from (values
  ('text', '{"type": "text", "text": "hi", "state": "done", "provider_metadata": {"m": {"a": 1}}}'::jsonb,
   '{"type": "text", "text": "hi", "state": "done", "providerMetadata": {"m": {"a": 1}}}'::jsonb),
  ('reasoning, provider metadata byte for byte', '{"type": "reasoning", "text": "why", "provider_metadata": {"openai": {"enc": "E=="}}}',
   '{"type": "reasoning", "text": "why", "providerMetadata": {"openai": {"enc": "E=="}}}'),
  ('file by url', '{"type": "file", "media_type": "image/png", "url": "https://x/a.png", "filename": "a.png"}',
   '{"type": "file", "mediaType": "image/png", "url": "https://x/a.png", "filename": "a.png"}'),
  ('file in Storage → storage:// url', '{"type": "file", "media_type": "application/pdf", "storage": {"bucket": "conversation-files", "path": "00000000-0000-4000-8000-0000000000a1/d/a.pdf"}}',
   '{"type": "file", "mediaType": "application/pdf", "url": "storage://conversation-files/00000000-0000-4000-8000-0000000000a1/d/a.pdf"}'),
  ('tool-call → tool-<name>', '{"type": "tool-call", "tool_call_id": "c1", "tool_name": "weather", "state": "output-available", "input": {"city": "Oslo"}, "raw_input": "{", "output": 3, "provider_executed": true, "preliminary": false, "title": "W", "provider_metadata": {"p": {}}, "result_provider_metadata": {"r": {}}}',
   '{"type": "tool-weather", "toolCallId": "c1", "state": "output-available", "input": {"city": "Oslo"}, "rawInput": "{", "output": 3, "providerExecuted": true, "preliminary": false, "title": "W", "callProviderMetadata": {"p": {}}, "resultProviderMetadata": {"r": {}}}'),
  ('dynamic tool-call → dynamic-tool', '{"type": "tool-call", "tool_call_id": "c2", "tool_name": "run", "state": "approval-requested", "input": {}, "dynamic": true, "approval": {"id": "a1"}}',
   '{"type": "dynamic-tool", "toolName": "run", "toolCallId": "c2", "state": "approval-requested", "input": {}, "approval": {"id": "a1"}}'),
  ('lone tool-result → dynamic-tool output-available', '{"type": "tool-result", "tool_call_id": "c3", "tool_name": "t", "output": {"ok": true}, "error_text": "ignored"}',
   '{"type": "dynamic-tool", "toolName": "t", "toolCallId": "c3", "state": "output-available", "input": null, "output": {"ok": true}}'),
  ('lone tool-result with only an error → output-error', '{"type": "tool-result", "tool_call_id": "c4", "tool_name": "t", "output": null, "error_text": "boom"}',
   '{"type": "dynamic-tool", "toolName": "t", "toolCallId": "c4", "state": "output-error", "errorText": "boom"}'),
  ('source url → source-url', '{"type": "source", "source_type": "url", "source_id": "s1", "url": "https://s", "title": "S", "provider_metadata": {}}',
   '{"type": "source-url", "sourceId": "s1", "url": "https://s", "title": "S", "providerMetadata": {}}'),
  ('source document → source-document', '{"type": "source", "source_type": "document", "source_id": "s2", "media_type": "application/pdf", "title": "T", "filename": "t.pdf"}',
   '{"type": "source-document", "sourceId": "s2", "mediaType": "application/pdf", "title": "T", "filename": "t.pdf"}'),
  ('data → data-<name>', '{"type": "data", "name": "progress_1", "id": "d1", "data": {"percent": 40}}',
   '{"type": "data-progress_1", "id": "d1", "data": {"percent": 40}}'),
  ('step-start', '{"type": "step-start"}', '{"type": "step-start"}')
) as kind(label, part, ui);

-- ---------------------------------------------------------------- as Alice
select tests.authenticate_as('00000000-0000-4000-8000-0000000000a1');

select is(
  (select count(*) from public.append_messages('c0000000-0000-4000-8000-0000000000a1', $$[
    {"role": "system", "content": "Be brief."},
    {"role": "user", "client_message_id": "u1", "metadata": {"k": 1}, "parts": [
      {"type": "text", "text": "Look"},
      {"type": "file", "media_type": "image/png", "storage": {"bucket": "conversation-files", "path": "00000000-0000-4000-8000-0000000000a1/a.png"}},
      {"type": "file", "media_type": "application/pdf", "url": "data:application/pdf;base64,JVB=", "filename": "a.pdf"},
      {"type": "file", "media_type": "text/csv", "url": "https://x/a.csv", "filename": "a.csv"},
      {"type": "data", "name": "secret", "data": {"hidden": "payload"}}]},
    {"role": "assistant", "parts": [
      {"type": "step-start"},
      {"type": "reasoning", "text": "think hard", "provider_metadata": {"openai": {"enc": "E"}}},
      {"type": "text", "text": "Let me check."},
      {"type": "tool-call", "tool_call_id": "c1", "tool_name": "weather", "state": "input-available", "input": {"city": "Oslo"}},
      {"type": "tool-call", "tool_call_id": "c2", "tool_name": "calc", "state": "output-available", "input": {"x": 1}, "output": {"y": 2}},
      {"type": "tool-call", "tool_call_id": "c3", "tool_name": "run", "state": "input-available", "input": {}, "dynamic": true},
      {"type": "tool-call", "tool_call_id": "c4", "tool_name": "search", "state": "output-available", "input": {}, "output": "found", "provider_executed": true}]},
    {"role": "tool", "parts": [{"type": "tool-result", "tool_call_id": "c1", "tool_name": "weather", "output": {"t": 3}}]},
    {"role": "tool", "parts": [{"type": "tool-result", "tool_call_id": "c3", "tool_name": "run", "error_text": "boom"}]},
    {"role": "user", "content": "and?"},
    {"role": "tool", "tool_call_id": "c9", "content": "late"},
    {"role": "assistant", "client_message_id": "a2", "parts": [
      {"type": "tool-call", "tool_call_id": "c5", "tool_name": "calc", "state": "output-error", "input": {}, "error_text": "bad"},
      {"type": "tool-call", "tool_call_id": "c6", "tool_name": "calc", "state": "output-denied", "input": {}, "approval": {"id": "p", "approved": false, "reason": "no"}},
      {"type": "file", "media_type": "image/png", "url": "https://x/b.png"},
      {"type": "text", "text": "Done."}]}
  ]$$)),
  8::bigint,
  'a conversation with every part kind is written'
);

create temporary table ui on commit drop as
select s.sequence_order, s.message::jsonb as message, s.folded_into
from conversation_store.ui_messages(
  (select array_agg(m order by m.sequence_order) from public.conversation_messages m
   where m.conversation_id = 'c0000000-0000-4000-8000-0000000000a1'), true) as s;

select is(
  (select message from ui where sequence_order = 2),
  '{"id": "u1", "role": "user", "metadata": {"k": 1}, "parts": [
     {"type": "text", "text": "Look"},
     {"type": "file", "mediaType": "image/png", "url": "storage://conversation-files/00000000-0000-4000-8000-0000000000a1/a.png"},
     {"type": "file", "mediaType": "application/pdf", "url": "data:application/pdf;base64,JVB=", "filename": "a.pdf"},
     {"type": "file", "mediaType": "text/csv", "url": "https://x/a.csv", "filename": "a.csv"},
     {"type": "data-secret", "data": {"hidden": "payload"}}]}'::jsonb,
  'a UIMessage: id is the client_message_id, metadata comes along, parts in order'
);
select is(
  (select message -> 'parts' from ui where sequence_order = 3),
  '[{"type": "step-start"},
    {"type": "reasoning", "text": "think hard", "providerMetadata": {"openai": {"enc": "E"}}},
    {"type": "text", "text": "Let me check."},
    {"type": "tool-weather", "toolCallId": "c1", "state": "output-available", "input": {"city": "Oslo"}, "output": {"t": 3}},
    {"type": "tool-calc", "toolCallId": "c2", "state": "output-available", "input": {"x": 1}, "output": {"y": 2}},
    {"type": "dynamic-tool", "toolName": "run", "toolCallId": "c3", "state": "output-error", "input": {}, "errorText": "boom"},
    {"type": "tool-search", "toolCallId": "c4", "state": "output-available", "input": {}, "output": "found", "providerExecuted": true}]'::jsonb,
  'the tool rows right after the call fold into its parts: output-available with the JSON output, output-error with the error text'
);
select is(
  (select message ->> 'id' from ui where sequence_order = 3),
  (select m.id::text from public.conversation_messages m
   where m.conversation_id = 'c0000000-0000-4000-8000-0000000000a1' and m.sequence_order = 3),
  'without a client_message_id the UIMessage id is the row id'
);
select is(
  (select array_agg(sequence_order order by sequence_order) from ui where message is null),
  array[4, 5],
  'a folded tool row comes out as no message of its own'
);
select is(
  (select array_agg(coalesce(folded_into, 0) order by sequence_order) from ui),
  array[0, 0, 0, 3, 3, 0, 0, 0],
  'folded_into names the message a row was folded into'
);
select is(
  (select message - 'id' from ui where sequence_order = 7),
  '{"role": "assistant", "parts": [{"type": "dynamic-tool", "toolName": "", "toolCallId": "c9", "state": "output-available", "input": null, "output": "late"}]}'::jsonb,
  'a tool row with no call before it (a user message between) stays its own assistant message with a dynamic-tool part'
);
select is(
  (select message -> 'parts' from ui where sequence_order = 8),
  '[{"type": "tool-calc", "toolCallId": "c5", "state": "output-error", "input": {}, "errorText": "bad"},
    {"type": "tool-calc", "toolCallId": "c6", "state": "output-denied", "input": {}, "approval": {"id": "p", "approved": false, "reason": "no"}},
    {"type": "file", "mediaType": "image/png", "url": "https://x/b.png"},
    {"type": "text", "text": "Done."}]'::jsonb,
  'tool parts in output-error and output-denied come out as stored'
);
select is(
  (select s.message::jsonb -> 'parts' from conversation_store.ui_messages(
     (select array_agg(m) from public.conversation_messages m
      where m.conversation_id = 'c0000000-0000-4000-8000-0000000000a1' and m.sequence_order = 3), false) as s),
  '[{"type": "step-start"},
    {"type": "text", "text": "Let me check."},
    {"type": "tool-weather", "toolCallId": "c1", "state": "input-available", "input": {"city": "Oslo"}},
    {"type": "tool-calc", "toolCallId": "c2", "state": "output-available", "input": {"x": 1}, "output": {"y": 2}},
    {"type": "dynamic-tool", "toolName": "run", "toolCallId": "c3", "state": "input-available", "input": {}},
    {"type": "tool-search", "toolCallId": "c4", "state": "output-available", "input": {}, "output": "found", "providerExecuted": true}]'::jsonb,
  'without reasoning, and without its tool rows on the page, the calls stay as stored'
);
select is(
  (select jsonb_agg(s.sequence_order) from conversation_store.ui_messages(
     (select array_agg(m order by m.sequence_order) from public.conversation_messages m
      where m.conversation_id = 'c0000000-0000-4000-8000-0000000000a1' and m.sequence_order between 4 and 5), true) as s
   where s.message ->> 'role' = 'assistant' and s.message -> 'parts' -> 0 ->> 'type' = 'dynamic-tool'),
  '[4, 5]'::jsonb,
  'a tool row whose call is on another page stays its own message with a dynamic-tool part'
);

-- ---------------------------------------------------------------- openai
select is(
  (select conversation_store.openai_messages(m)::jsonb from public.conversation_messages m
   where m.conversation_id = 'c0000000-0000-4000-8000-0000000000a1' and m.sequence_order = 2),
  '[{"role": "user", "content": [
     {"type": "text", "text": "Look"},
     {"type": "image_url", "image_url": {"url": "storage://conversation-files/00000000-0000-4000-8000-0000000000a1/a.png"}},
     {"type": "file", "file": {"file_data": "data:application/pdf;base64,JVB=", "filename": "a.pdf"}},
     {"type": "file", "file": {"filename": "a.csv"}}]}]'::jsonb,
  'openai: a user message with files is a content-part array (image_url, file_data for a data: URL, the filename otherwise; data left out)'
);
select is(
  (select conversation_store.openai_messages(m)::jsonb from public.conversation_messages m
   where m.conversation_id = 'c0000000-0000-4000-8000-0000000000a1' and m.sequence_order = 3),
  '[{"role": "assistant", "content": "Let me check.", "tool_calls": [
      {"id": "c1", "type": "function", "function": {"name": "weather", "arguments": "{\"city\": \"Oslo\"}"}},
      {"id": "c2", "type": "function", "function": {"name": "calc", "arguments": "{\"x\": 1}"}},
      {"id": "c3", "type": "function", "function": {"name": "run", "arguments": "{}"}}]},
    {"role": "tool", "tool_call_id": "c2", "content": "{\"y\": 2}"}]'::jsonb,
  'openai: an answered tool-call part is followed by a synthesized tool message; provider-executed calls and reasoning are not there'
);
select is(
  (select conversation_store.openai_messages(m)::jsonb from public.conversation_messages m
   where m.conversation_id = 'c0000000-0000-4000-8000-0000000000a1' and m.sequence_order = 8),
  '[{"role": "assistant", "content": "Done.", "tool_calls": [
      {"id": "c5", "type": "function", "function": {"name": "calc", "arguments": "{}"}},
      {"id": "c6", "type": "function", "function": {"name": "calc", "arguments": "{}"}}]},
    {"role": "tool", "tool_call_id": "c5", "content": "bad"},
    {"role": "tool", "tool_call_id": "c6", "content": "no"}]'::jsonb,
  'openai: an error answers with its text, a denial with its reason; an assistant''s file is left out of its text content'
);
select is(
  (select conversation_store.openai_messages(m)::jsonb from public.conversation_messages m
   where m.conversation_id = 'c0000000-0000-4000-8000-0000000000a1' and m.sequence_order = 4),
  '[{"role": "tool", "content": "{\"t\": 3}", "tool_call_id": "c1"}]'::jsonb,
  'openai: a tool row written with a tool-result part reads as a tool message'
);
select is(
  (select count(*) from public.conversation_messages m,
     json_array_elements(conversation_store.openai_messages(m)) as chat(message)
   where m.conversation_id = 'c0000000-0000-4000-8000-0000000000a1'
     and (chat.message::text like '%think hard%' or chat.message::text like '%payload%')),
  0::bigint,
  'openai: reasoning and data payloads are never in it'
);
select is(
  (select array_agg(conversation_store.answered_call_ids(m)::text order by m.sequence_order)
   from public.conversation_messages m
   where m.conversation_id = 'c0000000-0000-4000-8000-0000000000a1' and m.sequence_order in (3, 8)),
  array['{c2}', '{c5,c6}'],
  'answered_call_ids: the app-executed calls a row answers in its own parts'
);
select is(
  (select conversation_store.openai_messages(m)::jsonb from public.conversation_messages m
   where m.conversation_id = 'c0000000-0000-4000-8000-0000000000a1' and m.sequence_order = 1),
  (select jsonb_build_array(conversation_store.openai_message(m)::jsonb) from public.conversation_messages m
   where m.conversation_id = 'c0000000-0000-4000-8000-0000000000a1' and m.sequence_order = 1),
  'openai: a row without parts is openai_message as before'
);

-- ---------------------------------------------------------------- rows of the previous release
reset role;
insert into public.conversation_messages (conversation_id, user_id, sequence_order, role, content, name, function_call, tool_calls, tool_call_id, token_count) values
  ('c0000000-0000-4000-8000-0000000000a2', '00000000-0000-4000-8000-0000000000a1', 1, 'user', 'Weather?', null, null, null, null, 5),
  ('c0000000-0000-4000-8000-0000000000a2', '00000000-0000-4000-8000-0000000000a1', 2, 'assistant', null, null, null,
   '[{"id": "k1", "type": "function", "function": {"name": "weather", "arguments": "{\"city\":\"Oslo\"}"}}, {"id": "k2", "type": "function", "function": {"name": "time", "arguments": "{}"}}]', null, 9),
  ('c0000000-0000-4000-8000-0000000000a2', '00000000-0000-4000-8000-0000000000a1', 3, 'tool', '{"t": 3}', null, null, null, 'k1', 9),
  ('c0000000-0000-4000-8000-0000000000a2', '00000000-0000-4000-8000-0000000000a1', 4, 'tool', 'noon', null, null, null, 'k2', 9),
  ('c0000000-0000-4000-8000-0000000000a2', '00000000-0000-4000-8000-0000000000a1', 5, 'assistant', 'Looking', null, '{"name": "lookup", "arguments": "{}"}', null, null, 9),
  ('c0000000-0000-4000-8000-0000000000a2', '00000000-0000-4000-8000-0000000000a1', 6, 'function', '42', 'lookup', null, null, null, 9);
select tests.authenticate_as('00000000-0000-4000-8000-0000000000a1');

create temporary table old_ui on commit drop as
select s.sequence_order, s.message::jsonb - 'id' as message
from conversation_store.ui_messages(
  (select array_agg(m order by m.sequence_order) from public.conversation_messages m
   where m.conversation_id = 'c0000000-0000-4000-8000-0000000000a2'), false) as s;

select is(
  (select message from old_ui where sequence_order = 1),
  '{"role": "user", "parts": [{"type": "text", "text": "Weather?"}]}'::jsonb,
  'an old row: a text part from content'
);
select is(
  (select message from old_ui where sequence_order = 2),
  '{"role": "assistant", "parts": [
     {"type": "tool-weather", "toolCallId": "k1", "state": "output-available", "input": {"city": "Oslo"}, "output": "{\"t\": 3}"},
     {"type": "tool-time", "toolCallId": "k2", "state": "output-available", "input": {}, "output": "noon"}]}'::jsonb,
  'an old row: tool_calls with the tool rows after them fold into tool parts, outputs as the content strings'
);
select is(
  (select message from old_ui where sequence_order = 5),
  '{"role": "assistant", "parts": [{"type": "text", "text": "Looking"},
     {"type": "tool-lookup", "toolCallId": "function_call", "state": "output-available", "input": {}, "output": "42"}]}'::jsonb,
  'an old row: a function_call and its function message fold the same way'
);
select is(
  (select count(*) from old_ui where message is null),
  3::bigint,
  'an old conversation: every result folded, so it reads as 3 UIMessages'
);
select is(
  (select jsonb_agg(s.sequence_order order by s.sequence_order) from conversation_store.ui_messages(
     (select array_agg(m order by m.sequence_order) from public.conversation_messages m
      where m.conversation_id = 'c0000000-0000-4000-8000-0000000000a2' and m.sequence_order between 3 and 4), false) as s
   where s.message -> 'parts' -> 0 ->> 'state' = 'output-available'),
  '[3, 4]'::jsonb,
  'an old tool row whose call is on another page: its own message, output-available'
);

select * from finish();
rollback;
