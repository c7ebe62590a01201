/**
 * A typed client for the conversation store, for browsers, Deno and Node: a thin layer over
 * supabase-js `functions.invoke` whose request and response types come from the same zod schemas the
 * edge functions validate with, so the two cannot drift.
 *
 *   const store = createConversationStore(supabase);
 *   const { conversation } = await store.start({ metadata: { step: "script" } });
 *   await store.append(conversation.id, { role: "user", content: "A cat video" });
 *   const messages = await store.openaiMessages(conversation.id, { limit: 20 });
 *
 * Retries are safe: `append` gives every message a client_message_id, `start` picks the conversation
 * id, and reads and merge patches are idempotent; so a network error or a 503 is retried with
 * backoff and never stores anything twice. Errors are ConversationStoreError with the API's code.
 */
import type { SupabaseClient } from "@supabase/supabase-js";
import type { z } from "zod";
import * as api from "../supabase/functions/_shared/schemas.ts";

export type StartRequest = z.input<typeof api.startConversationRequest>;
export type MessageInput = z.input<typeof api.messageInput>;
export type HistoryOptions = Omit<z.input<typeof api.getHistoryRequest>, "conversation_id">;
export type ListOptions = z.input<typeof api.listConversationsRequest>;
export type UpdateRequest = Omit<z.input<typeof api.updateConversationRequest>, "conversation_id">;
export type StartResponse = z.output<typeof api.startConversationResponse>;
export type AppendResponse = z.output<typeof api.appendMessageResponse>;
export type HistoryResponse = z.output<typeof api.getHistoryResponse>;
export type ListResponse = z.output<typeof api.listConversationsResponse>;
export type UpdateResponse = z.output<typeof api.updateConversationResponse>;
export type DeleteResponse = z.output<typeof api.deleteConversationResponse>;
export type { Conversation, Message, OpenAIMessage } from "../supabase/functions/_shared/schemas.ts";

/** An error answered by the API (`code`, `status`, `details` as documented), or a network failure (`status` 0). */
export class ConversationStoreError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = "ConversationStoreError";
  }

  /** On a sequence_conflict, the conversation's current last sequence number. */
  get lastSequence(): number | undefined {
    return (this.details as { last_sequence?: number } | undefined)?.last_sequence;
  }
}

export interface StoreOptions {
  /** Attempts after the first, for network errors and 503s (default 4). */
  retries?: number;
  /** First backoff delay in ms, doubled each time, with jitter (default 200). */
  backoffMs?: number;
}

export function createConversationStore(supabase: SupabaseClient, options: StoreOptions = {}) {
  const retries = options.retries ?? 4;
  const backoffMs = options.backoffMs ?? 200;

  async function invokeOnce<T>(name: string, body: unknown, schema: z.ZodType<T>): Promise<T> {
    const { data, error } = await supabase.functions.invoke(name, { body: body as Record<string, unknown> });
    if (!error) return schema.parse(data);
    const response: Response | undefined = (error as { context?: Response }).context;
    if (response instanceof Response) {
      const answer = api.errorResponse.safeParse(await response.json().catch(() => null));
      if (answer.success) {
        const { code, message, details } = answer.data.error;
        throw new ConversationStoreError(code, message, response.status, details);
      }
      throw new ConversationStoreError("http_error", `HTTP ${response.status}`, response.status);
    }
    throw new ConversationStoreError("network_error", error.message, 0);
  }

  async function invoke<T>(name: string, body: unknown, schema: z.ZodType<T>, retry = true): Promise<T> {
    for (let attempt = 0;; attempt++) {
      try {
        return await invokeOnce(name, body, schema);
      } catch (error) {
        const transient = error instanceof ConversationStoreError &&
          (error.status === 0 || error.status === 503);
        if (!retry || !transient || attempt >= retries) throw error;
        const delay = backoffMs * 2 ** attempt;
        await new Promise((resolve) => setTimeout(resolve, delay / 2 + Math.random() * delay / 2));
      }
    }
  }

  const withKey = (message: MessageInput): MessageInput =>
    message.client_message_id ? message : { ...message, client_message_id: crypto.randomUUID() };

  const store = {
    /** Starts a conversation; the id is chosen here when not given, so a retry cannot create two. */
    start(request: StartRequest = {}): Promise<StartResponse> {
      const body = {
        ...request,
        id: request.id ?? crypto.randomUUID(),
        messages: request.messages?.map(withKey),
      };
      return invoke("start-conversation", body, api.startConversationResponse);
    },

    /** Appends one message or a batch, exactly once however often it is retried. */
    append(
      conversationId: string,
      messages: MessageInput | MessageInput[],
      options: { expectedLastSequence?: number } = {},
    ): Promise<AppendResponse> {
      const batch = (Array.isArray(messages) ? messages : [messages]).map(withKey);
      return invoke("append-message", {
        conversation_id: conversationId,
        messages: batch,
        expected_last_sequence: options.expectedLastSequence,
      }, api.appendMessageResponse);
    },

    /** One page of history. */
    history(conversationId: string, options: HistoryOptions = {}): Promise<HistoryResponse> {
      return invoke("get-history", { ...options, conversation_id: conversationId }, api.getHistoryResponse);
    },

    /** Every page of history, in the order asked for, following next_cursor. */
    async *pages(conversationId: string, options: Omit<HistoryOptions, "after" | "before"> = {}) {
      let cursor: number | null = null;
      do {
        const bound = cursor === null
          ? {}
          : options.order === "desc"
          ? { before: cursor }
          : { after: cursor };
        const page: HistoryResponse = await store.history(conversationId, { ...options, ...bound });
        yield page;
        cursor = page.next_cursor;
      } while (cursor !== null);
    },

    /** The newest `limit` messages, oldest first, as OpenAI's chat API takes them. */
    async openaiMessages(conversationId: string, options: { limit?: number } = {}) {
      const page = await store.history(conversationId, {
        order: "desc",
        limit: options.limit ?? 100,
        format: "openai",
      });
      return (page.messages as z.output<typeof api.openaiMessage>[]).reverse();
    },

    /** The caller's conversations, most recently updated first. */
    list(options: ListOptions = {}): Promise<ListResponse> {
      return invoke("list-conversations", options, api.listConversationsResponse);
    },

    /** Sets video_id and merges a metadata patch (a null value removes a key). */
    update(conversationId: string, request: UpdateRequest): Promise<UpdateResponse> {
      return invoke(
        "update-conversation",
        { ...request, conversation_id: conversationId },
        api.updateConversationResponse,
      );
    },

    /** Deletes a conversation and its messages. Not retried: a second attempt would answer 404. */
    remove(conversationId: string): Promise<DeleteResponse> {
      return invoke(
        "delete-conversation",
        { conversation_id: conversationId },
        api.deleteConversationResponse,
        false,
      );
    },
  };
  return store;
}

export type ConversationStore = ReturnType<typeof createConversationStore>;
