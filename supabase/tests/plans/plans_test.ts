/**
 * Every page read is flat: an index range scan of about the rows it returns, whatever the statistics
 * say. Checked on the plans the functions' own query messages run (bench/plans.ts),
 * on two databases of a skewed shape made in the test cluster for this file:
 *
 *   plans_fresh   migrated and seeded but never analyzed (autovacuum off for its tables): the
 *                 planner knows nothing and falls back on its defaults, as on a new project.
 *   plans_skewed  the same data after ANALYZE: a heavy user owns half the conversations, and one
 *                 conversation holds a quarter of the messages, and the statistics say so.
 *
 * A read is flat when it touches no table by a Seq Scan, reads messages only through the index its
 * kind of read is meant for, and no scan or sort of the store's tables handles more than a page's
 * worth of rows (a few times the page, never the conversation's or the user's whole set).
 */
import assert from "node:assert/strict";
// @ts-types="npm:@types/pg@8.23.1"
import pg from "pg";
import { migrate } from "../../../tools/db_migrate.ts";
import { seed, userId } from "../../../bench/seed.ts";
import { capturePlans, violations } from "../../../bench/plans.ts";
import { HEAVY_USER, LABEL_HEAVY_USER, READS, SHAPE } from "./reads.ts";

const databaseUrl = Deno.env.get("DATABASE_URL");

function urlOf(database: string): string {
  const url = new URL(databaseUrl!);
  url.pathname = `/${database}`;
  return url.toString();
}

async function query(url: string, text: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(text);
  } finally {
    await client.end();
  }
}

const FRESH = "plans_fresh";
const SKEWED = "plans_skewed";

async function createDatabases(): Promise<void> {
  await query(databaseUrl!, `drop database if exists ${FRESH} with (force)`);
  await query(databaseUrl!, `drop database if exists ${SKEWED} with (force)`);
  await query(databaseUrl!, `create database ${FRESH}`);
  await migrate(urlOf(FRESH));
  // Autovacuum would analyze the new rows within a minute; this database must stay unanalyzed.
  await query(
    urlOf(FRESH),
    `alter table public.conversations set (autovacuum_enabled = off);
     alter table public.conversation_messages set (autovacuum_enabled = off);`,
  );
  await seed(urlOf(FRESH), SHAPE);
  await query(urlOf(FRESH), LABEL_HEAVY_USER);
  await query(databaseUrl!, `create database ${SKEWED} template ${FRESH}`);
  await query(urlOf(SKEWED), "analyze public.conversations, public.conversation_messages");
}

async function dropDatabases(): Promise<void> {
  await query(databaseUrl!, `drop database if exists ${FRESH} with (force)`);
  await query(databaseUrl!, `drop database if exists ${SKEWED} with (force)`);
}

Deno.test({
  name: "every page read is a bounded index range scan, on a fresh database and with skewed statistics",
  ignore: !databaseUrl,
  async fn(t) {
    await createDatabases();
    try {
      await t.step("the fresh database has no statistics, the skewed one knows its heavy user", async () => {
        const stats = `select count(*)::integer as columns,
                              bool_or(attname = 'user_id' and tablename = 'conversations'
                                      and '${
          userId(HEAVY_USER)
        }' = any (most_common_vals::text::uuid[])) as heavy
                       from pg_stats where schemaname = 'public'`;
        assert.equal((await query(urlOf(FRESH), stats)).rows[0].columns, 0);
        assert.equal((await query(urlOf(SKEWED), stats)).rows[0].heavy, true);
      });
      for (const [label, database] of [["fresh, unanalyzed", FRESH], ["skewed statistics", SKEWED]]) {
        for (const read of READS) {
          await t.step(`${label}: ${read.name}`, async () => {
            const plans = await capturePlans(urlOf(database), read.call);
            assert.ok(plans.length > 0, "auto_explain logged no plan");
            const found = violations(
              [...plans, ...await capturePlans(urlOf(database), read.call, { generic: true })],
              read.flatness,
            );
            if (found.length > 0) assert.fail(`not flat:\n  ${found.join("\n  ")}`);
          });
        }
      }
    } finally {
      await dropDatabases();
    }
  },
});
