/**
 * Starting a turn: the conversation, the user's message and the reply in progress, stored
 * idempotently in one transaction with the window the model reads; or a regeneration (a fork).
 *
 * Every write goes through the SQL functions the other edge functions use (start_conversation,
 * append_messages, fork_conversation), as the caller, so the same rules hold: one reply in
 * progress per conversation, a message sent twice is stored once.
 */
import type { Caller } from "../_shared/auth.ts";
import { asCaller, type Row } from "../_shared/db.ts";
import { type Sql, sql } from "../_shared/sql.ts";
import { ApiError } from "../_shared/errors.ts";
import type { RawJson } from "../_shared/json.ts";
import { countMessageTokens, withTokenCounts } from "../_shared/token_counts.ts";
import type { UIMessage } from "ai";
import { type StoreMessageInput, toStoreMessage } from "../_shared/ui_parts.ts";
import { canonicalJson } from "./provenance.ts";
import { REPLY_COLUMNS, type StoredReply, toReply } from "./stored_reply.ts";

/** What a model call needs: the window (get_context's rules) and the conversation's metadata. */
export interface Turn {
  reply: StoredReply;
  window: UIMessage[];
  metadata: Record<string, unknown>;
  /** The row of the turn's `reserve` statement (usage.ts), when one was given. */
  reservation?: Row;
}

/** A statement run last in the transaction that stores a turn (its reply in the conversation given). */
export type TurnStatement = (conversationId: string) => Sql;

/**
 * A UIMessage from the browser as the store's message, every part kept (text, files, data…): its
 * id is the client_message_id, so a message sent twice is stored once.
 */
export function userMessageOf(message: { id: string; role: string; parts: unknown[] }): StoreMessageInput {
  return toStoreMessage(message as UIMessage);
}

const parseJson = (value: unknown) => JSON.parse((value as RawJson).text);

/**
 * What is known of a user message before a turn: the conversation (none yet: startTurn creates it
 * with the message, so a refused message leaves no empty conversation), and whether the message is
 * stored, as what, and already has its reply.
 */
async function lookUp(caller: Caller, conversationId: string, clientMessageId: string) {
  const [, [conversation], found] = await asCaller(caller, [
    // A reply whose page closed (a Stop) and was not resumed ends here, so Stop then send just works.
    sql`select public.stop_released_reply(${conversationId})`,
    // pinned_tokens: what every window holds before any turn (get_context's pinned prompt and summary).
    sql`select c.metadata, c.last_sequence,
               coalesce(c.summary_token_count, 0) + coalesce((
                 select sum(p.token_count) from public.conversation_messages as p
                 where p.conversation_id = c.id and p.role = 'system'
                   and p.sequence_order < coalesce((
                     select min(o.sequence_order) from public.conversation_messages as o
                     where o.conversation_id = c.id and o.role <> 'system'), 2147483647)), 0)::int as pinned_tokens
        from public.conversations as c where c.id = ${conversationId}`,
    sql`select u.sequence_order as user_sequence, u.role as user_role, u.parts as user_parts,
               u.metadata as user_metadata, ${REPLY_COLUMNS}, m.role
        from public.conversation_messages as u
        left join public.conversation_messages as m
          on m.conversation_id = u.conversation_id and m.sequence_order = u.sequence_order + 1
        where u.conversation_id = ${conversationId} and u.client_message_id = ${clientMessageId}`,
  ]);
  return { conversation, found: found[0] };
}

/** The statements that append `messages` (the reply in progress last) and read the window. */
function appendAndWindow(conversationId: string, messages: unknown[], contextTokens: number): Sql[] {
  return [
    sql`select ${REPLY_COLUMNS}
        from public.append_messages(${conversationId}, ${messages}::jsonb) as m
        where m.status = 'in_progress'`,
    windowOf(conversationId, contextTokens),
  ];
}

/** The statement that reads the window for the model (get_context, format ui) and the agent state. */
export function windowOf(conversationId: string, contextTokens: number): Sql {
  return sql`select public.get_context(${conversationId}, ${contextTokens}, 1000, 'ui') as context,
               (select c.metadata from public.conversations as c where c.id = ${conversationId}) as metadata`;
}

const replyInProgress = (replyId: string) => ({
  role: "assistant",
  content: null,
  status: "in_progress",
  client_message_id: replyId,
});

export type TurnStart = { kind: "started"; turn: Turn } | { kind: "answered"; reply: StoredReply };

/**
 * Stores the user's message (once: its id is its client_message_id) and a reply in progress with
 * the id `replyId`, and reads the window for the model. A message stored before that already has
 * its reply is `answered`: the caller replays that reply instead of asking the model again.
 */
export async function startTurn(
  caller: Caller,
  conversationId: string,
  user: StoreMessageInput,
  replyId: string,
  contextTokens: number,
  reserve?: TurnStatement,
): Promise<TurnStart> {
  const { conversation, found } = await lookUp(caller, conversationId, user.client_message_id);
  const required = countMessageTokens(user) + ((conversation?.pinned_tokens as number | undefined) ?? 0);
  if (!found && required > contextTokens) {
    // Refused before anything is stored: the window would not hold it, and the model would be called
    // without the message it answers.
    throw new ApiError(
      "context_budget_exceeded",
      `the message needs ${required} tokens with the conversation's pinned prompt and summary, more than the window's ${contextTokens} (CHAT_CONTEXT_TOKENS)`,
      { required_tokens: required, max_tokens: contextTokens },
    );
  }
  if (found && !sameMessage(found, user)) {
    throw new ApiError(
      "idempotency_conflict",
      `message ${user.client_message_id} is already stored with other content: send a new id for a new message`,
    );
  }
  if (found?.role === "assistant") return { kind: "answered", reply: toReply(found) };
  const isLast = found && found.user_sequence === conversation?.last_sequence;
  if (found && !isLast) {
    throw new ApiError("invalid_request", "this message is stored, and is not the conversation's last one");
  }
  const messages = found ? [] : withTokenCounts([user]);
  const [, [reply], [context], reserved] = await asCaller(caller, [
    sql`select from public.start_conversation(null, '{}'::jsonb, ${conversationId})`,
    ...appendAndWindow(conversationId, [...messages, replyInProgress(replyId)], contextTokens),
    ...(reserve ? [reserve(conversationId)] : []),
  ]);
  return { kind: "started", turn: turnOf(reply, context, reserved?.[0]) };
}

/** Whether the stored message `found` (lookUp) is `user` sent again: same role, parts and metadata. */
function sameMessage(found: Row, user: StoreMessageInput): boolean {
  return found.user_role === user.role &&
    canonicalJson(found.user_parts) === canonicalJson(user.parts) &&
    canonicalJson(found.user_metadata) === canonicalJson(user.metadata ?? null);
}

export function turnOf(reply: Row, context: Row, reservation?: Row): Turn {
  return {
    reply: toReply(reply),
    window: parseJson(context.context).messages,
    metadata: context.metadata as Record<string, unknown>,
    reservation,
  };
}

/**
 * Regenerate: a fork of the conversation through the message before the reply `messageId` (the
 * last reply when none is named), with a new reply in progress. Returns the fork's turn.
 */
export async function startRegeneration(
  caller: Caller,
  conversationId: string,
  messageId: string | undefined,
  replyId: string,
  contextTokens: number,
  reserve?: TurnStatement,
): Promise<Turn> {
  const [[target]] = await asCaller(caller, [
    sql`select m.sequence_order from public.conversation_messages as m
        where m.conversation_id = ${conversationId} and m.role = 'assistant'
          and (${messageId ?? null}::text is null or m.client_message_id = ${messageId ?? null})
        order by m.sequence_order desc limit 1`,
  ]);
  if (!target) throw new ApiError("not_found", "no reply to regenerate in this conversation");
  const forkId = crypto.randomUUID();
  const throughSequence = (target.sequence_order as number) - 1;
  if (throughSequence < 1) throw new ApiError("invalid_request", "the reply to regenerate answers nothing");
  // claim_regeneration: of concurrent regenerations of one conversation, one forks; the rest 409.
  const [, , [reply], [context], reserved] = await asCaller(caller, [
    sql`select from conversation_store.claim_regeneration(${conversationId})`,
    sql`select from public.fork_conversation(${conversationId}, ${throughSequence}, ${forkId})`,
    ...appendAndWindow(forkId, [replyInProgress(replyId)], contextTokens),
    ...(reserve ? [reserve(forkId)] : []),
  ]);
  return turnOf(reply, context, reserved?.[0]);
}
