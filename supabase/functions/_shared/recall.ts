/**
 * Recall: the passages of a user's past conversations most relevant to a query, for the recall
 * function and chat's built-in recall tool. public.recall_messages ranks (full text, and by meaning
 * where the database has embeddings: see embeddings.ts); this module embeds the query when an
 * embedder is configured.
 */
import type { z } from "zod";
import type { Caller } from "./auth.ts";
import { asCaller } from "./db.ts";
import { type Sql, sql } from "./sql.ts";
import type { RawJson } from "./json.ts";
import type { recallResponse } from "./schemas.ts";

export type Recall = z.output<typeof recallResponse>;

export interface RecallQuery {
  query: string;
  limit?: number;
  excludeConversationId?: string;
  userId?: string;
  /** The query's embedding and the model that made it, when an embedder is configured. */
  embedding?: { model: string; vector: number[] } | null;
}

/** The statement of one recall, as `recall` (json). */
export function recallStatement(query: RecallQuery): Sql {
  const vector = query.embedding ? sql`${`{${query.embedding.vector.join(",")}}`}::real[]` : sql`null`;
  return sql`select public.recall_messages(${query.query}, ${query.limit ?? 8},
                                           ${query.excludeConversationId ?? null}, ${vector},
                                           ${query.embedding?.model ?? null}, ${
    query.userId ?? null
  }) as recall`;
}

export async function recall(caller: Caller, query: RecallQuery): Promise<Recall> {
  const [[row]] = await asCaller(caller, [recallStatement(query)]);
  return JSON.parse((row.recall as RawJson).text);
}
