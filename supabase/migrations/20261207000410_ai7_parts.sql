-- Two part kinds of ai@7's UIMessage, stored and read back losslessly like every other part
-- (issue 29): `custom` (provider-specific content: {kind: "<provider>.<type>", provider_metadata?})
-- and `reasoning-file` (a file the model produced while reasoning: {media_type, url,
-- provider_metadata?}, the url http:, https: or data:, inline within the file limit as for file
-- parts). Both were refused with 400 before.
--
-- The part rules of the earlier migrations (conversation_store.part_problem, whatever revision of
-- it ran last) are kept whole under the name conversation_store.base_part_problem;
-- part_problem answers for the two new kinds and asks base_part_problem for all the others. So
-- is_part_list and check_parts, which call part_problem by name, accept both kinds with their
-- other rules unchanged. format=ui needs nothing new: ui_part renames media_type and
-- provider_metadata for any part.

alter function conversation_store.part_problem(jsonb) rename to base_part_problem;

comment on function conversation_store.base_part_problem(jsonb) is
  'The part rules before 20261207000410_ai7_parts.sql; conversation_store.part_problem adds custom and reasoning-file parts on top.';

-- Input: any JSON value (one part). Guarantees: null when it is a part of the vocabulary: a custom
--   part with only type, kind (1 to 256 characters, "<provider>.<type>") and provider_metadata (an
--   object); a reasoning-file part with only type, media_type (1 to 255 characters), url (http:,
--   https: or data:) and provider_metadata; any other part as conversation_store.base_part_problem
--   says. Else what is wrong with it, for the caller.
create function conversation_store.part_problem(p_part jsonb)
returns text
language sql
immutable
set search_path = ''
as $$
  select case
    when jsonb_typeof(p_part) is distinct from 'object' or p_part ->> 'type' not in ('custom', 'reasoning-file')
      then conversation_store.base_part_problem(p_part)
    when p_part - (case p_part ->> 'type'
        when 'custom' then array['type', 'kind', 'provider_metadata']
        else array['type', 'media_type', 'url', 'provider_metadata']
      end) <> '{}'::jsonb then 'has an unknown field'
    when p_part ? 'provider_metadata' and jsonb_typeof(p_part -> 'provider_metadata') <> 'object'
      then 'has a field of the wrong type'
    when conversation_store.base_part_problem(jsonb_build_object('type', 'data', 'name', 'x', 'data',
           coalesce(p_part -> 'provider_metadata', '{}'::jsonb))) is not null
      then 'has a provider_metadata that cannot be stored'
    when p_part ->> 'type' = 'custom' then case
      when jsonb_typeof(p_part -> 'kind') is distinct from 'string'
           or p_part ->> 'kind' !~ '^[^.]+\.[^.].*$' or char_length(p_part ->> 'kind') > 256
        then 'needs a kind "<provider>.<type>" of at most 256 characters'
    end
    else case
      when jsonb_typeof(p_part -> 'media_type') is distinct from 'string'
           or char_length(p_part ->> 'media_type') not between 1 and 255
        then 'needs a media_type of 1 to 255 characters'
      when jsonb_typeof(p_part -> 'url') is distinct from 'string' or p_part ->> 'url' !~ '^(https?|data):'
        then 'needs a url that is http:, https: or data:'
    end
  end
$$;

revoke all on function conversation_store.part_problem(jsonb) from public, anon, authenticated, service_role;
revoke all on function conversation_store.base_part_problem(jsonb) from public, anon, authenticated, service_role;
