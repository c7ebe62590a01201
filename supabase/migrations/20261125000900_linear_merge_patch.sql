-- JSON merge patch in linear time, and the patch's size checked before any merging.
--
-- The first version rebuilt the whole object once per patched key (jsonb_set in a loop), so a
-- patch of N keys cost O(N²): 5 s for 10,000 keys, long enough to tie up a pooled connection.
-- This version builds each object level once: the target's keys the patch leaves alone, plus the
-- patch's keys merged recursively, aggregated in one pass.

-- Input: the stored document and a patch. Guarantees (RFC 7396): objects merge key by key,
-- recursively; a key whose patch value is null is removed; any other patch value replaces the
-- stored one. Work is linear in the sizes of the target and the patch.
create or replace function public.jsonb_merge_patch(p_target jsonb, p_patch jsonb)
returns jsonb
language sql
immutable
set search_path = ''
as $$
  select case
    when jsonb_typeof(p_patch) is distinct from 'object' then p_patch
    else (
      select coalesce(jsonb_object_agg(merged.key, merged.value), '{}'::jsonb)
      from (
        select kept.key, kept.value
        from jsonb_each(case when jsonb_typeof(p_target) = 'object' then p_target end) as kept
        where not p_patch ? kept.key
        union all
        select patched.key,
               public.jsonb_merge_patch(
                 case when jsonb_typeof(p_target) = 'object' then p_target -> patched.key end,
                 patched.value
               )
        from jsonb_each(p_patch) as patched
        where jsonb_typeof(patched.value) <> 'null'
      ) as merged
    )
  end
$$;

-- Input: a conversation id and a patch object. Guarantees: a patch over 64 KiB is refused before
-- it is merged (check violation conversations_metadata_patch_max_size); otherwise applies the
-- patch to the stored metadata in one atomic update and returns the row. Security invoker: Row
-- Level Security limits it to the caller's own live conversations (the service role reaches every
-- live one).
-- Errors: 22023 patch is not an object; 23514 patch or result too large; PT404 not found, not live
-- or not the caller's.
create or replace function public.update_conversation_metadata(p_conversation_id uuid, p_patch jsonb)
returns public.conversations
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_conversation public.conversations;
begin
  if jsonb_typeof(p_patch) is distinct from 'object' then
    raise exception 'p_patch must be a JSON object' using errcode = '22023';
  end if;
  if octet_length(p_patch::text) > 65536 then
    raise exception 'the metadata patch is larger than 64 KiB'
      using errcode = '23514', constraint = 'conversations_metadata_patch_max_size';
  end if;

  update public.conversations c
  set metadata = public.jsonb_merge_patch(c.metadata, p_patch)
  where c.id = p_conversation_id and (c.expires_at is null or c.expires_at > now())
  returning * into v_conversation;

  if v_conversation.id is null then
    raise exception 'conversation not found' using errcode = 'PT404';
  end if;
  return v_conversation;
end;
$$;
