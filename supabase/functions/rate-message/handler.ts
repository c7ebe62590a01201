/**
 * POST rate-message `{ conversation_id, sequence_order, rating: "up" | "down" | null, reason?, comment? }`
 * → 200 `{ rating }`: the caller's rating of an assistant message of their conversation, replacing
 * any earlier one; `rating: null` removes it (`{ rating: null }`). public.rate_message holds the
 * rules (migration 20261207000720_message_ratings.sql).
 */
import { asCaller } from "../_shared/db.ts";
import { sql } from "../_shared/sql.ts";
import { defineFunction } from "../_shared/http.ts";
import { rateMessageRequest } from "../_shared/schemas.ts";

export const rateMessage = defineFunction({
  name: "rate-message",
  methods: ["POST"],
  schema: rateMessageRequest,
  async handle(request, caller) {
    const [[row]] = await asCaller(caller, [
      sql`select public.rate_message(${request.conversation_id}, ${request.sequence_order}, ${request.rating},
                                     ${request.reason}, ${request.comment}) as rating`,
    ]);
    return { status: 200, body: { rating: row.rating } };
  },
});
