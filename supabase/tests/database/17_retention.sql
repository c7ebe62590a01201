-- Retention: expires_at follows activity, an expired conversation is gone for clients at once, and
-- the purge deletes expired conversations in bounded batches without waiting for writers.
begin;
select plan(28);

insert into auth.users (id) values
  ('00000000-0000-4000-8000-0000000000a1'),  -- Alice
  ('00000000-0000-4000-8000-0000000000b1');  -- Bob

-- ---------------------------------------------------------------- a writer holds an expired conversation (a second and third session)
-- First in this file: the ALTER TABLEs below lock the table until the end of this transaction.
create extension if not exists dblink with schema extensions;
do $$
begin
  perform extensions.dblink_connect('writer', 'dbname=' || current_database() || ' port=' || current_setting('port'));
  perform extensions.dblink_connect('purger', 'dbname=' || current_database() || ' port=' || current_setting('port'));
  -- Committed by the writer: a conversation that expires a second from now, then held by it.
  perform extensions.dblink_exec('writer', $q$
    insert into auth.users (id) values ('00000000-0000-4000-8000-0000000000c1');
    insert into public.conversations (id, user_id, retention_seconds, updated_at)
    values ('c0000000-0000-4000-8000-0000000000c1', '00000000-0000-4000-8000-0000000000c1', 60, now() - interval '59 seconds')$q$);
  perform extensions.dblink_exec('writer', 'begin');
  perform from extensions.dblink('writer', $q$select id from public.conversations
    where id = 'c0000000-0000-4000-8000-0000000000c1' for no key update$q$) as locked(id uuid);
end;
$$;
-- Wait for the expiry itself, in the purger's session (each statement there sees a new now()).
do $$
begin
  while not exists (
    select from extensions.dblink('purger', $q$select expires_at <= now() from public.conversations
                                            where id = 'c0000000-0000-4000-8000-0000000000c1'$q$) as r(expired boolean)
    where r.expired
  ) loop
    perform pg_sleep(0.05);
  end loop;
end;
$$;
select is(
  (select purged from extensions.dblink('purger', $$select public.purge_expired_conversations()$$) as r(purged integer)) >= 0
  and exists (select from public.conversations where id = 'c0000000-0000-4000-8000-0000000000c1'),
  true,
  'a conversation locked by a writer survives the purge: it is skipped, not waited for'
);
do $$
begin
  perform extensions.dblink_exec('writer', 'commit');
  perform from extensions.dblink('purger', 'select public.purge_expired_conversations()') as r(purged integer);
end;
$$;
select is(
  exists (select from public.conversations where id = 'c0000000-0000-4000-8000-0000000000c1'),
  false,
  'once the writer is done the next purge takes it'
);
do $$
begin
  perform extensions.dblink_exec('writer', $q$delete from auth.users where id = '00000000-0000-4000-8000-0000000000c1'$q$);
  perform extensions.dblink_disconnect('writer');
  perform extensions.dblink_disconnect('purger');
end;
$$;

-- ---------------------------------------------------------------- as Alice (authenticated)
select tests.authenticate_as('00000000-0000-4000-8000-0000000000a1');

select is(
  (select expires_at - updated_at from public.start_conversation(p_id => 'c0000000-0000-4000-8000-0000000000a1', p_retention_seconds => 3600)),
  interval '1 hour',
  'expires_at is updated_at + retention_seconds'
);
select is(
  (select expires_at from public.start_conversation(p_id => 'c0000000-0000-4000-8000-0000000000a2')),
  null,
  'without retention a conversation is kept forever'
);
select throws_ok(
  $$select public.start_conversation(p_retention_seconds => 59)$$,
  '23514', 'new row for relation "conversations" violates check constraint "conversations_retention_seconds_range"',
  'retention is at least 60 seconds'
);
select throws_ok(
  $$select public.start_conversation(p_retention_seconds => 315360001)$$,
  '23514', 'new row for relation "conversations" violates check constraint "conversations_retention_seconds_range"',
  'and at most ten years'
);
select results_eq(
  $$update public.conversations set retention_seconds = 60 where id = 'c0000000-0000-4000-8000-0000000000a2'
    returning expires_at - updated_at$$,
  array[interval '60 seconds'],
  'Alice sets a retention directly through the Data API'
);
select throws_ok(
  $$update public.conversations set expires_at = now() + interval '1 year' where id = 'c0000000-0000-4000-8000-0000000000a2'$$,
  '42501', 'permission denied for table conversations',
  'expires_at is read-only for clients'
);
select results_eq(
  $$update public.conversations set retention_seconds = null where id = 'c0000000-0000-4000-8000-0000000000a2'
    returning expires_at is null$$,
  array[true],
  'null clears the retention'
);

-- Activity extends expires_at (as the owner, time passes first)
reset role;
alter table public.conversations disable trigger conversations_touch_updated_at;
update public.conversations set updated_at = now() - interval '30 minutes' where id = 'c0000000-0000-4000-8000-0000000000a1';
alter table public.conversations enable trigger conversations_touch_updated_at;
set local role authenticated;
select is(
  (select expires_at - now() from public.conversations where id = 'c0000000-0000-4000-8000-0000000000a1'),
  interval '30 minutes',
  'half an hour later, half the retention is left'
);
select lives_ok(
  $$select public.append_messages('c0000000-0000-4000-8000-0000000000a1', '[{"role": "user", "content": "still here"}]')$$,
  'Alice appends'
);
select is(
  (select expires_at - now() from public.conversations where id = 'c0000000-0000-4000-8000-0000000000a1'),
  interval '1 hour',
  'activity extends expires_at to a full retention again'
);

-- Expired is gone for clients (as the owner, the retention runs out)
reset role;
alter table public.conversations disable trigger conversations_touch_updated_at;
update public.conversations set updated_at = now() - interval '2 hours' where id = 'c0000000-0000-4000-8000-0000000000a1';
alter table public.conversations enable trigger conversations_touch_updated_at;
set local role authenticated;
select is_empty(
  $$select from public.conversations where id = 'c0000000-0000-4000-8000-0000000000a1'$$,
  'an expired conversation is not readable through the Data API'
);
select is_empty(
  $$select from public.conversation_messages where conversation_id = 'c0000000-0000-4000-8000-0000000000a1'$$,
  'nor are its messages, before any purge'
);
select throws_ok(
  $$select public.append_messages('c0000000-0000-4000-8000-0000000000a1', '[{"role": "user", "content": "hello?"}]')$$,
  'PT404', 'conversation not found',
  'nobody appends to it'
);
select throws_ok(
  $$select public.get_context('c0000000-0000-4000-8000-0000000000a1', 1000)$$,
  'PT404', 'conversation not found',
  'it has no context'
);
select throws_ok(
  $$select public.update_conversation_metadata('c0000000-0000-4000-8000-0000000000a1', '{"x": 1}')$$,
  'PT404', 'conversation not found',
  'its metadata cannot change'
);
select throws_ok(
  $$select public.fork_conversation('c0000000-0000-4000-8000-0000000000a1', 1)$$,
  'PT404', 'conversation not found',
  'it cannot be forked'
);
select throws_ok(
  $$select public.start_conversation(p_id => 'c0000000-0000-4000-8000-0000000000a1')$$,
  '23505', 'conversation already exists',
  'its id stays taken until it is purged'
);

-- ---------------------------------------------------------------- as service_role
select tests.authenticate_as_role('service_role');
select throws_ok(
  $$select public.append_messages('c0000000-0000-4000-8000-0000000000a1', '[{"role": "user", "content": "agent"}]')$$,
  'PT404', 'conversation not found',
  'the service role does not reach it either'
);

-- Purging in batches: three expired conversations, one of 130 messages; one live one.
reset role;
insert into public.conversations (id, user_id, retention_seconds, updated_at) values
  ('c0000000-0000-4000-8000-0000000000b1', '00000000-0000-4000-8000-0000000000b1', 60, now() - interval '10 minutes'),
  ('c0000000-0000-4000-8000-0000000000b2', '00000000-0000-4000-8000-0000000000b1', 60, now() - interval '9 minutes'),
  ('c0000000-0000-4000-8000-0000000000b3', '00000000-0000-4000-8000-0000000000b1', 3600, now());
insert into public.conversation_messages (conversation_id, user_id, sequence_order, role, content, token_count)
select 'c0000000-0000-4000-8000-0000000000b1', '00000000-0000-4000-8000-0000000000b1', n, 'user', 'm' || n, 5
from generate_series(1, 130) as n;
update public.conversations set last_sequence = 130 where id = 'c0000000-0000-4000-8000-0000000000b1';
alter table public.conversations disable trigger conversations_touch_updated_at;
update public.conversations set updated_at = now() - interval '10 minutes' where id = 'c0000000-0000-4000-8000-0000000000b1';
alter table public.conversations enable trigger conversations_touch_updated_at;
set local role service_role;

select is(public.purge_expired_conversations(1), 1,
  'the purge takes the conversation that expired first (Alice''s)');
select is(public.purge_expired_conversations(1), 0,
  'a batch of one conversation takes at most 50 messages: the next one is not finished yet');
select is(
  (select count(*)::int from public.conversation_messages where conversation_id = 'c0000000-0000-4000-8000-0000000000b1'),
  80,
  'its 50 newest messages are gone'
);
select is(
  (select max(sequence_order) from public.conversation_messages where conversation_id = 'c0000000-0000-4000-8000-0000000000b1'),
  80,
  'newest first, so the next call continues below'
);
select is(public.purge_expired_conversations(3), 2,
  'the next call finishes it and the other expired one');
select is(
  (select array_agg(id order by id) from public.conversations where user_id = '00000000-0000-4000-8000-0000000000b1'),
  array['c0000000-0000-4000-8000-0000000000b3'::uuid],
  'only the live conversation is left'
);
select throws_ok(
  $$select public.purge_expired_conversations(0)$$,
  '22023', 'p_batch_size must be between 1 and 100000',
  'a batch holds at least one conversation'
);

-- ---------------------------------------------------------------- pg_cron, where it is installed (as the database owner)
reset role;
select case
  when exists (select from pg_extension where extname = 'pg_cron')
  then results_eq(
    $$select schedule, command, active from cron.job where jobname = 'purge-expired-conversations'$$,
    $$values ('* * * * *', 'select public.purge_expired_conversations()', true)$$,
    'pg_cron runs the purge every minute'
  )
  else skip('pg_cron is not installed on this database', 1)
end;

select * from finish();
rollback;
