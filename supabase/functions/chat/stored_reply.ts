/**
 * A chat reply as the store holds it, and its reads: the columns every read selects, the caller's
 * reply in progress, one read of a reply, and a follower's poll of what a reply logged since.
 */
import type { Caller } from "../_shared/auth.ts";
import { asCaller, type Row } from "../_shared/db.ts";
import { sql } from "../_shared/sql.ts";
import { ApiError } from "../_shared/errors.ts";
import type { RawJson } from "../_shared/json.ts";
import type { Part } from "../_shared/part_vocabulary.ts";
import type { ReplyOutcome } from "./outcome.ts";
import type { LogEntry } from "./reply_parts.ts";

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
