/**
 * POST start-conversation `{ id?, video_id?, metadata?, messages?, user_id?, retention_seconds? }`
 * → 201 `{ conversation, messages }`, or 200 with the stored conversation when `id` was started before.
 */
import type { z } from "zod";
import { type Caller, refuseUserIdFromUsers } from "../_shared/auth.ts";
import { asCaller } from "../_shared/db.ts";
import { type Sql, sql } from "../_shared/sql.ts";
import { conversationJson, messagesJson } from "../_shared/sql_fragments.ts";
import { ApiError } from "../_shared/errors.ts";
import { defineFunction } from "../_shared/http.ts";
import { startConversationRequest } from "../_shared/schemas.ts";
import { withTokenCounts } from "../_shared/token_counts.ts";

/** A request, with the conversation's id chosen when the client did not choose one. */
export type StartInput = z.output<typeof startConversationRequest> & { id: string };

/** The statements of one request (also run by the benchmark). */
export function statements(request: StartInput, caller: Caller): Sql[] {
  const messages = withTokenCounts(request.messages ?? []);
  // The first messages of a conversation are its first sequence numbers, so a replayed start
  // returns messages 1..n instead of appending them again.
  return [
    sql`select current_setting('conversation_store.conversation_created')::boolean as created
        from public.start_conversation(${request.video_id}, ${request.metadata ?? {}}::jsonb, ${request.id},
                                       ${request.user_id}, ${request.retention_seconds})`,
    messages.length === 0 ? sql`select '[]'::json as messages` : sql`select case
        when current_setting('conversation_store.conversation_created')::boolean
        then (${messagesJson(sql`public.append_messages(${request.id}, ${messages}::jsonb)`)})
        else (${
      messagesJson(sql`(select * from public.conversation_messages
                                  where conversation_id = ${request.id} and sequence_order <= ${messages.length})`)
    })
      end as messages`,
    conversationJson(caller, request.id),
  ];
}

export const startConversation = defineFunction({
  name: "start-conversation",
  methods: ["POST"],
  schema: startConversationRequest,
  async handle(request, caller) {
    refuseUserIdFromUsers(caller, request.user_id);
    if (caller.role === "service_role" && request.user_id === undefined) {
      throw new ApiError("invalid_request", "a service_role token must name the owner in user_id");
    }
    const [[started], [{ messages }], [conversation]] = await asCaller(
      caller,
      statements({ ...request, id: request.id ?? crypto.randomUUID() }, caller),
    );
    return {
      status: started.created ? 201 : 200,
      body: { conversation: conversation.conversation, messages },
    };
  },
});
