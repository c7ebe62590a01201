/**
 * The database: `asCaller`, which runs a request's statements in one transaction as the caller, the
 * way Supabase's Data API does, over the pool (db_pool.ts).
 *
 * Why one simple-protocol query per request: PostgreSQL runs the statements of one simple Query
 * message as a single implicit transaction, so `set_config(role, claims)` + the work is one round
 * trip, rolls back as a whole on any error, never leaves a transaction open between round trips,
 * and needs no named prepared statements (it works behind Supabase's transaction pooler). Values
 * are embedded as literals by `sql` (sql.ts), which quotes every interpolation; nothing else builds SQL.
 */
// @ts-types="npm:@types/pg@8.23.1"
import pg from "pg";
import type { Caller } from "./auth.ts";
import { configuredPool, unavailable } from "./db_pool.ts";
import { isDatabaseError } from "./errors.ts";
import { RawJson } from "./json.ts";
import { requestText, type Sql } from "./sql.ts";

export type Row = Record<string, unknown>;

const JSON_TYPE = 114;
/** json values (what the queries build) stay text for the response; everything else parses as usual. */
const types = {
  getTypeParser:
    ((oid: number, format?: string) =>
      oid === JSON_TYPE
        ? (text: string) => new RawJson(text)
        : pg.types.getTypeParser(oid, format as "text")) as pg.CustomTypesConfig["getTypeParser"],
};

/**
 * Runs `statements` in one transaction with the caller's role and JWT claims in effect, so that Row
 * Level Security and auth.uid() decide what they reach. Returns the rows of each statement.
 */
export async function asCaller(caller: Caller, statements: Sql[]): Promise<Row[][]> {
  const text = requestText(caller, statements);

  const usable = configuredPool();
  let client: pg.PoolClient;
  try {
    client = await usable.connect();
  } catch (error) {
    throw unavailable(error);
  }
  const onConnectionError = () => {}; // the failing query below reports it; this keeps the process alive
  client.on("error", onConnectionError);
  try {
    const results = await client.query({ text, types }) as unknown as pg.QueryResult[];
    client.off("error", onConnectionError);
    client.release();
    return results.slice(1).map((result) => result.rows);
  } catch (error) {
    client.off("error", onConnectionError);
    // A server-reported error leaves a healthy connection (the implicit transaction is rolled back);
    // anything else means the connection is broken and must not go back to the pool.
    const healthy = isDatabaseError(error) && !["57P01", "57P02", "57P03"].includes(error.code);
    client.release(healthy ? undefined : true);
    throw healthy ? error : unavailable(error);
  }
}
