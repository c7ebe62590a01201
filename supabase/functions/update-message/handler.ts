/**
 * POST or PATCH update-message `{ conversation_id, sequence_order, content? | append_content +
 * content_offset, tool_calls?, function_call?, status?, part_index? + (part | append_text +
 * text_offset), metadata? }` → 200 `{ message }`.
 *
 * Streams a reply: deltas are appended exactly once (public.update_message checks the offset), and
 * a final status (completed, incomplete) ends the reply for good. A reply's token count follows
 * its text as an upper-bound estimate while it streams; once it is final, this function counts it
 * exactly and stores that count in a second round trip (the text can no longer change).
 */
import { asCaller, type Row } from "../_shared/db.ts";
import { sql } from "../_shared/sql.ts";
import { defineFunction } from "../_shared/http.ts";
import { updateMessageRequest } from "../_shared/schemas.ts";
import { type CountedParts, countMessageTokens, countReasoningTokens } from "../_shared/token_counts.ts";

export const updateMessage = defineFunction({
  name: "update-message",
  methods: ["POST", "PATCH"],
  schema: updateMessageRequest,
  async handle(request, caller) {
    const [[updated]] = await asCaller(caller, [
      sql`select conversation_store.message_json(m) as message, m.id, m.status,
                 m.content, m.name, m.function_call, m.tool_calls, m.tool_call_id, m.parts
          from public.update_message(${request.conversation_id}, ${request.sequence_order}, ${request.content},
                                     ${request.append_content}, ${request.content_offset},
                                     ${request.tool_calls}::jsonb, ${request.function_call}::jsonb,
                                     ${request.status}, ${request.part_index}, ${request.part}::jsonb,
                                     ${request.append_text}, ${request.text_offset},
                                     ${request.metadata}::jsonb) as m`,
    ]);
    if (updated.status === "in_progress") return { status: 200, body: { message: updated.message } };

    const counted = updated as Row & CountedParts;
    const [, [final]] = await asCaller(caller, [
      sql`select conversation_store.set_exact_token_count(${updated.id as string}, ${
        countMessageTokens(counted)
      },
                                                          ${countReasoningTokens(counted.parts)})`,
      sql`select conversation_store.message_json(m) as message
          from public.conversation_messages as m where m.id = ${updated.id as string}`,
    ]);
    return { status: 200, body: { message: final.message } };
  },
});
