-- An index diet for the messages table, whose indexes had grown to 255 bytes per message at ten
-- million messages, more than two thirds of the heap. Every index that stays is used by a query
-- plan shown in docs/PERFORMANCE.md:
--
--   conversation_messages_pkey                 (id): the primary key
--   idx_conversation_messages_sequence_order   (conversation_id, sequence_order): uniqueness,
--       every page of history and every context window (ranges of sequence numbers), the foreign
--       key's cascade, and every lookup by conversation
--   idx_conversation_messages_conversation_id  (conversation_id, client_message_id): idempotency
--   idx_conversation_messages_search           (user_id, words): search, narrowed by owner first
--   idx_conversation_messages_reply_in_progress: one reply at a time (a handful of rows)
--
-- The policy index, (user_id, conversation_id, sequence_order), was a near-twin of the history
-- index and the largest of all (90 bytes per message); it goes. Every read of messages names its
-- conversation (the API's all do, and the policy itself probes the conversation), so the history
-- index serves them and the policy's owner check is a filter on the rows it returns. An index on
-- the owner alone would be worse than none: the planner combines it with the history index
-- (BitmapAnd) and reads every message of the owner for a page of fifty. Read messages through the
-- Data API by conversation (`.eq('conversation_id', …)`), as the functions do.
--
-- The idempotency key is unique only where a client chose one; rows without a key (replies
-- written by agents, for example) no longer take room in that index.

drop index public.idx_conversation_messages_user_id;

alter table public.conversation_messages drop constraint idx_conversation_messages_conversation_id;
create unique index idx_conversation_messages_conversation_id
  on public.conversation_messages (conversation_id, client_message_id)
  where client_message_id is not null;
