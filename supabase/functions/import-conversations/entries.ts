/**
 * What an import stores, whatever the file: a list of entries, one conversation (or one page of a
 * conversation, or one fork) each, in the order they must be written. public.import_conversation
 * writes an entry (migration 20261207000740_export_import.sql).
 */
import type { z } from "zod";
import type { messageInput } from "../_shared/schemas.ts";

export type ImportMessage = z.input<typeof messageInput>;

export interface ImportEntry {
  /** The conversation's key in its source: its id there (a fork adds the leaf it ends at). */
  key: string;
  /** Set on a conversation the import creates: title, pinned, archived, tags, metadata, ratings. */
  conversation: Record<string, unknown>;
  messages: ImportMessage[];
  /** The sequence number of the first message (after an earlier page, or after the fork point). */
  firstSequence: number;
  /** For a branch: the entry it was forked from and the sequence number it copies through. */
  fork?: { key: string; through: number };
}
