/**
 * One API call, as the benchmarks and the plan tests send it: over HTTP as a client would, or as the
 * exact SQL the edge function sends for it, built by the function's own `statements` and
 * `requestText` (never a copy of its SQL).
 *
 * For pgbench, a call is built once with sentinel ids, which are then replaced by pgbench variables,
 * so that each transaction can pick another conversation or user while the text stays the
 * function's own.
 */
import type { z } from "zod";
import type { Caller } from "../supabase/functions/_shared/auth.ts";
import { requestText, type Sql } from "../supabase/functions/_shared/sql.ts";
import * as schemas from "../supabase/functions/_shared/schemas.ts";
import { statements as appendMessage } from "../supabase/functions/append-message/handler.ts";
import { statements as deleteAllConversations } from "../supabase/functions/delete-all-conversations/handler.ts";
import { statements as deleteConversation } from "../supabase/functions/delete-conversation/handler.ts";
import { statements as forkConversation } from "../supabase/functions/fork-conversation/handler.ts";
import { statements as getContext } from "../supabase/functions/get-context/handler.ts";
import { statements as getHistory } from "../supabase/functions/get-history/handler.ts";
import { statements as listConversations } from "../supabase/functions/list-conversations/handler.ts";
import { statements as searchConversations } from "../supabase/functions/search-conversations/handler.ts";
import { statements as startConversation } from "../supabase/functions/start-conversation/handler.ts";
import type { HttpRequest } from "./http_load.ts";

interface FunctionEntry<Schema extends z.ZodType> {
  method: "GET" | "POST";
  schema: Schema;
  statements: (request: z.output<Schema>, caller: Caller) => Sql[];
}

function entry<Schema extends z.ZodType>(
  method: "GET" | "POST",
  schema: Schema,
  statements: (request: z.output<Schema>, caller: Caller) => Sql[],
): FunctionEntry<Schema> {
  return { method, schema, statements };
}

/** Reads are sent as GET with query parameters, writes as POST with a JSON body, as the API documents them. */
const FUNCTIONS = {
  "append-message": entry("POST", schemas.appendMessageRequest, appendMessage),
  "delete-all-conversations": entry("POST", schemas.deleteAllConversationsRequest, deleteAllConversations),
  "delete-conversation": entry("POST", schemas.deleteConversationRequest, deleteConversation),
  "fork-conversation": entry("POST", schemas.forkConversationRequest, forkConversation),
  "get-context": entry("GET", schemas.getContextRequest, getContext),
  "get-history": entry("GET", schemas.getHistoryRequest, getHistory),
  "list-conversations": entry("GET", schemas.listConversationsRequest, listConversations),
  "search-conversations": entry("GET", schemas.searchConversationsRequest, searchConversations),
  // The function picks a new conversation's id itself when the client does not; so does this.
  "start-conversation": entry(
    "POST",
    schemas.startConversationRequest,
    (request, caller) => startConversation({ ...request, id: request.id ?? crypto.randomUUID() }, caller),
  ),
};

export type FunctionName = keyof typeof FUNCTIONS;

export interface Call {
  function: FunctionName;
  /** The request as a client sends it: the JSON body, or the query parameters of a GET. */
  input: Record<string, string | number | boolean | object>;
  /** Whose token it carries. */
  userId: string;
}

/** The caller a verified token of `userId` yields (the claims a Supabase access token carries). */
function callerOf(userId: string): Caller {
  const now = Math.floor(Date.now() / 1000);
  return {
    role: "authenticated",
    userId,
    claims: { sub: userId, role: "authenticated", aud: "authenticated", iat: now, exp: now + 86_400 },
  };
}

/** The function's statements for the call, as it builds them after validating the request. */
export function callStatements(call: Call): { caller: Caller; statements: Sql[] } {
  const fn = FUNCTIONS[call.function] as FunctionEntry<z.ZodType>;
  const caller = callerOf(call.userId);
  return { caller, statements: fn.statements(fn.schema.parse(call.input), caller) };
}

/** The one query message the function sends for the call. */
export function callSql(call: Call): string {
  const { caller, statements } = callStatements(call);
  return requestText(caller, statements);
}

/** The call over HTTP, with `token` for its user. */
export function callHttp(call: Call, token: string): HttpRequest {
  const path = `/functions/v1/${call.function}`;
  if (FUNCTIONS[call.function].method === "GET") {
    const query = new URLSearchParams(Object.entries(call.input).map(([key, value]) => [key, String(value)]));
    return { method: "GET", path: `${path}?${query}`, headers: { authorization: `Bearer ${token}` } };
  }
  return {
    method: "POST",
    path,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(call.input),
  };
}

/** Stand-ins for ids that pgbench fills in per transaction; no seeded id ends in letters. */
export const SENTINEL = {
  conversation: "00000000-0000-4000-8000-ffffffffffff",
  user: "00000000-0000-4000-9000-ffffffffffff",
} as const;

export interface ScriptOptions {
  /** pgbench meta-commands before the query, such as `\set cid …`. */
  setup?: string[];
  /** For each sentinel the call uses, what replaces it: typically the id's text with a variable, `…-:cid`. */
  replace?: Partial<Record<keyof typeof SENTINEL, string>>;
  /**
   * "one message" (the default) sends the request as the function does; "each statement" sends
   * BEGIN, each statement and COMMIT as commands of their own, as drivers usually do; "rolled back"
   * sends the one message inside BEGIN … ROLLBACK, so that a destructive call can be measured and
   * still leave its data for the HTTP side.
   */
  send?: "one message" | "each statement" | "rolled back";
}

/**
 * A pgbench script for the call: `setup`, then the function's query message, with each sentinel
 * id replaced as `replace` says. As one message, its statements are joined with `\;`, which
 * pgbench sends in a single Query message.
 */
export function pgbenchScript(call: Call, options: ScriptOptions = {}): string {
  const { caller, statements } = callStatements(call);
  const text = requestText(caller, statements);
  // requestText joins the preamble and the statements with ";\n"; none of them may hold one itself.
  if (text.split(";\n").length !== statements.length + 1) {
    throw new Error(`a statement of ${call.function} contains ";\\n"; it cannot be split for pgbench`);
  }
  const send = options.send ?? "one message";
  let script = send === "each statement"
    ? `begin;\n${text};\ncommit;`
    : send === "rolled back"
    ? `begin;\n${text.replaceAll(";\n", " \\;\n")};\nrollback;`
    : text.replaceAll(";\n", " \\;\n");
  for (const [name, replacement] of Object.entries(options.replace ?? {})) {
    const sentinel = SENTINEL[name as keyof typeof SENTINEL];
    if (!script.includes(sentinel)) {
      throw new Error(`the ${call.function} call does not use the ${name} sentinel`);
    }
    script = script.replaceAll(sentinel, replacement!);
  }
  return [...(options.setup ?? []), script, ""].join("\n");
}
