-- fork_conversation: copies of the first messages in a new conversation of the same owner,
-- idempotent by id, never through a reply in progress, isolated from its source.
begin;
select plan(20);

insert into auth.users (id) values
  ('00000000-0000-4000-8000-0000000000a1'),  -- Alice
  ('00000000-0000-4000-8000-0000000000b1');  -- Bob
insert into public.conversations (id, user_id, video_id, metadata, retention_seconds) values
  ('c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1',
   'f0000000-0000-4000-8000-000000000001', '{"step": "script", "style": {"tone": "warm"}}', 3600);

-- ---------------------------------------------------------------- as Alice (authenticated)
select tests.authenticate_as('00000000-0000-4000-8000-0000000000a1');

select lives_ok(
  $$select public.append_messages('c0000000-0000-4000-8000-0000000000a1',
    '[{"role": "system", "content": "You write scripts.", "client_message_id": "s"},
      {"role": "user", "content": "A cat video", "client_message_id": "u1"},
      {"role": "assistant", "content": "A cat sleeps.", "client_message_id": "a1"},
      {"role": "user", "content": "Funnier", "client_message_id": "u2"}]')$$,
  'Alice has a conversation of four messages'
);
select lives_ok(
  $$select public.set_conversation_summary('c0000000-0000-4000-8000-0000000000a1', 'Cat video.', 2)$$,
  'with a summary of its first two'
);
select is(
  (select (f.last_sequence, f.forked_from_conversation_id, f.forked_from_sequence, f.video_id, f.retention_seconds)::text
   from public.fork_conversation('c0000000-0000-4000-8000-0000000000a1', 3, 'c0000000-0000-4000-8000-0000000000f1',
                                 '{"style": {"tone": "funny"}, "branch": "edit"}') as f),
  '(3,c0000000-0000-4000-8000-0000000000a1,3,f0000000-0000-4000-8000-000000000001,3600)',
  'a fork through message 3 holds three messages, names its source and keeps its video and retention'
);
select is(current_setting('conversation_store.conversation_created'), 'true', 'the fork reports that it was created');
select is(
  (select metadata from public.conversations where id = 'c0000000-0000-4000-8000-0000000000f1'),
  '{"step": "script", "style": {"tone": "funny"}, "branch": "edit"}'::jsonb,
  'its metadata is the source''s merged with the patch'
);
select results_eq(
  $$select f.sequence_order, f.role, f.content, f.client_message_id, f.token_count, f.id <> s.id
    from public.conversation_messages f
    join public.conversation_messages s on s.conversation_id = 'c0000000-0000-4000-8000-0000000000a1'
                                       and s.sequence_order = f.sequence_order
    where f.conversation_id = 'c0000000-0000-4000-8000-0000000000f1' order by 1$$,
  $$select sequence_order, role, content, client_message_id, token_count, true from public.conversation_messages
    where conversation_id = 'c0000000-0000-4000-8000-0000000000a1' and sequence_order <= 3 order by 1$$,
  'the messages are copies: same numbers, roles, contents, keys and counts; new ids'
);
select is(
  (select (summary, summary_through_sequence)::text from public.conversations where id = 'c0000000-0000-4000-8000-0000000000f1'),
  '("Cat video.",2)',
  'a summary covering no more than the fork comes along'
);
select is(
  (select summary from public.fork_conversation('c0000000-0000-4000-8000-0000000000a1', 1)),
  null,
  'a summary covering more than the fork stays behind'
);
select is(
  (select f.id from public.fork_conversation('c0000000-0000-4000-8000-0000000000a1', 3, 'c0000000-0000-4000-8000-0000000000f1') as f),
  'c0000000-0000-4000-8000-0000000000f1'::uuid,
  'the same id again returns the stored fork'
);
select is(current_setting('conversation_store.conversation_created'), 'false', 'and reports it as a replay');
select is(
  (select count(*)::int from public.conversation_messages where conversation_id = 'c0000000-0000-4000-8000-0000000000f1'),
  3,
  'a replay copies nothing'
);
select throws_ok(
  $$select public.fork_conversation('c0000000-0000-4000-8000-0000000000a1', 2, 'c0000000-0000-4000-8000-0000000000f1')$$,
  '23505', 'conversation already exists',
  'the same id for a different fork is taken'
);
select results_eq(
  $$select sequence_order from public.append_messages('c0000000-0000-4000-8000-0000000000f1',
    '[{"role": "user", "content": "Funnier, with a dog", "client_message_id": "u2"}]')$$,
  array[4],
  'the fork continues its own numbering, and its keys are its own'
);
select is(
  (select count(*)::int from public.conversation_messages where conversation_id = 'c0000000-0000-4000-8000-0000000000a1'),
  4,
  'the source is untouched by the fork''s messages'
);
select is(
  tests.error_of($$select public.fork_conversation('c0000000-0000-4000-8000-0000000000a1', 5)$$),
  'PT422 beyond_last_sequence {"last_sequence": 4}',
  'a fork cannot reach past the source''s last message'
);
select lives_ok(
  $$select public.append_messages('c0000000-0000-4000-8000-0000000000a1',
    '[{"role": "assistant", "content": "", "status": "in_progress"}]')$$,
  'a reply starts streaming in the source'
);
select is(
  tests.error_of($$select public.fork_conversation('c0000000-0000-4000-8000-0000000000a1', 5)$$),
  'PT409 reply_in_progress {"sequence_order": 5}',
  'a fork cannot copy a reply still in progress'
);

-- ---------------------------------------------------------------- as Bob (authenticated)
select tests.authenticate_as('00000000-0000-4000-8000-0000000000b1');
select throws_ok(
  $$select public.fork_conversation('c0000000-0000-4000-8000-0000000000a1', 2)$$,
  'PT404', 'conversation not found',
  'Bob cannot fork Alice''s conversation'
);

-- ---------------------------------------------------------------- as the database owner
reset role;
insert into public.conversations (id, user_id, last_sequence) values
  ('c0000000-0000-4000-8000-0000000000a2', '00000000-0000-4000-8000-0000000000a1', 100001);
select tests.authenticate_as_role('service_role');
select is(
  tests.error_of($$select public.fork_conversation('c0000000-0000-4000-8000-0000000000a2', 100001)$$),
  'PT422 fork_too_large {"max_messages": 100000}',
  'a fork copies at most 100,000 messages, so it always finishes in a request'
);
reset role;
alter table public.conversations disable trigger conversations_touch_updated_at;
update public.conversations set updated_at = now() - interval '1 day' where id = 'c0000000-0000-4000-8000-0000000000f1';
alter table public.conversations enable trigger conversations_touch_updated_at;
delete from public.conversation_messages where conversation_id = 'c0000000-0000-4000-8000-0000000000a1';
delete from public.conversations where id = 'c0000000-0000-4000-8000-0000000000a1';
select is(
  (select (forked_from_conversation_id, forked_from_sequence, updated_at < now())::text
   from public.conversations where id = 'c0000000-0000-4000-8000-0000000000f1'),
  '(,3,t)',
  'once the source is deleted the fork forgets it, without that counting as activity of the fork'
);

select * from finish();
rollback;
