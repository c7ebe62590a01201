/**
 * The playground's usage display: each reply's model and tokens (its metadata, from the stream's
 * finish chunk or get-history format=ui), what the caller's plan has left (get-usage), and a limit
 * error (429) as a sentence with the time to wait.
 */
import type { UIMessage } from "ai";
import { ConversationStoreError, type UsageReport } from "../client/conversation_store.ts";

interface ReplyUsageMetadata {
  model?: string;
  usage?: { inputTokens?: number; outputTokens?: number; reasoningTokens?: number; estimated?: boolean };
}

/** "model · 120 in, 30 out (5 reasoning) tokens", or null for a message without usage. */
export function usageLine(message: UIMessage): string | null {
  const { model, usage } = (message.metadata ?? {}) as ReplyUsageMetadata;
  if (message.role !== "assistant" || (!model && !usage)) return null;
  const tokens = usage
    ? `${usage.inputTokens ?? "?"} in, ${usage.outputTokens ?? "?"} out${
      usage.reasoningTokens ? ` (${usage.reasoningTokens} reasoning)` : ""
    } tokens${usage.estimated ? ", estimated" : ""}`
    : "usage pending";
  return `${model ?? "model"} · ${tokens}`;
}

/** Seconds as "1 h 5 min", "3 min 20 s", "45 s". */
export function waitText(seconds: number): string {
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const rest = seconds % 60;
  if (hours) return `${hours} h ${minutes} min`;
  if (minutes) return `${minutes} min ${rest} s`;
  return `${rest} s`;
}

const LIMIT_CODES = new Set(["rate_limited", "quota_exceeded"]);

/**
 * A 429 as a sentence: from the typed client's error, or from the chat transport's (whose message
 * is the response body). Null for any other error.
 */
export function limitMessage(error: unknown): string | null {
  let code: string | undefined;
  let details: { limit?: string; retry_after?: number } | undefined;
  if (error instanceof ConversationStoreError) {
    ({ code } = error);
    details = error.details as typeof details;
  } else if (error instanceof Error) {
    try {
      const body = JSON.parse(error.message) as { error?: { code?: string; details?: typeof details } };
      code = body.error?.code;
      details = body.error?.details;
    } catch {
      return null;
    }
  }
  if (!code || !LIMIT_CODES.has(code)) return null;
  const what = code === "rate_limited" ? "request limit" : "token budget";
  const limit = details?.limit ? ` (${details.limit.replaceAll("_", " ")})` : "";
  const wait = details?.retry_after === undefined ? "" : `: try again in ${waitText(details.retry_after)}`;
  return `You have used up your plan's ${what}${limit}${wait}.`;
}

/** "Plan default: 97/100 requests left this hour, 997/1000 today, 996931 tokens today". */
export function allowanceText(report: UsageReport): string {
  if (!("plan" in report)) return "";
  const left = (policy: string, unit: string) => {
    const quota = report.limits[policy];
    return quota === null || quota === undefined ? null : `${report.remaining[policy]}/${quota} ${unit}`;
  };
  const parts = [
    left("requests_per_hour", "requests left this hour"),
    left("requests_per_day", "today"),
    left("tokens_per_day", "tokens today"),
    left("cost_per_month", "this month's budget"),
  ].filter((part) => part !== null);
  return `Plan ${report.plan}: ${parts.length ? parts.join(", ") : "unlimited"}`;
}
