/**
 * chat: the endpoint the AI SDK's `useChat` (DefaultChatTransport) talks to; docs/CHAT.md is its
 * reference.
 *
 * POST chat `{ id, messages | message, trigger?, messageId? }` → a UI message stream (SSE): the
 * user's message is stored (once, by its id), a reply in progress is started, the model is called
 * on get_context's window, and the reply is written to the store while it streams to the browser.
 * A reply whose tool calls wait for the user (approvals, browser tools) ends `awaiting_input`; when
 * the last message sent is that reply with the user's answers, the store checks and applies them
 * (approvals.ts) and the same reply continues.
 * GET chat?conversation_id=… or GET chat/<id>/stream → 204 when the caller has no reply in progress
 * there (a conversation not stored yet and another user's alike), else the reply replayed from the
 * store and followed until it is final.
 *
 * A request streaming a reply that closes early releases the reply: it ends as a Stop unless a page
 * resumes it within the grace period (a reload), see release.ts.
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
import { withBuiltInTools } from "./builtin_tools.ts";
import { answerToolCalls, toolCallWaits, type VouchForOutput } from "./approvals.ts";
import { followReply, replyMetadata } from "./follow.ts";
import {
  memoryForTurn,
  type MemorySettings,
  memorySettings,
  type TurnRecall,
  windowBudget,
} from "./memory.ts";
import { failureText, type ModelFailure, modelFailure } from "./model_error.ts";
import { type EndReason, setReplyOutcome } from "./outcome.ts";
import { releaseReply, ReleaseWatch, releasingOnCancel } from "./release.ts";
import { StoredOutbox } from "./outbox.ts";
import { ReplyParts, stampedResult } from "./reply_parts.ts";
import { guardedDownload, type GuardedDownloadOptions } from "./download.ts";
import { promptOf, type ResolveStorageUrl } from "./prompt.ts";
import { type Provenance, toolProvenance } from "./provenance.ts";
import { signedStorageUrls } from "./storage.ts";
import { titleAfterFirstReply, titleChunk } from "./title.ts";
import { ReplyWriter } from "./reply_writer.ts";
import { type ReplyEnd, replyInProgressOf, type StoredReply } from "./stored_reply.ts";
import { startRegeneration, startTurn, type Turn, userMessageOf } from "./turn.ts";
import { type ChatSettings, chatSettings, modelFromSettings } from "./settings.ts";
import { drainEmbeddings } from "../_shared/embedding_queue.ts";
import { type Embedder, embedderFromSettings } from "../_shared/embeddings.ts";
import {
  currentLimits,
  modelIdOf,
  rateLimitHeaders,
  recordCallUsage,
  type Reservation,
  reservationOf,
  reserveUsage,
  settleUsage,
  UsageMeter,
  withAllowance,
} from "./usage.ts";
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
   * stamp in its result_provider_metadata; see approvals.ts). Default: the function's
   * own provenance stamp, so an accepted output reaches the model as a tool result.
   */
  vouchForOutput?: VouchForOutput;
  /** Settings that win over the environment's (tests, the local server). */
  settings?: Partial<ChatSettings>;
  /** Memory and recall settings that win over CHAT_MEMORY and CHAT_RECALL (see chat/memory.ts). */
  memory?: Partial<MemorySettings>;
  /** The embedder for semantic recall (default: from the secrets, see embeddings.ts). */
  embedder?: () => Embedder | null;
  /**
   * false: no usage is checked, reserved or recorded (the benchmark's baseline). Default true: each
   * reply is reserved against the caller's plan and its usage recorded (docs/CHAT.md).
   */
  usageLimits?: boolean;
  /** How tool results are stamped and checked (default: from the secrets, see provenance.ts). */
  provenance?: Provenance;
  /** The file downloader's limits, resolver and fetch (default: download.ts's). */
  download?: Omit<GuardedDownloadOptions, "trustedUrls">;
}

/** The Edge Runtime's way to keep a worker alive for work after the response, where there is one. */
declare const EdgeRuntime: { waitUntil(promise: Promise<unknown>): void } | undefined;

function keepAlive(work: Promise<unknown>): void {
  if (typeof EdgeRuntime !== "undefined") EdgeRuntime.waitUntil(work);
}

const STREAM_PATH = /\/chat\/([^/]+)\/stream\/?$/;

/** The id in a resume URL; a malformed escape stays as it is, and fails the schema's UUID check. */
function streamPathId(pathname: string): string | undefined {
  const id = pathname.match(STREAM_PATH)?.[1];
  try {
    return id === undefined ? undefined : decodeURIComponent(id);
  } catch {
    return id;
  }
}

export function createChatHandler(options: ChatHandlerOptions = {}): (request: Request) => Promise<Response> {
  const limited = options.usageLimits ?? true;
  const limitHeaders = async (caller: Caller) => limited ? rateLimitHeaders(await currentLimits(caller)) : {};
  const settingsNow = () => ({ ...chatSettings(), ...options.settings });
  const memorySettingsNow = () => ({ ...memorySettings(), ...options.memory });
  const embedderNow = options.embedder ?? embedderFromSettings;
  const modelNow = () =>
    typeof options.model === "function" ? options.model() : options.model ?? modelFromSettings();

  const provenanceNow = () => options.provenance ?? toolProvenance();

  const send = defineFunction({
    name: "chat",
    methods: ["POST"],
    schema: chatRequest,
    async handle(request, caller, httpRequest) {
      signedIn(caller);
      const settings = settingsNow();
      const model = modelNow();
      const recall = await memoryForTurn(caller, memorySettingsNow(), embedderNow());
      const contextTokens = windowBudget(settings.contextTokens, recall.memory);
      const replyId = crypto.randomUUID();
      const reserveFor = (messageId: string | null) =>
        limited
          ? (conversationId: string) =>
            reserveUsage(conversationId, messageId, modelIdOf(model), settings.maxOutputTokens)
          : undefined;
      const reserve = reserveFor(replyId);
      // Over a limit, the 429 carries the allowance like every other chat response.
      const overLimit = async (error: unknown): Promise<never> => {
        throw limited ? await withAllowance(caller, error) : error;
      };
      let turn: Turn;
      if (request.last.role === "assistant" && request.trigger === "submit-message") {
        // The reply sent back with the user's tool approvals or outputs: the same reply continues.
        turn = await answerToolCalls(
          caller,
          request.id,
          request.last as UIMessage,
          contextTokens,
          settings.approvalMaxAgeSeconds,
          options.vouchForOutput ?? ((answer) => stampedResult(answer, provenanceNow())),
          reserveFor(null),
        ).catch(overLimit);
      } else if (request.trigger === "regenerate-message") {
        turn = await startRegeneration(
          caller,
          request.id,
          request.messageId,
          replyId,
          contextTokens,
          reserve,
        ).catch(overLimit);
      } else {
        const start = await startTurn(
          caller,
          request.id,
          userMessageOf(request.last),
          replyId,
          contextTokens,
          reserve,
        ).catch(overLimit);
        if (start.kind === "answered") return follow(caller, start.reply, settings, httpRequest.signal);
        turn = start.turn;
      }
      const token = httpRequest.headers.get("authorization")?.replace(/^Bearer /i, "") ?? "";
      const resolveStorageUrl = (options.storageUrls ?? signedStorageUrls)(token);
      const reservation = turn.reservation ? reservationOf(turn.reservation) : undefined;
      return streamResponse(
        generate(
          caller,
          turn,
          { model, settings, resolveStorageUrl, recall, reservation },
          httpRequest.signal,
        ),
        turn.reply,
        rateLimitHeaders(reservation?.limits ?? []),
      );
    },
  });

  const resume = defineFunction({
    name: "chat",
    methods: ["GET"],
    schema: chatResumeRequest,
    input: (_request, url) => {
      const id = streamPathId(url.pathname);
      return id === undefined ? null : { conversation_id: id };
    },
    async handle(request, caller, httpRequest) {
      signedIn(caller);
      const reply = await replyInProgressOf(caller, request.conversation_id);
      if (!reply) return new Response(null, { status: 204, headers: await limitHeaders(caller) });
      return follow(caller, reply, settingsNow(), httpRequest.signal);
    },
  });

  /** A stored reply replayed and followed; a reader gone before its end releases it. */
  async function follow(
    caller: Caller,
    reply: StoredReply,
    settings: ChatSettings,
    signal: AbortSignal,
  ): Promise<Response> {
    const followed = followReply(caller, reply, settings.resumePollMs, signal);
    return streamResponse(
      settings.onDisconnect === "stop"
        ? releasingOnCancel(followed, signal, () => releaseReply(caller, reply))
        : followed,
      reply,
      await limitHeaders(caller),
    );
  }

  /**
   * The reply: the model's stream as UI message chunks, each applied to the stored parts (written in
   * batches) and passed to the browser while it is connected.
   */
  function generate(
    caller: Caller,
    turn: Turn,
    { model, settings, resolveStorageUrl, recall, reservation }: {
      model: LanguageModel;
      settings: ChatSettings;
      resolveStorageUrl: ResolveStorageUrl;
      recall: TurnRecall;
      reservation?: Reservation;
    },
    disconnected: AbortSignal,
  ): ReadableStream<UIMessageChunk> {
    const provenance = provenanceNow();
    const parts = new ReplyParts(turn.reply.parts, provenance);
    const meter = new UsageMeter(modelIdOf(model));
    const appTools = typeof options.tools === "function"
      ? options.tools({ caller, conversationId: turn.reply.conversationId })
      : options.tools;
    const writer = new ReplyWriter(caller, turn.reply, parts, settings.flushMs);
    const stop = new AbortController();
    let reason: EndReason | undefined;
    let failure: ModelFailure | undefined;
    const stopNow = (why?: EndReason) => {
      if (stop.signal.aborted) return;
      reason ??= why;
      stop.abort();
      watch.end();
    };
    // A write the store refused ends the reply as `refused`; the owner's Stop (the reply final) as `stopped`.
    writer.stopped.signal.addEventListener(
      "abort",
      () => stopNow(writer.refusal && writer.refusal.code !== "message_final" ? "refused" : undefined),
    );
    const deadline = setTimeout(() => stopNow("time_limit"), settings.maxDurationMs);
    const watch = new ReleaseWatch(
      caller,
      turn.reply,
      { graceMs: settings.resumeGraceMs, pollMs: settings.resumePollMs },
      (why) => stopNow(why === "stopped" ? "stopped" : undefined),
    );
    const onDisconnect = () => {
      if (!connected) return;
      connected = false;
      if (settings.onDisconnect === "stop" && !finished) watch.start();
    };
    disconnected.addEventListener("abort", onDisconnect);
    let connected = true;
    let finished = false;
    const failed = (error: unknown): string => {
      if (!failure) console.error("chat: the model call failed", error);
      failure ??= modelFailure(error);
      reason ??= "model_error";
      return failureText(failure);
    };
    let browser: ReadableStreamDefaultController<UIMessageChunk>;
    const toBrowser = (chunk: UIMessageChunk) => {
      if (!connected) return;
      try {
        browser.enqueue(chunk);
      } catch {
        onDisconnect(); // the stream is gone: as a closed request
      }
    };

    const tools = withBuiltInTools(appTools, caller, turn.reply.conversationId, recall);

    async function modelChunks(): Promise<AsyncIterable<UIMessageChunk>> {
      const { signedUrls, ...prompt } = await promptOf(settings.systemPrompt, turn.window, {
        tools,
        resolveStorageUrl,
        metadata: turn.metadata,
        provenance,
        memorySection: recall.memory?.section,
      });
      const result = streamText({
        model,
        tools,
        toolApproval: options.toolApproval,
        ...prompt,
        experimental_download: guardedDownload({ ...options.download, trustedUrls: signedUrls }),
        // At most what the caller's token budget has left (reserve_usage granted it).
        maxOutputTokens: reservation?.max_output_tokens ?? settings.maxOutputTokens,
        stopWhen: isStepCount(settings.maxSteps),
        abortSignal: stop.signal,
      });
      return toUIMessageStream({
        stream: result.stream.pipeThrough(meter.transform()),
        tools,
        sendStart: false,
        onError: failed,
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
      // wait for the ones before them), so the browser never shows what a crash would lose; the
      // deltas one write stores go as one (outbox.ts).
      const outbox = new StoredOutbox(toBrowser);
      writer.onStored((ticket) => outbox.release(ticket));
      try {
        for await (const chunk of await modelChunks()) {
          // A released reply reads nothing more from the model until a page resumes it.
          if (watch.holding) await watch.ready();
          if (stop.signal.aborted) break;
          if (chunk.type === "finish") {
            finishReason = chunk.finishReason;
            continue; // sent below, once the reply is final
          }
          if (chunk.type === "error" || chunk.type === "abort") ended = "incomplete";
          outbox.push(chunk, writer.note(parts.apply(chunk)));
        }
      } catch (error) {
        ended = "incomplete";
        const text = stop.signal.aborted ? undefined : failed(error);
        if (text) outbox.push({ type: "error", errorText: text }, writer.note([]));
      }
      if (stop.signal.aborted) ended = "incomplete";
      // A reply whose calls wait for the user's approval or output waits for the user, not final.
      if (ended === "completed" && parts.parts.some(toolCallWaits)) ended = "awaiting_input";
      finished = true;
      watch.end();
      clearTimeout(deadline);
      disconnected.removeEventListener("abort", onDisconnect);
      try {
        if (ended === "incomplete" && reason) {
          const error = reason === "model_error" ? failure : reason === "refused" ? writer.refusal : null;
          await setReplyOutcome(caller, turn.reply, reason, error ?? undefined);
        }
        const stored = await writer.finish(ended);
        // A write the store refused ended the reply: the browser hears why, then the end.
        if (writer.refusal) toBrowser({ type: "error", errorText: writer.refusal.message });
        const used = meter.result(parts.parts, turn.window);
        if (reservation) await settleUsage(reservation.reservation_id, meter.modelId, used);
        const titled = await titleAfterFirstReply(caller, stored, turn.window, model);
        if (titled) {
          toBrowser(titleChunk(titled.title));
          if (limited) await recordCallUsage(caller, stored.conversationId, meter.modelId, titled.usage);
        }
        toBrowser({
          type: "finish",
          finishReason,
          messageMetadata: {
            ...replyMetadata(stored, stored.status),
            model: meter.modelId,
            usage: used.estimated ? { ...used.usage, estimated: true } : used.usage,
          },
        });
      } catch (error) {
        toBrowser({
          type: "error",
          errorText: error instanceof ApiError ? error.message : "the reply could not be stored",
        });
      }
      if (connected) browser.close();
      // After the reply, never before it: the turn's messages are queued for semantic recall.
      await drainEmbeddings(caller, recall.embedder);
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

function streamResponse(
  stream: ReadableStream<UIMessageChunk>,
  reply: StoredReply,
  headers: Record<string, string>,
): Response {
  return createUIMessageStreamResponse({
    stream,
    headers: { ...headers, "x-conversation-id": reply.conversationId },
  });
}

/** The deployed function: the model and settings from the project's secrets, the app's tools. */
export const chat = createChatHandler({ tools, toolApproval });
