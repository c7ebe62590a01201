/**
 * POST append-message `{ conversation_id, message | messages, expected_last_sequence? }`
 * → 201 `{ conversation: { id, last_sequence, updated_at }, messages }`, or 200 when every message
 * was already stored (a retry with the same client_message_id values).
 */
import type { z } from "zod";
import type { Caller } from "../_shared/auth.ts";
import { asCaller } from "../_shared/db.ts";
import { type Sql, sql } from "../_shared/sql.ts";
import { messagesJson } from "../_shared/sql_fragments.ts";
import { defineFunction } from "../_shared/http.ts";
import { appendMessageRequest } from "../_shared/schemas.ts";
import { withTokenCounts } from "../_shared/token_counts.ts";

/** The statements of one request (also run by the benchmark). */
export function statements(request: z.output<typeof appendMessageRequest>, _caller: Caller): Sql[] {
  const messages = withTokenCounts(request.messages ?? [request.message!]);
  return [
    messagesJson(
      sql`public.append_messages(${request.conversation_id}, ${messages}::jsonb, ${request.expected_last_sequence})`,
    ),
    sql`select json_build_object('id', c.id, 'last_sequence', c.last_sequence, 'updated_at', c.updated_at) as conversation,
               current_setting('conversation_store.appended_count')::integer as appended
        from public.conversations as c where c.id = ${request.conversation_id}`,
  ];
}

export const appendMessage = defineFunction({
  name: "append-message",
  methods: ["POST"],
  schema: appendMessageRequest,
  async handle(request, caller) {
    const [[{ messages }], [{ conversation, appended }]] = await asCaller(
      caller,
      statements(request, caller),
    );
    return { status: appended === 0 ? 200 : 201, body: { conversation, messages } };
  },
});
