-- Semantic recall (issue 30), only where the vector extension (pgvector) is available: hosted
-- Supabase, and the embedded database with @electric-sql/pglite-pgvector. Elsewhere (Debian's
-- PostgreSQL 15 has no pgvector package) this migration does nothing and recall stays full text;
-- nothing else in the schema refers to what it creates, and everything here is created through
-- EXECUTE so that a database without vector never parses it.
--
-- What it adds:
--   * conversation_store.embedding_model: the one embedding model and dimension of this database,
--     set by the first drain of the queue from the edge functions (or the service role); any other
--     model is refused (22023), so vectors of two models are never compared or mixed.
--   * conversation_store.message_embeddings: one vector per completed user or assistant message,
--     deleted with the message (so delete-conversation, delete-all-conversations and retention
--     reclaim them with the messages), HNSW-indexed for cosine distance once the dimension is known.
--   * conversation_store.embedding_jobs: the queue. A trigger queues each message as it completes
--     once a model is set; public.claim_embedding_jobs leases jobs (`for update skip locked`, so
--     concurrent drains never take the same job), public.store_embeddings stores vectors and ends
--     their jobs. A job whose drain failed comes back after a backoff (1, 2, 4, 8 minutes) and is
--     given up after 5 attempts. chat drains the caller's jobs after each reply, never before it.
--   * conversation_store.semantic_candidates and semantic_recall_ready, replaced: recall ranks by
--     meaning too (see public.recall_messages, 20261207000610_recall.sql).

do $migration$
begin
  if not exists (select from pg_catalog.pg_available_extensions where name = 'vector') then
    raise notice 'the vector extension is not available: recall stays full text';
    return;
  end if;
  create schema if not exists extensions;
  create extension if not exists vector with schema extensions;

  execute $sql$
    create table conversation_store.embedding_model (
      singleton boolean primary key default true constraint embedding_model_one_row check (singleton),
      model text not null constraint embedding_model_name check (char_length(model) between 1 and 200),
      dimensions integer not null constraint embedding_model_dimensions check (dimensions between 1 and 4000),
      created_at timestamptz not null default now()
    );

    create table conversation_store.message_embeddings (
      message_id uuid primary key references public.conversation_messages (id) on delete cascade,
      user_id uuid not null,
      conversation_id uuid not null,
      embedding extensions.vector not null
    );
    create index idx_message_embeddings_user_id on conversation_store.message_embeddings (user_id);

    create table conversation_store.embedding_jobs (
      message_id uuid primary key references public.conversation_messages (id) on delete cascade,
      user_id uuid not null,
      attempts integer not null default 0,
      available_at timestamptz not null default now()
    );
    create index idx_embedding_jobs_user_available on conversation_store.embedding_jobs (user_id, available_at);

    revoke all on table conversation_store.embedding_model from public, anon, authenticated, service_role;
    revoke all on table conversation_store.message_embeddings from public, anon, authenticated, service_role;
    revoke all on table conversation_store.embedding_jobs from public, anon, authenticated, service_role;
    alter table conversation_store.embedding_model enable row level security;
    alter table conversation_store.message_embeddings enable row level security;
    alter table conversation_store.embedding_jobs enable row level security;

    -- Guarantees: a completed user or assistant message is queued for embedding, once, when this
    --   database has an embedding model.
    create function conversation_store.queue_embedding()
    returns trigger
    language plpgsql
    security definer
    set search_path = ''
    as $function$
    begin
      if new.status = 'completed' and new.role in ('user', 'assistant')
         and (tg_op = 'INSERT' or old.status is distinct from 'completed')
         and exists (select from conversation_store.embedding_model) then
        insert into conversation_store.embedding_jobs (message_id, user_id)
        values (new.id, new.user_id)
        on conflict (message_id) do nothing;
      end if;
      return null;
    end;
    $function$;
    revoke all on function conversation_store.queue_embedding() from public, anon, authenticated, service_role;

    create trigger conversation_messages_queue_embedding
      after insert or update of status on public.conversation_messages
      for each row execute function conversation_store.queue_embedding();

    -- Input: a model's name and dimensions.
    -- Guarantees: they are this database's embedding model: set now when none is (only from the
    --   edge functions' own connection or the service role, never a user through the Data API),
    --   with the column typed and HNSW-indexed for that dimension.
    -- Errors: 22023 another model (or dimension) is set; 42501 a user would set the first one.
    create function conversation_store.use_embedding_model(p_model text, p_dimensions integer)
    returns void
    language plpgsql
    set search_path = ''
    as $function$
    declare
      v_set conversation_store.embedding_model;
    begin
      select * into v_set from conversation_store.embedding_model;
      if not found then
        if not (conversation_store.writer_counts_tokens() or conversation_store.caller_is_service_role()) then
          raise exception 'only the edge functions or the service role choose the embedding model' using errcode = '42501';
        end if;
        lock table conversation_store.embedding_model in exclusive mode;
        insert into conversation_store.embedding_model (model, dimensions) values (p_model, p_dimensions)
        on conflict (singleton) do nothing;
        if found then
          execute format('alter table conversation_store.message_embeddings alter column embedding type extensions.vector(%s)',
                         p_dimensions);
          create index idx_message_embeddings_hnsw on conversation_store.message_embeddings
            using hnsw (embedding extensions.vector_cosine_ops);
          -- Messages written before the model was set are queued now, so they are recalled too.
          insert into conversation_store.embedding_jobs (message_id, user_id)
          select m.id, m.user_id from public.conversation_messages m
          where m.status = 'completed' and m.role in ('user', 'assistant')
          on conflict (message_id) do nothing;
        end if;
        select * into v_set from conversation_store.embedding_model;
      end if;
      if v_set.model <> p_model or v_set.dimensions <> p_dimensions then
        raise exception 'this database embeds with % (% dimensions), not % (% dimensions)',
            v_set.model, v_set.dimensions, p_model, p_dimensions
          using errcode = '22023';
      end if;
    end;
    $function$;
    revoke all on function conversation_store.use_embedding_model(text, integer) from public, anon, authenticated, service_role;

    -- Input: the embedder's model and dimensions; how many jobs (1..100).
    -- Guarantees: leases up to p_limit available jobs of the caller (the service role: of anyone),
    --   skipping those another drain holds (for update skip locked), and returns each message's id
    --   and the text to embed (its text, reasoning and file names; at most 8,000 characters). A
    --   leased job comes back after 2^attempts minutes unless its vector is stored; after 5
    --   attempts it is given up.
    -- Errors: as conversation_store.use_embedding_model; 22023 p_limit out of range; 42501 not
    --   authenticated.
    create function public.claim_embedding_jobs(p_model text, p_dimensions integer, p_limit integer default 16)
    returns table (message_id uuid, text text)
    language plpgsql
    security definer
    set search_path = ''
    as $function$
    declare
      v_user uuid := conversation_store.acting_user(null);
    begin
      if p_limit is null or p_limit not between 1 and 100 then
        raise exception 'p_limit must be between 1 and 100' using errcode = '22023';
      end if;
      perform conversation_store.use_embedding_model(p_model, p_dimensions);
      return query
      with claimed as (
        select j.message_id from conversation_store.embedding_jobs j
        where (v_user is null or j.user_id = v_user) and j.available_at <= now() and j.attempts < 5
        order by j.available_at
        limit p_limit
        for update skip locked
      ),
      leased as (
        update conversation_store.embedding_jobs j
        set attempts = j.attempts + 1, available_at = now() + interval '1 minute' * power(2, j.attempts)
        from claimed where j.message_id = claimed.message_id
        returning j.message_id
      )
      select m.id, left(coalesce(concat_ws(E'\n', m.content, conversation_store.part_search_text(m.parts)), ''), 8000)
      from leased join public.conversation_messages m on m.id = leased.message_id;
    end;
    $function$;
    revoke all on function public.claim_embedding_jobs(text, integer, integer) from public, anon, authenticated, service_role;
    grant execute on function public.claim_embedding_jobs(text, integer, integer) to authenticated, service_role;

    -- Input: the embedder's model and dimensions; [{ message_id, embedding: [numbers] }, …] (at most
    --   100), as claim_embedding_jobs leased them.
    -- Guarantees: stores each vector for its message (the caller's own; the service role: anyone's)
    --   and ends the message's job; returns how many were stored.
    -- Errors: as conversation_store.use_embedding_model; 22023 more than 100 items, or a vector
    --   of another dimension; 42501 not authenticated.
    create function public.store_embeddings(p_model text, p_dimensions integer, p_items jsonb)
    returns integer
    language plpgsql
    security definer
    set search_path = ''
    as $function$
    declare
      v_user uuid := conversation_store.acting_user(null);
      v_stored integer;
    begin
      perform conversation_store.use_embedding_model(p_model, p_dimensions);
      if jsonb_typeof(p_items) <> 'array' or jsonb_array_length(p_items) > 100 then
        raise exception 'p_items must be an array of at most 100 items' using errcode = '22023';
      end if;
      if exists (select from jsonb_array_elements(p_items) item
                 where jsonb_typeof(item -> 'embedding') <> 'array'
                    or jsonb_array_length(item -> 'embedding') <> p_dimensions) then
        raise exception 'every embedding must have % dimensions', p_dimensions using errcode = '22023';
      end if;
      with stored as (
        insert into conversation_store.message_embeddings (message_id, user_id, conversation_id, embedding)
        select m.id, m.user_id, m.conversation_id, (item ->> 'embedding')::extensions.vector
        from jsonb_array_elements(p_items) item
        join public.conversation_messages m on m.id = (item ->> 'message_id')::uuid
        where v_user is null or m.user_id = v_user
        on conflict (message_id) do update set embedding = excluded.embedding
        returning message_id
      ),
      done as (
        delete from conversation_store.embedding_jobs j using stored where j.message_id = stored.message_id
      )
      select count(*) into v_stored from stored;
      return v_stored;
    end;
    $function$;
    revoke all on function public.store_embeddings(text, integer, jsonb) from public, anon, authenticated, service_role;
    grant execute on function public.store_embeddings(text, integer, jsonb) to authenticated, service_role;

    create or replace function conversation_store.semantic_recall_ready(p_model text, p_dimensions integer)
    returns boolean
    language sql
    stable
    security definer
    set search_path = ''
    as $function$
      select exists (select from conversation_store.embedding_model e
                     where e.model = p_model and e.dimensions = p_dimensions)
    $function$;

    create or replace function conversation_store.semantic_candidates(
      p_user uuid,
      p_embedding real[],
      p_exclude_conversation_id uuid,
      p_limit integer
    )
    returns table (message_id uuid, rank bigint)
    language plpgsql
    stable
    set search_path = ''
    as $function$
    begin
      -- A user's messages are a small part of the index: keep scanning it until p_limit of theirs
      -- are found (pgvector 0.8's iterative scans), instead of filtering the first ef_search.
      perform set_config('hnsw.iterative_scan', 'relaxed_order', true);
      return query
      select nearest.message_id, row_number() over (order by nearest.distance)
      from (
        select e.message_id, e.embedding operator(extensions.<=>) p_embedding::extensions.vector as distance
        from conversation_store.message_embeddings e
        where e.user_id = p_user and e.conversation_id is distinct from p_exclude_conversation_id
        order by distance
        limit p_limit
      ) as nearest;
    end;
    $function$;
  $sql$;
end;
$migration$;
