-- The app's own table, older than the store: each user's notes, private to them.
create table public.notes (
  id bigint generated always as identity primary key,
  user_id uuid not null references auth.users (id) on delete cascade,
  body text not null
);
alter table public.notes enable row level security;
revoke all on table public.notes from anon, authenticated;
grant select, insert on table public.notes to authenticated;
create policy "owners read their notes" on public.notes
  for select to authenticated using (user_id = (select auth.uid()));
create policy "owners write their notes" on public.notes
  for insert to authenticated with check (user_id = (select auth.uid()));
