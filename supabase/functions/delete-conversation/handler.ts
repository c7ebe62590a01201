/**
 * POST or DELETE delete-conversation `{ conversation_id }` → 200 `{ conversation_id, deleted_messages }`.
 * The conversation's messages are deleted with it (on delete cascade).
 */
import { asCaller, sql } from "../_shared/db.ts";
import { ApiError } from "../_shared/errors.ts";
import { defineFunction } from "../_shared/http.ts";
import { deleteConversationRequest } from "../_shared/schemas.ts";

export const deleteConversation = defineFunction({
  name: "delete-conversation",
  methods: ["POST", "DELETE"],
  schema: deleteConversationRequest,
  async handle(request, caller) {
    const [[deleted]] = await asCaller(caller, [
      sql`delete from public.conversations where id = ${request.conversation_id}
          returning id as conversation_id, last_sequence as deleted_messages`,
    ]);
    if (!deleted) throw new ApiError("not_found", "conversation not found");
    return { status: 200, body: deleted };
  },
});
