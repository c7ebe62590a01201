-- Conditional writes of memory: each write names the version it read; a stale one is refused with
-- the current version, every write gets a new version that never repeats, and value null deletes.
begin;
select plan(10);

insert into auth.users (id) values ('00000000-0000-4000-8000-0000000000a1');  -- Alice

-- Alice, acting
set local role authenticated;
set local request.jwt.claims to '{"sub": "00000000-0000-4000-8000-0000000000a1", "role": "authenticated"}';
create temporary table seen (label text primary key, version bigint) on commit drop;

insert into seen select 'first', (public.write_memory('diet', 'vegetarian', null) ->> 'version')::bigint;
select is(
  tests.error_of($$select public.write_memory('diet', 'vegan', null)$$),
  format('PT409 memory_conflict {"key" : "diet", "current_version" : %s}', (select version from seen where label = 'first')),
  'creating an entry that exists is refused with its current version'
);
insert into seen select 'second', (public.write_memory('diet', 'vegan', (select version from seen where label = 'first')) ->> 'version')::bigint;
select ok(
  (select version from seen where label = 'second') > (select version from seen where label = 'first'),
  'a write with the version read replaces the entry and gives it a new version'
);
select is(
  tests.error_of(format($$select public.write_memory('diet', 'omnivore', %s)$$, (select version from seen where label = 'first'))),
  format('PT409 memory_conflict {"key" : "diet", "current_version" : %s}', (select version from seen where label = 'second')),
  'a write with a stale version is refused, naming the current one'
);
select is((select value from public.memory_entries where key = 'diet'), 'vegan', 'and changes nothing');
select is(
  tests.error_of($$select public.write_memory('diet', null, null)$$),
  format('PT409 memory_conflict {"key" : "diet", "current_version" : %s}', (select version from seen where label = 'second')),
  'a delete without the version read is refused too'
);
select is(
  public.write_memory('diet', null, (select version from seen where label = 'second')) ->> 'version',
  null,
  'a delete with the version read removes the entry'
);
select is((select count(*) from public.memory_entries)::integer, 0, 'the entry is gone');
insert into seen select 'again', (public.write_memory('diet', 'pescatarian', null) ->> 'version')::bigint;
select ok(
  (select version from seen where label = 'again') > (select version from seen where label = 'second'),
  'an entry created again gets a version never used before'
);
select is(
  tests.error_of(format($$select public.write_memory('diet', 'keto', %s)$$, (select version from seen where label = 'second'))),
  format('PT409 memory_conflict {"key" : "diet", "current_version" : %s}', (select version from seen where label = 'again')),
  'so a writer who read the deleted entry cannot overwrite the new one'
);
select is(
  tests.error_of($$select public.write_memory('absent', null, 12345)$$),
  'PT409 memory_conflict {"key" : "absent", "current_version" : null}',
  'a version named for an entry that does not exist is stale'
);

select * from finish();
rollback;
