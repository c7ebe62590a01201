/**
 * A typed client for the conversation store, for browsers, Deno and Node: a thin layer over
 * supabase-js `functions.invoke` whose request and response types come from the same zod schemas the
 * edge functions validate with, so the two cannot drift.
 *
 *   const store = createConversationStore(supabase);
 *   const { conversation } = await store.start({ metadata: { step: "script" } });
 *   await store.append(conversation.id, { role: "user", content: "A cat video" });
 *   const { messages } = await store.context(conversation.id, { maxTokens: 8000 });
 *
 * Retries are safe: `append` gives every message a client_message_id, `start` and `fork` pick the
 * new conversation's id, a reply's deltas name their offset, and reads and merge patches are
 * idempotent; so a network error or a 503 is retried with backoff and never stores anything twice.
 * Errors are ConversationStoreError with the API's code.
 */
import type { SupabaseClient } from "@supabase/supabase-js";
import type { UIMessage } from "ai";
import { z } from "zod";
import * as api from "../supabase/functions/_shared/schemas.ts";
import type { Message } from "../supabase/functions/_shared/schemas.ts";
import { fromDatabaseError } from "../supabase/functions/_shared/errors.ts";
import { type ReplyUsage, usageOf } from "../supabase/functions/_shared/usage_counts.ts";
import type { LanguageModelUsage } from "ai";
import { ConversationStoreError } from "./errors.ts";
import { createReplyWriter, type MessagePatch, type ReplyOptions, type ReplyWriter } from "./reply_writer.ts";

/** get-context's answer in each format, its messages narrowed to that format. */
const openaiContext = api.getContextResponse.extend({ messages: api.openaiMessage.array() });
const rowsContext = api.getContextResponse.extend({ messages: api.message.array() });
const rowsHistory = api.getHistoryResponse.extend({ messages: api.message.array() });
/** format=ui: AI SDK UIMessages, typed as the SDK's (its validateUIMessages is the full check). */
const uiMessages = z.array(api.uiMessage.transform((message) => message as UIMessage));
const uiHistory = api.getHistoryResponse.extend({ messages: uiMessages });
const uiContext = api.getContextResponse.extend({ messages: uiMessages });

export type StartRequest = z.input<typeof api.startConversationRequest>;
export type MessageInput = z.input<typeof api.messageInput>;
export type HistoryOptions = Omit<z.input<typeof api.getHistoryRequest>, "conversation_id">;
export type ListOptions = z.input<typeof api.listConversationsRequest>;
export type UpdateRequest = Omit<z.input<typeof api.updateConversationRequest>, "conversation_id">;
export type ForkOptions = Omit<
  z.input<typeof api.forkConversationRequest>,
  "conversation_id" | "through_sequence"
>;
export type SearchOptions = Omit<z.input<typeof api.searchConversationsRequest>, "q">;
export type DeleteAllRequest = z.input<typeof api.deleteAllConversationsRequest>;
export type StartResponse = z.output<typeof api.startConversationResponse>;
export type AppendResponse = z.output<typeof api.appendMessageResponse>;
export type HistoryResponse = z.output<typeof api.getHistoryResponse>;
export type ListResponse = z.output<typeof api.listConversationsResponse>;
export type UpdateResponse = z.output<typeof api.updateConversationResponse>;
export type DeleteResponse = z.output<typeof api.deleteConversationResponse>;
export type ContextWindow = z.output<typeof openaiContext>;
export type ContextRows = z.output<typeof rowsContext>;
export type UIHistory = z.output<typeof uiHistory>;
export type OpenAIContentPart = z.output<typeof api.openaiContentPart>;
export type UIContext = z.output<typeof uiContext>;
export type ForkResponse = z.output<typeof api.forkConversationResponse>;
export type SearchResponse = z.output<typeof api.searchConversationsResponse>;
export type DeleteAllResponse = z.output<typeof api.deleteAllConversationsResponse>;
export type MemoryResponse = z.output<typeof api.getMemoryResponse>;
export type MemoryEntry = z.output<typeof api.memoryEntry>;
export type MemoryWriteOptions = Omit<z.input<typeof api.updateMemoryRequest>, "key" | "value">;
export type RecallOptions = Omit<z.input<typeof api.recallRequest>, "query">;
export type RecallResponse = z.output<typeof api.recallResponse>;
export type UsageOptions = z.input<typeof api.getUsageRequest>;
export type UsageReport = z.output<typeof api.getUsageResponse>;
export type UsageCounts = ReplyUsage;
export type UsageReservation = z.output<typeof api.usageReservation>;
export type UsageEntry = z.output<typeof api.usageEntry>;

export interface ReserveUsageRequest {
  /** The most output the model call may produce; the reservation may grant less (the token budget left). */
  maxOutputTokens: number;
  conversationId?: string;
  /** The message the call answers (public.conversation_messages.id), when it is stored already. */
  messageId?: string;
  model?: string;
}

export interface RecordUsageOptions {
  /** The model that answered (default: the one reserved). */
  model?: string;
  /** The counts are an estimate (a stream stopped before the provider reported). */
  estimated?: boolean;
  /** The message the call produced, when the reservation named none. */
  messageId?: string;
}
export type RateResponse = z.output<typeof api.rateMessageResponse>;
export type ShareOptions = Omit<z.input<typeof api.shareConversationRequest>, "conversation_id">;
export type ShareResponse = z.output<typeof api.shareConversationResponse>;
export type ExportPage = z.output<typeof api.exportPage>;
export type ImportResponse = z.output<typeof api.importConversationsResponse>;
export type {
  Conversation,
  Message,
  OpenAIMessage,
  ToolCall,
} from "../supabase/functions/_shared/schemas.ts";
export type { MessagePatch, ReplyOptions, ReplyWriter } from "./reply_writer.ts";
export { ConversationStoreError };

export interface ContextOptions {
  /** The token budget: everything returned (system prompt and summary included) fits in it. */
  maxTokens: number;
  /** At most this many messages after the system prompt and summary (default 1000). */
  maxMessages?: number;
}

export interface UIContextOptions extends ContextOptions {
  /** Put reasoning parts in the window too, counted against maxTokens (default false). */
  includeReasoning?: boolean;
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
      const answer = api.errorBody.safeParse(await response.json().catch(() => null));
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
        const transient = error instanceof ConversationStoreError && error.transient;
        if (!retry || !transient || attempt >= retries) throw error;
        const delay = backoffMs * 2 ** attempt;
        await new Promise((resolve) => setTimeout(resolve, delay / 2 + Math.random() * delay / 2));
      }
    }
  }

  /**
   * A SQL function through supabase.rpc() (PostgREST), its errors mapped as the edge functions map
   * them (errors.ts), so that a 429 has the same code and details either way.
   */
  async function rpc<T>(fn: string, args: Record<string, unknown>, schema: z.ZodType<T>, retry: boolean) {
    for (let attempt = 0;; attempt++) {
      const { data, error } = await supabase.rpc(fn, args);
      if (!error) return schema.parse(data);
      const failure = /^[0-9A-Z]{5}$/.test(error.code ?? "")
        ? fromDatabaseError({ ...error, detail: error.details, severity: "ERROR" })
        : null;
      const storeError = failure
        ? new ConversationStoreError(failure.code, failure.message, failure.status, failure.details)
        : new ConversationStoreError("network_error", error.message, 0);
      if (!retry || !storeError.transient || attempt >= retries) throw storeError;
      await new Promise((resolve) => setTimeout(resolve, backoffMs * 2 ** attempt));
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
    pages(conversationId: string, options: Omit<HistoryOptions, "after" | "before"> = {}) {
      return historyPages(options.order, (bound) => store.history(conversationId, { ...options, ...bound }));
    },

    /** One page of history as AI SDK UIMessages (format=ui). */
    uiHistory(conversationId: string, options: Omit<HistoryOptions, "format"> = {}): Promise<UIHistory> {
      return invoke("get-history", { ...options, conversation_id: conversationId, format: "ui" }, uiHistory);
    },

    /** Every page of history as UIMessages, following next_cursor. */
    uiPages(conversationId: string, options: Omit<HistoryOptions, "after" | "before" | "format"> = {}) {
      return historyPages(
        options.order,
        (bound) => store.uiHistory(conversationId, { ...options, ...bound }),
      );
    },

    /** One stored message, by its sequence number. */
    async message(conversationId: string, sequenceOrder: number): Promise<Message> {
      const page = await invoke("get-history", {
        conversation_id: conversationId,
        after: sequenceOrder - 1,
        limit: 1,
      }, rowsHistory);
      const [message] = page.messages;
      if (message?.sequence_order !== sequenceOrder) {
        throw new ConversationStoreError("not_found", `no message ${sequenceOrder}`, 404);
      }
      return message;
    },

    /**
     * What to send a model now, as OpenAI's chat API takes it: the system prompt, the summary, and
     * the newest messages that fit maxTokens, with tool calls and their results kept together.
     * `has_earlier` and `first_sequence` say what was left out (what to summarize next).
     */
    context(conversationId: string, options: ContextOptions): Promise<ContextWindow> {
      return invoke("get-context", {
        conversation_id: conversationId,
        max_tokens: options.maxTokens,
        max_messages: options.maxMessages,
        format: "openai",
      }, openaiContext);
    },

    /** The same window as `context`, as stored rows (sequence numbers, token counts) and the summary apart. */
    contextRows(conversationId: string, options: ContextOptions): Promise<ContextRows> {
      return invoke("get-context", {
        conversation_id: conversationId,
        max_tokens: options.maxTokens,
        max_messages: options.maxMessages,
        format: "rows",
      }, rowsContext);
    },

    /**
     * The same window as `context`, as AI SDK UIMessages (format=ui), for toModelPromptFromUI.
     * Reasoning is left out unless includeReasoning.
     */
    uiContext(conversationId: string, options: UIContextOptions): Promise<UIContext> {
      return invoke("get-context", {
        conversation_id: conversationId,
        max_tokens: options.maxTokens,
        max_messages: options.maxMessages,
        include_reasoning: options.includeReasoning,
        format: "ui",
      }, uiContext);
    },

    /** The caller's conversations, most recently updated first. */
    list(options: ListOptions = {}): Promise<ListResponse> {
      return invoke("list-conversations", options, api.listConversationsResponse);
    },

    /**
     * Merges a metadata patch (a null value removes a key) and sets video_id, the summary
     * (`{ content, through_sequence }`) and retention_seconds; null clears each of the three.
     */
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

    /**
     * Deletes every conversation of the caller (the service role: of `user_id`), calling
     * delete-all-conversations until it is done. The totals count what the answers reported, and
     * `storage_objects` lists every Storage file the deleted messages referenced (to remove).
     */
    async removeAll(request: DeleteAllRequest = {}): Promise<Omit<DeleteAllResponse, "done">> {
      const total: Omit<DeleteAllResponse, "done"> = {
        deleted_conversations: 0,
        deleted_messages: 0,
        storage_objects: [],
      };
      for (let done = false; !done;) {
        const step = await invoke("delete-all-conversations", request, api.deleteAllConversationsResponse);
        total.deleted_conversations += step.deleted_conversations;
        total.deleted_messages += step.deleted_messages;
        total.storage_objects.push(...step.storage_objects);
        done = step.done;
      }
      return total;
    },

    /**
     * A new conversation holding copies of messages 1..throughSequence: edit is "fork through the
     * message before, then append the edit", regenerate is "fork through the user message, then
     * reply again". The fork's id is chosen here when not given, so a retry cannot fork twice.
     */
    fork(conversationId: string, throughSequence: number, options: ForkOptions = {}): Promise<ForkResponse> {
      return invoke("fork-conversation", {
        ...options,
        conversation_id: conversationId,
        through_sequence: throughSequence,
        id: options.id ?? crypto.randomUUID(),
      }, api.forkConversationResponse);
    },

    /**
     * The caller's usage: requests, tokens and cost this hour, day and month, per model, with the
     * plan's limits and what remains (the service role: `user_id`'s, or totals per day and model).
     */
    usage(options: UsageOptions = {}): Promise<UsageReport> {
      return invoke("get-usage", options, api.getUsageResponse);
    },

    /**
     * For an app's own chat route: before the model call, checks the caller's limits and reserves
     * the call (public.reserve_usage). Pass `max_output_tokens` of the answer to the model. Over a
     * limit it throws 429 rate_limited or quota_exceeded (`retryAfter` seconds). Not retried: a
     * retry would count another request.
     */
    reserveUsage(request: ReserveUsageRequest): Promise<UsageReservation> {
      return rpc(
        "reserve_usage",
        {
          p_max_output_tokens: request.maxOutputTokens,
          p_conversation_id: request.conversationId ?? null,
          p_message_id: request.messageId ?? null,
          p_model: request.model ?? null,
        },
        api.usageReservation,
        false,
      );
    },

    /**
     * After the model call: records the usage the provider reported (the AI SDK's `totalUsage` as it
     * is, or its counts in the ledger's names) against a reservation (public.record_usage). Once: a
     * retry returns the entry as first recorded.
     */
    recordUsage(
      reservationId: string,
      usage: LanguageModelUsage | UsageCounts,
      options: RecordUsageOptions = {},
    ): Promise<UsageEntry> {
      return rpc(
        "record_usage",
        {
          p_reservation_id: reservationId,
          p_usage: api.usageCounts.parse(usageOf(usage)),
          p_model: options.model ?? null,
          p_estimated: options.estimated ?? false,
          p_message_id: options.messageId ?? null,
        },
        api.usageEntry,
        true,
      );
    },

    /** One page of the caller's conversations matching `q` (web-search syntax), most relevant first. */
    search(q: string, options: SearchOptions = {}): Promise<SearchResponse> {
      return invoke("search-conversations", { ...options, q }, api.searchConversationsResponse);
    },

    /** Every page of a search, following next_cursor. */
    async *searchPages(q: string, options: Omit<SearchOptions, "cursor"> = {}) {
      let cursor: string | undefined;
      do {
        const page: SearchResponse = await store.search(q, { ...options, cursor });
        yield page;
        cursor = page.next_cursor ?? undefined;
      } while (cursor !== undefined);
    },

    /** What the assistant remembers about the user: every entry, with the bounds memory is held to. */
    memory(options: { user_id?: string } = {}): Promise<MemoryResponse> {
      return invoke("get-memory", options, api.getMemoryResponse);
    },

    /**
     * Creates, replaces or deletes (`value` null) one memory entry, if it is still at
     * `expected_version` (omitted: it must not exist yet); 409 memory_conflict otherwise, with
     * `details.current_version`. A retry after a lost answer is refused the same way, never applied
     * twice: read the memory again and decide.
     */
    async remember(
      key: string,
      value: string | null,
      options: MemoryWriteOptions = {},
    ): Promise<MemoryEntry> {
      const { entry } = await invoke("update-memory", { ...options, key, value }, api.updateMemoryResponse);
      return entry;
    },

    /** Passages of the user's conversations most relevant to `query`: full text, and semantic where set up. */
    recall(query: string, options: RecallOptions = {}): Promise<RecallResponse> {
      return invoke("recall", { ...options, query }, api.recallResponse);
    },

    /**
     * The caller's rating of an assistant message ("up" or "down", with an optional reason code and
     * comment), replacing any earlier one; null removes it.
     */
    rate(
      conversationId: string,
      sequenceOrder: number,
      rating: "up" | "down" | null,
      details: { reason?: string; comment?: string } = {},
    ): Promise<RateResponse> {
      return invoke("rate-message", {
        ...details,
        conversation_id: conversationId,
        sequence_order: sequenceOrder,
        rating,
      }, api.rateMessageResponse);
    },

    /** A read-only link to the conversation through its last message; the token is shown this once. */
    share(conversationId: string, options: ShareOptions = {}): Promise<ShareResponse> {
      return invoke(
        "share-conversation",
        { ...options, conversation_id: conversationId },
        api.shareConversationResponse,
        false,
      );
    },

    /** Every page of the caller's export (docs/EXPORT.md), following next_cursor. */
    async *exportPages(options: { maxMessages?: number } = {}) {
      let cursor: string | undefined;
      do {
        const page: ExportPage = await invoke("export-conversations", {
          max_messages: options.maxMessages,
          cursor,
        }, api.exportPage);
        yield page;
        cursor = page.next_cursor ?? undefined;
      } while (cursor !== undefined);
    },

    /**
     * Imports a file (an export page, or ChatGPT's conversations.json), calling import-conversations
     * until it is done; returns what each call imported. Safe to run again: it stores nothing twice.
     */
    async importFile(file: unknown): Promise<ImportResponse["imported"]> {
      const imported: ImportResponse["imported"] = [];
      let cursor: string | undefined;
      do {
        const step = await invoke("import-conversations", { file, cursor }, api.importConversationsResponse);
        imported.push(...step.imported);
        cursor = step.next_cursor ?? undefined;
      } while (cursor !== undefined);
      return imported;
    },

    /**
     * Changes a reply in progress (see update-message); `reply` does this for a stream. A final
     * update retried after its answer was lost answers message_final: read the message to see it.
     */
    async updateMessage(
      conversationId: string,
      sequenceOrder: number,
      patch: MessagePatch,
    ): Promise<Message> {
      const { message } = await invoke("update-message", {
        ...patch,
        conversation_id: conversationId,
        sequence_order: sequenceOrder,
      }, api.updateMessageResponse);
      return message;
    },

    /**
     * Starts an assistant reply (status in_progress) and returns its writer. The start is
     * retry-safe (a client_message_id); while it is in progress the conversation takes no other
     * message (409 reply_in_progress), which also stops a double submit.
     */
    async reply(conversationId: string, options: ReplyOptions = {}): Promise<ReplyWriter> {
      const { messages: [started] } = await store.append(conversationId, {
        role: "assistant",
        content: "",
        status: "in_progress",
        client_message_id: options.clientMessageId ?? crypto.randomUUID(),
      });
      return createReplyWriter(started, {
        update: (patch) => store.updateMessage(conversationId, started.sequence_order, patch),
        read: () => store.message(conversationId, started.sequence_order),
      }, options);
    },
  };
  return store;
}

/** Pages of history from `read`, each bounded by the cursor of the one before. */
async function* historyPages<Page extends { next_cursor: number | null }>(
  order: "asc" | "desc" | undefined,
  read: (bound: { after?: number; before?: number }) => Promise<Page>,
) {
  let cursor: number | null = null;
  do {
    const page: Page = await read(
      cursor === null ? {} : order === "desc" ? { before: cursor } : { after: cursor },
    );
    yield page;
    cursor = page.next_cursor;
  } while (cursor !== null);
}

export type ConversationStore = ReturnType<typeof createConversationStore>;
