/**
 * GET get-usage?user_id=&days= (or POST the same as JSON) → 200: a user's own usage with their
 * plan's limits and what remains (public.get_usage); the service role reads any user's (`user_id`),
 * or without one the totals per UTC day and model of the last `days` days (default 30).
 */
import { refuseUserIdFromUsers } from "../_shared/auth.ts";
import { asCaller } from "../_shared/db.ts";
import { sql } from "../_shared/sql.ts";
import { defineFunction } from "../_shared/http.ts";
import { getUsageRequest } from "../_shared/schemas.ts";

export const getUsage = defineFunction({
  name: "get-usage",
  methods: ["GET", "POST"],
  schema: getUsageRequest,
  async handle(request, caller) {
    refuseUserIdFromUsers(caller, request.user_id);
    const [[{ usage }]] = await asCaller(caller, [
      sql`select public.get_usage(${request.user_id ?? null}, ${request.days}) as usage`,
    ]);
    return { status: 200, body: usage };
  },
});
