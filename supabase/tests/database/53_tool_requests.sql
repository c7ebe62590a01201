-- Replies that wait for the user (20261207000400_tool_requests.sql): a reply in progress with a
-- waiting call becomes awaiting_input; answers are checked against the stored requests and applied
-- exactly once; a denial is final; an old approval expires as denied; a later message settles a
-- waiting reply; a row written as waiting by any other path is settled as it is stored.
begin;
select plan(21);

insert into auth.users (id) values
  ('00000000-0000-4000-8000-0000000000a1'),  -- Alice
  ('00000000-0000-4000-8000-0000000000b1');  -- Bob
insert into public.conversations (id, user_id, last_sequence) values
  ('c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1', 2),
  ('c0000000-0000-4000-8000-0000000000a2', '00000000-0000-4000-8000-0000000000a1', 2),
  ('c0000000-0000-4000-8000-0000000000a3', '00000000-0000-4000-8000-0000000000a1', 2);
-- Each conversation: a question, and a reply in progress that asked for an approval (call c1,
-- approval a1) and called a client-side tool (call c2).
insert into public.conversation_messages (conversation_id, user_id, sequence_order, role, content, parts, status, client_message_id, token_count)
select c.id, '00000000-0000-4000-8000-0000000000a1'::uuid, 1, 'user', 'Render it', null::jsonb, 'completed', 'question-' || right(c.id::text, 2), 4
from public.conversations c
union all
select c.id, '00000000-0000-4000-8000-0000000000a1'::uuid, 2, 'assistant', null,
  '[{"type": "step-start"}, {"type": "text", "text": "Asking."},
    {"type": "tool-call", "tool_call_id": "c1", "tool_name": "render", "state": "approval-requested", "input": {"prompt": "cat"}, "approval": {"id": "a1"}},
    {"type": "tool-call", "tool_call_id": "c2", "tool_name": "pick", "state": "input-available", "input": {}}]',
  'in_progress', 'reply-' || right(c.id::text, 2), 20
from public.conversations c;
create temporary table waiting on commit drop as
  select m.parts from public.conversation_messages m where m.sequence_order = 2 limit 1;

create temporary table answers on commit drop as select
  '[{"type": "tool-call", "tool_call_id": "c1", "tool_name": "render", "state": "approval-responded", "input": {"prompt": "cat"}, "approval": {"id": "a1", "approved": true}},
    {"type": "tool-call", "tool_call_id": "c2", "tool_name": "pick", "state": "output-available", "input": {}, "output": {"color": "teal"}}]'::jsonb as given;
grant select on answers to authenticated;

set local role authenticated;
set local request.jwt.claims to '{"sub": "00000000-0000-4000-8000-0000000000b1", "role": "authenticated"}';
select is(
  tests.error_of($$select public.await_tool_input('c0000000-0000-4000-8000-0000000000a1', 2)$$),
  'PT404',
  'another user cannot make Alice''s reply wait'
);

set local request.jwt.claims to '{"sub": "00000000-0000-4000-8000-0000000000a1", "role": "authenticated"}';
select is(
  tests.error_of($$select public.await_tool_input('c0000000-0000-4000-8000-0000000000a1', 1)$$),
  'PT409 message_final',
  'only a reply in progress can wait'
);
select is(
  (public.await_tool_input('c0000000-0000-4000-8000-0000000000a1', 2)).status,
  'awaiting_input',
  'a reply in progress with waiting calls waits for the user'
);
select is(
  (select array_agg(m.status order by m.conversation_id)
   from (values ('c0000000-0000-4000-8000-0000000000a2'::uuid), ('c0000000-0000-4000-8000-0000000000a3')) as c(id),
        public.await_tool_input(c.id, 2) as m),
  array['awaiting_input', 'awaiting_input'],
  'the other two conversations wait too'
);
select is(
  (select array_agg(conversation_store.awaits_user(c) order by c.id) from public.conversations c),
  array[true, true, true],
  'awaits_user says so for each'
);
select is(
  tests.error_of($$select public.update_message('c0000000-0000-4000-8000-0000000000a1', 2, p_part_index => 1, p_append_text => '!', p_text_offset => 7)$$),
  'PT409 message_final',
  'a waiting reply does not stream: update_message leaves it alone'
);

-- Answers that do not match the request.
select is(
  tests.error_of(format($$select public.answer_tool_calls('c0000000-0000-4000-8000-0000000000a1', 'reply-a1', %L)$$,
    jsonb_set((select given from answers), '{0,approval,id}', '"a9"'))),
  'PT422 tool_response_mismatch',
  'an approval with another approval id is refused'
);
select is(
  tests.error_of(format($$select public.answer_tool_calls('c0000000-0000-4000-8000-0000000000a1', 'reply-a1', %L)$$,
    jsonb_set((select given from answers), '{0,input}', '{"prompt": "dog"}'))),
  'PT422 tool_response_mismatch',
  'an approval of a changed input is refused'
);
select is(
  tests.error_of(format($$select public.answer_tool_calls('c0000000-0000-4000-8000-0000000000a1', 'reply-a1', %L)$$,
    (select given from answers) - 1)),
  'PT422 tool_response_mismatch',
  'every waiting call is answered at once'
);
select is(
  tests.error_of(format($$select public.answer_tool_calls('c0000000-0000-4000-8000-0000000000a2', 'reply-a1', %L)$$,
    (select given from answers))),
  'PT404',
  'a reply of another conversation is not found'
);

set local request.jwt.claims to '{"sub": "00000000-0000-4000-8000-0000000000b1", "role": "authenticated"}';
select is(
  tests.error_of(format($$select public.answer_tool_calls('c0000000-0000-4000-8000-0000000000a1', 'reply-a1', %L)$$,
    (select given from answers))),
  'PT404',
  'another user cannot answer Alice''s request'
);

set local request.jwt.claims to '{"sub": "00000000-0000-4000-8000-0000000000a1", "role": "authenticated"}';
select is(
  (select jsonb_build_array(m.status, m.parts -> 2 -> 'state', m.parts -> 2 -> 'approval', m.parts -> 3 -> 'state', m.parts -> 3 -> 'output')
   from public.answer_tool_calls('c0000000-0000-4000-8000-0000000000a1', 'reply-a1', (select given from answers)) as m),
  '["in_progress", "approval-responded", {"id": "a1", "approved": true}, "output-available", {"color": "teal"}]'::jsonb,
  'matching answers are applied and the reply is in progress again'
);
select is(
  tests.error_of(format($$select public.answer_tool_calls('c0000000-0000-4000-8000-0000000000a1', 'reply-a1', %L)$$,
    (select given from answers))),
  'PT409 tool_call_answered',
  'the same answers again are a replay, refused: the approval is applied once'
);

-- A denial is final.
select is(
  (select m.parts -> 2 -> 'approval'
   from public.answer_tool_calls('c0000000-0000-4000-8000-0000000000a2', 'reply-a2',
     jsonb_set((select given from answers), '{0,approval}', '{"id": "a1", "approved": false, "reason": "too costly"}')) as m),
  '{"id": "a1", "approved": false, "reason": "too costly"}'::jsonb,
  'a denial is stored with its reason'
);
select is(
  tests.error_of(format($$select public.answer_tool_calls('c0000000-0000-4000-8000-0000000000a2', 'reply-a2', %L)$$,
    (select given from answers))),
  'PT409 tool_call_answered',
  'approving a denied call afterwards is refused'
);

-- An approval older than the given age is denied.
reset role;
alter table public.conversation_messages disable trigger conversation_messages_touch_updated_at;
update public.conversation_messages set updated_at = now() - interval '2 hours'
where conversation_id = 'c0000000-0000-4000-8000-0000000000a3' and sequence_order = 2;
alter table public.conversation_messages enable trigger conversation_messages_touch_updated_at;
set local role authenticated;
select is(
  (select m.parts -> 2 -> 'approval'
   from public.answer_tool_calls('c0000000-0000-4000-8000-0000000000a3', 'reply-a3', (select given from answers), 3600) as m),
  '{"id": "a1", "approved": false, "reason": "the approval request expired"}'::jsonb,
  'an approval answered after the maximum age counts as a denial'
);

-- A later message settles a waiting reply.
reset role;
update public.conversation_messages set status = 'completed' where sequence_order = 2
  and conversation_id in ('c0000000-0000-4000-8000-0000000000a1', 'c0000000-0000-4000-8000-0000000000a2');
set local role authenticated;
select is(
  tests.error_of($$select public.await_tool_input('c0000000-0000-4000-8000-0000000000a1', 2)$$),
  'PT409 message_final',
  'a final reply never waits again'
);
reset role;
update public.conversation_messages set status = 'awaiting_input', parts = (select w.parts from waiting w)
where conversation_id = 'c0000000-0000-4000-8000-0000000000a3' and sequence_order = 2;
set local role authenticated;
select lives_ok(
  $$select public.append_messages('c0000000-0000-4000-8000-0000000000a3', '[{"role": "user", "content": "Never mind"}]')$$,
  'a waiting reply does not block the next message'
);
select is(
  (select jsonb_build_array(m.status, m.parts -> 2 -> 'state', m.parts -> 3 -> 'state')
   from public.conversation_messages m
   where m.conversation_id = 'c0000000-0000-4000-8000-0000000000a3' and m.sequence_order = 2),
  '["completed", "output-denied", "output-error"]'::jsonb,
  'and settles it: approvals denied, client calls errored, final'
);
select is(
  (select m.status || ' ' || (m.parts -> 0 ->> 'state')
   from public.append_messages('c0000000-0000-4000-8000-0000000000a3',
     '[{"role": "assistant", "status": "awaiting_input", "parts": [{"type": "tool-call", "tool_call_id": "f1", "tool_name": "render", "state": "approval-requested", "input": {}, "approval": {"id": "f"}}]}]') as m),
  'completed output-denied',
  'a reply written as waiting by append_messages was never asked: it is settled as it is stored'
);

reset role;
set local role anon;
select is(
  tests.error_of($$select public.answer_tool_calls('c0000000-0000-4000-8000-0000000000a1', 'reply-a1', '[]')$$),
  '42501',
  'anon may not answer'
);

select * from finish();
rollback;
