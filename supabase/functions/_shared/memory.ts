/**
 * User memory as the functions read and write it: get-memory, update-memory and chat (its Memory
 * section and built-in memory tool) all go through public.get_memory and public.write_memory
 * (migration 20261207000600_user_memory.sql), which check versions and bounds.
 */
import type { z } from "zod";
import type { Caller } from "./auth.ts";
import { asCaller } from "./db.ts";
import { type Sql, sql } from "./sql.ts";
import type { RawJson } from "./json.ts";
import type { getMemoryResponse, memoryEntry } from "./schemas.ts";
import { countText, MESSAGE_OVERHEAD_TOKENS } from "./token_counts.ts";

export type MemoryEntry = z.output<typeof memoryEntry>;
export type Memory = z.output<typeof getMemoryResponse>;

/** What an entry costs a model: "key: value" in o200k_base tokens, plus its framing. */
export function memoryEntryTokens(key: string, value: string): number {
  return countText(`${key}: ${value}`) + MESSAGE_OVERHEAD_TOKENS;
}

/** The statement reading a user's memory, as `memory` (json). */
export function readMemoryStatement(userId?: string): Sql {
  return sql`select public.get_memory(${userId ?? null}) as memory`;
}

export async function readMemory(caller: Caller, userId?: string): Promise<Memory> {
  const [[row]] = await asCaller(caller, [readMemoryStatement(userId)]);
  return JSON.parse((row.memory as RawJson).text);
}

export interface MemoryWrite {
  key: string;
  /** null deletes the entry. */
  value: string | null;
  /** The version read; null when no entry was read (it must not exist). */
  expectedVersion: number | null;
  conversationId?: string;
  userId?: string;
}

/** The statement writing one entry, as `entry` (json): versioned and bounded by the database. */
export function writeMemoryStatement(write: MemoryWrite): Sql {
  const tokens = write.value === null ? null : memoryEntryTokens(write.key, write.value);
  return sql`select public.write_memory(${write.key}, ${write.value}, ${write.expectedVersion},
                                        ${write.conversationId ?? null}, ${tokens}, ${
    write.userId ?? null
  }) as entry`;
}

export async function writeMemory(caller: Caller, write: MemoryWrite): Promise<MemoryEntry> {
  const [[row]] = await asCaller(caller, [writeMemoryStatement(write)]);
  return JSON.parse((row.entry as RawJson).text);
}
