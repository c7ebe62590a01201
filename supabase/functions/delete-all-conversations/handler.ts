/**
 * POST or DELETE delete-all-conversations `{ user_id? }` → 200 `{ deleted_conversations,
 * deleted_messages, done, storage_objects }`: erases everything of the caller (the service role: of
 * `user_id`); `storage_objects` lists the Storage files the messages reclaimed by this call referenced.
 *
 * Work is bounded per call (public.delete_all_conversations): up to 10,000 conversations are made
 * gone for clients, and up to 50,000 messages reclaimed. While `done` is false, call again; each
 * call continues where the last stopped, and the counts of all calls add up to what was deleted.
 */
import type { z } from "zod";
import { type Caller, refuseUserIdFromUsers } from "../_shared/auth.ts";
import { asCaller } from "../_shared/db.ts";
import { type Sql, sql } from "../_shared/sql.ts";
import { removedStorageObjects } from "../_shared/sql_fragments.ts";
import { ApiError } from "../_shared/errors.ts";
import { defineFunction } from "../_shared/http.ts";
import type { RawJson } from "../_shared/json.ts";
import { deleteAllConversationsRequest } from "../_shared/schemas.ts";

/** The statements of one request (also run by the benchmark). */
export function statements(request: z.output<typeof deleteAllConversationsRequest>, _caller: Caller): Sql[] {
  return [
    sql`select json_build_object('deleted_conversations', d.deleted_conversations,
                                 'deleted_messages', d.deleted_messages, 'done', d.done) as result
        from public.delete_all_conversations(${request.user_id}) as d`,
    removedStorageObjects,
  ];
}

export const deleteAllConversations = defineFunction({
  name: "delete-all-conversations",
  methods: ["POST", "DELETE"],
  schema: deleteAllConversationsRequest,
  async handle(request, caller) {
    refuseUserIdFromUsers(caller, request.user_id);
    if (caller.role === "service_role" && request.user_id === undefined) {
      throw new ApiError("invalid_request", "a service_role token must name the user in user_id");
    }
    const [[{ result }], [{ storage_objects }]] = await asCaller(caller, statements(request, caller));
    // The counts arrive as json text (deleted_messages is a bigint); the list goes beside them.
    return { status: 200, body: { ...JSON.parse((result as RawJson).text), storage_objects } };
  },
});
