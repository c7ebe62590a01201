/**
 * POST update-usage-limits (service role only; a user gets 403):
 * - `{ plan, limits }` sets a plan's limits (created when new; limits not named stay as they are);
 * - `{ user_id, plan }` puts a user on a plan (`plan: null`: back to default, or guest when anonymous);
 * - `{ model, prices }` sets a model's prices per million tokens (`prices: null`: none, cost 0).
 * → 200 `{ plan }`, `{ user_id, plan }` or `{ price }`. Each takes effect at the next reservation.
 */
import { ApiError } from "../_shared/errors.ts";
import { asCaller } from "../_shared/db.ts";
import { sql } from "../_shared/sql.ts";
import { defineFunction } from "../_shared/http.ts";
import { updateUsageLimitsRequest } from "../_shared/schemas.ts";

export const updateUsageLimits = defineFunction({
  name: "update-usage-limits",
  methods: ["POST"],
  schema: updateUsageLimitsRequest,
  async handle(request, caller) {
    if (caller.role !== "service_role") {
      throw new ApiError("forbidden", "update-usage-limits needs a service_role token");
    }
    if ("limits" in request) {
      const [[{ plan }]] = await asCaller(caller, [
        sql`select row_to_json(p) as plan from public.set_usage_plan(${request.plan}, ${request.limits}::jsonb) as p`,
      ]);
      return { status: 200, body: { plan } };
    }
    if ("user_id" in request) {
      await asCaller(caller, [sql`select public.assign_usage_plan(${request.user_id}, ${request.plan})`]);
      return { status: 200, body: { user_id: request.user_id, plan: request.plan } };
    }
    const [[{ price }]] = await asCaller(caller, [
      sql`select case when p.model is null then null else row_to_json(p) end as price
          from public.set_model_price(${request.model}, ${request.prices}::jsonb) as p`,
    ]);
    return { status: 200, body: { price } };
  },
});
