-- A private schema for the helpers that the API's SQL functions, policies and constraints share.
--
-- Supabase's Data API exposes the public schema as RPC endpoints; helpers live here instead, so
-- that the API stays the documented functions. Clients get usage on the schema (policies and
-- security invoker functions evaluate helpers as the caller) and execute on each helper they
-- need, never more.

create schema conversation_store;
comment on schema conversation_store is
  'Internal helpers of the conversation store. Not exposed through the Data API; call the public functions.';

revoke all on schema conversation_store from public;
grant usage on schema conversation_store to authenticated, service_role;

-- Input: nothing; reads the request's role and JWT claims.
-- Guarantees: true only when both the database role in effect and the JWT's role claim are
--   service_role. A claim alone is not enough: a session whose role is authenticated never acts
--   as the service role, whatever request.jwt.claims says.
create function conversation_store.caller_is_service_role()
returns boolean
language sql
stable
set search_path = ''
as $$
  select current_setting('role') = 'service_role' and auth.role() is not distinct from 'service_role'
$$;

revoke all on function conversation_store.caller_is_service_role() from public, anon, authenticated, service_role;
grant execute on function conversation_store.caller_is_service_role() to authenticated, service_role;

-- Input: the user a request names, if any. Guarantees: the user the caller acts for: its own id for
--   a user (who may name only themselves); for the service role, the user it names, or null when it
--   names none (every user, where a function allows it).
-- Errors: 42501 not authenticated, or a user naming someone else.
create function conversation_store.acting_user(p_user_id uuid)
returns uuid
language plpgsql
stable
set search_path = ''
as $$
begin
  if conversation_store.caller_is_service_role() then
    return p_user_id;
  end if;
  if auth.uid() is null then
    raise exception 'not authenticated' using errcode = '42501';
  end if;
  if p_user_id <> auth.uid() then
    raise exception 'p_user_id may only name the caller' using errcode = '42501';
  end if;
  return auth.uid();
end;
$$;

revoke all on function conversation_store.acting_user(uuid) from public, anon, authenticated, service_role;
grant execute on function conversation_store.acting_user(uuid) to authenticated, service_role;
