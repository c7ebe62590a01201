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
