-- Import writes a conversation once (ids from the owner and the source's key), continues one in
-- order, forks branches, and leaves labels of an existing conversation alone; export pages split a
-- conversation where a page ends and continue it.
begin;
select plan(18);

insert into auth.users (id) values
  ('00000000-0000-4000-8000-0000000000a1'),  -- Alice
  ('00000000-0000-4000-8000-0000000000b1');  -- Bob

-- ---------------------------------------------------------------- as Alice (authenticated)
set local role authenticated;
set local request.jwt.claims to '{"sub": "00000000-0000-4000-8000-0000000000a1", "role": "authenticated"}';

select is(
  public.import_conversation('src:1', '{"title": "Imported", "tags": ["Old"], "ratings": [{"sequence_order": 2, "rating": "up"}]}',
    '[{"role": "user", "content": "one", "client_message_id": "m1"}, {"role": "assistant", "content": "two", "client_message_id": "m2"}]')::jsonb - 'id',
  '{"created": true, "appended": 2}'::jsonb, 'an import creates the conversation with its messages');
select is((select title || ' ' || tags::text || ' ' || last_sequence from public.conversations
           where id = conversation_store.import_id('00000000-0000-4000-8000-0000000000a1', 'src:1')),
  'Imported {old} 2', 'with its labels');
select is((select rating from public.message_ratings), 'up', 'and its ratings');
update public.conversations set title = 'Renamed' where id = conversation_store.import_id('00000000-0000-4000-8000-0000000000a1', 'src:1');
select is(
  public.import_conversation('src:1', '{"title": "Imported"}',
    '[{"role": "user", "content": "one", "client_message_id": "m1"}, {"role": "assistant", "content": "two", "client_message_id": "m2"}]')::jsonb - 'id',
  '{"created": false, "appended": 0}'::jsonb, 'importing it again appends nothing');
select is((select title from public.conversations where id = conversation_store.import_id('00000000-0000-4000-8000-0000000000a1', 'src:1')),
  'Renamed', 'and leaves the labels the user changed');
select is(
  public.import_conversation('src:1', '{}', '[{"role": "user", "content": "three", "client_message_id": "m3"}]', 3)::jsonb - 'id',
  '{"created": false, "appended": 1}'::jsonb, 'a later page of it continues after its last message');
select is(tests.error_of($$select public.import_conversation('src:1', '{}', '[{"role": "user", "content": "five"}]', 5)$$),
  'PT409 sequence_conflict {"last_sequence" : 3}', 'a page after a missing one is refused');
select is(
  public.import_conversation('src:1:branch', '{}', '[{"role": "assistant", "content": "two, again", "client_message_id": "m2b"}]',
                             2, 'src:1', 1)::jsonb - 'id',
  '{"created": true, "appended": 1}'::jsonb, 'a branch is a fork of its conversation');
select is(
  (select forked_from_conversation_id = conversation_store.import_id('00000000-0000-4000-8000-0000000000a1', 'src:1')
          and last_sequence = 2
   from public.conversations where id = conversation_store.import_id('00000000-0000-4000-8000-0000000000a1', 'src:1:branch')),
  true, 'copying the shared messages and adding its own');
select is(tests.error_of($$select public.import_conversation('', '{}', '[]')$$), '22023', 'a key is required');
select is(tests.error_of($$select public.import_conversation('big', '{}',
            (select jsonb_agg(jsonb_build_object('role', 'user', 'content', 'x')) from generate_series(1, 10001)))$$),
  '22023', 'more than 10,000 messages in one call are refused, through rpc as over HTTP');
select is(tests.error_of($$select public.import_conversation('x', '[]', '[]')$$), '22023', 'the conversation is an object');
select is(tests.error_of($$select public.import_conversation('y', '{}', '[{"role": "user", "content": null}]')$$) like '23514%',
  true, 'messages meet the store''s rules');

-- The branch was made second; in one transaction both have the same created_at, so say so.
reset role;
update public.conversations set created_at = created_at + interval '1 second'
where id = conversation_store.import_id('00000000-0000-4000-8000-0000000000a1', 'src:1:branch');
set local role authenticated;
select is(json_array_length(public.export_conversations() -> 'conversations'), 2, 'Alice exports her two conversations');
select is(
  (select json_agg(json_build_array(e -> 'first_sequence', json_array_length(e -> 'messages'), e -> 'complete'))::text
   from json_array_elements(public.export_conversations(null, 2) -> 'conversations') as e),
  '[[1, 2, false]]', 'a page ends where its messages do, mid-conversation if it must');
select is(
  (select json_agg(json_build_array(e -> 'first_sequence', json_array_length(e -> 'messages'), e -> 'complete'))::text
   from json_array_elements(public.export_conversations((public.export_conversations(null, 2) -> 'next_cursor')::jsonb, 2) -> 'conversations') as e),
  '[[3, 1, true], [1, 1, false]]', 'and the next page continues it');

-- ---------------------------------------------------------------- as Bob (authenticated)
set local request.jwt.claims to '{"sub": "00000000-0000-4000-8000-0000000000b1", "role": "authenticated"}';
select is(json_array_length(public.export_conversations() -> 'conversations'), 0, 'Bob exports none of Alice''s');
select is(tests.error_of($$select public.import_conversation('src:1:other', '{}', '[{"role": "user", "content": "x"}]', 2, 'src:1', 1)$$),
  'PT404', 'Bob cannot fork Alice''s imported conversation by its key');

select * from finish();
rollback;
