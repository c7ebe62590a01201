/**
 * GET get-context?conversation_id=…&max_tokens=&max_messages=&format= (or POST the same as JSON)
 * → 200 `{ conversation, messages, token_count, has_earlier, first_sequence }` (and `summary` in
 * the rows format): the window of the conversation a model can be sent as it is, within
 * `max_tokens`. The window is chosen by public.get_context, in this request's one round trip;
 * the rules are in its migration and in the README.
 */
import { asCaller, sql } from "../_shared/db.ts";
import { defineFunction } from "../_shared/http.ts";
import { getContextRequest } from "../_shared/schemas.ts";

export const getContext = defineFunction({
  name: "get-context",
  methods: ["GET", "POST"],
  schema: getContextRequest,
  async handle(request, caller) {
    const [[{ context }]] = await asCaller(caller, [
      sql`select public.get_context(${request.conversation_id}, ${request.max_tokens}, ${request.max_messages},
                                    ${request.format})::json as context`,
    ]);
    return { status: 200, body: context };
  },
});
