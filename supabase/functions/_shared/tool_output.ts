/**
 * What a chat model reads as a tool call's result, the one rule on the TypeScript side: the output
 * itself when it is a string, else its JSON; a failed call's error text; a denied call's reason, else
 * DENIED_TOOL_OUTPUT. format=openai applies the same rule in SQL (conversation_store.tool_output_text,
 * 20261206000400_part_formats.sql); supabase/tests/database/typescript_sql_agreement_test.ts checks
 * that both give the same text.
 */

/** The result a denied call without a reason reads as. */
export const DENIED_TOOL_OUTPUT = "denied";

/** A tool call's state and, for the state it is in, its output, error text or denial reason. */
export interface ToolCallResult {
  state: string;
  output?: unknown;
  errorText?: string;
  deniedReason?: string;
}

/** The result as text, or undefined while the call has none (a state before output-*). */
export function toolOutputText(call: ToolCallResult): string | undefined {
  switch (call.state) {
    case "output-available":
      return typeof call.output === "string" ? call.output : JSON.stringify(call.output ?? null);
    case "output-error":
      return call.errorText ?? "";
    case "output-denied":
      return call.deniedReason ?? DENIED_TOOL_OUTPUT;
  }
  return undefined;
}
