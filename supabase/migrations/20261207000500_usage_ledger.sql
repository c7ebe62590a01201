-- The usage ledger, model prices and plans (issue 28): what every model call cost, and what each
-- user may spend. Before this, nothing recorded a reply's model or the usage its provider reported,
-- and nothing bounded what one user could spend of the app owner's model key.
--
--   * public.usage_ledger: one entry per model call (a chat reply, or a call of an app's own route):
--     reserved before the model is called, settled with the reported usage when it ends. Users read
--     their own entries and never write them; only the functions of the next migration do.
--   * public.model_prices: price per million input, cached input and output tokens of a model,
--     maintained by the service role. A model without a price costs 0, and its entries say so.
--   * public.usage_plans: named limits (null: unlimited). Every user is on `default` unless
--     assigned another plan; anonymous users (Supabase's is_anonymous) are on `guest`.
--   * public.usage_plan_assignments: a user's plan, set by the service role.

create table public.model_prices (
  model text primary key check (char_length(model) between 1 and 200),
  input_per_million numeric(14, 6) not null default 0 check (input_per_million >= 0),
  cached_input_per_million numeric(14, 6) not null default 0 check (cached_input_per_million >= 0),
  output_per_million numeric(14, 6) not null default 0 check (output_per_million >= 0),
  updated_at timestamptz not null default now()
);

comment on table public.model_prices is
  'Price per million tokens of each model (the provider''s list price, in the app''s currency). Service role only.';

create table public.usage_plans (
  name text primary key check (name ~ '^[a-z0-9_-]{1,50}$'),
  requests_per_hour integer check (requests_per_hour >= 0),
  requests_per_day integer check (requests_per_day >= 0),
  tokens_per_day bigint check (tokens_per_day >= 0),
  cost_per_month numeric(14, 6) check (cost_per_month >= 0),
  updated_at timestamptz not null default now()
);

comment on table public.usage_plans is
  'Limits per plan; null is unlimited. Hours, days and months are UTC calendar windows. Service role only.';

-- Defaults that bound a deployment out of the box; the service role changes them with
-- update-usage-limits (public.set_usage_plan).
insert into public.usage_plans (name, requests_per_hour, requests_per_day, tokens_per_day, cost_per_month)
values ('default', 100, 1000, 1000000, null),
       ('guest', 10, 30, 30000, null);

create table public.usage_plan_assignments (
  user_id uuid primary key references auth.users (id) on delete cascade,
  plan text not null references public.usage_plans (name) on update cascade,
  assigned_at timestamptz not null default now()
);

create index idx_usage_plan_assignments_plan on public.usage_plan_assignments (plan);

comment on table public.usage_plan_assignments is
  'Users on a plan other than default (or guest, for anonymous users). Service role only.';

create table public.usage_ledger (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  -- Billing records outlive what they paid for: a deleted conversation or message leaves its
  -- entries (no foreign keys); erase-all removes them with the rest of the user's data.
  conversation_id uuid,
  message_id uuid,
  model text check (char_length(model) <= 200),
  status text not null default 'reserved' check (status in ('reserved', 'settled')),
  -- The output tokens held for the call until it settles (its maxOutputTokens).
  reserved_tokens integer not null check (reserved_tokens between 0 and 100000000),
  -- Only the service role may settle the entry (chat's replies): a user cannot report less.
  service_records boolean not null default false,
  input_tokens integer check (input_tokens >= 0),
  cached_input_tokens integer check (cached_input_tokens >= 0),
  output_tokens integer check (output_tokens >= 0),
  reasoning_tokens integer check (reasoning_tokens >= 0),
  total_tokens integer check (total_tokens >= 0),
  cost numeric(20, 10) not null default 0 check (cost >= 0),
  -- Whether the model had a price when the entry settled (false: cost 0 because none is known).
  priced boolean not null default false,
  -- Counts that are the store's estimate (a reply stopped before the provider reported, or taken
  -- over after a crash), not the provider's report.
  estimated boolean not null default false,
  created_at timestamptz not null default now(),
  settled_at timestamptz,
  constraint usage_ledger_settled check ((status = 'settled') = (settled_at is not null))
);

-- Every limit check reads one user's entries of the current day (or month): one index range.
create index idx_usage_ledger_user_created on public.usage_ledger (user_id, created_at);
-- A reply's usage, read with its message; at most one entry per message.
create unique index idx_usage_ledger_message on public.usage_ledger (message_id) where message_id is not null;
-- The service role's totals per day and model.
create index idx_usage_ledger_created on public.usage_ledger (created_at);

comment on table public.usage_ledger is
  'One entry per model call: reserved before the call, settled with the reported usage. Users read their own; the functions write.';

revoke all on table public.model_prices, public.usage_plans, public.usage_plan_assignments, public.usage_ledger
  from public, anon, authenticated, service_role;

grant select, insert, update, delete on table public.model_prices to service_role;
grant select, insert, update on table public.usage_plans to service_role;
grant select, insert, update, delete on table public.usage_plan_assignments to service_role;
grant select on table public.usage_ledger to authenticated, service_role;

alter table public.model_prices enable row level security;
alter table public.usage_plans enable row level security;
alter table public.usage_plan_assignments enable row level security;
alter table public.usage_ledger enable row level security;

-- The service role bypasses RLS; users reach only their ledger entries, and nothing else here.
create policy "users read their usage" on public.usage_ledger
  for select to authenticated
  using (user_id = (select auth.uid()));
