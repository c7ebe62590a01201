/**
 * A model call's usage in the AI SDK's names, as the ledger records it, get-history returns it and
 * record_usage takes it; and the SDK's LanguageModelUsage (nested details) turned into it. Pure:
 * the chat function and the typed client both use it.
 */
import type { LanguageModelUsage } from "ai";

export type ReplyUsage = {
  inputTokens?: number;
  outputTokens?: number;
  totalTokens?: number;
  reasoningTokens?: number;
  cachedInputTokens?: number;
};

const toCount = (
  value: number | undefined,
) => (value === undefined ? undefined : Math.max(0, Math.round(value)));

/** LanguageModelUsage (a step's `usage`, a result's `totalUsage`) in the ledger's names. */
export function usageOf(usage: LanguageModelUsage | ReplyUsage): ReplyUsage {
  const details = usage as Partial<LanguageModelUsage>;
  const flat = usage as ReplyUsage;
  return {
    inputTokens: toCount(usage.inputTokens),
    outputTokens: toCount(usage.outputTokens),
    totalTokens: toCount(usage.totalTokens),
    reasoningTokens: toCount(details.outputTokenDetails?.reasoningTokens ?? flat.reasoningTokens),
    cachedInputTokens: toCount(details.inputTokenDetails?.cacheReadTokens ?? flat.cachedInputTokens),
  };
}

/** The sum of two usages; a count one of them lacks counts as 0 once the other has it. */
export function addUsage(a: ReplyUsage, b: ReplyUsage): ReplyUsage {
  const sum = (x: number | undefined, y: number | undefined) =>
    x === undefined && y === undefined ? undefined : (x ?? 0) + (y ?? 0);
  return {
    inputTokens: sum(a.inputTokens, b.inputTokens),
    outputTokens: sum(a.outputTokens, b.outputTokens),
    totalTokens: sum(a.totalTokens, b.totalTokens),
    reasoningTokens: sum(a.reasoningTokens, b.reasoningTokens),
    cachedInputTokens: sum(a.cachedInputTokens, b.cachedInputTokens),
  };
}
