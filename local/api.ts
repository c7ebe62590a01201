/**
 * The local API: every edge function at /functions/v1/<name>, the URL shape of `supabase start`;
 * `chat` also at its sub-paths (/functions/v1/chat/<id>/stream, where useChat resumes a stream).
 *
 * Local only: no Supabase Auth runs here to create users, so a request that a function accepted
 * (its token verified, its input valid) registers the user in auth.users first, at most
 * MAX_LOCAL_USERS of them per run. On Supabase, Auth owns auth.users.
 * The functions' pool is created on first use (_shared/db_pool.ts): set DATABASE_URL (or
 * SUPABASE_DB_URL) before the first request, not necessarily before the import.
 */
import { appendMessage } from "../supabase/functions/append-message/handler.ts";
import { chat } from "../supabase/functions/chat/handler.ts";
import { deleteAllConversations } from "../supabase/functions/delete-all-conversations/handler.ts";
import { deleteConversation } from "../supabase/functions/delete-conversation/handler.ts";
import { exportConversations } from "../supabase/functions/export-conversations/handler.ts";
import { forkConversation } from "../supabase/functions/fork-conversation/handler.ts";
import { getContext } from "../supabase/functions/get-context/handler.ts";
import { getHistory } from "../supabase/functions/get-history/handler.ts";
import { getMemory } from "../supabase/functions/get-memory/handler.ts";
import { getSharedConversation } from "../supabase/functions/get-shared-conversation/handler.ts";
import { getUsage } from "../supabase/functions/get-usage/handler.ts";
import { importConversations } from "../supabase/functions/import-conversations/handler.ts";
import { listConversations } from "../supabase/functions/list-conversations/handler.ts";
import { rateMessage } from "../supabase/functions/rate-message/handler.ts";
import { recallPassages } from "../supabase/functions/recall/handler.ts";
import { searchConversations } from "../supabase/functions/search-conversations/handler.ts";
import { shareConversation } from "../supabase/functions/share-conversation/handler.ts";
import { startConversation } from "../supabase/functions/start-conversation/handler.ts";
import { updateConversation } from "../supabase/functions/update-conversation/handler.ts";
import { updateMemory } from "../supabase/functions/update-memory/handler.ts";
import { updateMessage } from "../supabase/functions/update-message/handler.ts";
import { updateUsageLimits } from "../supabase/functions/update-usage-limits/handler.ts";
import type { Caller } from "../supabase/functions/_shared/auth.ts";
import { configuredPool, unavailable } from "../supabase/functions/_shared/db_pool.ts";
import { ApiError, isDatabaseError } from "../supabase/functions/_shared/errors.ts";
import { CORS_HEADERS, errorResponse, whenAccepted } from "../supabase/functions/_shared/http.ts";

const FUNCTIONS: Record<string, (request: Request) => Promise<Response>> = {
  "start-conversation": startConversation,
  "append-message": appendMessage,
  "get-history": getHistory,
  "list-conversations": listConversations,
  "update-conversation": updateConversation,
  "delete-conversation": deleteConversation,
  "get-context": getContext,
  "update-message": updateMessage,
  "fork-conversation": forkConversation,
  "delete-all-conversations": deleteAllConversations,
  "search-conversations": searchConversations,
  "get-memory": getMemory,
  "update-memory": updateMemory,
  recall: recallPassages,
  "get-usage": getUsage,
  "update-usage-limits": updateUsageLimits,
  "rate-message": rateMessage,
  "share-conversation": shareConversation,
  "get-shared-conversation": getSharedConversation,
  "export-conversations": exportConversations,
  "import-conversations": importConversations,
  chat,
};

/** Functions that answer paths below their own, as a deployed function receives them all. */
const WITH_SUB_PATHS = new Set(["chat"]);

/** Beyond this many users in one run, new users are not registered (starting a conversation answers 404). */
export const MAX_LOCAL_USERS = 1_000;

export type Route = (request: Request, url: URL) => Promise<Response | null> | Response | null;

export interface LocalApiOptions {
  /** Answers for paths outside /functions/v1/. */
  routes?: Route[];
  /** Browser origins allowed to call the API: "*" (the default), or a list. */
  allowedOrigins?: "*" | string[];
  /** How many users this API registers at most (default MAX_LOCAL_USERS). */
  maxUsers?: number;
  /** Handlers that replace the functions' own, by name (a chat handler with another model). */
  functions?: Record<string, (request: Request) => Promise<Response>>;
}

/** The request handler of the local server. */
export function localApi(options: LocalApiOptions = {}): (request: Request) => Promise<Response> {
  const registered = new Set<string>();
  const maxUsers = options.maxUsers ?? MAX_LOCAL_USERS;
  const register = async ({ userId }: Caller) => {
    if (!userId || registered.has(userId) || registered.size >= maxUsers) return;
    const database = configuredPool();
    try {
      await database.query("insert into auth.users (id) values ($1) on conflict (id) do nothing", [userId]);
    } catch (error) {
      throw isDatabaseError(error) ? error : unavailable(error);
    }
    registered.add(userId);
  };
  const allowedOrigins = options.allowedOrigins ?? "*";

  return async (request) => {
    const url = new URL(request.url);
    const [, name, subPath] = url.pathname.match(/^\/functions\/v1\/([a-z-]+)(\/.*)?$/) ?? [];
    const reachable = name && (subPath === undefined || subPath === "/" || WITH_SUB_PATHS.has(name));
    const handler = reachable ? options.functions?.[name] ?? FUNCTIONS[name] : undefined;
    if (handler) {
      return restrictOrigin(await handler(whenAccepted(request, register)), request, allowedOrigins);
    }
    for (const route of options.routes ?? []) {
      const response = await route(request, url);
      if (response) return response;
    }
    const notFound = new ApiError("not_found", `no function at ${url.pathname}`);
    return restrictOrigin(errorResponse(notFound, "local", "-", CORS_HEADERS), request, allowedOrigins);
  };
}

/**
 * The functions answer any origin (`*`), as deployed functions must for browser apps. A local server
 * on a real database allows only the origins it was given: otherwise any web page its user visits
 * could call it with a token minted from a well-known secret.
 */
function restrictOrigin(response: Response, request: Request, allowed: "*" | string[]): Response {
  if (allowed === "*") return response;
  const origin = request.headers.get("origin");
  const headers = new Headers(response.headers);
  if (origin && allowed.includes(origin)) headers.set("access-control-allow-origin", origin);
  else headers.delete("access-control-allow-origin");
  headers.append("vary", "origin");
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}
