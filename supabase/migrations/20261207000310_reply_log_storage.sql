-- The reply log's storage settings (issue 32: WAL per reply byte). The log is a queue: its rows are
-- inserted while a reply streams, read by message id only, and all deleted when the reply becomes
-- final (conversation_store.take_reply_log). Measured with bench/reply.ts and pg_waldump, two
-- defaults wrote WAL for nothing:
-- * Statistics samples of the text columns: each autoanalyze of this busy table copied up to a
--   hundred sampled deltas and parts (the users' reply text) into pg_statistic, rewriting its rows
--   and their TOAST. Every read of the log goes through its primary key; no plan needs the
--   distribution of the text, so those two columns keep no samples (the others still do).
-- * Vacuums started by inserts alone (autovacuum_vacuum_insert_threshold): they mark pages of rows
--   that are deleted seconds later all-visible, in the WAL. The vacuum that the deletes start,
--   which reclaims the space, still runs as before.
-- The fill factor stays 100: rows are never updated, so free space kept on each page would only
-- spread the same rows over more pages.

alter table conversation_store.reply_log alter column delta set statistics 0;
alter table conversation_store.reply_log alter column part set statistics 0;
alter table conversation_store.reply_log set (autovacuum_vacuum_insert_threshold = -1);
