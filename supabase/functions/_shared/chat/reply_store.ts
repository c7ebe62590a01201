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
import { ApiError, type ErrorCode, fromDatabaseError, isDatabaseError } from "../errors.ts";
import type { RawJson } from "../json.ts";
import { countMessageTokens, countReasoningTokens, withTokenCounts } from "../tokens.ts";
import type { UIMessage } from "ai";
import type { Part } from "../parts.ts";
import { type StoreMessageInput, toStoreMessage } from "../ui_parts.ts";
import type { ReplyOutcome } from "./outcome.ts";
import { type LogEntry, type PartChange, PendingOperations } from "./parts.ts";
import { canonicalJson } from "./provenance.ts";

/** conversation_store.stale_reply_after(): a reply silent this long is taken over by the next message. */
export const STALE_REPLY_SECONDS = 60;

export type ReplyStatus = "in_progress" | "awaiting_input" | "completed" | "incomplete";

/** How a reply's stream ends: final, or waiting for the user's tool approvals or outputs. */
export type ReplyEnd = "completed" | "incomplete" | "awaiting_input";

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
  /** The message's row id, and the last log entry its parts include (see followReply). */
  rowId: string;
  logPosition: number;
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

/**
 * The reply columns every read selects, from a message aliased m: a reply in progress with its log
 * applied, and the position of the last log entry read (a follower reads the entries after it).
 */
export const REPLY_COLUMNS = sql`m.id, m.conversation_id, m.sequence_order, m.client_message_id, m.status,
  conversation_store.live_parts(m) as parts, m.content, m.reply_outcome,
  case when m.status = 'in_progress' then conversation_store.reply_log_position(m.id) else 0 end as log_position,
  extract(epoch from now() - m.updated_at)::float8 as silent_seconds`;

export function toReply(row: Row): StoredReply {
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
    rowId: row.id as string,
    logPosition: Number(row.log_position ?? 0),
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

/** A reply in progress as a follower polls it: its status, and only the log entries it has not read. */
export interface ReplyPoll {
  status: ReplyStatus;
  silentSeconds: number;
  entries: LogEntry[];
  /**
   * The reply has no log and no parts: written by content deltas (update-message's append_content),
   * which rewrite the message itself, or not begun. Its log tells nothing: read it whole.
   */
  unlogged: boolean;
  /** The size of what the poll read from the database (the entries' JSON), for the benchmark. */
  bytes: number;
}

/** One short read of what a reply logged after `after` (a log position), with its status. */
export async function pollReply(caller: Caller, reply: StoredReply, after: number): Promise<ReplyPoll> {
  const [[row]] = await asCaller(caller, [
    sql`select m.status, extract(epoch from now() - m.updated_at)::float8 as silent_seconds,
               m.parts is null and conversation_store.reply_log_position(m.id) = 0 as unlogged,
               (select coalesce(json_agg(json_build_object('position', l.log_position, 'index', l.part_index,
                                                           'delta', l.delta, 'part', l.part)
                                         order by l.log_position), '[]')
                from conversation_store.reply_log_after(m.id, ${after}) as l) as entries
        from public.conversation_messages as m
        where m.conversation_id = ${reply.conversationId} and m.sequence_order = ${reply.sequence}`,
  ]);
  if (!row) throw new ApiError("not_found", "the reply is gone");
  const entries = row.entries as RawJson;
  return {
    status: row.status as ReplyStatus,
    silentSeconds: row.silent_seconds as number,
    entries: JSON.parse(entries.text),
    unlogged: row.unlogged as boolean,
    bytes: entries.text.length,
  };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How long the writer tries again while the database cannot be reached, before it gives up. */
export const UNREACHABLE_RETRY_MS = 20_000;

/** A round trip that did not reach the database (or timed out there): worth trying again. */
function unreachable(error: unknown): boolean {
  if (error instanceof ApiError) return error.code === "service_unavailable";
  return isDatabaseError(error) && ["08", "40", "53", "57"].includes(error.code.slice(0, 2));
}

/** Why the store refused a reply's write, as the browser and the stored reply are told. */
export interface Refusal {
  code: ErrorCode;
  message: string;
}

function refusalOf(error: unknown): Refusal {
  const apiError = error instanceof ApiError
    ? error
    : isDatabaseError(error)
    ? fromDatabaseError(error)
    : new ApiError("internal_error", "the reply could not be stored");
  return { code: apiError.code, message: apiError.message };
}

type WriteResult = "stored" | "refused" | "unreachable";

/**
 * Writes one reply as its parts grow, and says when each change is stored, so that the browser is
 * sent only what the store holds (a crash loses nothing the user saw).
 *
 * Each write carries only what changed since the one before (the deltas, and the parts set), as
 * part operations that the store logs beside the reply (conversation_store.log_part_operation):
 * the work of a write is the size of what is new, not of the reply. Writes go one at a time, at
 * most one per `flushMs`, in one round trip each; the first change is written at once. Each delta
 * names the offset it was written for, so a retry after a lost answer is stored once.
 *
 * A write the store refuses (a limit, a final reply, an owner's edit of the text) ends the reply:
 * `stopped` aborts with the refusal, what the write carried is never reported stored, and
 * `finish` stores the reply incomplete with what the store holds and the reason in its metadata
 * (`{ "error": { code, message } }`). Only a database that cannot be reached is tried again, for
 * UNREACHABLE_RETRY_MS, after which the reply is given up the same way.
 */
export class ReplyWriter {
  readonly stopped = new AbortController();
  /** Why the store refused the reply, once it did. */
  refusal: Refusal | null = null;
  private readonly pending: PendingOperations;
  private unreachableSince: number | null = null;
  private beat = false;
  /** The last ticket given (one per `note`), and the last one whose changes are stored. */
  private ticket = 0;
  private storedTicket = 0;
  private readonly listeners: Array<(ticket: number) => void> = [];
  private loop: Promise<void> | null = null;
  private lastWrite = 0;
  private readonly heartbeat: ReturnType<typeof setInterval>;

  constructor(
    private readonly caller: Caller,
    readonly reply: StoredReply,
    private readonly parts: { readonly parts: Part[] },
    private readonly flushMs: number,
  ) {
    this.pending = new PendingOperations(reply.parts);
    // A reply that waits on a slow model (or tool) must not look stale.
    this.heartbeat = setInterval(() => {
      this.beat = true;
      this.loop ??= this.run();
    }, (STALE_REPLY_SECONDS / 4) * 1000);
  }

  /**
   * Call with what changed in the parts (none: a ticket for what is pending already); returns the
   * ticket that `onStored` reports once those changes, and every earlier one, are stored (never, if
   * the reply stopped). No promise per call: a reply of many small chunks costs one listener call
   * per write, not one promise per chunk.
   */
  note(changes: readonly PartChange[]): number {
    if (changes.length === 0) return this.ticket;
    for (const change of changes) this.pending.add(change, this.parts.parts);
    this.loop ??= this.run();
    return ++this.ticket;
  }

  /** `listener` is called with the last stored ticket after each write that stored something new. */
  onStored(listener: (ticket: number) => void): void {
    this.listeners.push(listener);
  }

  /**
   * Writes what is left with the final status (incomplete, with the reason, after a refusal);
   * resolves with the reply as stored.
   */
  async finish(status: ReplyEnd): Promise<StoredReply> {
    clearInterval(this.heartbeat);
    await this.loop;
    if (!this.stopped.signal.aborted) {
      if (await this.writeUntilAnswered(status) === "stored") this.release();
    }
    if (this.refusal && this.refusal.code !== "message_final") {
      // What the refused write carried is dropped: the reply ends with what the store holds.
      this.pending.clear();
      await this.writeUntilAnswered("incomplete", { error: this.refusal });
    }
    return await readReply(this.caller, this.reply.conversationId, this.reply.sequence);
  }

  /** Every ticket up to `ticket` is stored: the listeners hear it. */
  private release(ticket = this.ticket): void {
    if (ticket <= this.storedTicket) return;
    this.storedTicket = ticket;
    for (const listener of this.listeners) listener(ticket);
  }

  private async run(): Promise<void> {
    while ((this.pending.size > 0 || this.beat) && !this.stopped.signal.aborted) {
      // The first write goes out at once (lastWrite is 0); a negative delay would warn.
      await pause(Math.max(0, this.lastWrite + this.flushMs - Date.now()));
      this.beat = false;
      const covered = this.ticket; // the write carries every change noted so far
      this.lastWrite = Date.now();
      if (await this.write() === "stored") this.release(covered);
    }
    this.loop = null;
  }

  /** The final write, tried again while the database cannot be reached (within the bound). */
  private async writeUntilAnswered(
    status: ReplyEnd,
    metadata?: Record<string, unknown>,
  ): Promise<WriteResult> {
    for (;;) {
      const result = await this.write(status, metadata);
      if (result !== "unreachable") return result; // unreachable only within UNREACHABLE_RETRY_MS
      await pause(this.flushMs);
    }
  }

  /** One round trip with every change not yet stored. */
  private async write(
    status?: ReplyEnd,
    metadata?: Record<string, unknown>,
  ): Promise<WriteResult> {
    const carried = this.pending.take();
    const { conversationId, sequence } = this.reply;
    const statements = carried.map((operation) =>
      "part" in operation
        ? sql`select from conversation_store.log_part_operation(${conversationId}, ${sequence}, ${operation.index},
                ${operation.part}::jsonb, null, null)`
        : sql`select from conversation_store.log_part_operation(${conversationId}, ${sequence}, ${operation.index},
                null, ${operation.text}, ${operation.offset})`
    );
    if (status) {
      statements.push(
        status === "awaiting_input"
          ? sql`select from public.await_tool_input(${conversationId}, ${sequence})`
          : sql`select from public.update_message(${conversationId}, ${sequence}, p_status => ${status},
                                              p_metadata => ${metadata ?? null}::jsonb)`,
      );
      // After a refusal the store holds less than the parts: its estimates stay.
      if (!this.refusal) {
        statements.push(
          sql`select conversation_store.set_exact_token_count(m.id, ${countMessageTokens(this.parts)},
                                                              ${countReasoningTokens(this.parts.parts)})
          from public.conversation_messages as m
          where m.conversation_id = ${conversationId} and m.sequence_order = ${sequence}`,
        );
      }
    } else if (statements.length === 0) {
      statements.push(sql`select from public.keep_reply_alive(${conversationId}, ${sequence})`);
    }
    try {
      await asCaller(this.caller, statements);
      this.unreachableSince = null;
      return "stored";
    } catch (error) {
      if (unreachable(error)) {
        this.unreachableSince ??= Date.now();
        if (Date.now() - this.unreachableSince < UNREACHABLE_RETRY_MS) {
          this.pending.restore(carried);
          return "unreachable";
        }
      }
      this.refusal ??= refusalOf(error);
      clearInterval(this.heartbeat);
      this.stopped.abort(error);
      return "refused";
    }
  }
}
