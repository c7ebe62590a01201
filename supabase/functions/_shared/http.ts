/**
 * Everything a function does around its own work, in one place: CORS, methods, authentication,
 * reading and validating input, the error shape, and one JSON log line per request.
 *
 * A function is `defineFunction({ name, methods, schema, handle })`, which returns a plain
 * `(Request) => Promise<Response>` that Deno.serve, the local server and tests all call.
 */
import type { z } from "zod";
import { ANONYMOUS_CALLER, authenticate, type Caller } from "./auth.ts";
import { ApiError, fromDatabaseError, isDatabaseError } from "./errors.ts";
import { toJson } from "./json.ts";

/** Bodies over 1 MiB are refused before they are parsed. */
export const MAX_BODY_BYTES = 1_048_576;

/**
 * JSON nested deeper than this is refused before validation: zod walks JSON values recursively and
 * would run out of stack (schemas.ts sets the tighter limits that the API documents).
 */
export const MAX_BODY_DEPTH = 64;

export const CORS_HEADERS: Record<string, string> = {
  "access-control-allow-origin": "*",
  "access-control-allow-headers": "authorization, x-client-info, apikey, content-type",
  "access-control-allow-methods": "GET, POST, PATCH, DELETE, OPTIONS",
  "access-control-expose-headers":
    "x-request-id, x-conversation-id, retry-after, ratelimit, ratelimit-policy",
  "access-control-max-age": "86400",
};

/**
 * Work to do once a request is authenticated and its input is valid, before the function's own.
 * Only the local server asks for it (to register a local user in auth.users, as Supabase Auth would
 * have); it is attached to one request, so that each local API keeps its own.
 */
export type AcceptedRequestHook = (caller: Caller) => Promise<void>;
const acceptedRequestHooks = new WeakMap<Request, AcceptedRequestHook>();

export function whenAccepted(request: Request, hook: AcceptedRequestHook): Request {
  acceptedRequestHooks.set(request, hook);
  return request;
}

export interface Reply {
  status: number;
  body: unknown;
}

type Method = "GET" | "POST" | "PATCH" | "DELETE";

export interface FunctionDefinition<Schema extends z.ZodType> {
  name: string;
  methods: Method[];
  schema: Schema;
  /** A Reply is sent as JSON; a Response (a stream) is sent as it is, with the common headers added. */
  handle: (input: z.output<Schema>, caller: Caller, request: Request) => Promise<Reply | Response>;
  /** Where the input comes from, when not the query string (GET) or the JSON body (other methods). */
  input?: (request: Request, url: URL) => Record<string, string> | null;
  /**
   * Answers without sign-in: every request runs as the anon role, whatever credential it carries
   * (none, an anon key, a user's token), so that the input alone (a share token) decides. Only
   * get-shared-conversation.
   */
  anonymous?: true;
  /** The largest JSON body accepted, when not MAX_BODY_BYTES (import-conversations takes files). */
  maxBodyBytes?: number;
}

export function defineFunction<Schema extends z.ZodType>(
  definition: FunctionDefinition<Schema>,
): (request: Request) => Promise<Response> {
  const allow = [...definition.methods, "OPTIONS"].join(", ");

  return async (request) => {
    const started = performance.now();
    const requestId = crypto.randomUUID();
    const headers = { ...CORS_HEADERS, "x-request-id": requestId };
    let response: Response;
    if (request.method === "OPTIONS") {
      response = new Response(null, { status: 204, headers });
    } else {
      try {
        if (!(definition.methods as string[]).includes(request.method)) {
          throw new ApiError("method_not_allowed", `use ${definition.methods.join(" or ")}`, undefined, {
            allow,
          });
        }
        const caller = definition.anonymous ? ANONYMOUS_CALLER : await authenticate(request);
        const url = new URL(request.url);
        const raw = definition.input?.(request, url) ??
          (request.method === "GET"
            ? readQuery(url)
            : await readJsonBody(request, definition.maxBodyBytes ?? MAX_BODY_BYTES));
        const parsed = definition.schema.safeParse(raw);
        if (!parsed.success) {
          throw new ApiError("invalid_request", "the request does not match the schema", parsed.error.issues);
        }
        await acceptedRequestHooks.get(request)?.(caller);
        const reply = await definition.handle(parsed.data, caller, request);
        response = reply instanceof Response
          ? withHeaders(reply, headers)
          : jsonResponse(reply.status, reply.body, headers);
      } catch (error) {
        response = errorResponse(error, definition.name, requestId, headers);
      }
    }
    logRequest({
      function: definition.name,
      method: request.method,
      status: response.status,
      duration_ms: Math.round((performance.now() - started) * 10) / 10,
      request_id: requestId,
    });
    return response;
  };
}

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(toJson(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });
}

function withHeaders(response: Response, headers: Record<string, string>): Response {
  for (const [name, value] of Object.entries(headers)) response.headers.set(name, value);
  return response;
}

export function errorResponse(
  error: unknown,
  functionName: string,
  requestId: string,
  headers: Record<string, string> = {},
): Response {
  let apiError: ApiError;
  if (error instanceof ApiError) apiError = error;
  else if (isDatabaseError(error)) apiError = fromDatabaseError(error);
  else apiError = new ApiError("internal_error", "internal error");

  if (apiError.code === "internal_error") {
    const cause = error as Error;
    console.error(JSON.stringify({
      level: "error",
      function: functionName,
      request_id: requestId,
      error: cause?.name,
      sqlstate: (cause as { code?: string })?.code,
      message: cause?.message,
    }));
  }
  const body = { error: { code: apiError.code, message: apiError.message, details: apiError.details } };
  return jsonResponse(apiError.status, body, { ...headers, ...apiError.headers });
}

function logRequest(line: Record<string, unknown>): void {
  if (Deno.env.get("REQUEST_LOG") === "off") return;
  console.log(JSON.stringify(line));
}

/** Query parameters as an object of strings; a repeated parameter is ambiguous and refused. */
function readQuery(url: URL): Record<string, string> {
  const query: Record<string, string> = {};
  for (const [key, value] of url.searchParams) {
    if (key in query) throw new ApiError("invalid_request", `query parameter ${key} is repeated`);
    query[key] = value;
  }
  return query;
}

async function readJsonBody(request: Request, maxBytes: number): Promise<unknown> {
  const mediaType = request.headers.get("content-type")?.split(";")[0].trim().toLowerCase();
  if (mediaType !== "application/json") {
    throw new ApiError("unsupported_media_type", "send the body as application/json");
  }
  const declaredLength = request.headers.get("content-length");
  if (Number(declaredLength ?? 0) > maxBytes) throw bodyTooLarge(maxBytes);
  // A declared length is enforced by the HTTP server; only a body without one is counted as it streams.
  const bytes = declaredLength !== null
    ? new Uint8Array(await request.arrayBuffer())
    : await readCapped(request, maxBytes);

  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new ApiError("invalid_request", "the body is not valid UTF-8");
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ApiError("invalid_request", "the body is not valid JSON");
  }
  if (jsonDepth(body) > MAX_BODY_DEPTH) {
    throw new ApiError("invalid_request", `the body is nested more than ${MAX_BODY_DEPTH} levels deep`);
  }
  return body;
}

/** The nesting depth of a parsed JSON value, without recursion. */
function jsonDepth(value: unknown): number {
  let deepest = 0;
  const pending: Array<[unknown, number]> = [[value, 1]];
  while (pending.length > 0) {
    const [current, depth] = pending.pop()!;
    if (current === null || typeof current !== "object") continue;
    deepest = Math.max(deepest, depth);
    for (const child of Object.values(current)) pending.push([child, depth + 1]);
  }
  return deepest;
}

async function readCapped(request: Request, maxBytes: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of request.body ?? []) {
    size += chunk.byteLength;
    if (size > maxBytes) throw bodyTooLarge(maxBytes);
    chunks.push(chunk);
  }
  const bytes = new Uint8Array(size);
  chunks.reduce((offset, chunk) => (bytes.set(chunk, offset), offset + chunk.byteLength), 0);
  return bytes;
}

function bodyTooLarge(maxBytes: number): ApiError {
  return new ApiError("payload_too_large", `the body is larger than ${maxBytes} bytes`);
}
