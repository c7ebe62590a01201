/**
 * POST or PATCH update-conversation `{ conversation_id, metadata?, video_id? }` → 200 `{ conversation }`.
 * `metadata` is a JSON merge patch (RFC 7396): keys set to null are removed, objects merge.
 */
import { asCaller, conversationJson, sql } from "../_shared/db.ts";
import { ApiError } from "../_shared/errors.ts";
import { defineFunction } from "../_shared/http.ts";
import { updateConversationRequest } from "../_shared/schemas.ts";

export const updateConversation = defineFunction({
  name: "update-conversation",
  methods: ["POST", "PATCH"],
  schema: updateConversationRequest,
  async handle(request, caller) {
    const id = request.conversation_id;
    const results = await asCaller(caller, [
      ...(request.video_id === undefined
        ? []
        : [sql`update public.conversations set video_id = ${request.video_id} where id = ${id}`]),
      ...(request.metadata === undefined
        ? []
        : [sql`select from public.update_conversation_metadata(${id}, ${request.metadata}::jsonb)`]),
      conversationJson(id),
    ]);
    const [found] = results[results.length - 1];
    if (!found) throw new ApiError("not_found", "conversation not found");
    return { status: 200, body: { conversation: found.conversation } };
  },
});
