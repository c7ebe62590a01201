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
import { ConfigurationError, setting } from "./config.ts";
import { ApiError, isDatabaseError } from "./errors.ts";
import { RawJson } from "./json.ts";

const STATEMENT_TIMEOUT = "8s";

/** What node-postgres needs to connect, read from the environment. */
export interface ConnectionSettings {
  connectionString: string;
  ssl: false | { rejectUnauthorized: boolean; ca?: string; checkServerIdentity?: () => undefined };
  max: number;
}

const SSL_MODES = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"];

/**
 * DATABASE_URL when it is set (a custom secret: on Supabase, the transaction pooler's URL), else
 * SUPABASE_DB_URL (the direct connection every function is given).
 *
 * `sslmode` has libpq's meaning, which node-postgres does not give it: there `require` verifies the
 * certificate, so a database signed by a private CA (as Supabase's are) never connects. The URL's
 * sslmode is taken out and turned into explicit options:
 * - none, `disable`, `allow`: no TLS (node-postgres cannot try plain text first and TLS after);
 * - `prefer`, `require`: TLS, the certificate unchecked; node-postgres cannot fall back to plain text,
 *   so `prefer` fails against a server without TLS. With DATABASE_CA_CERT, `require` verifies the
 *   chain, as libpq does when it has a root certificate;
 * - `verify-ca`: the chain verified against DATABASE_CA_CERT, whatever the host name;
 * - `verify-full`: the chain (against DATABASE_CA_CERT, or else the system's roots) and the host name.
 * DATABASE_CA_CERT is PEM text, since a deployed function has no files of its own; for the same
 * reason libpq's file parameters (sslrootcert, sslcert, sslkey, …) are refused.
 *
 * DB_POOL_MAX (default 5) caps each instance's connections: a request holds one for a single round
 * trip of a few milliseconds, so a few serve an instance's traffic, and every instance of every
 * function counts against the pooler's client limit (or max_connections when direct).
 */
export function connectionSettings(read: (name: string) => string | undefined = setting): ConnectionSettings {
  const source = read("DATABASE_URL") ? "DATABASE_URL" : "SUPABASE_DB_URL";
  const value = read(source);
  if (!value) throw new ConfigurationError("neither DATABASE_URL nor SUPABASE_DB_URL is set");
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigurationError(
      `${source} is not a URL such as postgresql://user:password@host:6543/postgres`,
    );
  }
  const mode = url.searchParams.get("sslmode") ?? "disable";
  if (!SSL_MODES.includes(mode)) {
    throw new ConfigurationError(`${source} has an unknown sslmode; use one of ${SSL_MODES.join(", ")}`);
  }
  url.searchParams.delete("sslmode");
  url.searchParams.delete("uselibpqcompat"); // node-postgres' switch to libpq's meanings, which hold here anyway
  const otherSslParameter = [...url.searchParams.keys()].find((name) => name.startsWith("ssl"));
  if (otherSslParameter) {
    throw new ConfigurationError(
      `${source} sets ${otherSslParameter}: only sslmode is read from the URL; give the CA's PEM text in DATABASE_CA_CERT`,
    );
  }
  const ca = read("DATABASE_CA_CERT");
  if (ca && !ca.includes("-----BEGIN CERTIFICATE-----")) {
    throw new ConfigurationError("DATABASE_CA_CERT must be PEM text (-----BEGIN CERTIFICATE----- …)");
  }
  if (mode === "verify-ca" && !ca) {
    // Any certificate a public CA signed would pass: verify-ca only means something with a private CA.
    throw new ConfigurationError("sslmode=verify-ca needs the CA in DATABASE_CA_CERT; or use verify-full");
  }
  const max = Number(read("DB_POOL_MAX") ?? 5);
  if (!Number.isInteger(max) || max < 1 || max > 100) {
    throw new ConfigurationError("DB_POOL_MAX must be a whole number from 1 to 100");
  }

  const anyHost = () => undefined;
  const ssl: ConnectionSettings["ssl"] = mode === "verify-full"
    ? { rejectUnauthorized: true, ca }
    : mode === "verify-ca" || (mode === "require" && ca)
    ? { rejectUnauthorized: true, ca, checkServerIdentity: anyHost }
    : mode === "require" || mode === "prefer"
    ? { rejectUnauthorized: false }
    : false;
  return { connectionString: url.toString(), ssl, max };
}

/** The settings, or why they cannot be used: every request answers 500 and logs it. */
const connection = (() => {
  try {
    return connectionSettings();
  } catch (error) {
    return error as ConfigurationError;
  }
})();

export const pool = new pg.Pool({
  ...(connection instanceof ConfigurationError ? {} : connection),
  connectionTimeoutMillis: 3_000,
  idleTimeoutMillis: 30_000,
  query_timeout: 10_000,
  keepAlive: true,
  application_name: "conversation-store",
});

/**
 * The pool, once the settings are known to be usable: without them node-postgres would quietly fall
 * back to the PG* variables and localhost.
 */
export function configuredPool(): pg.Pool {
  if (connection instanceof ConfigurationError) throw connection;
  return pool;
}

// An idle client losing its connection (a database restart) must not crash the isolate.
pool.on(
  "error",
  (error) =>
    console.error(
      JSON.stringify({ level: "error", event: "db_idle_client_error", ...connectionFailure(error) }),
    ),
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

/**
 * The Storage objects ({ bucket, path }) that the messages deleted in this transaction referenced,
 * as conversation_store.reclaim_conversation records them: the deletes' `storage_objects`.
 */
export const removedStorageObjects = new Sql(
  `select coalesce(nullif(current_setting('conversation_store.removed_storage_objects', true), ''), '[]')::json
            as storage_objects`,
);

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
  // JIT off: every statement here reads or writes a bounded range, but where the planner cannot see
  // a range's bounds it guesses a large share of a big conversation, the guessed cost passes
  // jit_above_cost, and compiling expressions took 15 ms of a 1 ms page of a million-message
  // conversation.
  return [
    sql`select set_config('role', ${caller.role}, true), set_config('request.jwt.claims', ${caller.claims}, true),
               set_config('statement_timeout', ${STATEMENT_TIMEOUT}, true), set_config('jit', 'off', true)`,
    ...statements,
  ].map((statement) => statement.text).join(";\n");
}

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

/** The answer when the database cannot be reached: logged, and a 503 for the client. */
export function unavailable(error: unknown): ApiError {
  console.error(JSON.stringify({ level: "error", event: "db_unavailable", ...connectionFailure(error) }));
  return new ApiError("service_unavailable", "the database is unavailable, try again shortly");
}

/** Messages of node-postgres that say what happened and nothing about where. */
const DRIVER_MESSAGES: Array<[RegExp, string, string]> = [
  [/does not support SSL/i, "tls", "server_without_tls"],
  [/timeout/i, "timeout", "timeout"],
  [/terminated|ended unexpectedly/i, "connection_lost", "connection_lost"],
];

/**
 * Why a connection failed, as a category and a code for the log. Never the message: those of Node,
 * TLS and PostgreSQL name hosts, addresses, users and certificate subjects.
 */
export function connectionFailure(error: unknown): { reason: string; code: string } {
  if (isDatabaseError(error)) return { reason: "database", code: error.code };
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && /^[A-Z][A-Z0-9_]*$/.test(code)) {
    return { reason: /CERT|SSL|TLS|SIGNATURE|ISSUER/.test(code) ? "tls" : "network", code };
  }
  const message = String((error as Error | null)?.message ?? "");
  const known = DRIVER_MESSAGES.find(([pattern]) => pattern.test(message));
  return known ? { reason: known[1], code: known[2] } : { reason: "unknown", code: "unknown" };
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
