/**
 * GET get-history?conversation_id=…&limit=&after=&before=&order=&format= (or POST the same as JSON)
 * → 200 `{ conversation, messages, has_more, next_cursor }`.
 *
 * Keyset pagination on sequence_order: `next_cursor` is the value to pass as `after` (ascending) or
 * `before` (descending) for the next page. The newest N messages: `order=desc&limit=N`, reversed.
 */
import { asCaller, conversationJson, direction, MESSAGE_JSON, sql } from "../_shared/db.ts";
import { ApiError } from "../_shared/errors.ts";
import { defineFunction } from "../_shared/http.ts";
import { RawJson } from "../_shared/json.ts";
import { getHistoryRequest, type Message, type OpenAIMessage } from "../_shared/schemas.ts";

export const getHistory = defineFunction({
  name: "get-history",
  methods: ["GET", "POST"],
  schema: getHistoryRequest,
  async handle(request, caller) {
    // One row more than the page tells whether another page follows.
    const [[found], [page]] = await asCaller(caller, [
      conversationJson(request.conversation_id),
      sql`select coalesce(json_agg(${MESSAGE_JSON} order by m.position) filter (where m.position <= ${request.limit}), '[]')
                   as messages,
                 count(*) > ${request.limit} as has_more,
                 case when count(*) > ${request.limit}
                      then min(m.sequence_order) filter (where m.position = ${request.limit}) end as next_cursor
          from (select *, row_number() over (order by sequence_order ${direction(request.order)}) as position
                from public.conversation_messages
                where conversation_id = ${request.conversation_id}
                  ${request.after === undefined ? sql`` : sql`and sequence_order > ${request.after}`}
                  ${request.before === undefined ? sql`` : sql`and sequence_order < ${request.before}`}
                order by sequence_order ${direction(request.order)}
                limit ${request.limit + 1}) as m`,
    ]);
    if (!found) throw new ApiError("not_found", "conversation not found");

    const messages = page.messages as RawJson;
    return {
      status: 200,
      body: {
        conversation: found.conversation,
        messages: request.format === "openai"
          ? (JSON.parse(messages.text) as Message[]).map(toOpenAI)
          : messages,
        has_more: page.has_more,
        next_cursor: page.next_cursor,
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
