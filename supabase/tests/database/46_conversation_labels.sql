-- Titles, pins, archive flags and tags: normalised and bounded by the table, set by the owner only,
-- a generated title never over the user's, searchable and filterable.
begin;
select plan(29);

insert into auth.users (id) values
  ('00000000-0000-4000-8000-0000000000a1'),  -- Alice
  ('00000000-0000-4000-8000-0000000000b1');  -- Bob
insert into public.conversations (id, user_id) values
  ('c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1'),
  ('c0000000-0000-4000-8000-0000000000a2', '00000000-0000-4000-8000-0000000000a1'),
  ('c0000000-0000-4000-8000-0000000000b1', '00000000-0000-4000-8000-0000000000b1');

select has_index('public', 'conversations', 'idx_conversations_user_list',
  array['user_id', 'archived', 'pinned', 'updated_at', 'id'],
  'idx_conversations_user_list holds the list''s filter and order');
select hasnt_index('public', 'conversations', 'idx_conversations_user_id',
  'the older list index is gone, so appends maintain one');

-- ---------------------------------------------------------------- as Alice (authenticated)
set local role authenticated;
set local request.jwt.claims to '{"sub": "00000000-0000-4000-8000-0000000000a1", "role": "authenticated"}';

update public.conversations
set title = E'  Trip\n to   Lisbon ', tags = array['Travel', ' travel', 'Work  Stuff', '', null]
where id = 'c0000000-0000-4000-8000-0000000000a1';
select is((select title from public.conversations where id = 'c0000000-0000-4000-8000-0000000000a1'),
  'Trip to Lisbon', 'a title is trimmed and its whitespace collapsed');
select is((select tags from public.conversations where id = 'c0000000-0000-4000-8000-0000000000a1'),
  array['travel', 'work stuff'], 'tags are lower-cased, collapsed, distinct and sorted; empty ones dropped');
select is((select title_source from public.conversations where id = 'c0000000-0000-4000-8000-0000000000a1'),
  'user', 'a title the owner writes is the user''s');
select is((select array_agg(tag order by tag) from public.conversation_tags
           where conversation_id = 'c0000000-0000-4000-8000-0000000000a1'),
  array['travel', 'work stuff'], 'conversation_tags holds a row per tag');
update public.conversations set pinned = true, tags = array['travel'] where id = 'c0000000-0000-4000-8000-0000000000a1';
select is((select array_agg(t.tag || ' ' || t.pinned || ' ' || (t.updated_at = c.updated_at)) from public.conversation_tags t
           join public.conversations c on c.id = t.conversation_id
           where t.conversation_id = 'c0000000-0000-4000-8000-0000000000a1'),
  array['travel true true'], 'a removed tag leaves conversation_tags, and the rest follow the pin and updated_at');
update public.conversations set pinned = false, tags = array['travel', 'work stuff'] where id = 'c0000000-0000-4000-8000-0000000000a1';
select is(tests.error_of($$insert into public.conversation_tags values
                           ('c0000000-0000-4000-8000-0000000000a1', 'forged', '00000000-0000-4000-8000-0000000000a1', false, true, now())$$),
  '42501', 'a client cannot write conversation_tags');

select is(left(tests.error_of($$update public.conversations set title = repeat('x', 201)
                           where id = 'c0000000-0000-4000-8000-0000000000a1'$$), 5),
  '23514', 'a title of 201 characters is refused');
select is(left(tests.error_of($$update public.conversations set title = 'a' || chr(7) || 'b'
                           where id = 'c0000000-0000-4000-8000-0000000000a1'$$), 5),
  '23514', 'a title with a control character is refused');
select is(left(tests.error_of($$update public.conversations
                           set tags = array['a','b','c','d','e','f','g','h','i','j','k']
                           where id = 'c0000000-0000-4000-8000-0000000000a1'$$), 5),
  '23514', 'eleven tags are refused');
select is(left(tests.error_of($$update public.conversations set tags = array[repeat('t', 33)]
                           where id = 'c0000000-0000-4000-8000-0000000000a1'$$), 5),
  '23514', 'a tag of 33 characters is refused');
select is(left(tests.error_of($$update public.conversations set tags = array['a,b']
                           where id = 'c0000000-0000-4000-8000-0000000000a1'$$), 5),
  '23514', 'a tag with a comma is refused');
select is(tests.error_of($$update public.conversations set title_source = 'generated'
                           where id = 'c0000000-0000-4000-8000-0000000000a1'$$),
  '42501', 'a client cannot claim its title was generated');

select is(conversation_store.set_generated_title('c0000000-0000-4000-8000-0000000000a1', 'Lisbon itinerary'),
  'Trip to Lisbon', 'a generated title does not replace the user''s, and the user''s is returned');
select is(conversation_store.set_generated_title('c0000000-0000-4000-8000-0000000000a2', ' Budget  plan '),
  'Budget plan', 'a conversation without a title takes the generated one');
select is((select title_source from public.conversations where id = 'c0000000-0000-4000-8000-0000000000a2'),
  'generated', 'and records it as generated');
select is(conversation_store.set_generated_title('c0000000-0000-4000-8000-0000000000a2', 'Another'),
  'Budget plan', 'a second generated title does not replace the first');
update public.conversations set title = 'My budget' where id = 'c0000000-0000-4000-8000-0000000000a2';
select is((select title_source from public.conversations where id = 'c0000000-0000-4000-8000-0000000000a2'),
  'user', 'the owner renaming a generated title makes it the user''s');
update public.conversations set title = null where id = 'c0000000-0000-4000-8000-0000000000a2';
select is((select title_source from public.conversations where id = 'c0000000-0000-4000-8000-0000000000a2'),
  null, 'clearing a title clears its source');
select is(conversation_store.set_generated_title('c0000000-0000-4000-8000-0000000000b1', 'Stolen'),
  null, 'a generated title cannot be written into another user''s conversation');

update public.conversations set pinned = true, archived = true where id = 'c0000000-0000-4000-8000-0000000000a1';
select is(
  (select (public.search_conversations('lisbon', p_archived => true) -> 'results' -> 0 -> 'conversation' ->> 'title')),
  'Trip to Lisbon', 'search matches a title, among archived conversations when asked for them');
select is(
  json_array_length(public.search_conversations('lisbon') -> 'results'),
  0, 'search leaves archived conversations out by default');
select is(
  json_array_length(public.search_conversations('lisbon', p_archived => true, p_tag => ' WORK   stuff') -> 'results'),
  1, 'a search tag is normalised as stored tags are');
select is(
  json_array_length(public.search_conversations('lisbon', p_archived => true, p_tag => 'home') -> 'results'),
  0, 'a search tag the conversation does not carry finds nothing');
select is(tests.error_of($$select public.search_conversations('lisbon', p_tag => '   ')$$),
  '22023', 'an empty search tag is refused');

-- ---------------------------------------------------------------- as Bob (authenticated)
set local request.jwt.claims to '{"sub": "00000000-0000-4000-8000-0000000000b1", "role": "authenticated"}';
update public.conversations set pinned = false, title = 'Mine now' where id = 'c0000000-0000-4000-8000-0000000000a1';
select is((select count(*)::integer from public.conversation_tags), 0, 'Bob reads none of Alice''s tags');
reset role;
select is((select pinned || ' ' || title from public.conversations where id = 'c0000000-0000-4000-8000-0000000000a1'),
  'true Trip to Lisbon', 'another user cannot pin or rename Alice''s conversation');
delete from public.conversations where id = 'c0000000-0000-4000-8000-0000000000a1';
select is((select count(*)::integer from public.conversation_tags), 0, 'a conversation''s tags go with it');

select * from finish();
rollback;
