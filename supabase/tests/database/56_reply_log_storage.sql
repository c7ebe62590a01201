-- The reply log's storage settings (20261207000310): no statistics samples of reply text, no vacuum
-- started by inserts alone, and everything else as the log needs it.
begin;
select plan(4);

select is(
  (select attstattarget from pg_catalog.pg_attribute
   where attrelid = 'conversation_store.reply_log'::regclass and attname = 'delta')::integer,
  0,
  'analyze keeps no samples of the deltas'' text'
);

select is(
  (select attstattarget from pg_catalog.pg_attribute
   where attrelid = 'conversation_store.reply_log'::regclass and attname = 'part')::integer,
  0,
  'analyze keeps no samples of the parts'' JSON'
);

select ok(
  (select 'autovacuum_vacuum_insert_threshold=-1' = any(c.reloptions)
   from pg_catalog.pg_class c where c.oid = 'conversation_store.reply_log'::regclass),
  'inserts alone start no vacuum of the log'
);

-- Statistics of the other columns are kept: message_id leads the primary key every read uses.
select isnt(
  (select attstattarget from pg_catalog.pg_attribute
   where attrelid = 'conversation_store.reply_log'::regclass and attname = 'message_id')::integer,
  0,
  'the message id keeps its statistics'
);

select * from finish();
rollback;
