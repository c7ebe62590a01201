/**
 * GET get-history?conversation_id=…&limit=&after=&before=&order=&format= (or POST the same as JSON)
 * → 200 `{ conversation, messages, has_more, next_cursor }`.
 *
 * Keyset pagination on sequence_order: `next_cursor` is the value to pass as `after` (ascending) or
 * `before` (descending) for the next page. The newest N messages: `order=desc&limit=N`, reversed.
 */
import { asCaller, conversationJson, direction, messagesJson, sql } from "../_shared/db.ts";
import { ApiError } from "../_shared/errors.ts";
import { defineFunction } from "../_shared/http.ts";
import { getHistoryRequest, type Message, type OpenAIMessage } from "../_shared/schemas.ts";

export const getHistory = defineFunction({
  name: "get-history",
  methods: ["GET", "POST"],
  schema: getHistoryRequest,
  async handle(request, caller) {
    const page = sql`(select * from public.conversation_messages
      where conversation_id = ${request.conversation_id}
        ${request.after === undefined ? sql`` : sql`and sequence_order > ${request.after}`}
        ${request.before === undefined ? sql`` : sql`and sequence_order < ${request.before}`}
      order by sequence_order ${direction(request.order)}
      limit ${request.limit + 1})`;
    const [[found], [{ messages }]] = await asCaller(caller, [
      conversationJson(request.conversation_id),
      messagesJson(page, request.order),
    ]);
    if (!found) throw new ApiError("not_found", "conversation not found");

    const rows = (messages as Message[]).slice(0, request.limit);
    const hasMore = (messages as Message[]).length > request.limit;
    return {
      status: 200,
      body: {
        conversation: found.conversation,
        messages: request.format === "openai" ? rows.map(toOpenAI) : rows,
        has_more: hasMore,
        next_cursor: hasMore ? rows[rows.length - 1].sequence_order : null,
      },
    };
  },
});

function toOpenAI(message: Message): OpenAIMessage {
  const { role, content, name, function_call, tool_calls, tool_call_id } = message;
  return Object.fromEntries(
    Object.entries({ role, content, name, function_call, tool_calls, tool_call_id }).filter(([, value]) =>
      value !== null
    ),
  ) as OpenAIMessage;
}
