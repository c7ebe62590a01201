/**
 * GET get-context?conversation_id=…&max_tokens=&max_messages=&format=&include_reasoning= (or POST
 * the same as JSON) → 200 `{ conversation, messages, token_count, has_earlier, first_sequence }`
 * (and `summary` in the rows format): the window of the conversation a model can be sent as it is,
 * within `max_tokens`, as chat messages (openai), stored rows or AI SDK UIMessages (ui). The window is chosen by public.get_context, in this request's one round trip;
 * the rules are in its migration and in the README.
 */
import type { z } from "zod";
import type { Caller } from "../_shared/auth.ts";
import { asCaller } from "../_shared/db.ts";
import { type Sql, sql } from "../_shared/sql.ts";
import { defineFunction } from "../_shared/http.ts";
import { getContextRequest } from "../_shared/schemas.ts";

/** The statements of one request (also run by the benchmark). */
export function statements(request: z.output<typeof getContextRequest>, _caller: Caller): Sql[] {
  return [
    sql`select public.get_context(${request.conversation_id}, ${request.max_tokens}, ${request.max_messages},
                                  ${request.format}, ${request.include_reasoning}) as context`,
  ];
}

export const getContext = defineFunction({
  name: "get-context",
  methods: ["GET", "POST"],
  schema: getContextRequest,
  async handle(request, caller) {
    const [[{ context }]] = await asCaller(caller, statements(request, caller));
    return { status: 200, body: context };
  },
});
