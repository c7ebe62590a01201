/**
 * POST or DELETE delete-conversation `{ conversation_id }` → 200 `{ conversation_id, deleted_messages,
 * storage_objects }`.
 *
 * The conversation and its messages are gone for clients when this answers; `deleted_messages` is
 * how many it held. A conversation of up to 10,000 messages is deleted in the request; the storage
 * of a larger one is reclaimed afterwards by public.purge_expired_conversations. `storage_objects`
 * lists the Storage files (`{ bucket, path }`) that the messages deleted now referenced, for the
 * caller to remove; they (and those of messages reclaimed later) are also queued for a job.
 */
import type { z } from "zod";
import type { Caller } from "../_shared/auth.ts";
import { asCaller } from "../_shared/db.ts";
import { type Sql, sql } from "../_shared/sql.ts";
import { removedStorageObjects } from "../_shared/sql_fragments.ts";
import { defineFunction } from "../_shared/http.ts";
import { deleteConversationRequest } from "../_shared/schemas.ts";

/** The statements of one request (also run by the benchmark). */
export function statements(request: z.output<typeof deleteConversationRequest>, _caller: Caller): Sql[] {
  return [
    sql`select ${request.conversation_id}::uuid as conversation_id,
               public.delete_conversation(${request.conversation_id}) as deleted_messages`,
    removedStorageObjects,
  ];
}

export const deleteConversation = defineFunction({
  name: "delete-conversation",
  methods: ["POST", "DELETE"],
  schema: deleteConversationRequest,
  async handle(request, caller) {
    const [[deleted], [{ storage_objects }]] = await asCaller(caller, statements(request, caller));
    return { status: 200, body: { ...deleted, storage_objects } };
  },
});
