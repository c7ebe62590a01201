/**
 * The embeddings queue seen from the functions (migration 20261207000620_semantic_recall.sql holds
 * the rules): after each chat reply the caller's queued messages are leased, embedded and stored;
 * recall embeds its query. Both only where the database has the vector extension and the secrets
 * name an embedder; neither ever fails a request: recall falls back to full text, and a failed
 * drain leaves its jobs to come back after their backoff.
 */
import type { Caller } from "./auth.ts";
import { asCaller } from "./db.ts";
import { sql } from "./sql.ts";
import type { Embedder } from "./embeddings.ts";

/** Whether the database has the queue (the vector extension was available when it was migrated). */
let hasQueue: Promise<boolean> | undefined;

async function databaseHasQueue(caller: Caller): Promise<boolean> {
  hasQueue ??= asCaller(caller, [
    sql`select to_regprocedure('public.claim_embedding_jobs(text, integer, integer)') is not null as present`,
  ]).then(([[row]]) => row.present as boolean, (error) => {
    hasQueue = undefined; // ask again next time
    throw error;
  });
  return await hasQueue;
}

function logFailure(event: string, error: unknown): void {
  console.error(JSON.stringify({
    level: "warn",
    event,
    error: error instanceof Error ? error.message : String(error),
  }));
}

/**
 * Embeds and stores up to `batches` × `batchSize` of the caller's queued messages; how many were
 * stored. Never throws.
 */
export async function drainEmbeddings(
  caller: Caller,
  embedder: Embedder | null,
  { batches = 4, batchSize = 16 } = {},
): Promise<number> {
  if (!embedder) return 0;
  let stored = 0;
  try {
    if (!(await databaseHasQueue(caller))) return 0;
    for (let batch = 0; batch < batches; batch++) {
      const [jobs] = await asCaller(caller, [
        sql`select j.message_id, j.text
            from public.claim_embedding_jobs(${embedder.model}, ${embedder.dimensions}, ${batchSize}) as j`,
      ]);
      if (jobs.length === 0) break;
      const vectors = await embedder.embed(jobs.map((job) => (job.text as string) || " "));
      const items = jobs.map((job, index) => ({ message_id: job.message_id, embedding: vectors[index] }));
      const [[row]] = await asCaller(caller, [
        sql`select public.store_embeddings(${embedder.model}, ${embedder.dimensions}, ${items}::jsonb) as stored`,
      ]);
      stored += row.stored as number;
      if (jobs.length < batchSize) break;
    }
  } catch (error) {
    logFailure("embedding_drain_failed", error);
  }
  return stored;
}

/**
 * The query's embedding for recall, when an embedder is set and the database ranks by meaning
 * with its model; otherwise (or when the embedder fails) null: recall is then full text.
 */
export async function queryEmbedding(
  caller: Caller,
  embedder: Embedder | null,
  query: string,
): Promise<{ model: string; vector: number[] } | null> {
  if (!embedder) return null;
  try {
    const [[row]] = await asCaller(caller, [
      sql`select conversation_store.semantic_recall_ready(${embedder.model}, ${embedder.dimensions}) as ready`,
    ]);
    if (!row.ready) return null;
    const [vector] = await embedder.embed([query]);
    return { model: embedder.model, vector };
  } catch (error) {
    logFailure("query_embedding_failed", error);
    return null;
  }
}
