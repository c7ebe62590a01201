-- Parts and metadata under a hostile user (issue 26): bucket ids, source URLs, JSON depth, file
-- parts per message, the token floor per part and append_messages' size cap hold for a user who
-- calls the SQL functions directly (as supabase.rpc() does) or writes metadata with an update.
begin;
select plan(21);

insert into auth.users (id) values
  ('00000000-0000-4000-8000-0000000000a1'),  -- Alice
  ('00000000-0000-4000-8000-0000000000b1');  -- Bob
insert into public.conversations (id, user_id, expires_at) values
  ('c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1', null);

-- ---------------------------------------------------------------- the part rule itself
select is(conversation_store.part_problem('{"type": "file", "media_type": "image/png", "storage": {"bucket": "conversation-files", "path": "a/x"}}'),
  null, 'a bucket id of lowercase letters, digits, _ and - is a bucket');
select is(conversation_store.part_problem('{"type": "source", "source_type": "url", "source_id": "s", "url": "javascript:alert(1)"}'),
  'has a url that is not http: or https:', 'a javascript: source is refused, naming the rule');
select is(conversation_store.part_problem('{"type": "source", "source_type": "url", "source_id": "s", "url": "data:text/html,x"}'),
  'has a url that is not http: or https:', 'a data: source is refused');
select is(conversation_store.part_problem('{"type": "source", "source_type": "url", "source_id": "s", "url": "https://example.com/a"}'),
  null, 'an https: source is a source');
select is(conversation_store.part_problem('{"type": "text", "text": "a", "__proto__": {"admin": true}}'),
  'has an unknown field', 'a __proto__ key is an unknown field');

-- ---------------------------------------------------------------- as Alice
set local role authenticated;
set local request.jwt.claims to '{"sub": "00000000-0000-4000-8000-0000000000a1", "role": "authenticated"}';

-- A user message of one part, through append_messages.
create function pg_temp.append_part(p_part jsonb) returns text language sql as $$
  select tests.error_of(format(
    'select public.append_messages(%L, %L::jsonb)',
    'c0000000-0000-4000-8000-0000000000a1',
    jsonb_build_array(jsonb_build_object('role', 'user', 'parts', jsonb_build_array(p_part)))))
$$;
create function pg_temp.nested(p_depth integer) returns jsonb language sql as $$
  select (repeat('[', p_depth) || repeat(']', p_depth))::jsonb
$$;

select is(pg_temp.append_part('{"type": "file", "media_type": "image/png", "storage": {"bucket": "conversation-files/00000000-0000-4000-8000-0000000000b1/secret.png", "path": "00000000-0000-4000-8000-0000000000a1/x"}}'),
  '22023', 'a bucket id with "/" that names another user''s folder is refused');
select is(pg_temp.append_part('{"type": "file", "media_type": "image/png", "storage": {"bucket": "..", "path": "00000000-0000-4000-8000-0000000000a1/x"}}'),
  '22023', 'a bucket id ".." is refused');
select is(pg_temp.append_part('{"type": "file", "media_type": "image/png", "storage": {"bucket": "../../bucket/conversation-files", "path": "00000000-0000-4000-8000-0000000000a1/x"}}'),
  '22023', 'a bucket id that climbs out is refused');
select is(pg_temp.append_part('{"type": "file", "media_type": "image/png", "storage": {"bucket": "Conversation-Files", "path": "00000000-0000-4000-8000-0000000000a1/x"}}'),
  '22023', 'a bucket id with capitals is refused');
select is(pg_temp.append_part(jsonb_build_object('type', 'data', 'name', 'deep', 'data', pg_temp.nested(32))),
  'no error', 'data nested 32 deep is stored');
select is(pg_temp.append_part(jsonb_build_object('type', 'data', 'name', 'deep', 'data', pg_temp.nested(33))),
  '22023', 'data nested 33 deep is refused through the RPC, as over HTTP');
select is(pg_temp.append_part(jsonb_build_object('type', 'data', 'name', 'deep', 'data', pg_temp.nested(5000))),
  '22023', 'data nested 5,000 deep is refused');
select is(
  left(tests.error_of(format($$update public.conversations set metadata = %L where id = 'c0000000-0000-4000-8000-0000000000a1'$$,
    jsonb_build_object('a', pg_temp.nested(8000)))), 5),
  '23514', 'the owner cannot store metadata 8,000 deep with a direct update');
select is(
  left(tests.error_of(format($$select public.append_messages('c0000000-0000-4000-8000-0000000000a1', %L::jsonb)$$,
    jsonb_build_array(jsonb_build_object('role', 'user', 'content', 'hi', 'metadata', jsonb_build_object('a', pg_temp.nested(40)))))), 5),
  '23514', 'a message''s metadata 41 deep is refused');
select is(
  tests.error_of(format($$select public.append_messages('c0000000-0000-4000-8000-0000000000a1', %L::jsonb)$$,
    jsonb_build_array(jsonb_build_object('role', 'user', 'parts',
      (select jsonb_agg(jsonb_build_object('type', 'file', 'media_type', 'image/png', 'url', 'https://example.com/' || n))
       from generate_series(1, 101) as n))))),
  '22023', '101 file parts in one message are refused');
select throws_ok(
  format($$select public.append_messages('c0000000-0000-4000-8000-0000000000a1', %L::jsonb)$$,
    jsonb_build_array(jsonb_build_object('role', 'user', 'parts',
      (select jsonb_agg(jsonb_build_object('type', 'file', 'media_type', 'image/png', 'url', 'https://example.com/' || n))
       from generate_series(1, 101) as n)))),
  '22023', 'a message holds at most 100 file parts', 'and the error names the limit');
select is(
  tests.error_of(format($$select public.append_messages('c0000000-0000-4000-8000-0000000000a1', %L::jsonb)$$,
    jsonb_build_array(jsonb_build_object('role', 'user', 'content', repeat('x', 1048576))))),
  '54000 payload_too_large', 'a batch larger than the HTTP body cap is refused before any other work');
select is(
  tests.error_of(format($$select public.append_messages('c0000000-0000-4000-8000-0000000000a1', %L::jsonb)$$,
    (select jsonb_agg(jsonb_build_object('role', 'user', 'parts',
       (select jsonb_agg('{"type": "step-start"}'::jsonb) from generate_series(1, 600))))
     from generate_series(1, 2)))),
  '54000 payload_too_large', 'a batch of more than 1,000 parts in all is refused');
select is(
  (select m.token_count from public.append_messages('c0000000-0000-4000-8000-0000000000a1', jsonb_build_array(
     jsonb_build_object('role', 'user', 'parts',
       '[{"type": "text", "text": ""}]'::jsonb
       || (select jsonb_agg(jsonb_build_object('type', 'data', 'name', 'd', 'data', n)) from generate_series(1, 999) as n))))
   as m),
  3 + 1000, 'every part costs at least a token: an empty text and 999 data parts count 1,000 over the framing');

-- ---------------------------------------------------------------- as Bob
set local request.jwt.claims to '{"sub": "00000000-0000-4000-8000-0000000000b1", "role": "authenticated"}';
select is(tests.error_of($$select conversation_store.claim_regeneration('c0000000-0000-4000-8000-0000000000a1')$$),
  'PT404', 'Bob cannot claim a regeneration of Alice''s conversation');

-- ---------------------------------------------------------------- the upgrade path
reset role;
select is(
  (select count(*)::int from pg_constraint where conname in ('conversations_metadata_max_depth',
     'conversation_messages_metadata_max_depth', 'conversation_messages_parts_max_depth') and not convalidated),
  3, 'the depth constraints check new and changed rows, not rows stored before the upgrade');

select * from finish();
rollback;
