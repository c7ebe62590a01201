/**
 * chat: the endpoint the AI SDK's `useChat` (DefaultChatTransport) talks to; docs/CHAT.md is its
 * reference.
 *
 * POST chat `{ id, messages | message, trigger?, messageId? }` → a UI message stream (SSE): the
 * user's message is stored (once, by its id), a reply in progress is started, the model is called
 * on get_context's window, and the reply is written to the store while it streams to the browser.
 * A reply whose tool calls wait for the user (approvals, browser tools) ends `awaiting_input`; when
 * the last message sent is that reply with the user's answers, the store checks and applies them
 * (_shared/chat/approvals.ts) and the same reply continues.
 * GET chat?conversation_id=… or GET chat/<id>/stream → 204 when no reply is in progress, else the
 * reply replayed from the store and followed until it is final.
 */
import {
  createUIMessageStreamResponse,
  isStepCount,
  type LanguageModel,
  streamText,
  type ToolApprovalConfiguration,
  type ToolSet,
  toUIMessageStream,
  type UIMessage,
  type UIMessageChunk,
} from "ai";
import type { Caller } from "../_shared/auth.ts";
import { answerToolCalls, toolCallWaits, type VouchForOutput } from "../_shared/chat/approvals.ts";
import { followReply, replyMetadata } from "../_shared/chat/follow.ts";
import { ReplyParts } from "../_shared/chat/parts.ts";
import { instructionsFor, promptOf, type ResolveStorageUrl } from "../_shared/chat/prompt.ts";
import { signedStorageUrls } from "../_shared/chat/storage.ts";
import {
  type ReplyEnd,
  replyInProgressOf,
  ReplyWriter,
  startRegeneration,
  startTurn,
  type StoredReply,
  type Turn,
  userMessageOf,
} from "../_shared/chat/reply_store.ts";
import { type ChatSettings, chatSettings, modelFromSettings } from "../_shared/chat/settings.ts";
import { ApiError } from "../_shared/errors.ts";
import { defineFunction } from "../_shared/http.ts";
import { chatRequest, chatResumeRequest } from "../_shared/schemas.ts";
import { toolApproval, type ToolContext, tools } from "./tools.ts";

export interface ChatHandlerOptions {
  /** The model, or how to get it for a request (default: from the secrets, see settings.ts). */
  model?: LanguageModel | (() => LanguageModel);
  /** The tools the model may call (default: none), or how to make them for a reply. */
  tools?: ToolSet | ((context: ToolContext) => ToolSet);
  /** Which tool calls wait for the user's approval (the AI SDK's `toolApproval`; default: none). */
  toolApproval?: ToolApprovalConfiguration<ToolSet, unknown>;
  /**
   * URLs for the user's Storage files in the window, from the user's access token (default: signed
   * by Storage, see storage.ts).
   */
  storageUrls?: (accessToken: string) => ResolveStorageUrl;
  /**
   * Marks a browser tool's output the store accepts as one the function vouches for (a provenance
   * stamp in its result_provider_metadata; see _shared/chat/approvals.ts). Default: none.
   */
  vouchForOutput?: VouchForOutput;
  /** Settings that win over the environment's (tests, the local server). */
  settings?: Partial<ChatSettings>;
}

/** The Edge Runtime's way to keep a worker alive for work after the response, where there is one. */
declare const EdgeRuntime: { waitUntil(promise: Promise<unknown>): void } | undefined;

function keepAlive(work: Promise<unknown>): void {
  if (typeof EdgeRuntime !== "undefined") EdgeRuntime.waitUntil(work);
}

const STREAM_PATH = /\/chat\/([^/]+)\/stream\/?$/;

/** What a failed model call tells the browser: the error's message, never a stack. */
function errorText(error: unknown): string {
  return error instanceof Error ? error.message : "the model failed";
}

export function createChatHandler(options: ChatHandlerOptions = {}): (request: Request) => Promise<Response> {
  const settingsNow = () => ({ ...chatSettings(), ...options.settings });
  const modelNow = () =>
    typeof options.model === "function" ? options.model() : options.model ?? modelFromSettings();

  const send = defineFunction({
    name: "chat",
    methods: ["POST"],
    schema: chatRequest,
    async handle(request, caller, httpRequest) {
      signedIn(caller);
      const settings = settingsNow();
      const model = modelNow();
      const replyId = crypto.randomUUID();
      let turn: Turn;
      if (request.last.role === "assistant" && request.trigger === "submit-message") {
        // The reply sent back with the user's tool approvals or outputs: the same reply continues.
        turn = await answerToolCalls(
          caller,
          request.id,
          request.last as UIMessage,
          settings.contextTokens,
          settings.approvalMaxAgeSeconds,
          options.vouchForOutput,
        );
      } else if (request.trigger === "regenerate-message") {
        turn = await startRegeneration(
          caller,
          request.id,
          request.messageId,
          replyId,
          settings.contextTokens,
        );
      } else {
        const start = await startTurn(
          caller,
          request.id,
          userMessageOf(request.last),
          replyId,
          settings.contextTokens,
        );
        if (start.kind === "answered") {
          return streamResponse(
            followReply(caller, start.reply, settings.resumePollMs, httpRequest.signal),
            start.reply,
          );
        }
        turn = start.turn;
      }
      const token = httpRequest.headers.get("authorization")?.replace(/^Bearer /i, "") ?? "";
      const resolveStorageUrl = (options.storageUrls ?? signedStorageUrls)(token);
      return streamResponse(
        generate(caller, turn, { model, settings, resolveStorageUrl }, httpRequest.signal),
        turn.reply,
      );
    },
  });

  const resume = defineFunction({
    name: "chat",
    methods: ["GET"],
    schema: chatResumeRequest,
    input: (_request, url) => {
      const id = url.pathname.match(STREAM_PATH)?.[1];
      return id === undefined ? null : { conversation_id: decodeURIComponent(id) };
    },
    async handle(request, caller, httpRequest) {
      signedIn(caller);
      const reply = await replyInProgressOf(caller, request.conversation_id);
      if (!reply) return new Response(null, { status: 204 });
      return streamResponse(
        followReply(caller, reply, settingsNow().resumePollMs, httpRequest.signal),
        reply,
      );
    },
  });

  /**
   * The reply: the model's stream as UI message chunks, each applied to the stored parts (written in
   * batches) and passed to the browser while it is connected.
   */
  function generate(
    caller: Caller,
    turn: Turn,
    { model, settings, resolveStorageUrl }: {
      model: LanguageModel;
      settings: ChatSettings;
      resolveStorageUrl: ResolveStorageUrl;
    },
    disconnected: AbortSignal,
  ): ReadableStream<UIMessageChunk> {
    const parts = new ReplyParts(turn.reply.parts);
    const tools = typeof options.tools === "function"
      ? options.tools({ caller, conversationId: turn.reply.conversationId })
      : options.tools;
    const writer = new ReplyWriter(caller, turn.reply, parts, settings.flushMs);
    const stop = new AbortController();
    const stopNow = () => stop.abort();
    writer.stopped.signal.addEventListener("abort", stopNow);
    const deadline = setTimeout(stopNow, settings.maxDurationMs);
    const onDisconnect = () => {
      connected = false;
      if (settings.onDisconnect === "stop") stopNow();
    };
    disconnected.addEventListener("abort", onDisconnect);
    let connected = true;
    let browser: ReadableStreamDefaultController<UIMessageChunk>;
    const toBrowser = (chunk: UIMessageChunk) => {
      if (!connected) return;
      try {
        browser.enqueue(chunk);
      } catch {
        connected = false;
      }
    };

    async function modelChunks(): Promise<AsyncIterable<UIMessageChunk>> {
      const prompt = await promptOf(instructionsFor(settings.systemPrompt, turn.metadata), turn.window, {
        tools,
        resolveStorageUrl,
      });
      const result = streamText({
        model,
        tools,
        toolApproval: options.toolApproval,
        ...prompt,
        maxOutputTokens: settings.maxOutputTokens,
        stopWhen: isStepCount(settings.maxSteps),
        abortSignal: stop.signal,
      });
      return toUIMessageStream({
        stream: result.stream,
        tools,
        sendStart: false,
        onError: errorText,
      });
    }

    async function pump(): Promise<void> {
      toBrowser({
        type: "start",
        messageId: turn.reply.messageId,
        messageMetadata: replyMetadata(turn.reply),
      });
      let ended: ReplyEnd = "completed";
      let finishReason: Extract<UIMessageChunk, { type: "finish" }>["finishReason"];
      // Each chunk goes to the browser once what it changed is stored (chunks that change nothing
      // wait for the ones before them), so the browser never shows what a crash would lose.
      let stored: Promise<void> = Promise.resolve();
      try {
        for await (const chunk of await modelChunks()) {
          if (chunk.type === "finish") {
            finishReason = chunk.finishReason;
            continue; // sent below, once the reply is final
          }
          if (chunk.type === "error" || chunk.type === "abort") ended = "incomplete";
          const changes = parts.apply(chunk);
          if (changes.length > 0) stored = writer.changed(changes);
          stored.then(() => toBrowser(chunk));
        }
      } catch (error) {
        ended = "incomplete";
        const text = errorText(error);
        stored.then(() => toBrowser({ type: "error", errorText: text }));
      }
      if (stop.signal.aborted) ended = "incomplete";
      // A reply whose calls wait for the user's approval or output waits for the user, not final.
      if (ended === "completed" && parts.parts.some(toolCallWaits)) ended = "awaiting_input";
      clearTimeout(deadline);
      disconnected.removeEventListener("abort", onDisconnect);
      try {
        const stored = await writer.finish(ended);
        // A write the store refused ended the reply: the browser hears why, then the end.
        if (writer.refusal) toBrowser({ type: "error", errorText: writer.refusal.message });
        toBrowser({ type: "finish", finishReason, messageMetadata: replyMetadata(stored, stored.status) });
      } catch (error) {
        toBrowser({
          type: "error",
          errorText: error instanceof ApiError ? error.message : "the reply could not be stored",
        });
      }
      if (connected) browser.close();
    }

    return new ReadableStream<UIMessageChunk>({
      start(controller) {
        browser = controller;
        keepAlive(pump());
      },
      cancel: onDisconnect,
    });
  }

  return (request) => (request.method === "GET" ? resume(request) : send(request));
}

function signedIn(caller: Caller): void {
  if (caller.role !== "authenticated") {
    throw new ApiError("forbidden", "chat answers a signed-in user: call it with the user's access token");
  }
}

function streamResponse(stream: ReadableStream<UIMessageChunk>, reply: StoredReply): Response {
  return createUIMessageStreamResponse({ stream, headers: { "x-conversation-id": reply.conversationId } });
}

/** The deployed function: the model and settings from the project's secrets, the app's tools. */
export const chat = createChatHandler({ tools, toolApproval });
