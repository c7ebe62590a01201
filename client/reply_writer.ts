/**
 * The writer of a streamed reply: the model's text goes in as it is generated, and reaches the
 * store in batches, exactly once, however the network behaves.
 *
 *   const writer = await store.reply(conversationId);
 *   const result = streamText({ model, messages, abortSignal: writer.signal });
 *   for await (const delta of result.textStream) writer.write(delta);
 *   const message = await writer.finish(); // status "completed", or "incomplete" if the user pressed Stop
 *
 * Every delta names the offset it was written for (the stored text's length in code points, as
 * PostgreSQL counts characters), so a delta retried after a dropped connection or a 503 is
 * recognised by the server and stored once. Requests go one at a time, in order; a delta, once
 * sent, is resent unchanged until it is answered.
 *
 * A final reply never changes again. When the user presses Stop (the reply is set to incomplete
 * by someone else), the next delta is refused with message_final: `signal` aborts with that error
 * as its reason, so that generation stops, and finish() or stop() resolve with the reply as stored.
 */
import type { z } from "zod";
import type * as api from "../supabase/functions/_shared/schemas.ts";
import type { Message, ToolCall } from "../supabase/functions/_shared/schemas.ts";
import { ConversationStoreError } from "./errors.ts";

/** A change to a reply in progress: update-message's fields without the message's address. */
export type MessagePatch = Omit<
  z.input<typeof api.updateMessageRequest>,
  "conversation_id" | "sequence_order"
>;

export interface ReplyOptions {
  /** How long written text waits before it is sent, in ms (default 250): fewer, larger requests. */
  flushMs?: number;
  /**
   * After this long without a request, in ms, an empty delta tells the store the writer is alive
   * (default 20,000). A reply silent for 60 s is stale: the next append takes over and marks it
   * incomplete. 0 sends none.
   */
  heartbeatMs?: number;
  /** The idempotency key of the reply's start (default: a new UUID), which makes the start retry-safe. */
  clientMessageId?: string;
}

/** What the writer needs from the store, bound to one message. */
export interface ReplyTransport {
  /** update-message for this reply, retried on network errors and 503s. */
  update(patch: MessagePatch): Promise<Message>;
  /** The reply as stored now. */
  read(): Promise<Message>;
}

export interface ReplyWriter {
  /** The reply as it was started (its sequence_order addresses it). */
  readonly message: Message;
  /**
   * Aborts when the reply can take no more text: the user pressed Stop (reason: a
   * ConversationStoreError with code message_final), or a request failed for good (reason: its
   * error). Pass it to the model call so that generation stops too.
   */
  readonly signal: AbortSignal;
  /** Adds text; it is sent within flushMs. Ignored once `signal` has aborted. */
  write(delta: string): void;
  /** Sends what is left and completes the reply, with the tool calls the model made, if any. */
  finish(options?: { toolCalls?: ToolCall[] }): Promise<Message>;
  /** Sends what is left and ends the reply as incomplete: everything written, nothing more. */
  stop(): Promise<Message>;
  /** `await using writer = …`: a writer left without finish() ends as incomplete. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** Characters as PostgreSQL counts them (code points), not UTF-16 units: "🐈".length is 2, this is 1. */
export function codePointLength(text: string): number {
  let length = 0;
  for (const _ of text) length++;
  return length;
}

const isMessageFinal = (error: unknown) =>
  error instanceof ConversationStoreError && error.code === "message_final";

export function createReplyWriter(
  started: Message,
  transport: ReplyTransport,
  options: ReplyOptions = {},
): ReplyWriter {
  const flushMs = options.flushMs ?? 250;
  const heartbeatMs = options.heartbeatMs ?? 20_000;
  const controller = new AbortController();
  let offset = codePointLength(started.content ?? "");
  let buffer = "";
  let queue: Promise<unknown> = Promise.resolve();
  let flushTimer: ReturnType<typeof setTimeout> | undefined;
  let heartbeatTimer: ReturnType<typeof setTimeout> | undefined;
  let ending: Promise<Message> | undefined;

  /** Runs requests one at a time, in order: each delta's offset is where the one before ended. */
  function enqueue<T>(task: () => Promise<T>): Promise<T> {
    const result = queue.then(task);
    queue = result.catch(() => {});
    return result;
  }

  function armHeartbeat(): void {
    clearTimeout(heartbeatTimer);
    if (heartbeatMs > 0 && !ending) heartbeatTimer = setTimeout(() => enqueue(sendBuffer), heartbeatMs);
  }

  /** Sends the buffered text (empty for a heartbeat); a failure ends the writing through `signal`. */
  async function sendBuffer(): Promise<void> {
    if (controller.signal.aborted) return;
    const delta = buffer;
    buffer = "";
    try {
      await transport.update({ append_content: delta, content_offset: offset });
      offset += codePointLength(delta);
      armHeartbeat();
    } catch (error) {
      clearTimeout(heartbeatTimer);
      controller.abort(error);
    }
  }

  /** The last request: the rest of the text and the final status, in one update. */
  function end(status: "completed" | "incomplete", toolCalls?: ToolCall[]): Promise<Message> {
    ending ??= (() => {
      clearTimeout(flushTimer);
      clearTimeout(heartbeatTimer);
      return enqueue(async () => {
        if (controller.signal.aborted) {
          if (isMessageFinal(controller.signal.reason)) return await transport.read();
          throw controller.signal.reason;
        }
        try {
          return await transport.update({
            append_content: buffer,
            content_offset: offset,
            tool_calls: toolCalls,
            status,
          });
        } catch (error) {
          if (!isMessageFinal(error)) throw error;
          // Final already: this very request, stored before its answer was lost, or a Stop.
          const stored = await transport.read();
          if (stored.status !== status) controller.abort(error);
          return stored;
        }
      });
    })();
    return ending;
  }

  armHeartbeat();
  return {
    message: started,
    signal: controller.signal,
    write(delta) {
      if (ending) throw new Error("write() after finish() or stop()");
      if (controller.signal.aborted || delta === "") return;
      buffer += delta;
      flushTimer ??= setTimeout(() => {
        flushTimer = undefined;
        enqueue(sendBuffer);
      }, flushMs);
    },
    finish: (finishOptions = {}) => end("completed", finishOptions.toolCalls),
    stop: () => end("incomplete"),
    async [Symbol.asyncDispose]() {
      if (!ending) await end("incomplete");
    },
  };
}
