-- An index diet for the messages table, whose indexes had grown to 255 bytes per message at ten
-- million messages, more than two thirds of the heap. Every index that stays is used by a query
-- plan shown in docs/PERFORMANCE.md:
--
--   conversation_messages_pkey                 (id): the primary key
--   idx_conversation_messages_sequence_order   (conversation_id, sequence_order): uniqueness,
--       every page of history and every context window (ranges of sequence numbers), the foreign
--       key's cascade, and every lookup by conversation
--   idx_conversation_messages_conversation_id  (conversation_id, client_message_id): idempotency
--   idx_conversation_messages_user_id          (user_id): the messages policy, for reads that name
--       no conversation (the Data API's "all my messages")
--   idx_conversation_messages_search           (user_id, words): search, narrowed by owner first
--   idx_conversation_messages_reply_in_progress: one reply at a time (a handful of rows)
--
-- The policy index was (user_id, conversation_id, sequence_order), a near-twin of the history
-- index and the largest of all (90 bytes per message). Every query of the API names the
-- conversation, so the history index serves them and the policy is a filter on its rows; what is
-- left for the policy index is reads by owner alone, which a plain (user_id) index serves at a
-- fraction of the size: B-tree deduplication stores each owner once per leaf page, with a list
-- of row pointers.
--
-- The idempotency key is unique only where a client chose one; rows without a key (replies
-- written by agents, for example) no longer take room in that index.

drop index public.idx_conversation_messages_user_id;
create index idx_conversation_messages_user_id on public.conversation_messages (user_id);

alter table public.conversation_messages drop constraint idx_conversation_messages_conversation_id;
create unique index idx_conversation_messages_conversation_id
  on public.conversation_messages (conversation_id, client_message_id)
  where client_message_id is not null;
