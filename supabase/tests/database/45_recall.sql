-- recall_messages: the caller's own completed messages of live conversations, best first, the
-- asking conversation left out, never another user's; full text where vector is absent; and
-- erasing everything erases memory while deleting one conversation keeps it.
begin;
select plan(10);

insert into auth.users (id) values
  ('00000000-0000-4000-8000-0000000000a1'),  -- Alice
  ('00000000-0000-4000-8000-0000000000b1');  -- Bob
insert into public.conversations (id, user_id, last_sequence) values
  ('c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1', 2),
  ('c0000000-0000-4000-8000-0000000000a2', '00000000-0000-4000-8000-0000000000a1', 2),
  ('c0000000-0000-4000-8000-0000000000b1', '00000000-0000-4000-8000-0000000000b1', 1);
insert into public.conversation_messages (conversation_id, user_id, sequence_order, role, content, status, token_count) values
  ('c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1', 1, 'user', 'We hiked the Matterhorn trail in July.', 'completed', 12),
  ('c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1', 2, 'assistant', 'The Matterhorn is spectacular.', 'in_progress', 9),
  ('c0000000-0000-4000-8000-0000000000a2', '00000000-0000-4000-8000-0000000000a1', 1, 'user', 'Tell me about the Matterhorn again.', 'completed', 10),
  ('c0000000-0000-4000-8000-0000000000a2', '00000000-0000-4000-8000-0000000000a1', 2, 'system', 'Matterhorn facts are in the summary.', 'completed', 10),
  ('c0000000-0000-4000-8000-0000000000b1', '00000000-0000-4000-8000-0000000000b1', 1, 'user', 'Bob climbed the Matterhorn.', 'completed', 8);

-- Alice, acting
set local role authenticated;
set local request.jwt.claims to '{"sub": "00000000-0000-4000-8000-0000000000a1", "role": "authenticated"}';
select is(
  (select jsonb_agg(array[p ->> 'conversation_id', p ->> 'sequence_order'])::text
   from json_array_elements(public.recall_messages('when did we hike the matterhorn') -> 'passages') p),
  '[["c0000000-0000-4000-8000-0000000000a1", "1"], ["c0000000-0000-4000-8000-0000000000a2", "1"]]',
  'recall finds the caller''s completed user and assistant messages, best first, none of Bob''s'
);
select is(
  (select jsonb_agg(p ->> 'conversation_id')::text
   from json_array_elements(public.recall_messages('matterhorn', 8, 'c0000000-0000-4000-8000-0000000000a2') -> 'passages') p),
  '["c0000000-0000-4000-8000-0000000000a1"]',
  'the asking conversation is left out'
);
select is(
  public.recall_messages('matterhorn', 8, null, '{1,2,3}'::real[], 'some-model') ->> 'mode',
  'full_text',
  'an embedding is ignored where semantic recall is not ready: the mode says full text'
);
select is(
  json_array_length(public.recall_messages('the of and') -> 'passages'),
  0,
  'a query of stop words only finds nothing'
);
select is(tests.error_of($$select public.recall_messages('')$$), '22023', 'an empty query is refused');
select is(tests.error_of($$select public.recall_messages('x', 21)$$), '22023', 'more than 20 passages is refused');
select is(
  tests.error_of($$select public.recall_messages('matterhorn', 8, null, null, null, '00000000-0000-4000-8000-0000000000b1')$$),
  '42501',
  'a user cannot recall another user''s conversations by naming them'
);

-- Alice's memory: kept when its conversation is deleted, erased with everything
select public.write_memory('trip', 'Matterhorn', null, 'c0000000-0000-4000-8000-0000000000a2');
select public.delete_conversation('c0000000-0000-4000-8000-0000000000a2');
select is(
  (select array[value, coalesce(conversation_id::text, 'none')] from public.memory_entries),
  array['Matterhorn', 'none'],
  'an entry written from a deleted conversation stays the user''s, its reference cleared'
);
select public.delete_all_conversations();
select is((select count(*) from public.memory_entries)::integer, 0, 'erasing everything erases memory');

-- anon, acting
reset role;
set local role anon;
select is(tests.error_of($$select public.recall_messages('matterhorn')$$), '42501', 'anon may not recall');

select * from finish();
rollback;
