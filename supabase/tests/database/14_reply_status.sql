-- Message status: replies start in progress, one at a time per conversation; appends wait for
-- them, and take over a stale one.
begin;
select plan(16);

insert into auth.users (id) values ('00000000-0000-4000-8000-0000000000a1');  -- Alice
insert into public.conversations (id, user_id) values
  ('c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1');

-- ---------------------------------------------------------------- as Alice (authenticated)
select tests.authenticate_as('00000000-0000-4000-8000-0000000000a1');

select results_eq(
  $$select sequence_order, status from public.append_messages('c0000000-0000-4000-8000-0000000000a1',
    '[{"role": "user", "content": "Tell me a story", "client_message_id": "u-1"}]')$$,
  $$values (1, 'completed')$$,
  'a message written without a status is completed'
);
select throws_ok(
  $$select public.append_messages('c0000000-0000-4000-8000-0000000000a1',
    '[{"role": "assistant", "content": "", "status": "in_progress"}, {"role": "user", "content": "x"}]')$$,
  '22023', 'message 1 is in_progress but not the last message of the batch',
  'a reply in progress is the last message of its batch'
);
select throws_ok(
  $$select public.append_messages('c0000000-0000-4000-8000-0000000000a1',
    '[{"role": "user", "content": "x", "status": "in_progress"}]')$$,
  '23514', 'new row for relation "conversation_messages" violates check constraint "conversation_messages_only_assistant_in_progress"',
  'only an assistant reply may be in progress'
);
select throws_ok(
  $$select public.append_messages('c0000000-0000-4000-8000-0000000000a1',
    '[{"role": "assistant", "content": "x", "status": "done"}]')$$,
  '23514', 'new row for relation "conversation_messages" violates check constraint "conversation_messages_status_known"',
  'a status is one of in_progress, completed, incomplete'
);
select throws_ok(
  $$select public.append_messages('c0000000-0000-4000-8000-0000000000a1', '[{"role": "assistant", "content": null}]')$$,
  '23514', 'new row for relation "conversation_messages" violates check constraint "conversation_messages_content_required"',
  'a final assistant message needs content or calls'
);
select results_eq(
  $$select sequence_order, status, content from public.append_messages('c0000000-0000-4000-8000-0000000000a1',
    '[{"role": "assistant", "content": null, "status": "in_progress", "client_message_id": "r-1"}]')$$,
  $$values (2, 'in_progress', null::text)$$,
  'a reply starts in progress, possibly without any text yet'
);
select is(
  tests.error_of($$select public.append_messages('c0000000-0000-4000-8000-0000000000a1', '[{"role": "user", "content": "again"}]')$$),
  'PT409 reply_in_progress {"sequence_order": 2}',
  'while a reply is in progress any append is refused, naming the reply'
);
select is(
  (select count(*)::int from public.conversation_messages where conversation_id = 'c0000000-0000-4000-8000-0000000000a1'),
  2,
  'and nothing is written'
);
select is(
  tests.error_of($$select public.append_messages('c0000000-0000-4000-8000-0000000000a1',
    '[{"role": "assistant", "content": "", "status": "in_progress"}]')$$),
  'PT409 reply_in_progress {"sequence_order": 2}',
  'a second writer cannot start another reply (a double submit)'
);
select results_eq(
  $$select sequence_order from public.append_messages('c0000000-0000-4000-8000-0000000000a1',
    '[{"role": "user", "content": "Tell me a story", "client_message_id": "u-1"}]')$$,
  array[1],
  'a retry of a message stored before the reply is still answered with the stored row'
);
select lives_ok(
  $$select public.update_message('c0000000-0000-4000-8000-0000000000a1', 2, p_append_content => 'Once upon', p_content_offset => 0)$$,
  'the reply streams'
);
select results_eq(
  $$select sequence_order, content from public.append_messages('c0000000-0000-4000-8000-0000000000a1',
    '[{"role": "assistant", "content": null, "status": "in_progress", "client_message_id": "r-1"}]')$$,
  $$values (2, 'Once upon')$$,
  'a retry of the append that started the reply replays it, whatever it holds since'
);

-- ---------------------------------------------------------------- the writer goes quiet (as the owner: time passes)
reset role;
alter table public.conversation_messages disable trigger conversation_messages_touch_updated_at;
update public.conversation_messages set updated_at = now() - conversation_store.stale_reply_after() - interval '1 second'
where conversation_id = 'c0000000-0000-4000-8000-0000000000a1' and sequence_order = 2;
alter table public.conversation_messages enable trigger conversation_messages_touch_updated_at;
set local role authenticated;

select results_eq(
  $$select sequence_order from public.append_messages('c0000000-0000-4000-8000-0000000000a1',
    '[{"role": "user", "content": "Hello?"}]')$$,
  array[3],
  'the next append takes over a stale reply and proceeds'
);
select results_eq(
  $$select status, content from public.conversation_messages
    where conversation_id = 'c0000000-0000-4000-8000-0000000000a1' and sequence_order = 2$$,
  $$values ('incomplete', 'Once upon')$$,
  'the stale reply is final, incomplete, with its partial text'
);

-- ---------------------------------------------------------------- as the database owner
reset role;
select throws_ok(
  $$insert into public.conversation_messages (conversation_id, user_id, sequence_order, role, content, status, token_count)
    values ('c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1', 4, 'assistant', '', 'in_progress', 3),
           ('c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1', 5, 'assistant', '', 'in_progress', 3)$$,
  '23505', 'duplicate key value violates unique constraint "idx_conversation_messages_reply_in_progress"',
  'the table itself holds at most one reply in progress per conversation'
);
select is(conversation_store.stale_reply_after(), interval '60 seconds', 'a reply is stale after 60 seconds without an update');

select * from finish();
rollback;
