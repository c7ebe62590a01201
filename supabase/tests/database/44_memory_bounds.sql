-- Memory is bounded in the database: key and value shapes, at most memory_max_entries() entries
-- and memory_max_tokens() tokens per user, and a token count from a client is never trusted.
begin;
select plan(9);

insert into auth.users (id) values
  ('00000000-0000-4000-8000-0000000000a1'),  -- Alice
  ('00000000-0000-4000-8000-0000000000b1');  -- Bob

-- Alice, acting
set local role authenticated;
set local request.jwt.claims to '{"sub": "00000000-0000-4000-8000-0000000000a1", "role": "authenticated"}';
select is(tests.error_of($$select public.write_memory('', 'v')$$), '22023', 'an empty key is refused');
select is(tests.error_of($$select public.write_memory(repeat('k', 101), 'v')$$), '22023', 'a key over 100 characters is refused');
select is(tests.error_of($$select public.write_memory(E'a\nb', 'v')$$), '22023', 'a key with a control character is refused');
select is(tests.error_of($$select public.write_memory('k', '')$$), '22023', 'an empty value is refused (null deletes)');
select is(tests.error_of($$select public.write_memory('k', repeat('v', 4001))$$), '22023', 'a value over 4000 characters is refused');

-- Alice through the Data API (supabase.rpc): a session that is not the tables' owner
reset role;
set local session authorization authenticator;
set local role authenticated;
select is(
  (public.write_memory('k', 'short', null, null, 1) ->> 'token_count')::integer,
  11,
  'a client''s own token count is ignored: the byte-based bound (3 + 8 bytes) is stored'
);

select lives_ok(
  $$select public.write_memory('entry ' || n, 'v', null) from generate_series(2, conversation_store.memory_max_entries()) n$$,
  'a user fills memory up to the most entries'
);
select is(
  tests.error_of($$select public.write_memory('one too many', 'v', null)$$),
  format('PT422 memory_full {"max_entries" : %s, "max_tokens" : %s, "used_tokens" : %s, "entry_tokens" : %s}',
         conversation_store.memory_max_entries(), conversation_store.memory_max_tokens(),
         (select sum(token_count) from public.memory_entries),
         18),
  'one entry more is refused as memory_full'
);

-- Bob, acting: the token bound, with few entries
set local request.jwt.claims to '{"sub": "00000000-0000-4000-8000-0000000000b1", "role": "authenticated"}';
reset role;
reset session authorization;
set local role authenticated;
select is(
  tests.error_of($$select public.write_memory('a', repeat('x', 1000), null), public.write_memory('b', repeat('y', 1000), null)$$),
  format('PT422 memory_full {"max_entries" : %s, "max_tokens" : %s, "used_tokens" : %s, "entry_tokens" : %s}',
         conversation_store.memory_max_entries(), conversation_store.memory_max_tokens(),
         1006, 1006),
  'entries passing the token bound together are refused as memory_full'
);

select * from finish();
rollback;
