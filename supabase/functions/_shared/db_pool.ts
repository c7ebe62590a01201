/**
 * The pool: one node-postgres pool per isolate, created on first use from the settings
 * (db_settings.ts), so that importing a function reads nothing from the environment.
 *
 * Why node-postgres: postgres.js 3.4.9 can kill the whole process with an uncatchable TypeError when
 * a connection closes under load (porsager/postgres#1154, #1208); node-postgres survives a database
 * restart when the pool and every checked-out client have an `error` listener and a client that
 * failed is discarded, which is what this module and db.ts do.
 */
// @ts-types="npm:@types/pg@8.23.1"
import pg from "pg";
import { connectionSettings } from "./db_settings.ts";
import { ApiError, isDatabaseError } from "./errors.ts";

let pool: pg.Pool | undefined;

/**
 * The pool, created the first time it is asked for. Settings that cannot be used throw their
 * ConfigurationError (every request answers 500 and logs it) and no pool is made: without them
 * node-postgres would quietly fall back to the PG* variables and localhost.
 */
export function configuredPool(): pg.Pool {
  if (pool) return pool;
  const created = new pg.Pool({
    ...connectionSettings(),
    connectionTimeoutMillis: 3_000,
    idleTimeoutMillis: 30_000,
    query_timeout: 10_000,
    keepAlive: true,
    application_name: "conversation-store",
  });
  // An idle client losing its connection (a database restart) must not crash the isolate.
  created.on(
    "error",
    (error) =>
      console.error(
        JSON.stringify({ level: "error", event: "db_idle_client_error", ...connectionFailure(error) }),
      ),
  );
  pool = created;
  return created;
}

/** Closes the pool if one was made (a server stopping cleanly); the next use makes a new one. */
export async function closePool(): Promise<void> {
  const open = pool;
  pool = undefined;
  await open?.end();
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
