/**
 * Exact token counts, taken once when a message is written and stored with it, so that a context
 * window is cut to a budget without counting anything at read time.
 *
 * The count is OpenAI's o200k_base encoding (GPT-4o, GPT-4.1, o-series and later) of everything a
 * model reads from the message, plus the 3 tokens of framing OpenAI documents for each chat
 * message: `{ role: "user", content }` counts tokens(content) + 3. For other models' tokenizers
 * it is an approximation; keep a margin. Text that looks like a special token ("<|endoftext|>")
 * is counted as the text it is.
 */
import { countTokens } from "gpt-tokenizer/encoding/o200k_base";

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
}

export function countText(text: string | null | undefined): number {
  return text ? countTokens(text, AS_TEXT) : 0;
}

/** tokens(content, name, call names and arguments, tool_call_id) + MESSAGE_OVERHEAD_TOKENS. */
export function countMessageTokens(message: CountedParts): number {
  const calls = [
    ...(message.function_call ? [message.function_call] : []),
    ...(message.tool_calls ?? []).map((call) => call.function),
  ];
  return MESSAGE_OVERHEAD_TOKENS + countText(message.content) + countText(message.name) +
    calls.reduce((sum, call) => sum + countText(call.name) + countText(call.arguments), 0) +
    countText(message.tool_call_id);
}

/** Messages as append_messages takes them from the edge functions: each with its exact count. */
export function withTokenCounts<Message extends CountedParts>(
  messages: Message[],
): Array<Message & { token_count: number }> {
  return messages.map((message) => ({ ...message, token_count: countMessageTokens(message) }));
}
