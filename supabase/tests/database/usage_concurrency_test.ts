/**
 * Limits under concurrency, over real connections: simultaneous transactions that each store a
 * message and reserve a model call are counted one after the other (reserve_usage's per-user lock),
 * so a limit is never overshot: with 3 requests left, 20 at once start exactly 3, and a token
 * budget is handed out to the last token.
 */
import assert from "node:assert/strict";
// @ts-types="npm:@types/pg@8.23.1"
import pg from "pg";

const databaseUrl = Deno.env.get("DATABASE_URL");
const PARALLEL = 20;

/**
 * A user on a plan of their own with `limits`, and a conversation for each turn: turns in one
 * conversation would wait for each other on its row anyway, turns in several must not overshoot.
 */
async function userOnPlan(pool: pg.Pool, limits: Record<string, number | null>) {
  const userId = crypto.randomUUID();
  const conversationIds = Array.from({ length: PARALLEL }, () => crypto.randomUUID());
  const plan = `test-${userId.slice(0, 8)}`;
  await pool.query("insert into auth.users (id) values ($1)", [userId]);
  await pool.query("insert into public.conversations (id, user_id) select unnest($1::uuid[]), $2", [
    conversationIds,
    userId,
  ]);
  await pool.query(
    `begin;
     select set_config('role', 'service_role', true), set_config('request.jwt.claims', '{"role": "service_role"}', true);
     select public.set_usage_plan('${plan}', '${JSON.stringify(limits)}');
     select public.assign_usage_plan('${userId}', '${plan}');
     commit;`,
  );
  return { userId, conversationIds };
}

/** A transaction per conversation at once, each appending a message and reserving `maxOutput` tokens. */
function turnsAtOnce(pool: pg.Pool, userId: string, conversationIds: string[], maxOutput: number) {
  return Promise.all(conversationIds.map(async (conversationId, index) => {
    const client = await pool.connect();
    try {
      await client.query("begin");
      await client.query(
        "select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)",
        [JSON.stringify({ sub: userId, role: "authenticated" })],
      );
      await client.query("select from public.append_messages($1, $2)", [
        conversationId,
        JSON.stringify([{ role: "user", content: `turn ${index}` }]),
      ]);
      const { rows: [{ reservation }] } = await client.query(
        "select public.reserve_usage($1, $2) as reservation",
        [maxOutput, conversationId],
      );
      await client.query("commit");
      return { ok: true as const, granted: reservation.max_output_tokens as number };
    } catch (error) {
      await client.query("rollback");
      return {
        ok: false as const,
        code: (error as { code?: string }).code,
        hint: (error as { hint?: string }).hint,
      };
    } finally {
      client.release();
    }
  }));
}

Deno.test({
  name: "with 3 requests left, 20 simultaneous turns start exactly 3 and store nothing of the others",
  ignore: !databaseUrl,
  async fn() {
    const pool = new pg.Pool({ connectionString: databaseUrl, max: PARALLEL });
    try {
      const { userId, conversationIds } = await userOnPlan(pool, { requests_per_hour: 3 });
      const outcomes = await turnsAtOnce(pool, userId, conversationIds, 100);
      assert.equal(outcomes.filter((outcome) => outcome.ok).length, 3);
      assert.deepEqual(
        [
          ...new Set(
            outcomes.filter((outcome) => !outcome.ok).map((outcome) => `${outcome.code} ${outcome.hint}`),
          ),
        ],
        ["PT429 rate_limited"],
      );
      const { rows: [counts] } = await pool.query(
        `select (select count(*)::int from public.usage_ledger where user_id = $1) as entries,
                (select count(*)::int from public.conversation_messages where user_id = $1) as messages`,
        [userId],
      );
      assert.deepEqual(counts, { entries: 3, messages: 3 });
    } finally {
      await pool.end();
    }
  },
});

Deno.test({
  name: "a token budget of 1000 is handed out to the last token to 20 simultaneous turns asking 300 each",
  ignore: !databaseUrl,
  async fn() {
    const pool = new pg.Pool({ connectionString: databaseUrl, max: PARALLEL });
    try {
      const { userId, conversationIds } = await userOnPlan(pool, { tokens_per_day: 1000 });
      const outcomes = await turnsAtOnce(pool, userId, conversationIds, 300);
      const granted = outcomes.flatMap((outcome) => outcome.ok ? [outcome.granted] : []).sort((a, b) =>
        b - a
      );
      assert.deepEqual(granted, [300, 300, 300, 100]);
      assert.ok(
        outcomes.every((outcome) =>
          outcome.ok || (outcome.code === "PT429" && outcome.hint === "quota_exceeded")
        ),
      );
    } finally {
      await pool.end();
    }
  },
});
