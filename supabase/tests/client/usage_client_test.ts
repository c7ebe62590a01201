/**
 * The typed client's usage calls: get-usage over the local API, and the two calls an app's own chat
 * route makes around its model call (reserveUsage, recordUsage) through supabase.rpc(), here
 * answered by a stand-in for PostgREST that runs the SQL function as the user on the real database.
 */
import assert from "node:assert/strict";
import type { LanguageModelUsage } from "ai";
import { ConversationStoreError } from "../../../client/conversation_store.ts";
import { call, newUser, pool, serviceRoleToken, test, type TestUser } from "../functions/helpers.ts";
import { storeFor } from "./fixtures.ts";

const RPC_FUNCTIONS = new Set(["reserve_usage", "record_usage"]);

/** PostgREST's answer to POST /rest/v1/rpc/<fn> for `user`: the function's value, or its error. */
async function rpcAsUser(user: TestUser, fn: string, args: Record<string, unknown>): Promise<Response> {
  const names = Object.keys(args);
  assert.ok(RPC_FUNCTIONS.has(fn) && names.every((name) => /^p_[a-z_]+$/.test(name)));
  const client = await pool.connect();
  try {
    await client.query("begin");
    await client.query(
      "select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)",
      [JSON.stringify({ sub: user.id, role: "authenticated" })],
    );
    const { rows: [{ result }] } = await client.query(
      `select public.${fn}(${names.map((name, index) => `${name} => $${index + 1}`).join(", ")}) as result`,
      names.map((name) =>
        typeof args[name] === "object" && args[name] !== null ? JSON.stringify(args[name]) : args[name]
      ),
    );
    await client.query("commit");
    return Response.json(result);
  } catch (error) {
    await client.query("rollback");
    const { code, message, detail, hint } = error as {
      code: string;
      message: string;
      detail?: string;
      hint?: string;
    };
    const status = code.startsWith("PT") ? Number(code.slice(2)) : code === "42501" ? 403 : 400;
    return Response.json({ code, message, details: detail ?? null, hint: hint ?? null }, { status });
  } finally {
    client.release();
  }
}

function storeWithRpc(user: TestUser) {
  return storeFor(user, {
    fetch: (input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      const fn = url.pathname.match(/^\/rest\/v1\/rpc\/([a-z_]+)$/)?.[1];
      if (!fn) return fetch(input, init);
      return rpcAsUser(user, fn, JSON.parse(String(init?.body ?? "{}")));
    },
  });
}

test("an app's own route reserves before its model call and records the SDK's totalUsage after it", async () => {
  const alice = await newUser();
  await pool.query("insert into auth.users (id) values ($1)", [alice.id]);
  const store = storeWithRpc(alice);
  const reservation = await store.reserveUsage({ maxOutputTokens: 500, model: "app-model" });
  assert.equal(reservation.max_output_tokens, 500);
  assert.equal(reservation.plan, "default");
  const totalUsage: LanguageModelUsage = {
    inputTokens: 40,
    inputTokenDetails: { noCacheTokens: 30, cacheReadTokens: 10, cacheWriteTokens: undefined },
    outputTokens: 12,
    outputTokenDetails: { textTokens: 8, reasoningTokens: 4 },
    totalTokens: 52,
  };
  const entry = await store.recordUsage(reservation.reservation_id, totalUsage);
  assert.deepEqual(
    [entry.status, entry.input_tokens, entry.cached_input_tokens, entry.reasoning_tokens, entry.total_tokens],
    ["settled", 40, 10, 4, 52],
  );
  const again = await store.recordUsage(reservation.reservation_id, { outputTokens: 0 });
  assert.equal(again.output_tokens, 12, "a second record changes nothing");
  const usage = await store.usage();
  assert.ok("plan" in usage);
  assert.deepEqual([usage.usage.day.requests, usage.usage.day.tokens], [1, 52]);
});

test("over a limit reserveUsage throws rate_limited with the seconds to wait, as chat answers it", async () => {
  const alice = await newUser();
  await pool.query("insert into auth.users (id) values ($1)", [alice.id]);
  const service = await serviceRoleToken();
  const plan = `client-${alice.id.slice(0, 8)}`;
  await call("update-usage-limits", { token: service, body: { plan, limits: { requests_per_hour: 1 } } });
  await call("update-usage-limits", { token: service, body: { user_id: alice.id, plan } });
  const store = storeWithRpc(alice);
  await store.reserveUsage({ maxOutputTokens: 10 });
  const refused = await store.reserveUsage({ maxOutputTokens: 10 }).catch((error) => error);
  assert.ok(refused instanceof ConversationStoreError);
  assert.deepEqual([refused.code, refused.status], ["rate_limited", 429]);
  assert.ok(refused.retryAfter! >= 1 && refused.retryAfter! <= 3600);
});
