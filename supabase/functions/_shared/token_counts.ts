/**
 * Exact token counts, taken once when a message is written and stored with it, so that a context
 * window is cut to a budget without counting anything at read time.
 *
 * The count is OpenAI's o200k_base encoding (GPT-4o, GPT-4.1, o-series and later) of everything a
 * model reads from the message, plus the 3 tokens of framing OpenAI documents for each chat
 * message: `{ role: "user", content }` counts tokens(content) + 3. For other models' tokenizers
 * it is an approximation; keep a margin. Text that looks like a special token ("<|endoftext|>")
 * is counted as the text it is.
 *
 * BPE's work grows with the square of a pre-token's length, and a run of one character class is
 * one pre-token: counting 50,000 emoji in a row took 15 s, beyond the Edge Runtime's CPU limit. So a
 * run of 100 or more letters, symbols or spaces counts as its UTF-8 bytes (+1 for the space it may
 * have taken from its neighbour), an upper bound like the database's estimate: text without such
 * runs (prose, code, URLs) is counted exactly, and every text in linear time.
 */
import { countTokens } from "gpt-tokenizer/encoding/o200k_base";
import { FILE_TOKEN_ESTIMATE, type Part } from "./part_vocabulary.ts";

/** Tokens of the framing around each chat message (role and separators). */
export const MESSAGE_OVERHEAD_TOKENS = 3;

const AS_TEXT = { disallowedSpecial: new Set<string>() };

/** The parts of a message a model reads. */
export interface CountedParts {
  content?: string | null;
  name?: string | null;
  function_call?: { name: string; arguments: string } | null;
  tool_calls?: Array<{ function: { name: string; arguments: string } }> | null;
  tool_call_id?: string | null;
  parts?: Part[] | null;
}

/** Runs of one character class long enough to make BPE slow. */
const LONG_RUN = /\p{L}{100,}|[^\s\p{L}\p{N}]{100,}|\s{100,}/gu;
const utf8 = new TextEncoder();

export function countText(text: string | null | undefined): number {
  if (!text) return 0;
  let total = 0;
  let counted = 0;
  for (const run of text.matchAll(LONG_RUN)) {
    total += countTokens(text.slice(counted, run.index), AS_TEXT) + utf8.encode(run[0]).length + 1;
    counted = run.index + run[0].length;
  }
  return total + countTokens(text.slice(counted), AS_TEXT);
}

/** A JSON value as the model reads it: a string as it is, anything else as JSON text. */
function countJson(value: unknown): number {
  if (value === undefined) return 0;
  return countText(typeof value === "string" ? value : JSON.stringify(value));
}

/**
 * What a model reads of parts, reasoning aside: text, tool names, inputs, outputs and error texts,
 * and FILE_TOKEN_ESTIMATE per file. No part counts nothing (conversation_store.estimate_part_tokens):
 * data, source and step-start parts, which are not sent to models, and empty text or reasoning
 * count 1, so that a window's token budget also bounds how many parts are read for it.
 */
function countParts(parts: Part[]): number {
  return parts.reduce((sum, part) => {
    switch (part.type) {
      case "text":
        return sum + Math.max(1, countText(part.text));
      case "reasoning":
        return sum + (part.text === "" ? 1 : 0);
      case "file":
        return sum + FILE_TOKEN_ESTIMATE;
      case "tool-call":
        return sum + countText(part.tool_name) + countJson(part.input ?? {}) + countJson(part.output) +
          countText(part.error_text);
      case "tool-result":
        return sum + countText(part.tool_call_id) + countJson(part.output) + countText(part.error_text);
      default:
        return sum + 1;
    }
  }, 0);
}

/** Tokens of the reasoning parts, which token_count leaves out (reasoning_token_count). */
export function countReasoningTokens(parts: Part[] | null | undefined): number {
  return (parts ?? []).reduce((sum, part) => sum + (part.type === "reasoning" ? countText(part.text) : 0), 0);
}

/**
 * tokens(content, name, call names and arguments, tool_call_id) + MESSAGE_OVERHEAD_TOKENS; for a
 * message with parts, tokens(name) + the parts' (countParts) + MESSAGE_OVERHEAD_TOKENS.
 */
export function countMessageTokens(message: CountedParts): number {
  if (message.parts) return MESSAGE_OVERHEAD_TOKENS + countText(message.name) + countParts(message.parts);
  const calls = [
    ...(message.function_call ? [message.function_call] : []),
    ...(message.tool_calls ?? []).map((call) => call.function),
  ];
  return MESSAGE_OVERHEAD_TOKENS + countText(message.content) + countText(message.name) +
    calls.reduce((sum, call) => sum + countText(call.name) + countText(call.arguments), 0) +
    countText(message.tool_call_id);
}

/**
 * Messages as append_messages takes them from the edge functions: each with its exact count, and
 * the reasoning count of those with parts.
 */
export function withTokenCounts<Message extends CountedParts>(
  messages: Message[],
): Array<Message & { token_count: number; reasoning_token_count?: number }> {
  return messages.map((message) => ({
    ...message,
    token_count: countMessageTokens(message),
    ...(message.parts ? { reasoning_token_count: countReasoningTokens(message.parts) } : {}),
  }));
}
