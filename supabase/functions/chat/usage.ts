/**
 * What a reply costs, and what the caller may still spend: the chat function's side of the usage
 * ledger (docs/CHAT.md, "Limits and usage").
 *
 * - reserveUsage: the statement that checks the caller's limits and reserves the reply, run in the
 *   transaction that stores the turn (over a limit it raises, and nothing of the turn is stored).
 * - UsageMeter: the usage the provider reports, summed over the steps of a reply, from the AI SDK's
 *   `finish-step` events; a reply that ended before its last step reported is estimated.
 * - settleUsage: records the usage against the reservation, as the service role (a user cannot
 *   settle chat's replies, so cannot report less than the provider did).
 * - rateLimitHeaders: the IETF RateLimit / RateLimit-Policy fields of what is left.
 * - withAllowance: a 429 (over a limit) with those fields beside its Retry-After.
 */
import type { LanguageModel, LanguageModelUsage, TextStreamPart, ToolSet, UIMessage } from "ai";
import { type Caller, SECRET_KEY_CALLER } from "../_shared/auth.ts";
import { asCaller } from "../_shared/db.ts";
import { type Sql, sql } from "../_shared/sql.ts";
import { ApiError, fromDatabaseError, isDatabaseError } from "../_shared/errors.ts";
import type { RawJson } from "../_shared/json.ts";
import type { Part } from "../_shared/part_vocabulary.ts";
import { countMessageTokens, countReasoningTokens, countText } from "../_shared/token_counts.ts";
import { addUsage, type ReplyUsage, usageOf } from "../_shared/usage_counts.ts";

export type { ReplyUsage };

/** One limit as the SQL functions report it (get_usage_limits, reserve_usage). */
export interface UsageLimit {
  policy: string;
  quota: number;
  remaining: number;
  window_seconds: number;
  reset_seconds: number;
}

/** reserve_usage's answer. */
export interface Reservation {
  reservation_id: string;
  max_output_tokens: number;
  plan: string;
  limits: UsageLimit[];
}

/** The id a model is known by: the provider's id of a model object, or the string naming it. */
export function modelIdOf(model: LanguageModel): string {
  return typeof model === "string" ? model : model.modelId;
}

/**
 * The statement that reserves a model call of at most `maxOutputTokens` for a reply in progress (by
 * its conversation and client_message_id; null for a continuation of a reply whose first call has
 * its entry already), answering `reservation`: it goes in the batch that starts the turn.
 */
export function reserveUsage(
  conversationId: string,
  replyId: string | null,
  model: string,
  maxOutputTokens: number,
): Sql {
  return sql`select public.reserve_usage(${maxOutputTokens}, ${conversationId},
      (select m.id from public.conversation_messages as m
       where m.conversation_id = ${conversationId} and m.client_message_id = ${replyId}),
      ${model}, p_service_records => true) as reservation`;
}

/** A reservation from the row reserveUsage answered. */
export function reservationOf(row: Record<string, unknown>): Reservation {
  return JSON.parse((row.reservation as RawJson).text);
}

/** The caller's limits now, for a response that reserves nothing (a replay, a resumed stream). */
export async function currentLimits(caller: Caller): Promise<UsageLimit[]> {
  const [[row]] = await asCaller(caller, [sql`select public.get_usage_limits() as limits`]);
  return JSON.parse((row.limits as RawJson).text).limits;
}

/** Rough input tokens of a window (its text), for a reply that ended before any step reported. */
function estimateInput(window: UIMessage[]): number {
  return window.reduce(
    (sum, message) =>
      sum + 3 + message.parts.reduce((n, part) => n + (part.type === "text" ? countText(part.text) : 0), 0),
    0,
  );
}

/**
 * The usage of one reply, read from the model's stream as it passes (`transform`): the sum of every
 * step's reported usage, and the model id the provider answered with.
 */
export class UsageMeter {
  private reported: ReplyUsage = {};
  private open = false;
  modelId: string;

  constructor(modelId: string) {
    this.modelId = modelId;
  }

  /** A pass-through of the stream that notes each step's start and reported usage. */
  transform<Tools extends ToolSet>(): TransformStream<TextStreamPart<Tools>, TextStreamPart<Tools>> {
    return new TransformStream({
      transform: (part, controller) => {
        if (part.type === "start-step") this.open = true;
        if (part.type === "finish-step") {
          this.open = false;
          this.reported = addUsage(this.reported, usageOf(part.usage));
          if (part.response?.modelId) this.modelId = part.response.modelId;
        }
        controller.enqueue(part);
      },
    });
  }

  /**
   * The reply's usage: what the provider reported, or, when a step began and never reported (the
   * reply stopped mid-stream, or the model failed), that plus the store's estimate of the step's
   * output from the reply's parts, marked estimated.
   */
  result(parts: Part[], window: UIMessage[]): { usage: ReplyUsage; estimated: boolean } {
    const nothingReported = this.reported.inputTokens === undefined &&
      this.reported.outputTokens === undefined;
    if (!this.open && !nothingReported) return { usage: this.reported, estimated: false };
    const output = Math.max(
      this.reported.outputTokens ?? 0,
      countMessageTokens({ parts }) + countReasoningTokens(parts),
    );
    const input = this.reported.inputTokens ?? estimateInput(window);
    return {
      usage: { ...this.reported, inputTokens: input, outputTokens: output, totalTokens: input + output },
      estimated: true,
    };
  }
}

/**
 * Settles a reservation with a reply's usage. Recorded by the service role: chat reserves its
 * replies for it. A failure is logged, not thrown: the reservation is then settled with the store's
 * estimate at the user's next request.
 */
export async function settleUsage(
  reservationId: string,
  modelId: string,
  { usage, estimated }: { usage: ReplyUsage; estimated: boolean },
): Promise<void> {
  try {
    await asCaller(SECRET_KEY_CALLER, [
      sql`select from public.record_usage(${reservationId}, ${usage}::jsonb, ${modelId}, ${estimated})`,
    ]);
  } catch (error) {
    console.error(JSON.stringify({
      level: "error",
      event: "usage_not_recorded",
      reservation_id: reservationId,
      sqlstate: (error as { code?: string })?.code,
    }));
  }
}

/**
 * A model call of its own after the reply (a new chat's title), in the ledger like any other: one
 * entry reserved as the caller, settled with the call's reported usage. Over a limit (the reply used
 * the last request), or when the store is unreachable, the call is not recorded; that is logged.
 */
export async function recordCallUsage(
  caller: Caller,
  conversationId: string,
  modelId: string,
  usage: LanguageModelUsage,
): Promise<void> {
  const counts = usageOf(usage);
  try {
    const [[row]] = await asCaller(caller, [
      reserveUsage(conversationId, null, modelId, Math.max(1, counts.outputTokens ?? 1)),
    ]);
    await settleUsage(reservationOf(row).reservation_id, modelId, { usage: counts, estimated: false });
  } catch (error) {
    console.error(JSON.stringify({
      level: "warn",
      event: "usage_not_recorded",
      call: "title",
      sqlstate: (error as { code?: string })?.code,
    }));
  }
}

/** Only whole-number limits are header fields (a cost budget is in get-usage). */
const inHeaders = (limit: UsageLimit) => limit.policy !== "cost_per_month";

/**
 * The IETF RateLimit header fields (draft-ietf-httpapi-ratelimit-headers): every limit of the
 * caller's plan as a policy with its quota (q), window (w, seconds) and unit (qu: requests, or
 * tokens, which the draft does not register), and what remains (r) with the seconds to its reset (t).
 */
export function rateLimitHeaders(limits: UsageLimit[]): Record<string, string> {
  const shown = limits.filter(inHeaders);
  if (shown.length === 0) return {};
  const unit = (limit: UsageLimit) => limit.policy.startsWith("tokens") ? `;qu="tokens"` : "";
  return {
    "ratelimit-policy": shown.map((limit) =>
      `"${limit.policy}";q=${Math.floor(limit.quota)};w=${limit.window_seconds}${unit(limit)}`
    ).join(", "),
    ratelimit: shown.map((limit) =>
      `"${limit.policy}";r=${Math.max(0, Math.floor(limit.remaining))};t=${limit.reset_seconds}`
    ).join(", "),
  };
}

/**
 * `error` as the response will carry it: over a limit (429, rate_limited or quota_exceeded), with
 * the caller's allowance as it is after the refusal (the refused request counted nothing) in the
 * RateLimit fields, so that a 429 tells as much as every other chat response. Read in a
 * transaction of its own, after the one that failed; when that read fails too, the 429 keeps its
 * Retry-After alone. Any other error is returned as it is.
 */
export async function withAllowance(caller: Caller, error: unknown): Promise<unknown> {
  const apiError = isDatabaseError(error) ? fromDatabaseError(error) : error;
  if (!(apiError instanceof ApiError) || apiError.status !== 429) return error;
  const limits = await currentLimits(caller).catch(() => []);
  return new ApiError(apiError.code, apiError.message, apiError.details, {
    ...apiError.headers,
    ...rateLimitHeaders(limits),
  });
}
