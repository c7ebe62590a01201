-- The service role is a database role and a claim together: a session whose role is authenticated
-- gains nothing by writing "role": "service_role" into its JWT claims.
begin;
select plan(12);

insert into auth.users (id) values
  ('00000000-0000-4000-8000-0000000000a1'),  -- Alice
  ('00000000-0000-4000-8000-0000000000b1');  -- Bob
insert into public.conversations (id, user_id) values
  ('c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1');
insert into public.conversation_messages (conversation_id, user_id, sequence_order, role, content, status, token_count)
values ('c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1', 1, 'assistant', 'partial', 'in_progress', 10);
update public.conversations set last_sequence = 1;

-- ---------------------------------------------------------------- as Bob (authenticated) with a forged role claim
set local role authenticated;
set local request.jwt.claims to '{"sub": "00000000-0000-4000-8000-0000000000b1", "role": "service_role"}';

select is(conversation_store.caller_is_service_role(), false, 'a claim alone does not make the service role');
select throws_ok(
  $$select public.append_messages('c0000000-0000-4000-8000-0000000000a1', '[{"role": "user", "content": "forged"}]')$$,
  'PT404', 'conversation not found',
  'the forged claim does not append to Alice''s conversation'
);
select throws_ok(
  $$select public.start_conversation(p_user_id => '00000000-0000-4000-8000-0000000000a1')$$,
  '42501', 'p_user_id may only name the caller',
  'the forged claim does not start a conversation for Alice'
);
select throws_ok(
  $$select public.update_message('c0000000-0000-4000-8000-0000000000a1', 1, p_status => 'incomplete')$$,
  'PT404', 'conversation not found',
  'the forged claim does not stop Alice''s reply'
);
select throws_ok(
  $$select public.fork_conversation('c0000000-0000-4000-8000-0000000000a1', 1)$$,
  'PT404', 'conversation not found',
  'the forged claim does not fork Alice''s conversation'
);
select throws_ok(
  $$select public.set_conversation_summary('c0000000-0000-4000-8000-0000000000a1', 'forged', 1)$$,
  'PT404', 'conversation not found',
  'the forged claim does not write Alice''s summary'
);
select throws_ok(
  $$select public.delete_conversation('c0000000-0000-4000-8000-0000000000a1')$$,
  'PT404', 'conversation not found',
  'the forged claim does not delete Alice''s conversation'
);
select throws_ok(
  $$select public.delete_all_conversations('00000000-0000-4000-8000-0000000000a1')$$,
  '42501', 'p_user_id may only name the caller',
  'the forged claim does not erase Alice'
);

-- ---------------------------------------------------------------- as Bob (authenticated) with a forged claim and no user
set local request.jwt.claims to '{"role": "service_role"}';
select throws_ok(
  $$select public.append_messages('c0000000-0000-4000-8000-0000000000a1', '[{"role": "user", "content": "forged"}]')$$,
  '42501', 'not authenticated',
  'a session with the claim but not the role is not authenticated at all'
);

-- ---------------------------------------------------------------- as service_role (role and claim)
set local role service_role;
select is(conversation_store.caller_is_service_role(), true, 'the role and the claim together make the service role');
select is(
  (public.update_message('c0000000-0000-4000-8000-0000000000a1', 1, p_status => 'incomplete')).status,
  'incomplete',
  'the service role reaches Alice''s reply'
);

-- ---------------------------------------------------------------- the role alone, with a user's claims
set local request.jwt.claims to '{"sub": "00000000-0000-4000-8000-0000000000b1", "role": "authenticated"}';
select is(conversation_store.caller_is_service_role(), false, 'the database role alone is not the service role either');

select * from finish();
rollback;
