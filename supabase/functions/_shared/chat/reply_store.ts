/**
 * The chat function's reads and writes of the store: starting a turn (the conversation, the user's
 * message and the reply, idempotently), writing the reply as it streams, and reading it back.
 *
 * Every write goes through the SQL functions the other edge functions use (start_conversation,
 * append_messages, fork_conversation, update_message), as the caller, so the same rules hold: one
 * reply in progress per conversation, exactly-once deltas, a final reply never changes again.
 */
import type { Caller } from "../auth.ts";
import { asCaller, type Row, type Sql, sql } from "../db.ts";
import { ApiError, isDatabaseError } from "../errors.ts";
import type { RawJson } from "../json.ts";
import { countMessageTokens, countReasoningTokens, withTokenCounts } from "../tokens.ts";
import type { UIMessage } from "ai";
import type { Part } from "../parts.ts";
import { type StoreMessageInput, toStoreMessage } from "../ui_parts.ts";
import type { ReplyOutcome } from "./outcome.ts";
import type { ReplyParts } from "./parts.ts";
import { canonicalJson } from "./provenance.ts";

/** conversation_store.stale_reply_after(): a reply silent this long is taken over by the next message. */
export const STALE_REPLY_SECONDS = 60;

export type ReplyStatus = "in_progress" | "completed" | "incomplete";

/** A reply as stored: its address, its id for the browser, and its parts. */
export interface StoredReply {
  conversationId: string;
  sequence: number;
  messageId: string;
  status: ReplyStatus;
  parts: Part[];
  /** Seconds since the reply last changed. */
  silentSeconds: number;
  /** How it ended (null: never a reply in progress, or from before outcomes were kept). */
  outcome: ReplyOutcome | null;
}

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

/** The reply columns every read selects, from a message aliased m. */
const REPLY_COLUMNS = sql`m.conversation_id, m.sequence_order, m.client_message_id, m.status,
  m.parts, m.content, m.reply_outcome,
  extract(epoch from now() - m.updated_at)::float8 as silent_seconds`;

function toReply(row: Row): StoredReply {
  return {
    conversationId: row.conversation_id as string,
    sequence: row.sequence_order as number,
    messageId: (row.client_message_id as string | null) ?? String(row.sequence_order),
    status: row.status as ReplyStatus,
    // A reply begun without parts (another writer's) is its text.
    parts: (row.parts as Part[] | null) ??
      (row.content ? [{ type: "text", text: row.content as string }] : []),
    silentSeconds: row.silent_seconds as number,
    outcome: row.reply_outcome as ReplyOutcome | null,
  };
}

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
    sql`select public.get_context(${conversationId}, ${contextTokens}, 1000, 'ui') as context,
               (select c.metadata from public.conversations as c where c.id = ${conversationId}) as metadata`,
  ];
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

function turnOf(reply: Row, context: Row, reservation?: Row): Turn {
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

/**
 * The caller's reply in progress in a conversation, recorded as resumed (release.ts), or null: the
 * same for a conversation that does not exist, is not live or is another user's (no oracle).
 */
export async function replyInProgressOf(caller: Caller, conversationId: string): Promise<StoredReply | null> {
  const [[reply]] = await asCaller(caller, [
    sql`select ${REPLY_COLUMNS} from public.resume_reply(${conversationId}) as m`,
  ]);
  return reply ? toReply(reply) : null;
}

/** A reply as it is stored now. */
export async function readReply(
  caller: Caller,
  conversationId: string,
  sequence: number,
): Promise<StoredReply> {
  const [[reply]] = await asCaller(caller, [
    sql`select ${REPLY_COLUMNS} from public.conversation_messages as m
        where m.conversation_id = ${conversationId} and m.sequence_order = ${sequence}`,
  ]);
  if (!reply) throw new ApiError("not_found", "the reply is gone");
  return toReply(reply);
}

/** Characters as PostgreSQL counts them (code points). */
function codePoints(text: string): number {
  let length = 0;
  for (const _ of text) length++;
  return length;
}

const isFinalError = (error: unknown) =>
  isDatabaseError(error) && (error.hint === "message_final" || error.hint === "content_offset_mismatch");

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** A text or reasoning part that is `stored` with more text: what to append, else null. */
function textDelta(stored: Part, part: Part): string | null {
  if (stored.type !== part.type || (part.type !== "text" && part.type !== "reasoning")) return null;
  const before = stored as typeof part;
  if (!part.text.startsWith(before.text) || !sameJson({ ...before, text: "" }, { ...part, text: "" })) {
    return null;
  }
  return part.text.slice(before.text.length);
}

/**
 * The update_message calls that bring the stored parts `stored` to `parts`: a text delta (exactly
 * once, at its offset) where a text or reasoning part grew, the whole part where anything else
 * changed or a part is new. Parts never go away: a reply's parts only grow.
 */
function partOperations(conversationId: string, sequence: number, stored: Part[], parts: Part[]): Sql[] {
  const call = (index: number, part: Part | null, text: string | null, offset: number | null) =>
    sql`select from public.update_message(${conversationId}, ${sequence}, p_part_index => ${index},
          p_part => ${part}::jsonb, p_append_text => ${text}, p_text_offset => ${offset})`;
  return parts.flatMap((part, index) => {
    const before = stored[index];
    if (before === undefined) return [call(index, part, null, null)];
    const delta = textDelta(before, part);
    if (delta === "") return [];
    if (delta !== null) return [call(index, null, delta, codePoints((before as { text: string }).text))];
    return sameJson(before, part) ? [] : [call(index, part, null, null)];
  });
}

/**
 * Writes one reply as its parts grow, and says when each change is stored, so that the browser is
 * sent only what the store holds (a crash loses nothing the user saw).
 *
 * Writes go one at a time, at most one per `flushMs`, each carrying every change since the one
 * before in one round trip (not one per token): part operations of update_message, each delta at
 * the offset it was written for, so a retry after a lost answer is stored once. The first change
 * is written at once. A write the store refuses because the reply is final (the owner's Stop) or
 * was taken over aborts `stopped`, and what it carried is never reported stored; a failed round
 * trip (the database unreachable) is tried again by the next write.
 */
export class ReplyWriter {
  readonly stopped = new AbortController();
  private stored: Part[] = [];
  private dirty = false;
  private beat = false;
  private waiters: Array<() => void> = [];
  private loop: Promise<void> | null = null;
  private lastWrite = 0;
  private readonly heartbeat: ReturnType<typeof setInterval>;

  constructor(
    private readonly caller: Caller,
    readonly reply: StoredReply,
    readonly parts: ReplyParts,
    private readonly flushMs: number,
  ) {
    this.stored = structuredClone(reply.parts);
    // A reply that waits on a slow model (or tool) must not look stale.
    this.heartbeat = setInterval(() => {
      this.beat = true;
      this.loop ??= this.run();
    }, (STALE_REPLY_SECONDS / 4) * 1000);
  }

  /** Call after the parts changed; resolves once the change is stored (never, if the reply stopped). */
  changed(): Promise<void> {
    this.dirty = true;
    const stored = new Promise<void>((resolve) => this.waiters.push(resolve));
    this.loop ??= this.run();
    return stored;
  }

  /** Writes what is left with the final status; resolves with the reply as stored. */
  async finish(status: "completed" | "incomplete"): Promise<StoredReply> {
    clearInterval(this.heartbeat);
    await this.loop;
    if (!this.stopped.signal.aborted && await this.write(status)) this.release();
    return await readReply(this.caller, this.reply.conversationId, this.reply.sequence);
  }

  private release(): void {
    for (const resolve of this.waiters.splice(0)) resolve();
  }

  private async run(): Promise<void> {
    while ((this.dirty || this.beat) && !this.stopped.signal.aborted) {
      // The first write goes out at once (lastWrite is 0); a negative delay would warn.
      await pause(Math.max(0, this.lastWrite + this.flushMs - Date.now()));
      this.dirty = this.beat = false;
      const waiting = this.waiters.splice(0);
      this.lastWrite = Date.now();
      if (await this.write()) {
        for (const resolve of waiting) resolve();
      } else {
        this.waiters.unshift(...waiting);
        this.dirty = !this.stopped.signal.aborted;
      }
    }
    this.loop = null;
  }

  /** One round trip with every change not yet stored; whether it was stored. */
  private async write(status?: "completed" | "incomplete"): Promise<boolean> {
    const parts = structuredClone(this.parts.parts);
    const { conversationId, sequence } = this.reply;
    const statements = partOperations(conversationId, sequence, this.stored, parts);
    if (status) {
      statements.push(
        sql`select from public.update_message(${conversationId}, ${sequence}, p_status => ${status})`,
        sql`select conversation_store.set_exact_token_count(m.id, ${countMessageTokens({ parts })},
                                                            ${countReasoningTokens(parts)})
        from public.conversation_messages as m
        where m.conversation_id = ${conversationId} and m.sequence_order = ${sequence}`,
      );
    } else if (statements.length === 0) {
      statements.push(sql`select from public.keep_reply_alive(${conversationId}, ${sequence})`);
    }
    try {
      await asCaller(this.caller, statements);
      this.stored = parts;
      return true;
    } catch (error) {
      if (isFinalError(error)) {
        clearInterval(this.heartbeat);
        this.stopped.abort(error);
        return false;
      }
      if (status) throw error; // the last write: nothing comes after it to retry it
      return false;
    }
  }
}
