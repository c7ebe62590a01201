/**
 * The one vocabulary of API errors, and the one map from database errors to it.
 * Every error response is `{ "error": { "code", "message", "details"? } }` with the status below.
 */

export const ERROR_STATUS = {
  invalid_request: 400,
  unauthorized: 401,
  forbidden: 403,
  storage_path_forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conversation_exists: 409,
  sequence_conflict: 409,
  reply_in_progress: 409,
  message_final: 409,
  content_offset_mismatch: 409,
  memory_conflict: 409,
  tool_call_answered: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  idempotency_conflict: 422,
  beyond_last_sequence: 422,
  context_budget_exceeded: 422,
  fork_too_large: 422,
  memory_full: 422,
  rate_limited: 429,
  quota_exceeded: 429,
  message_not_rateable: 422,
  conversation_empty: 422,
  share_limit_reached: 422,
  tool_response_mismatch: 422,
  internal_error: 500,
  service_unavailable: 503,
  model_not_configured: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

/** What node-postgres attaches to an error the server reported. */
export interface DatabaseError {
  code: string;
  message: string;
  detail?: string;
  hint?: string;
  constraint?: string;
  severity: string;
}

export function isDatabaseError(error: unknown): error is DatabaseError {
  return error instanceof Error && typeof (error as Partial<DatabaseError>).severity === "string" &&
    /^[0-9A-Z]{5}$/.test((error as Partial<DatabaseError>).code ?? "");
}

const UNAVAILABLE_CLASSES = ["08", "53", "57"]; // connection exceptions, insufficient resources, operator intervention

/** The error a `PTnnn` SQLSTATE means when the function raising it gives no code of its own (HINT). */
const DEFAULT_FOR_STATUS: Record<string, ErrorCode> = {
  PT404: "not_found",
  PT409: "sequence_conflict",
  PT422: "idempotency_conflict",
  PT429: "rate_limited",
};

/**
 * The headers an error's details call for: `Retry-After` (seconds) for a limit that resets
 * (`retry_after` in the DETAIL of PT429, see reserve_usage).
 */
function headersFor(details: unknown): Record<string, string> {
  const retryAfter = (details as { retry_after?: unknown } | undefined)?.retry_after;
  return typeof retryAfter === "number" && Number.isInteger(retryAfter) && retryAfter >= 0
    ? { "retry-after": String(retryAfter) }
    : {};
}

/**
 * SQLSTATEs raised by the migrations and by PostgreSQL itself, turned into API errors.
 *
 * The SQL functions raise `PTnnn` (which PostgREST also answers with status nnn) and name the API
 * error code in HINT when one status has several meanings, with the details as JSON in DETAIL.
 * Data exceptions (class 22) come from values a caller sent. Anything unknown is an internal
 * error: logged, not shown.
 */
export function fromDatabaseError(error: DatabaseError): ApiError {
  if (error.code in DEFAULT_FOR_STATUS) {
    const named = error.hint as ErrorCode | undefined;
    const code = named && ERROR_STATUS[named] === Number(error.code.slice(2))
      ? named
      : DEFAULT_FOR_STATUS[error.code];
    const details = parseDetail(error.detail);
    return new ApiError(code, error.message, details, headersFor(details));
  }
  switch (error.code) {
    case "23505":
      return new ApiError("conversation_exists", "a conversation with this id already exists");
    case "23503":
      return new ApiError("not_found", "the owner is not a known user");
    case "23514":
      return error.constraint?.endsWith("_max_size")
        ? new ApiError("payload_too_large", "a value is larger than allowed", {
          constraint: error.constraint,
        })
        : new ApiError("invalid_request", "a value breaks a rule of the schema", {
          constraint: error.constraint,
        });
    case "22023": // invalid_parameter_value: raised by our functions with a message for the caller
      return new ApiError("invalid_request", error.message);
    case "54000": // program_limit_exceeded: raised by our functions for an argument over a size limit
      return new ApiError("payload_too_large", error.message);
    case "54001": // statement_too_complex (JSON nested too deeply)
      return new ApiError("invalid_request", "a value cannot be stored");
    case "42501":
      return new ApiError(error.hint === "storage_path_forbidden" ? error.hint : "forbidden", error.message);
    case "57014": // query_canceled: statement_timeout
      return new ApiError("service_unavailable", "the database did not answer in time");
  }
  if (error.code.startsWith("22")) return new ApiError("invalid_request", "a value cannot be stored or read");
  if (UNAVAILABLE_CLASSES.includes(error.code.slice(0, 2))) {
    return new ApiError("service_unavailable", "the database is unavailable");
  }
  return new ApiError("internal_error", "internal error");
}

function parseDetail(detail: string | undefined): unknown {
  try {
    return detail ? JSON.parse(detail) : undefined;
  } catch {
    return undefined;
  }
}
