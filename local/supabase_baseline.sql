-- What a Supabase database provides and a plain PostgreSQL lacks, and nothing more: the API roles and
-- the parts of the auth and storage schemas that the migrations use. Every object is created (and granted) only
-- where missing, so this is a no-op on `supabase start`'s database and on a hosted project.
-- It is applied by tools/db_migrate.ts before the migrations, and is never a migration itself.

do $$
begin
  if not exists (select from pg_roles where rolname = 'anon') then
    create role anon nologin noinherit;
  end if;
  if not exists (select from pg_roles where rolname = 'authenticated') then
    create role authenticated nologin noinherit;
  end if;
  if not exists (select from pg_roles where rolname = 'service_role') then
    create role service_role nologin noinherit bypassrls;
  end if;
  -- The Data API (PostgREST) logs in as authenticator and switches to the caller's role.
  if not exists (select from pg_roles where rolname = 'authenticator') then
    create role authenticator login noinherit;
    grant anon, authenticated, service_role to authenticator;
  end if;

  -- Supabase installs extensions into their own schema, out of the API's way.
  if to_regnamespace('extensions') is null then
    create schema extensions;
    grant usage on schema extensions to anon, authenticated, service_role;
  end if;

  if to_regnamespace('auth') is null then
    create schema auth;
    grant usage on schema auth to anon, authenticated, service_role;
  end if;

  -- Supabase Auth owns this table; locally it only needs ids for the foreign key to reference.
  if to_regclass('auth.users') is null then
    create table auth.users (
      id uuid primary key,
      created_at timestamptz not null default now()
    );
  end if;

  -- Claims come from the request.jwt.claims setting, as PostgREST and the edge functions set it.
  if to_regprocedure('auth.jwt()') is null then
    create function auth.jwt() returns jsonb language sql stable set search_path = '' as $f$
      select coalesce(nullif(current_setting('request.jwt.claims', true), ''), '{}')::jsonb
    $f$;
    grant execute on function auth.jwt() to anon, authenticated, service_role;
  end if;
  if to_regprocedure('auth.uid()') is null then
    create function auth.uid() returns uuid language sql stable set search_path = '' as $f$
      select coalesce(
        nullif(current_setting('request.jwt.claim.sub', true), ''),
        nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub'
      )::uuid
    $f$;
    grant execute on function auth.uid() to anon, authenticated, service_role;
  end if;
  if to_regprocedure('auth.role()') is null then
    create function auth.role() returns text language sql stable set search_path = '' as $f$
      select coalesce(
        nullif(current_setting('request.jwt.claim.role', true), ''),
        nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role'
      )
    $f$;
    grant execute on function auth.role() to anon, authenticated, service_role;
  end if;

  -- Supabase Storage's tables, with the columns the migrations and tests use. The Storage API
  -- (not the database) stores the bytes; locally there is none, only these rows.
  if to_regnamespace('storage') is null then
    create schema storage;
    grant usage on schema storage to anon, authenticated, service_role;
  end if;
  if to_regclass('storage.buckets') is null then
    create table storage.buckets (
      id text primary key,
      name text not null unique,
      owner_id text,
      public boolean not null default false,
      file_size_limit bigint,
      allowed_mime_types text[],
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    alter table storage.buckets enable row level security;
    grant all on table storage.buckets to anon, authenticated, service_role;
  end if;
  if to_regclass('storage.objects') is null then
    create table storage.objects (
      id uuid primary key default gen_random_uuid(),
      bucket_id text references storage.buckets (id),
      name text,
      owner_id text,
      metadata jsonb,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      unique (bucket_id, name)
    );
    -- As on Supabase: every API role has table privileges, and policies decide.
    alter table storage.objects enable row level security;
    grant all on table storage.objects to anon, authenticated, service_role;
  end if;
  -- The folders of an object name: 'a/b/c.png' → {a, b}.
  if to_regprocedure('storage.foldername(text)') is null then
    create function storage.foldername(name text) returns text[] language sql immutable set search_path = '' as $f$
      select (pg_catalog.string_to_array(name, '/'))[1:pg_catalog.cardinality(pg_catalog.string_to_array(name, '/')) - 1]
    $f$;
    grant execute on function storage.foldername(text) to anon, authenticated, service_role;
  end if;
end;
$$;
