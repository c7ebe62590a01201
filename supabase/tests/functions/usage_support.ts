/** What the usage tests share: a user on a plan of their own. */
import assert from "node:assert/strict";
import { call, pool, serviceRoleToken, type TestUser } from "./helpers.ts";

/**
 * Puts `user` (made known to Auth first) on a plan of its own, named after `prefix` and the user,
 * with `limits`, through update-usage-limits.
 */
export async function onPlan(
  user: TestUser,
  limits: Record<string, number | null>,
  prefix = "plan",
): Promise<void> {
  await pool.query("insert into auth.users (id) values ($1) on conflict (id) do nothing", [user.id]);
  const token = await serviceRoleToken();
  const plan = `${prefix}-${user.id.slice(0, 8)}`;
  assert.equal((await call("update-usage-limits", { token, body: { plan, limits } })).status, 200);
  assert.equal((await call("update-usage-limits", { token, body: { user_id: user.id, plan } })).status, 200);
}
