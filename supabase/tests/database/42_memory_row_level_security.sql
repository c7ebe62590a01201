-- User memory under Row Level Security: a user reads and writes only their own entries, anon
-- reaches nothing, the table is written only through public.write_memory, and the service role
-- manages any user's memory by naming the user.
begin;
select plan(12);

insert into auth.users (id) values
  ('00000000-0000-4000-8000-0000000000a1'),  -- Alice
  ('00000000-0000-4000-8000-0000000000b1');  -- Bob
insert into public.conversations (id, user_id) values
  ('c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1'),
  ('c0000000-0000-4000-8000-0000000000b1', '00000000-0000-4000-8000-0000000000b1');

-- Alice, acting
set local role authenticated;
set local request.jwt.claims to '{"sub": "00000000-0000-4000-8000-0000000000a1", "role": "authenticated"}';
select is(
  (public.write_memory('name', 'Alice', null, 'c0000000-0000-4000-8000-0000000000a1') ->> 'value'),
  'Alice',
  'a user creates an entry from their own conversation'
);
select is(
  tests.error_of($$select public.write_memory('city', 'Lyon', null, 'c0000000-0000-4000-8000-0000000000b1')$$),
  'PT404',
  'a user cannot write memory from another user''s conversation'
);
select is(
  tests.error_of($$insert into public.memory_entries (user_id, key, value, version, token_count)
                   values ('00000000-0000-4000-8000-0000000000a1', 'x', 'y', 1, 1)$$),
  '42501',
  'a user cannot insert into the table directly'
);
select is(
  tests.error_of($$update public.memory_entries set value = 'Mallory'$$),
  '42501',
  'a user cannot update the table directly'
);
select is(
  tests.error_of($$select public.write_memory('name', 'Mallory', null, null, null, '00000000-0000-4000-8000-0000000000b1')$$),
  '42501',
  'a user cannot write another user''s memory by naming them'
);

-- Bob, acting
set local request.jwt.claims to '{"sub": "00000000-0000-4000-8000-0000000000b1", "role": "authenticated"}';
select is((select count(*) from public.memory_entries)::integer, 0, 'another user sees none of Alice''s entries');
select is((public.get_memory() -> 'entries')::text, '[]', 'and get_memory shows Bob only his own (none)');
select is(
  (public.write_memory('name', 'Bob', null) ->> 'version') is not null,
  true,
  'a key Alice uses is Bob''s to use too: each user has their own keys'
);

-- anon, acting
reset role;
set local role anon;
select is(tests.error_of($$select public.get_memory()$$), '42501', 'anon may not read memory');
select is(tests.error_of($$select public.write_memory('k', 'v')$$), '42501', 'anon may not write memory');

-- the service role, acting
reset role;
set local role service_role;
set local request.jwt.claims to '{"role": "service_role"}';
select is(
  public.write_memory('name', 'Alice B.', (select version from public.memory_entries
                                           where user_id = '00000000-0000-4000-8000-0000000000a1'),
                      null, null, '00000000-0000-4000-8000-0000000000a1') ->> 'value',
  'Alice B.',
  'the service role replaces a user''s entry by naming the user'
);
select is(
  tests.error_of($$select public.get_memory()$$),
  '22023',
  'the service role must name the user whose memory it reads'
);

select * from finish();
rollback;
