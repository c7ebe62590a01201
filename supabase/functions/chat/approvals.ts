/**
 * Tool calls that wait for the user (docs/CHAT.md, "Tools that ask first"): a reply whose model
 * called a tool needing approval (`toolApproval`), or a tool without `execute` (the browser runs
 * it), ends its stream with the call waiting and is stored `awaiting_input`; `useChat` then sends
 * the reply back with the user's answers (addToolApprovalResponse, addToolOutput), and the same
 * reply continues.
 *
 * The store decides (public.answer_tool_calls): each answer is checked against the stored request
 * and applied once, under the reply's lock; an approval the store did not ask for, another
 * conversation's, a changed input or a replay is refused before any tool runs. Only what the
 * store holds after that reaches the model: the window read from the store, the reply as answered.
 */
import type { UIMessage } from "ai";
import type { Caller } from "../_shared/auth.ts";
import { asCaller } from "../_shared/db.ts";
import { sql } from "../_shared/sql.ts";
import { ApiError } from "../_shared/errors.ts";
import type { RawJson } from "../_shared/json.ts";
import type { Part, ToolCallPart } from "../_shared/part_vocabulary.ts";
import { toStoreMessage } from "../_shared/ui_parts.ts";
import { REPLY_COLUMNS } from "./stored_reply.ts";
import { type Turn, turnOf, type TurnStatement, windowOf } from "./turn.ts";

/** The states of a tool part in the browser's reply that answer (or repeat) a call. */
const ANSWER_STATES: ReadonlySet<string> = new Set([
  "approval-responded",
  "output-available",
  "output-error",
  "output-denied",
]);

/**
 * The rule of conversation_store.tool_call_waits: a call waiting for the user's approval, or for
 * the output of a tool the app does not run (input there, no output, not run by the provider).
 */
export function toolCallWaits(part: Part): boolean {
  return part.type === "tool-call" &&
    (part.state === "approval-requested" ||
      (part.state === "input-available" && part.provider_executed !== true));
}

/**
 * Marks a browser tool's output that the store accepts as one the function vouches for (the
 * hook for a provenance stamp in `result_provider_metadata`, which public.answer_tool_calls keeps
 * with an accepted output); the identity by default.
 */
export type VouchForOutput = (answer: ToolCallPart) => ToolCallPart;

/**
 * The answers a browser's reply carries: its tool parts in an answered state, as store parts (the
 * store compares them with what it holds), without the result metadata a browser may have sent,
 * outputs passed through `vouch`. 400 when the reply carries none, or cannot be stored.
 */
export function answersOf(reply: UIMessage, vouch: VouchForOutput = (answer) => answer): ToolCallPart[] {
  const answers = toStoreMessage(reply).parts.flatMap((part) => {
    if (part.type !== "tool-call" || !ANSWER_STATES.has(part.state)) return [];
    const { result_provider_metadata: _fromBrowser, ...answer } = part;
    return [answer.state === "output-available" || answer.state === "output-error" ? vouch(answer) : answer];
  });
  if (answers.length === 0) {
    throw new ApiError(
      "invalid_request",
      "the last message is the assistant's reply: it must carry tool approvals (approval-responded) or tool outputs",
    );
  }
  return answers;
}

/**
 * Applies the answers the browser's reply carries to the stored reply of the same id
 * (public.answer_tool_calls: checked, exactly once, approvals older than `maxAgeSeconds` denied),
 * which is in progress again, and reads the window for the model: the conversation before the
 * reply (get_context), then the reply as answered. `reserve` reserves the continuation's model call
 * in the same transaction (over a limit, nothing is applied).
 */
export async function answerToolCalls(
  caller: Caller,
  conversationId: string,
  reply: UIMessage,
  contextTokens: number,
  maxAgeSeconds: number,
  vouch?: VouchForOutput,
  reserve?: TurnStatement,
): Promise<Turn> {
  const answers = answersOf(reply, vouch);
  const [[answered], [context], [ui], reserved] = await asCaller(caller, [
    sql`select ${REPLY_COLUMNS}
        from public.answer_tool_calls(${conversationId}, ${reply.id}, ${answers}::jsonb, ${maxAgeSeconds}) as m`,
    // The reply is in progress again, which get_context leaves out: it is added last, as answered.
    windowOf(conversationId, contextTokens),
    sql`select conversation_store.ui_message(m, '{}'::jsonb, true) as message
        from public.conversation_messages as m
        where m.conversation_id = ${conversationId} and m.client_message_id = ${reply.id} and m.role = 'assistant'`,
    // The continuation is a model call of its own: reserved (and refused over a limit) with the answers.
    ...(reserve ? [reserve(conversationId)] : []),
  ]);
  const turn = turnOf(answered, context, reserved?.[0]);
  turn.window.push(JSON.parse((ui.message as RawJson).text));
  return turn;
}
