/**
 * Many real connections appending at once: every conversation must end numbered 1..N with no gap
 * and no duplicate, and every call must either succeed or fail with a documented error.
 */
import assert from "node:assert/strict";
// @ts-types="npm:@types/pg@8.23.1"
import pg from "pg";

const databaseUrl = Deno.env.get("DATABASE_URL");
const CALLS = 240;
const CONNECTIONS = 48;
const CONVERSATIONS = 4;

function claimsFor(userId: string) {
  return JSON.stringify({ sub: userId, role: "authenticated" });
}

Deno.test({
  name: "concurrent append_messages calls leave every conversation numbered 1..N without gaps",
  ignore: !databaseUrl,
  async fn() {
    const pool = new pg.Pool({ connectionString: databaseUrl, max: CONNECTIONS });
    const userId = crypto.randomUUID();
    const conversationIds = Array.from({ length: CONVERSATIONS }, () => crypto.randomUUID());
    try {
      await pool.query("insert into auth.users (id) values ($1)", [userId]);
      await pool.query(
        "insert into public.conversations (id, user_id) select unnest($1::uuid[]), $2",
        [conversationIds, userId],
      );

      const calls = Array.from({ length: CALLS }, (_, index) => {
        const conversationId = conversationIds[index % CONVERSATIONS];
        const batchSize = 1 + (index % 5);
        const messages = Array.from(
          { length: batchSize },
          (_, n) => ({ role: "user", content: `call ${index} #${n}` }),
        );
        // Every seventh call states an expectation that is almost always stale by then.
        const expected = index % 7 === 0 ? 1 : null;
        return { conversationId, batchSize, messages, expected };
      });

      const outcomes = await Promise.all(calls.map(async (call) => {
        const client = await pool.connect();
        try {
          await client.query("begin");
          await client.query(
            "select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)",
            [claimsFor(userId)],
          );
          const { rows } = await client.query(
            "select sequence_order from public.append_messages($1, $2, $3)",
            [call.conversationId, JSON.stringify(call.messages), call.expected],
          );
          await client.query("commit");
          return { ok: true as const, call, sequences: rows.map((row) => row.sequence_order as number) };
        } catch (error) {
          await client.query("rollback");
          return { ok: false as const, call, code: (error as { code?: string }).code };
        } finally {
          client.release();
        }
      }));

      const failures = outcomes.filter((outcome) => !outcome.ok);
      for (const failure of failures) {
        assert.equal(failure.code, "PT409", "the only documented failure here is a stale expectation");
        assert.notEqual(failure.call.expected, null);
      }
      for (const outcome of outcomes) {
        if (!outcome.ok) continue;
        const first = outcome.sequences[0];
        assert.deepEqual(
          outcome.sequences,
          outcome.sequences.map((_, n) => first + n),
          "a batch is consecutive",
        );
      }

      for (const conversationId of conversationIds) {
        const acknowledged = outcomes
          .filter((outcome) => outcome.ok && outcome.call.conversationId === conversationId)
          .reduce((sum, outcome) => sum + outcome.call.batchSize, 0);
        const { rows } = await pool.query(
          "select sequence_order from public.conversation_messages where conversation_id = $1 order by sequence_order",
          [conversationId],
        );
        const numbers = rows.map((row) => row.sequence_order as number);
        assert.equal(numbers.length, acknowledged, "every acknowledged message is stored once");
        assert.deepEqual(numbers, numbers.map((_, n) => n + 1), "numbered 1..N with no gap or duplicate");
        const { rows: [counter] } = await pool.query(
          "select last_sequence from public.conversations where id = $1",
          [conversationId],
        );
        assert.equal(counter.last_sequence, acknowledged, "the counter matches the stored messages");
      }
      assert.ok(failures.length < CALLS / 7 + 1);
      console.log(
        `${CALLS} calls over ${CONNECTIONS} connections: ${
          CALLS - failures.length
        } appended, ${failures.length} stale (PT409)`,
      );
    } finally {
      await pool.query("delete from auth.users where id = $1", [userId]);
      await pool.end();
    }
  },
});
