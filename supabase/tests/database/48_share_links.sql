-- Share links: a token reads only its conversation, only through the shared message, without the
-- owner's identity; revoked, expired, unknown, malformed tokens and gone conversations are alike.
begin;
select plan(22);

insert into auth.users (id) values
  ('00000000-0000-4000-8000-0000000000a1'),  -- Alice
  ('00000000-0000-4000-8000-0000000000b1');  -- Bob
insert into public.conversations (id, user_id, metadata) values
  ('c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1', '{"email": "alice@example.com"}'),
  ('c0000000-0000-4000-8000-0000000000a2', '00000000-0000-4000-8000-0000000000a1', '{}'),
  ('c0000000-0000-4000-8000-0000000000a3', '00000000-0000-4000-8000-0000000000a1', '{}');
create temporary table links (name text primary key, token text) on commit drop;
grant all on links to authenticated, anon;

-- ---------------------------------------------------------------- as Alice (authenticated)
set local role authenticated;
set local request.jwt.claims to '{"sub": "00000000-0000-4000-8000-0000000000a1", "role": "authenticated"}';
update public.conversations set title = 'Trip plans' where id = 'c0000000-0000-4000-8000-0000000000a1';
select public.append_messages('c0000000-0000-4000-8000-0000000000a1', '[
  {"role": "system", "content": "You are the travel agent of alice@example.com."},
  {"role": "user", "content": "Plan Lisbon"},
  {"role": "assistant", "parts": [{"type": "reasoning", "text": "Think of trams"}, {"type": "text", "text": "Take tram 28."}],
   "metadata": {"model": "m1", "user": "alice"}}
]');

select is(tests.error_of($$select public.share_conversation('c0000000-0000-4000-8000-0000000000a2')$$),
  'PT422 conversation_empty', 'an empty conversation has nothing to share');
insert into links select 'plain', public.share_conversation('c0000000-0000-4000-8000-0000000000a1') ->> 'token';
insert into links select 'reasoning', public.share_conversation('c0000000-0000-4000-8000-0000000000a1', 3600, true) ->> 'token';
select ok((select bool_and(token ~ '^[A-Za-z0-9_-]{43}$') from links), 'a token is 43 base64url characters (256 bits, 244 of them random)');
select is((select count(*)::integer from public.conversation_shares s join links l on s.token_hash = sha256(convert_to(l.token, 'UTF8'))),
  2, 'only the sha256 of each token is stored');
select is((select count(*)::integer from public.conversation_shares s join links l on position(convert_to(l.token, 'UTF8') in s.token_hash) > 0),
  0, 'and never the token itself');
select public.append_messages('c0000000-0000-4000-8000-0000000000a1', '[{"role": "user", "content": "A later secret"}]');
select public.append_messages('c0000000-0000-4000-8000-0000000000a3', '[{"role": "user", "content": "Hi"},
  {"role": "assistant", "content": "Hel", "status": "in_progress"}]');
insert into links select 'streaming', public.share_conversation('c0000000-0000-4000-8000-0000000000a3') ->> 'token';
insert into links select 'revoked', public.share_conversation('c0000000-0000-4000-8000-0000000000a3') ->> 'token';

-- ---------------------------------------------------------------- as Bob (authenticated)
set local request.jwt.claims to '{"sub": "00000000-0000-4000-8000-0000000000b1", "role": "authenticated"}';
select is(tests.error_of($$select public.share_conversation('c0000000-0000-4000-8000-0000000000a1')$$),
  'PT404', 'Bob cannot share Alice''s conversation');
select is(tests.error_of($$select public.revoke_conversation_share((select token from links where name = 'plain'))$$),
  'PT404', 'Bob cannot revoke Alice''s link');
select is((select count(*)::integer from public.conversation_shares), 0, 'Bob reads none of Alice''s links');

-- ---------------------------------------------------------------- as anyone (anon)
set local role anon;
set local request.jwt.claims to '{"role": "anon"}';
select is(
  (select json_agg(m ->> 'role') from json_array_elements(
     public.get_shared_conversation((select token from links where name = 'plain')) -> 'messages') as m)::text,
  '["user", "assistant"]', 'a reader sees the messages through the shared one, without the system prompt');
select is(
  (public.get_shared_conversation((select token from links where name = 'plain')) -> 'messages' -> 1 -> 'parts')::jsonb,
  '[{"text": "Take tram 28.", "type": "text"}]'::jsonb,
  'reasoning is left out unless the owner included it, and so is message metadata');
select ok(
  (public.get_shared_conversation((select token from links where name = 'plain')) -> 'messages' -> 1 -> 'metadata') is null,
  'no message metadata');
select is(
  (select count(*)::integer from json_array_elements(
     public.get_shared_conversation((select token from links where name = 'reasoning')) -> 'messages' -> 1 -> 'parts') as p
   where p ->> 'type' = 'reasoning'),
  1, 'a link with reasoning shows it');
select ok(
  public.get_shared_conversation((select token from links where name = 'plain'))::text !~ '00000000-0000-4000-8000-0000000000a1|alice|secret',
  'nothing names the owner, and nothing after the shared message shows');
select is(public.get_shared_conversation((select token from links where name = 'plain')) -> 'conversation' ->> 'title',
  'Trip plans', 'the title is shared');
select is(
  (public.get_shared_conversation((select token from links where name = 'plain'), 0, 1) ->> 'next_cursor')::integer,
  1, 'pages continue through next_cursor, after the rows they read (the system prompt included)');
select is(
  public.get_shared_conversation((select token from links where name = 'streaming')) -> 'conversation' ->> 'through_sequence',
  '1', 'a reply in progress is not shared');
select is(tests.error_of($$select public.get_shared_conversation('not-a-token')$$), 'PT404', 'a malformed token is not found');
select is(tests.error_of($$select public.get_shared_conversation(repeat('A', 43))$$), 'PT404', 'an unknown token is not found');
select is(tests.error_of($$select public.share_conversation('c0000000-0000-4000-8000-0000000000a1')$$), '42501',
  'anon cannot share');

-- ---------------------------------------------------------------- as Alice again
set local role authenticated;
set local request.jwt.claims to '{"sub": "00000000-0000-4000-8000-0000000000a1", "role": "authenticated"}';
select public.revoke_conversation_share((select token from links where name = 'revoked'));
select public.delete_conversation('c0000000-0000-4000-8000-0000000000a1');
set local role anon;
set local request.jwt.claims to '{"role": "anon"}';
select is(tests.error_of($$select public.get_shared_conversation((select token from links where name = 'revoked'))$$),
  'PT404', 'a revoked link is not found');
select is(tests.error_of($$select public.get_shared_conversation((select token from links where name = 'plain'))$$),
  'PT404', 'a deleted conversation''s link is not found');

-- ---------------------------------------------------------------- as the owner of the tables
reset role;
update public.conversation_shares set expires_at = now() - interval '1 second'
where conversation_id = 'c0000000-0000-4000-8000-0000000000a3';
set local role anon;
select is(tests.error_of($$select public.get_shared_conversation((select token from links where name = 'streaming'))$$),
  'PT404', 'an expired link is not found');
reset role;
delete from public.conversations where id in ('c0000000-0000-4000-8000-0000000000a1', 'c0000000-0000-4000-8000-0000000000a3');
select is((select count(*)::integer from public.conversation_shares), 0, 'a conversation''s links go with it');

select * from finish();
rollback;
