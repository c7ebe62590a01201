-- Metadata updates follow JSON merge patch (RFC 7396) and reach only the owner's conversations.
begin;
select plan(8);

insert into auth.users (id) values
  ('00000000-0000-4000-8000-0000000000a1'),  -- Alice
  ('00000000-0000-4000-8000-0000000000b1');  -- Bob
insert into public.conversations (id, user_id, metadata, updated_at) values
  ('c0000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a1',
   '{"video": {"step": "script", "draft": 1}, "keep": true, "drop": "me"}', now() - interval '1 hour');

select is(conversation_store.jsonb_merge_patch('{"a": 1}', '{"a": null}'), '{}'::jsonb, 'null removes a key');
select is(conversation_store.jsonb_merge_patch('{"a": [1, 2]}', '{"a": [3]}'), '{"a": [3]}'::jsonb, 'arrays are replaced, not merged');
select is(conversation_store.jsonb_merge_patch('{"a": "x"}', '{"a": {"b": null, "c": 1}}'), '{"a": {"c": 1}}'::jsonb,
  'an object replaces a scalar, without the nulls it carries');

-- ---------------------------------------------------------------- as Alice (authenticated)
select tests.authenticate_as('00000000-0000-4000-8000-0000000000a1');

select is(
  (select metadata from public.update_conversation_metadata('c0000000-0000-4000-8000-0000000000a1',
    '{"video": {"step": "render", "draft": null}, "drop": null, "new": 1}')),
  '{"video": {"step": "render"}, "keep": true, "new": 1}'::jsonb,
  'a patch merges nested objects, removes null keys and keeps the rest'
);
select is(
  (select updated_at from public.conversations where id = 'c0000000-0000-4000-8000-0000000000a1'),
  now(),
  'a metadata update moves updated_at'
);

-- ---------------------------------------------------------------- as Bob (authenticated)
select tests.authenticate_as('00000000-0000-4000-8000-0000000000b1');

select throws_ok(
  $$select public.update_conversation_metadata('c0000000-0000-4000-8000-0000000000a1', '{"keep": false}')$$,
  'PT404', 'conversation not found',
  'Bob cannot patch Alice''s metadata'
);

-- ---------------------------------------------------------------- as service_role
reset role;
select tests.authenticate_as_role('service_role');

select is(
  (select metadata -> 'video' from public.update_conversation_metadata('c0000000-0000-4000-8000-0000000000a1',
    '{"video": {"step": "done"}}')),
  '{"step": "done"}'::jsonb,
  'service_role patches any conversation'
);

reset role;
select is(
  (select metadata ->> 'keep' from public.conversations where id = 'c0000000-0000-4000-8000-0000000000a1'),
  'true',
  'Bob''s attempt changed nothing'
);

select * from finish();
rollback;
