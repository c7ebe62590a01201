/**
 * How a reply ended, kept with it (supabase/migrations/20261207000100_reply_outcome.sql): the
 * reason an incomplete reply stopped and, for a failed model call, the error as the browser was
 * told it. get-history format=ui and the stream's `finish` carry it in the message's metadata.
 */
import type { Caller } from "../_shared/auth.ts";
import { asCaller } from "../_shared/db.ts";
import { sql } from "../_shared/sql.ts";
import type { ModelFailure } from "./model_error.ts";

export type EndReason = "stopped" | "model_error" | "time_limit" | "taken_over" | "refused";

/** What an incomplete reply says went wrong: a failed model call, or the store's refusal. */
export type EndError = ModelFailure | { code: string; message: string };

/** A reply's `reply_outcome` column: {} completed, the reason (and error) when incomplete. */
export interface ReplyOutcome {
  reason?: EndReason;
  error?: EndError;
}

/**
 * Records the reason (and error) a reply in progress is about to end with; the database settles
 * it when the status becomes final. A reply already final keeps the outcome it has.
 */
export async function setReplyOutcome(
  caller: Caller,
  reply: { conversationId: string; sequence: number },
  reason: EndReason,
  error?: EndError,
): Promise<void> {
  await asCaller(caller, [
    sql`select public.set_reply_outcome(${reply.conversationId}, ${reply.sequence}, ${reason},
                                        ${error ?? null}::jsonb)`,
  ]);
}
