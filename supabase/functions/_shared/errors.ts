/**
 * The one vocabulary of API errors, and the one map from database errors to it.
 * Every error response is `{ "error": { "code", "message", "details"? } }` with the status below.
 */

export const ERROR_STATUS = {
  invalid_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conversation_exists: 409,
  sequence_conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  idempotency_conflict: 422,
  internal_error: 500,
  service_unavailable: 503,
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
  constraint?: string;
  severity: string;
}

export function isDatabaseError(error: unknown): error is DatabaseError {
  return error instanceof Error && typeof (error as Partial<DatabaseError>).severity === "string" &&
    /^[0-9A-Z]{5}$/.test((error as Partial<DatabaseError>).code ?? "");
}

const UNAVAILABLE_CLASSES = ["08", "53", "57"]; // connection exceptions, insufficient resources, operator intervention

/**
 * SQLSTATEs raised by the migrations (listed in 20261124000400_start_conversation.sql) and by
 * PostgreSQL itself, turned into API errors. Anything unknown is an internal error: logged, not shown.
 */
export function fromDatabaseError(error: DatabaseError): ApiError {
  switch (error.code) {
    case "PT404":
      return new ApiError("not_found", "conversation not found");
    case "PT409":
      return new ApiError("sequence_conflict", error.message, parseDetail(error.detail));
    case "PT422":
      return new ApiError("idempotency_conflict", error.message);
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
    case "22P02": // invalid_text_representation
    case "22P05": // untranslatable_character
    case "22021": // character_not_in_repertoire
    case "54001": // statement_too_complex (JSON nested too deeply)
      return new ApiError("invalid_request", "a value cannot be stored");
    case "42501":
      return new ApiError("forbidden", error.message);
    case "57014": // query_canceled: statement_timeout
      return new ApiError("service_unavailable", "the database did not answer in time");
  }
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
