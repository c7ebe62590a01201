/**
 * The database: one node-postgres pool per isolate, and `asCaller`, which runs a request's
 * statements in one transaction as the caller, the way Supabase's Data API does.
 *
 * Why node-postgres: postgres.js 3.4.9 can kill the whole process with an uncatchable TypeError when
 * a connection closes under load (porsager/postgres#1154, #1208); node-postgres survives a database
 * restart when the pool and every checked-out client have an `error` listener and a client that
 * failed is discarded, which is what this module does.
 *
 * Why one simple-protocol query per request: PostgreSQL runs the statements of one simple Query
 * message as a single implicit transaction, so `set_config(role, claims)` + the work is one round
 * trip, rolls back as a whole on any error, never leaves a transaction open between round trips,
 * and needs no named prepared statements (it works behind Supabase's transaction pooler). Values
 * are embedded as literals by `sql`, which quotes every interpolation; nothing else builds SQL.
 */
// @ts-types="npm:@types/pg@8.23.1"
import pg from "pg";
import type { Caller } from "./auth.ts";
import { ApiError, isDatabaseError } from "./errors.ts";
import { RawJson } from "./json.ts";

const STATEMENT_TIMEOUT = "8s";

export const pool = new pg.Pool({
  connectionString: Deno.env.get("SUPABASE_DB_URL"),
  max: Number(Deno.env.get("DB_POOL_MAX") ?? 5),
  connectionTimeoutMillis: 3_000,
  idleTimeoutMillis: 30_000,
  query_timeout: 10_000,
  keepAlive: true,
  application_name: "conversation-store",
});

// An idle client losing its connection (a database restart) must not crash the isolate.
pool.on(
  "error",
  (error) =>
    console.error(JSON.stringify({ level: "error", event: "db_idle_client_error", message: error.message })),
);

/** A fragment of SQL whose values have all been quoted. Build one only with `sql`. */
export class Sql {
  constructor(readonly text: string) {}
}

type SqlValue =
  | string
  | number
  | boolean
  | null
  | undefined
  | Sql
  | readonly unknown[]
  | Record<string, unknown>;

function literal(value: SqlValue): string {
  if (value === null || value === undefined) return "null";
  if (value instanceof Sql) return value.text;
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw new TypeError("only safe integers are embedded in SQL");
    return String(value);
  }
  if (typeof value === "boolean") return String(value);
  if (typeof value === "string") {
    // A NUL would end the query message early: PostgreSQL text cannot hold one, so refuse it here.
    if (value.includes("\u0000")) {
      throw new ApiError("invalid_request", "text may not contain NUL characters");
    }
    return pg.escapeLiteral(value);
  }
  return pg.escapeLiteral(JSON.stringify(value));
}

/** `sql\`select … where id = ${id}\``: every interpolated value becomes a quoted literal or a nested fragment. */
export function sql(strings: TemplateStringsArray, ...values: SqlValue[]): Sql {
  return new Sql(strings.reduce((text, part, index) => text + literal(values[index - 1]) + part));
}

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
 * The one query message of a request: the caller's role and claims, then `statements`. The
 * benchmark and the plan tests send exactly this too.
 */
export function requestText(caller: Caller, statements: Sql[]): string {
  return [
    sql`select set_config('role', ${caller.role}, true), set_config('request.jwt.claims', ${caller.claims}, true), set_config('statement_timeout', ${STATEMENT_TIMEOUT}, true)`,
    ...statements,
  ].map((statement) => statement.text).join(";\n");
}

/**
 * Runs `statements` in one transaction with the caller's role and JWT claims in effect, so that Row
 * Level Security and auth.uid() decide what they reach. Returns the rows of each statement.
 */
export async function asCaller(caller: Caller, statements: Sql[]): Promise<Row[][]> {
  const text = requestText(caller, statements);

  let client: pg.PoolClient;
  try {
    client = await pool.connect();
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

/** The answer when the database cannot be reached: logged, and a 503 for the client. */
export function unavailable(error: unknown): ApiError {
  console.error(
    JSON.stringify({ level: "error", event: "db_unavailable", message: (error as Error).message }),
  );
  return new ApiError("service_unavailable", "the database is unavailable, try again shortly");
}

/** Fragments one after the other, as one, with `separator` (raw SQL, such as ", ") between them. */
export function join(fragments: Sql[], separator = " "): Sql {
  return new Sql(fragments.map((fragment) => fragment.text).join(separator));
}

/** A sort direction, the one keyword that is not a value. */
export function direction(order: "asc" | "desc"): Sql {
  return new Sql(order === "desc" ? "desc" : "asc");
}

/** Holds for a conversation (aliased c) that clients may reach: not expired, not deleted. */
export const LIVE = new Sql("(c.expires_at is null or c.expires_at > now())");

/**
 * The caller's own rows (aliased `alias`), as a literal beside the policy: Row Level Security
 * already limits a user to their rows, but the policy's auth.uid() is unknown when the plan is
 * made; with the id in the query the planner sees this user's real statistics. The service role
 * reaches every row.
 */
export function ownedBy(caller: Caller, alias: "c" | "m"): Sql {
  return caller.role === "service_role" ? sql`` : sql`and ${new Sql(alias)}.user_id = ${caller.userId}`;
}

/** The messages of `source` (aliased m) as a JSON array in API shape, in sequence order. */
export function messagesJson(source: Sql): Sql {
  return sql`select coalesce(json_agg(conversation_store.message_json(m) order by m.sequence_order), '[]')
                    as messages
    from ${source} as m`;
}

/** One live conversation in API shape, as `conversation`; no row when it is not found or not live. */
export function conversationJson(caller: Caller, conversationId: string): Sql {
  return sql`select conversation_store.conversation_json(c) as conversation
    from public.conversations as c where c.id = ${conversationId} and ${LIVE} ${ownedBy(caller, "c")}`;
}
