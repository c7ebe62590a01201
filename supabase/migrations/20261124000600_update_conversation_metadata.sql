-- Metadata updates with JSON merge patch semantics (RFC 7396), so that agents change one key of
-- their saved state without reading and rewriting the whole object, and without losing a
-- concurrent writer's other keys.

-- Input: the stored document and a patch. Guarantees: objects merge key by key, recursively; a key
-- whose patch value is null is removed; any other patch value replaces the stored one.
create function public.jsonb_merge_patch(p_target jsonb, p_patch jsonb)
returns jsonb
language plpgsql
immutable
set search_path = ''
as $$
declare
  v_result jsonb;
  v_key text;
  v_value jsonb;
begin
  if jsonb_typeof(p_patch) is distinct from 'object' then
    return p_patch;
  end if;

  v_result := case when jsonb_typeof(p_target) = 'object' then p_target else '{}'::jsonb end;
  for v_key, v_value in select e.key, e.value from jsonb_each(p_patch) as e loop
    if jsonb_typeof(v_value) = 'null' then
      v_result := v_result - v_key;
    else
      v_result := jsonb_set(v_result, array[v_key], public.jsonb_merge_patch(v_result -> v_key, v_value));
    end if;
  end loop;
  return v_result;
end;
$$;

-- Input: a conversation id and a patch object. Guarantees: applies the patch to the stored metadata
-- in one atomic update and returns the row. Security invoker: Row Level Security limits it to the
-- caller's own conversations (service_role reaches all).
-- Errors: 22023 patch is not an object; PT404 not found or not the caller's; 23514 result too large.
create function public.update_conversation_metadata(p_conversation_id uuid, p_patch jsonb)
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

  update public.conversations c
  set metadata = public.jsonb_merge_patch(c.metadata, p_patch)
  where c.id = p_conversation_id
  returning * into v_conversation;

  if v_conversation.id is null then
    raise exception 'conversation not found' using errcode = 'PT404';
  end if;
  return v_conversation;
end;
$$;

revoke all on function public.jsonb_merge_patch(jsonb, jsonb) from public, anon, authenticated, service_role;
grant execute on function public.jsonb_merge_patch(jsonb, jsonb) to authenticated, service_role;

revoke all on function public.update_conversation_metadata(uuid, jsonb) from public, anon, authenticated, service_role;
grant execute on function public.update_conversation_metadata(uuid, jsonb) to authenticated, service_role;
