/**
 * Embedders for semantic recall, chosen by secrets (read on each use, like chat's settings):
 *
 * - EMBEDDING_MODEL (e.g. `text-embedding-3-small`) and EMBEDDING_DIMENSIONS (e.g. 1536): both
 *   required to embed; without them recall is full text only.
 * - EMBEDDING_BASE_URL (default OPENAI_BASE_URL, else https://api.openai.com/v1): any server with
 *   OpenAI's `POST /embeddings` (`{ model, input, dimensions }` → `{ data: [{ index, embedding }] }`).
 * - EMBEDDING_API_KEY (default OPENAI_API_KEY).
 *
 * The database keeps one model and dimension (conversation_store.embedding_model, set by the first
 * use): an embedder naming another is refused there, so vectors of two models are never compared.
 * On Supabase's Edge Runtime, `new Supabase.ai.Session("gte-small")` embeds with 384 dimensions
 * and no provider; an app can wrap it as an Embedder (docs/CHAT.md shows how). It is not used
 * here, since the local server and the tests do not run on the Edge Runtime.
 */
import { ConfigurationError, setting } from "./config.ts";

export interface Embedder {
  model: string;
  dimensions: number;
  /** One embedding per text, in order, each of `dimensions` numbers. */
  embed(texts: string[]): Promise<number[][]>;
}

/** An embedder over an OpenAI-compatible `/embeddings` endpoint. */
export function openAICompatibleEmbedder(
  options: { baseURL: string; apiKey?: string; model: string; dimensions: number },
): Embedder {
  return {
    model: options.model,
    dimensions: options.dimensions,
    async embed(texts) {
      const response = await fetch(`${options.baseURL.replace(/\/$/, "")}/embeddings`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
        },
        body: JSON.stringify({ model: options.model, input: texts, dimensions: options.dimensions }),
        signal: AbortSignal.timeout(10_000),
      });
      if (!response.ok) throw new Error(`the embeddings endpoint answered ${response.status}`);
      const body = await response.json() as { data?: Array<{ index: number; embedding: number[] }> };
      const vectors = (body.data ?? []).toSorted((a, b) => a.index - b.index).map((item) => item.embedding);
      if (
        vectors.length !== texts.length ||
        vectors.some((vector) => vector.length !== options.dimensions || !vector.every(Number.isFinite))
      ) {
        throw new Error(
          `the embeddings endpoint did not answer ${texts.length} vectors of ${options.dimensions}`,
        );
      }
      return vectors;
    },
  };
}

/** The embedder the secrets choose, or null when they choose none. */
export function embedderFromSettings(): Embedder | null {
  const model = setting("EMBEDDING_MODEL");
  const dimensionsText = setting("EMBEDDING_DIMENSIONS");
  if (!model && !dimensionsText) return null;
  const dimensions = Number(dimensionsText);
  if (!model || !Number.isInteger(dimensions) || dimensions < 1 || dimensions > 4000) {
    throw new ConfigurationError(
      "set both EMBEDDING_MODEL and EMBEDDING_DIMENSIONS (a whole number up to 4000)",
    );
  }
  return openAICompatibleEmbedder({
    baseURL: setting("EMBEDDING_BASE_URL") ?? setting("OPENAI_BASE_URL") ?? "https://api.openai.com/v1",
    apiKey: setting("EMBEDDING_API_KEY") ?? setting("OPENAI_API_KEY"),
    model,
    dimensions,
  });
}
