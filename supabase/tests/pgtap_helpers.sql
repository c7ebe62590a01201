-- Helpers for the pgTAP files in supabase/tests/database, loaded by tools/test.ts before they run.

create schema if not exists tests;
grant usage on schema tests to anon, authenticated, service_role;

-- An error's SQLSTATE, HINT and DETAIL (the API code and details of this project's errors), which
-- throws_ok does not show; 'no error' when the statement succeeds.
create or replace function tests.error_of(p_statement text)
returns text
language plpgsql
set search_path = ''
as $$
declare
  v_state text;
  v_hint text;
  v_detail text;
begin
  execute p_statement;
  return 'no error';
exception when others then
  get stacked diagnostics v_state = returned_sqlstate, v_hint = pg_exception_hint, v_detail = pg_exception_detail;
  return concat_ws(' ', v_state, nullif(v_hint, ''), nullif(v_detail, ''));
end;
$$;
grant execute on function tests.error_of(text) to anon, authenticated, service_role;

-- Who is calling, as the API sees it: one call per change of caller (as basejump's
-- tests.authenticate_as), each setting the database role and the JWT claims PostgREST would set,
-- for the rest of the transaction. `reset role` returns to the database owner.

-- A signed-in user: role authenticated, claims {"sub": the user, "role": "authenticated"}.
create or replace function tests.authenticate_as(p_user_id uuid)
returns void
language sql
set search_path = ''
as $$
  select pg_catalog.set_config('role', 'authenticated', true),
         pg_catalog.set_config('request.jwt.claims',
           pg_catalog.jsonb_build_object('sub', p_user_id, 'role', 'authenticated')::text, true);
$$;

-- A caller without a user: 'service_role' (a secret key, or the service_role JWT) or 'anon' (the anon
-- key alone): that database role, claims {"role": p_role}.
create or replace function tests.authenticate_as_role(p_role text)
returns void
language sql
set search_path = ''
as $$
  select pg_catalog.set_config('role', p_role, true),
         pg_catalog.set_config('request.jwt.claims', pg_catalog.jsonb_build_object('role', p_role)::text, true);
$$;

grant execute on function tests.authenticate_as(uuid), tests.authenticate_as_role(text)
  to anon, authenticated, service_role;
