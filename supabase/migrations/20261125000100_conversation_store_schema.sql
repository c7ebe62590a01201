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
