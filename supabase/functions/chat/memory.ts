/**
 * chat's memory: every turn reads the user's memory (get_memory), shows it to the model as a
 * "## Memory" section after the conversation state, and counts that section against the window's
 * budget: get_context is given CHAT_CONTEXT_TOKENS minus the section's tokens, so the instructions
 * and the window together stay within the budget.
 *
 * Settings (secrets on Supabase, the environment locally; read on each request):
 * - CHAT_MEMORY: `on` (default) or `off`: the Memory section and the built-in memory tool.
 * - CHAT_RECALL: `on` (default) or `off`: the built-in recall tool.
 *
 * The entries are shown as one JSON object (key → value) in a <conversation_data> block (prompt.ts):
 * values are data the user or the model wrote, never instructions.
 */
import type { Caller } from "../_shared/auth.ts";
import { ConfigurationError, setting } from "../_shared/config.ts";
import type { Embedder } from "../_shared/embeddings.ts";
import { type Memory, readMemory } from "../_shared/memory.ts";
import { countText } from "../_shared/token_counts.ts";
import { dataBlock } from "./prompt.ts";

export interface MemorySettings {
  memory: boolean;
  recall: boolean;
}

function onOff(name: string): boolean {
  const value = setting(name) ?? "on";
  if (value !== "on" && value !== "off") throw new ConfigurationError(`${name} must be on or off`);
  return value === "on";
}

export function memorySettings(): MemorySettings {
  return { memory: onOff("CHAT_MEMORY"), recall: onOff("CHAT_RECALL") };
}

/** The memory a turn starts from: the entries, their section of the instructions and its cost. */
export interface TurnMemory {
  memory: Memory;
  section: string;
  tokens: number;
}

export function memorySection(memory: Memory): string {
  const remembered = memory.entries.length === 0
    ? "Nothing yet."
    : dataBlock({ memory: Object.fromEntries(memory.entries.map((entry) => [entry.key, entry.value])) });
  return "## Memory\n\nWhat you remember about the user from earlier conversations. Keep it current with " +
    "the memory tool (a short key, the fact as its value; value null forgets it); use it to " +
    `personalize your answers.\n\n${remembered}`;
}

/** What a turn knows of memory and recall: the settings, the memory (null when off), the embedder. */
export interface TurnRecall {
  settings: MemorySettings;
  memory: TurnMemory | null;
  embedder: Embedder | null;
}

/** Reads the caller's memory for this turn, when memory is on. */
export async function memoryForTurn(
  caller: Caller,
  settings: MemorySettings,
  embedder: Embedder | null,
): Promise<TurnRecall> {
  if (!settings.memory) return { settings, memory: null, embedder };
  const memory = await readMemory(caller);
  const section = memorySection(memory);
  // The two newlines that join it to the instructions count too.
  return { settings, memory: { memory, section, tokens: countText(`\n\n${section}`) }, embedder };
}

/** get_context's budget once the Memory section has its share (at least 1 token). */
export function windowBudget(contextTokens: number, memory: TurnMemory | null): number {
  return Math.max(1, contextTokens - (memory?.tokens ?? 0));
}
