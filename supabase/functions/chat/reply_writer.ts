/**
 * The reply writer: stores a reply as it streams, through update_message as the caller, and says
 * when each change is stored (exactly-once deltas; a final reply never changes again).
 */
import type { Caller } from "../_shared/auth.ts";
import { asCaller } from "../_shared/db.ts";
import { sql } from "../_shared/sql.ts";
import { ApiError, type ErrorCode, fromDatabaseError, isDatabaseError } from "../_shared/errors.ts";
import { countMessageTokens, countReasoningTokens } from "../_shared/token_counts.ts";
import type { Part } from "../_shared/part_vocabulary.ts";
import { type PartChange, PendingOperations } from "./reply_parts.ts";
import { readReply, type ReplyEnd, STALE_REPLY_SECONDS, type StoredReply } from "./stored_reply.ts";

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
