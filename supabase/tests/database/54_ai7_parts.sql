-- ai@7's custom and reasoning-file parts (20261207000410_ai7_parts.sql): accepted with exactly their
-- keys, refused when malformed, and every other part still judged by the earlier rules.
begin;
select plan(9);

select is(
  conversation_store.part_problem('{"type": "custom", "kind": "acme.widget", "provider_metadata": {"acme": {"size": 2}}}'),
  null,
  'a custom part with a provider kind and provider metadata is valid'
);
select is(
  conversation_store.part_problem('{"type": "reasoning-file", "media_type": "image/png", "url": "data:image/png;base64,AA=="}'),
  null,
  'a reasoning-file part with a data URL is valid'
);
select is(
  conversation_store.part_problem('{"type": "custom", "kind": "widget"}'),
  'needs a kind "<provider>.<type>" of at most 256 characters',
  'a custom kind names its provider'
);
select is(
  conversation_store.part_problem('{"type": "custom", "kind": "a.b", "text": "x"}'),
  'has an unknown field',
  'a custom part has no other keys'
);
select is(
  conversation_store.part_problem('{"type": "reasoning-file", "media_type": "image/png", "url": "ftp://x"}'),
  'needs a url that is http:, https: or data:',
  'a reasoning-file url is http:, https: or data:'
);
select is(
  conversation_store.part_problem('{"type": "reasoning-file", "url": "https://x"}'),
  'needs a media_type of 1 to 255 characters',
  'a reasoning-file part names its media type'
);
select is(
  conversation_store.part_problem('{"type": "custom", "kind": "a.b", "provider_metadata": []}'),
  'has a field of the wrong type',
  'provider metadata is an object'
);
select is(
  conversation_store.part_problem('{"type": "text"}'),
  conversation_store.base_part_problem('{"type": "text"}'),
  'other parts are judged by the earlier rules'
);
select is(
  conversation_store.part_problem('{"type": "steering-message", "text": "x"}'),
  'has an unknown type',
  'a kind the store has none for is still refused'
);

select * from finish();
rollback;
