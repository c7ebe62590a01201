/**
 * POST fork-conversation `{ conversation_id, through_sequence, id?, metadata? }`
 * → 201 `{ conversation, copied_messages }`: a new conversation of the same owner that starts with
 * copies of messages 1..through_sequence. The same `id` again → 200 with the stored fork.
 * Edit = fork through the message before the edited one, then append the edit; regenerate = fork
 * through the user message, then reply again.
 */
import type { z } from "zod";
import type { Caller } from "../_shared/auth.ts";
import { asCaller } from "../_shared/db.ts";
import { type Sql, sql } from "../_shared/sql.ts";
import { defineFunction } from "../_shared/http.ts";
import { forkConversationRequest } from "../_shared/schemas.ts";

/** The statements of one request (also run by the benchmark). */
export function statements(request: z.output<typeof forkConversationRequest>, _caller: Caller): Sql[] {
  return [
    sql`select conversation_store.conversation_json(f) as conversation, f.forked_from_sequence as copied_messages,
               current_setting('conversation_store.conversation_created')::boolean as created
        from public.fork_conversation(${request.conversation_id}, ${request.through_sequence}, ${request.id},
                                      ${request.metadata}::jsonb) as f`,
  ];
}

export const forkConversation = defineFunction({
  name: "fork-conversation",
  methods: ["POST"],
  schema: forkConversationRequest,
  async handle(request, caller) {
    const [[fork]] = await asCaller(caller, statements(request, caller));
    return {
      status: fork.created ? 201 : 200,
      body: { conversation: fork.conversation, copied_messages: fork.copied_messages },
    };
  },
});
