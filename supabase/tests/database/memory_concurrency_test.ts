/**
 * User memory under concurrent writers on real connections: read-modify-write cycles that retry on
 * memory_conflict lose no update, and writers racing for the last free entries never pass the bound.
 */
import assert from "node:assert/strict";
// @ts-types="npm:@types/pg@8.23.1"
import pg from "pg";

const databaseUrl = Deno.env.get("DATABASE_URL");
const WRITERS = 20;

type Outcome = { ok: true; entry: { version: number; value: string } } | {
  ok: false;
  code: string;
  hint?: string;
};

/** One write_memory call as the user, in its own transaction on its own connection. */
async function writeMemory(
  pool: pg.Pool,
  userId: string,
  key: string,
  value: string | null,
  expected: number | null,
): Promise<Outcome> {
  const client = await pool.connect();
  try {
    await client.query("begin");
    await client.query(
      "select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)",
      [JSON.stringify({ sub: userId, role: "authenticated" })],
    );
    const { rows: [row] } = await client.query("select public.write_memory($1, $2, $3) as entry", [
      key,
      value,
      expected,
    ]);
    await client.query("commit");
    return { ok: true, entry: row.entry };
  } catch (error) {
    await client.query("rollback");
    const { code, hint } = error as { code: string; hint?: string };
    return { ok: false, code, hint };
  } finally {
    client.release();
  }
}

async function withUser(body: (pool: pg.Pool, userId: string) => Promise<void>): Promise<void> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: WRITERS });
  const userId = crypto.randomUUID();
  try {
    await pool.query("insert into auth.users (id) values ($1)", [userId]);
    await body(pool, userId);
  } finally {
    await pool.query("delete from auth.users where id = $1", [userId]);
    await pool.end();
  }
}

Deno.test({
  name:
    "20 writers adding to one memory entry at once lose no update: each stale write is refused and retried",
  ignore: !databaseUrl,
  async fn() {
    await withUser(async (pool, userId) => {
      let conflicts = 0;
      await Promise.all(Array.from({ length: WRITERS }, async (_, writer) => {
        for (;;) {
          const { rows: [current] } = await pool.query(
            "select value, version from public.memory_entries where user_id = $1 and key = 'visitors'",
            [userId],
          );
          const names: string[] = current ? JSON.parse(current.value) : [];
          const outcome = await writeMemory(
            pool,
            userId,
            "visitors",
            JSON.stringify([...names, `writer ${writer}`]),
            current ? Number(current.version) : null,
          );
          if (outcome.ok) return;
          assert.equal(outcome.code, "PT409", "the only refusal is a stale version");
          assert.equal(outcome.hint, "memory_conflict");
          conflicts++;
        }
      }));
      const { rows: [entry] } = await pool.query(
        "select value from public.memory_entries where user_id = $1 and key = 'visitors'",
        [userId],
      );
      const names = JSON.parse(entry.value) as string[];
      assert.deepEqual(
        names.toSorted(),
        Array.from({ length: WRITERS }, (_, writer) => `writer ${writer}`).toSorted(),
        "every writer's addition is in the entry, once",
      );
      console.log(`${WRITERS} writers: ${conflicts} stale writes refused and retried, none lost`);
    });
  },
});

Deno.test({
  name: "20 writers creating entries when 10 are free: exactly 10 are stored and the rest are memory_full",
  ignore: !databaseUrl,
  async fn() {
    await withUser(async (pool, userId) => {
      const { rows: [{ max }] } = await pool.query("select conversation_store.memory_max_entries() as max");
      for (let index = 0; index < max - 10; index++) {
        const outcome = await writeMemory(pool, userId, `kept ${index}`, "v", null);
        assert.ok(outcome.ok);
      }
      const outcomes = await Promise.all(
        Array.from({ length: WRITERS }, (_, writer) => writeMemory(pool, userId, `new ${writer}`, "v", null)),
      );
      const stored = outcomes.filter((outcome) => outcome.ok).length;
      assert.equal(stored, 10);
      for (const outcome of outcomes) {
        if (!outcome.ok) assert.deepEqual([outcome.code, outcome.hint], ["PT422", "memory_full"]);
      }
      const { rows: [{ count }] } = await pool.query(
        "select count(*)::integer as count from public.memory_entries where user_id = $1",
        [userId],
      );
      assert.equal(count, max);
    });
  },
});
