/**
 * The local API: every edge function at /functions/v1/<name>, the URL shape of `supabase start`.
 *
 * Local only: a user whose token is signed with the local secret is registered in auth.users on
 * first use, because no Supabase Auth runs here to create it. On Supabase, Auth owns auth.users.
 * Import this module only after SUPABASE_DB_URL is set: the functions create their pool on import.
 */
import { appendMessage } from "../supabase/functions/append-message/handler.ts";
import { deleteAllConversations } from "../supabase/functions/delete-all-conversations/handler.ts";
import { deleteConversation } from "../supabase/functions/delete-conversation/handler.ts";
import { forkConversation } from "../supabase/functions/fork-conversation/handler.ts";
import { getContext } from "../supabase/functions/get-context/handler.ts";
import { getHistory } from "../supabase/functions/get-history/handler.ts";
import { listConversations } from "../supabase/functions/list-conversations/handler.ts";
import { searchConversations } from "../supabase/functions/search-conversations/handler.ts";
import { startConversation } from "../supabase/functions/start-conversation/handler.ts";
import { updateConversation } from "../supabase/functions/update-conversation/handler.ts";
import { updateMessage } from "../supabase/functions/update-message/handler.ts";
import { authenticate } from "../supabase/functions/_shared/auth.ts";
import { pool, unavailable } from "../supabase/functions/_shared/db.ts";
import { ApiError, isDatabaseError } from "../supabase/functions/_shared/errors.ts";
import { CORS_HEADERS, errorResponse } from "../supabase/functions/_shared/http.ts";

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
};

export { pool };

export type Route = (request: Request, url: URL) => Promise<Response | null> | Response | null;

/** The request handler of the local server; `extraRoutes` answer paths outside /functions/v1/. */
export function localApi(extraRoutes: Route[] = []): (request: Request) => Promise<Response> {
  const registered = new Set<string>();

  /** Registers the caller's user once; an ApiError when the database is unreachable. */
  async function registerUser(request: Request): Promise<ApiError | null> {
    let userId: string | null;
    try {
      userId = (await authenticate(request)).userId;
    } catch {
      return null; // the function itself answers for a missing or bad token
    }
    if (!userId || registered.has(userId)) return null;
    try {
      await pool.query("insert into auth.users (id) values ($1) on conflict (id) do nothing", [userId]);
      registered.add(userId);
      return null;
    } catch (error) {
      return isDatabaseError(error) ? null : unavailable(error);
    }
  }

  return async (request) => {
    const url = new URL(request.url);
    const name = url.pathname.match(/^\/functions\/v1\/([a-z-]+)\/?$/)?.[1];
    const handler = name ? FUNCTIONS[name] : undefined;
    if (handler) {
      const unreachable = request.method === "OPTIONS" ? null : await registerUser(request);
      if (unreachable) return errorResponse(unreachable, name!, "-", CORS_HEADERS);
      return handler(request);
    }
    for (const route of extraRoutes) {
      const response = await route(request, url);
      if (response) return response;
    }
    return errorResponse(
      new ApiError("not_found", `no function at ${url.pathname}`),
      "local",
      "-",
      CORS_HEADERS,
    );
  };
}
