/**
 * chat's built-in tools, beside the app's own (chat/tools.ts), each stored in the reply as an
 * ordinary tool part (its input, then its output or error), so every change to memory is visible in
 * the conversation that made it:
 *
 * - `memory` `{ key, value }`: creates or replaces the entry `key`, or forgets it (`value: null`).
 *   The write names the version this turn read (or last wrote), so an entry another conversation
 *   changed meanwhile is not overwritten unseen: the tool answers an error with the current value,
 *   and a second call (having seen it) replaces it. A write past memory's bounds is an error too.
 * - `recall` `{ query }`: passages of the user's other conversations most relevant to the query.
 *
 * Turned off by CHAT_MEMORY=off and CHAT_RECALL=off (see memory.ts).
 */
import { tool, type ToolSet } from "ai";
import { z } from "zod";
import type { Caller } from "../_shared/auth.ts";
import { queryEmbedding } from "../_shared/embedding_queue.ts";
import { ApiError, fromDatabaseError, isDatabaseError } from "../_shared/errors.ts";
import { readMemory, writeMemory } from "../_shared/memory.ts";
import { recall } from "../_shared/recall.ts";
import { memoryKey, memoryValue } from "../_shared/schemas.ts";
import type { TurnMemory, TurnRecall } from "./memory.ts";

/** How many passages the recall tool gives the model. */
export const RECALL_TOOL_PASSAGES = 5;

interface BuiltInToolsContext extends TurnRecall {
  caller: Caller;
  conversationId: string;
}

function apiErrorOf(error: unknown): ApiError | null {
  if (error instanceof ApiError) return error;
  return isDatabaseError(error) ? fromDatabaseError(error) : null;
}

function memoryTool({ caller, conversationId, memory }: BuiltInToolsContext & { memory: TurnMemory }) {
  // The versions this turn has seen, by key: read at the start, then as it writes.
  const seen = new Map(memory.memory.entries.map((entry) => [entry.key, entry.version]));
  return tool({
    description: "Remember a fact about the user across conversations, replace it, or forget it. " +
      "key: a short name such as `name` or `diet`; value: the fact, or null to forget the key.",
    inputSchema: z.object({ key: memoryKey, value: memoryValue.nullable() }),
    async execute({ key, value }) {
      try {
        const entry = await writeMemory(caller, {
          key,
          value,
          expectedVersion: seen.get(key) ?? null,
          conversationId,
        });
        seen.set(key, entry.version);
        return value === null ? { key, forgotten: true } : { key, value, remembered: true };
      } catch (error) {
        const apiError = apiErrorOf(error);
        if (apiError?.code === "memory_conflict") {
          const current = (await readMemory(caller)).entries.find((entry) => entry.key === key);
          seen.set(key, current?.version ?? null);
          throw new Error(
            `another conversation changed "${key}" meanwhile: it is now ${
              JSON.stringify(current?.value ?? null)
            }. Call memory again to replace it, if you still should.`,
          );
        }
        if (apiError?.code === "memory_full" || apiError?.code === "invalid_request") {
          throw new Error(apiError.message);
        }
        throw error;
      }
    },
  });
}

function recallTool({ caller, conversationId, embedder }: BuiltInToolsContext) {
  return tool({
    description: "Search the user's earlier conversations for what was said about something. " +
      "query: what to look for, in a few words.",
    inputSchema: z.object({ query: z.string().min(1).max(256) }),
    async execute({ query }) {
      return await recall(caller, {
        query,
        limit: RECALL_TOOL_PASSAGES,
        excludeConversationId: conversationId,
        embedding: await queryEmbedding(caller, embedder, query),
      });
    },
  });
}

/** The app's tools with the built-in ones the settings turn on, for a turn of `conversationId`. */
export function withBuiltInTools(
  tools: ToolSet | undefined,
  caller: Caller,
  conversationId: string,
  turn: TurnRecall,
): ToolSet | undefined {
  const context = { ...turn, caller, conversationId };
  const builtIn: ToolSet = {
    ...(context.memory ? { memory: memoryTool({ ...context, memory: context.memory }) } : {}),
    ...(context.settings.recall ? { recall: recallTool(context) } : {}),
  };
  return Object.keys(builtIn).length === 0 ? tools : { ...tools, ...builtIn };
}
