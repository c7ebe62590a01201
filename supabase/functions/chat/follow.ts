/**
 * A stored reply as a UI message stream: replayed from the start, then followed by reading the
 * store every `pollMs` until the reply is final. Only the database is read, with one short
 * transaction per poll, so any instance can follow a reply another one writes, through Supabase's
 * transaction pooler (no LISTEN, no session state). A poll reads only the reply's log entries after
 * the last one seen (and its status), so its cost does not grow with the reply; the reply is read
 * whole twice: at the start and once it is final. A reply written by content deltas
 * (update-message's append_content, which rewrite the message) has no log: it is read whole.
 *
 * A reply whose writer went silent for STALE_REPLY_SECONDS (a killed instance) ends the stream: the
 * next message takes it over and marks it incomplete, with the text it has.
 */
import type { UIMessageChunk } from "ai";
import type { Caller } from "../_shared/auth.ts";
import { ApiError } from "../_shared/errors.ts";
import { applyLogEntries, ReplayCursor } from "./reply_parts.ts";
import { pollReply, readReply, STALE_REPLY_SECONDS, type StoredReply } from "./stored_reply.ts";

/**
 * The metadata every chat stream carries on its start and finish chunks; on finish, the reply's
 * status and, when incomplete, why (as get-history format=ui has it).
 */
export function replyMetadata(reply: StoredReply, status?: string): Record<string, unknown> {
  if (status === undefined) return { conversation_id: reply.conversationId };
  // A reply whose writer went silent is taken over by the next message, and then stored so.
  const outcome = reply.status === "in_progress" ? { reason: "taken_over" } : reply.outcome;
  return { conversation_id: reply.conversationId, status, ...(status === "incomplete" ? outcome : {}) };
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}

export function followReply(
  caller: Caller,
  first: StoredReply,
  pollMs: number,
  signal: AbortSignal,
): ReadableStream<UIMessageChunk> {
  const cursor = new ReplayCursor();
  const gone = new AbortController();
  const stop = AbortSignal.any([signal, gone.signal]);
  return new ReadableStream<UIMessageChunk>({
    async start(controller) {
      let reply = first;
      let { status, silentSeconds, logPosition } = first;
      controller.enqueue({
        type: "start",
        messageId: reply.messageId,
        messageMetadata: replyMetadata(reply),
      });
      while (status === "in_progress" && silentSeconds <= STALE_REPLY_SECONDS) {
        for (const chunk of cursor.update(reply.parts)) controller.enqueue(chunk);
        await pause(pollMs, stop);
        if (stop.aborted) return;
        try {
          const poll = await pollReply(caller, first, logPosition);
          if (poll.status !== "in_progress" || poll.unlogged) {
            // Final (its log is folded into the message), or written without a log: read whole.
            reply = await readReply(caller, first.conversationId, first.sequence);
            ({ status, silentSeconds, logPosition } = reply);
          } else {
            silentSeconds = poll.silentSeconds;
            applyLogEntries(reply.parts, poll.entries);
            logPosition = poll.entries.at(-1)?.position ?? logPosition;
          }
        } catch (error) {
          // The database unreachable for a moment: the next poll tries again; anything else ends the stream.
          if (!(error instanceof ApiError && error.code === "service_unavailable")) {
            controller.error(error);
            return;
          }
        }
      }
      for (const chunk of [...cursor.update(reply.parts), ...cursor.end()]) controller.enqueue(chunk);
      const ended = reply.status === "in_progress" ? "incomplete" : reply.status;
      controller.enqueue({ type: "finish", messageMetadata: replyMetadata(reply, ended) });
      controller.close();
    },
    cancel: () => gone.abort(),
  });
}
