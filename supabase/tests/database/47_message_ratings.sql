-- Ratings: only the caller's finished assistant messages, one per user and message, replaced or
-- removed, read by their owner, and gone with the message.
begin;
select plan(16);

insert into auth.users (id) values
  ('00000000-0000-4000-8000-0000000000a1'),  -- Alice
  ('00000000-0000-4000-8000-0000000000b1');  -- Bob
insert into public.conversations (id, user_id, last_sequence) values
  ('c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1', 3);
insert into public.conversation_messages (conversation_id, user_id, sequence_order, role, content, status, token_count) values
  ('c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1', 1, 'user', 'Hi', 'completed', 4),
  ('c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1', 2, 'assistant', 'Hello', 'completed', 4),
  ('c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1', 3, 'assistant', 'Still', 'in_progress', 4);

-- ---------------------------------------------------------------- as Bob (authenticated)
set local role authenticated;
set local request.jwt.claims to '{"sub": "00000000-0000-4000-8000-0000000000b1", "role": "authenticated"}';
select is(tests.error_of($$select public.rate_message('c0000000-0000-4000-8000-0000000000a1', 2, 'down')$$),
  'PT404', 'Bob cannot rate Alice''s reply');

-- ---------------------------------------------------------------- as Alice (authenticated)
set local request.jwt.claims to '{"sub": "00000000-0000-4000-8000-0000000000a1", "role": "authenticated"}';
select is(public.rate_message('c0000000-0000-4000-8000-0000000000a1', 2, 'up', 'accurate', 'Nice') ->> 'rating',
  'up', 'Alice rates her assistant reply up');
select is((select count(*)::integer from public.message_ratings), 1, 'she reads her rating');
select is(public.rate_message('c0000000-0000-4000-8000-0000000000a1', 2, 'down', 'wrong_facts')::jsonb - 'created_at' - 'updated_at' - 'message_id',
  '{"sequence_order": 2, "client_message_id": null, "rating": "down", "reason": "wrong_facts", "comment": null}'::jsonb,
  'a second rating replaces the first, its comment included');
select is((select count(*)::integer from public.message_ratings), 1, 'one rating per user and message');
select is(tests.error_of($$select public.rate_message('c0000000-0000-4000-8000-0000000000a1', 1, 'up')$$),
  'PT422 message_not_rateable', 'a user message cannot be rated');
select is(tests.error_of($$select public.rate_message('c0000000-0000-4000-8000-0000000000a1', 3, 'up')$$),
  'PT422 message_not_rateable', 'a reply in progress cannot be rated');
select is(tests.error_of($$select public.rate_message('c0000000-0000-4000-8000-0000000000a1', 9, 'up')$$),
  'PT404', 'a message that does not exist cannot be rated');
select is(tests.error_of($$select public.rate_message('c0000000-0000-4000-8000-0000000000a1', 2, 'meh')$$),
  '22023', 'a rating is up, down or null');
select is(left(tests.error_of($$select public.rate_message('c0000000-0000-4000-8000-0000000000a1', 2, 'up', 'Not A Code')$$), 5),
  '23514', 'a reason is a short code');
select is(left(tests.error_of($$select public.rate_message('c0000000-0000-4000-8000-0000000000a1', 2, 'up', null, repeat('x', 2001))$$), 5),
  '23514', 'a comment is at most 2,000 characters');
select is(tests.error_of($$insert into public.message_ratings (conversation_id, sequence_order, user_id, rating)
                           values ('c0000000-0000-4000-8000-0000000000a1', 2, '00000000-0000-4000-8000-0000000000a1', 'up')$$),
  '42501', 'ratings are written only through rate_message');
select ok(public.rate_message('c0000000-0000-4000-8000-0000000000a1', 2, null) is null, 'a null rating removes it');
select is((select count(*)::integer from public.message_ratings), 0, 'and nothing is left');
select public.rate_message('c0000000-0000-4000-8000-0000000000a1', 2, 'up');
select is(tests.error_of($$select * from public.message_rating_evaluations$$), '42501',
  'users cannot read the evaluation view');

-- ---------------------------------------------------------------- as the owner of the tables
reset role;
delete from public.conversations where id = 'c0000000-0000-4000-8000-0000000000a1';
select is((select count(*)::integer from public.message_ratings), 0, 'ratings go with their messages');

select * from finish();
rollback;
