/**
 * The SQL builder: `sql` quotes every interpolated value as a literal, so a fragment of SQL (`Sql`)
 * never holds an unquoted value; nothing else builds SQL. `requestText` is the one query message of
 * a request (see db.ts for why one simple-protocol query).
 */
// @ts-types="npm:@types/pg@8.23.1"
import pg from "pg";
import type { Caller } from "./auth.ts";
import { ApiError } from "./errors.ts";

const STATEMENT_TIMEOUT = "8s";

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

/** Fragments one after the other, as one, with `separator` (raw SQL, such as ", ") between them. */
export function join(fragments: Sql[], separator = " "): Sql {
  return new Sql(fragments.map((fragment) => fragment.text).join(separator));
}

/** A sort direction, the one keyword that is not a value. */
export function direction(order: "asc" | "desc"): Sql {
  return new Sql(order === "desc" ? "desc" : "asc");
}

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
