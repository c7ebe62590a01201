-- Bad input at the SQL level: each case raises its documented error and writes nothing.
begin;
select plan(19);

insert into auth.users (id) values ('00000000-0000-4000-8000-0000000000a1');  -- Alice
insert into public.conversations (id, user_id) values
  ('c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1');

-- ---------------------------------------------------------------- as Alice (authenticated)
select tests.authenticate_as('00000000-0000-4000-8000-0000000000a1');

select throws_ok(
  $$select public.append_messages('c0000000-0000-4000-8000-0000000000a1', '[{"role": "user", "content": "a\u0000b"}]')$$,
  '22P05', 'unsupported Unicode escape sequence',
  'a NUL character in content is refused'
);
select throws_ok(
  $$select public.append_messages('c0000000-0000-4000-8000-0000000000a1', '[{"role": "wizard", "content": "x"}]')$$,
  '23514',
  'new row for relation "conversation_messages" violates check constraint "conversation_messages_role_known"',
  'an unknown role is refused'
);
select throws_ok(
  $$select public.append_messages('c0000000-0000-4000-8000-0000000000a1', '[{"role": "user", "content": "\ud800"}]')$$,
  '22P02', 'invalid input syntax for type json',
  'a lone surrogate in jsonb is refused'
);
select throws_ok(
  format($$select public.append_messages('c0000000-0000-4000-8000-0000000000a1', %L)$$,
    jsonb_build_array(jsonb_build_object('role', 'user', 'content', repeat('x', 100001)))),
  '23514',
  'new row for relation "conversation_messages" violates check constraint "conversation_messages_content_max_size"',
  'content over 100000 characters is refused'
);
select throws_ok(
  $$select public.append_messages('c0000000-0000-4000-8000-0000000000a1', '[]')$$,
  '22023', 'p_messages must hold 1 to 100 messages, not 0',
  'an empty batch is refused'
);
select throws_ok(
  format($$select public.append_messages('c0000000-0000-4000-8000-0000000000a1', %L)$$,
    (select jsonb_agg(jsonb_build_object('role', 'user', 'content', 'm' || n)) from generate_series(1, 101) n)),
  '22023', 'p_messages must hold 1 to 100 messages, not 101',
  'a batch of 101 messages is refused'
);
select throws_ok(
  $$select public.append_messages('c0000000-0000-4000-8000-0000000000a1', '{"role": "user", "content": "x"}')$$,
  '22023', 'p_messages must be a JSON array',
  'a single object instead of an array is refused'
);
select throws_ok(
  $$select public.append_messages('c0000000-0000-4000-8000-0000000000a1', '[{"role": "user", "content": 42}]')$$,
  '22023', 'message 1 has a content that is not a string',
  'a number as content is refused, not turned into text'
);
select throws_ok(
  $$select public.append_messages('c0000000-0000-4000-8000-0000000000a1',
    '[{"role": "user", "content": "x"}, {"role": "user", "content": "y", "sequence_order": 1}]')$$,
  '22023', 'message 2 has an unknown field',
  'a message cannot choose its own sequence number or any other unknown field'
);
select throws_ok(
  $$select public.append_messages('c0000000-0000-4000-8000-0000000000a1', '["hello"]')$$,
  '22023', 'message 1 is not an object',
  'a message must be an object'
);
select throws_ok(
  $$select public.append_messages('c0000000-0000-4000-8000-0000000000a1', '[{"role": "user", "content": "x", "name": "bad name!"}]')$$,
  '23514',
  'new row for relation "conversation_messages" violates check constraint "conversation_messages_name_format"',
  'a name follows the OpenAI name format'
);
select throws_ok(
  format($$select public.start_conversation(p_metadata => %L)$$, jsonb_build_object('blob', repeat('x', 70000))),
  '23514', 'new row for relation "conversations" violates check constraint "conversations_metadata_max_size"',
  'metadata over 64 KiB is refused on start'
);
select throws_ok(
  format($$select public.update_conversation_metadata('c0000000-0000-4000-8000-0000000000a1', %L)$$,
    jsonb_build_object('blob', repeat('x', 70000))),
  '23514', 'the metadata patch is larger than 64 KiB',
  'a metadata patch over 64 KiB is refused before it is merged'
);
select lives_ok(
  format($$select public.update_conversation_metadata('c0000000-0000-4000-8000-0000000000a1', %L)$$,
    jsonb_build_object('one', repeat('x', 40000))),
  'a 40 KB patch is merged'
);
select throws_ok(
  format($$select public.update_conversation_metadata('c0000000-0000-4000-8000-0000000000a1', %L)$$,
    jsonb_build_object('two', repeat('y', 40000))),
  '23514', 'new row for relation "conversations" violates check constraint "conversations_metadata_max_size"',
  'metadata that the patch makes larger than 64 KiB is refused on update'
);
select lives_ok(
  $$select public.update_conversation_metadata('c0000000-0000-4000-8000-0000000000a1', '{"one": null}')$$,
  'a null in the patch removes the key again'
);
select throws_ok(
  $$select public.update_conversation_metadata('c0000000-0000-4000-8000-0000000000a1', '"not an object"')$$,
  '22023', 'p_patch must be a JSON object',
  'a metadata patch must be an object'
);

reset role;
select is(
  (select count(*)::int from public.conversation_messages), 0, 'no bad input stored a message'
);
select is(
  (select row(last_sequence, metadata)::text from public.conversations where id = 'c0000000-0000-4000-8000-0000000000a1'),
  row(0, '{}'::jsonb)::text,
  'no bad input moved the counter or changed the metadata'
);

select * from finish();
rollback;
