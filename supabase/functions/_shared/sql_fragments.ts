/**
 * Fragments of SQL that several functions share: what a live conversation is, the caller's own
 * rows, the API shape of messages and conversations, and the Storage objects a delete released.
 */
import type { Caller } from "./auth.ts";
import { Sql, sql } from "./sql.ts";

/**
 * The Storage objects ({ bucket, path }) that the messages deleted in this transaction referenced,
 * as conversation_store.reclaim_conversation records them: the deletes' `storage_objects`.
 */
export const removedStorageObjects = new Sql(
  `select coalesce(nullif(current_setting('conversation_store.removed_storage_objects', true), ''), '[]')::json
            as storage_objects`,
);

/** Holds for a conversation (aliased c) that clients may reach: not expired, not deleted. */
export const LIVE = new Sql("(c.expires_at is null or c.expires_at > now())");

/**
 * The caller's own rows (aliased `alias`), as a literal beside the policy: Row Level Security
 * already limits a user to their rows, but the policy's auth.uid() is unknown when the plan is
 * made; with the id in the query the planner sees this user's real statistics. The service role
 * reaches every row.
 */
export function ownedBy(caller: Caller, alias: "c" | "m"): Sql {
  return caller.role === "service_role" ? sql`` : sql`and ${new Sql(alias)}.user_id = ${caller.userId}`;
}

/** The messages of `source` (aliased m) as a JSON array in API shape, in sequence order. */
export function messagesJson(source: Sql): Sql {
  return sql`select coalesce(json_agg(conversation_store.message_json(m) order by m.sequence_order), '[]')
                    as messages
    from ${source} as m`;
}

/** One live conversation in API shape, as `conversation`; no row when it is not found or not live. */
export function conversationJson(caller: Caller, conversationId: string): Sql {
  return sql`select conversation_store.conversation_json(c) as conversation
    from public.conversations as c where c.id = ${conversationId} and ${LIVE} ${ownedBy(caller, "c")}`;
}
