/**
 * POST recall `{ query, limit?, exclude_conversation_id?, user_id? }` → 200 `{ mode, passages }`:
 * the passages of the caller's conversations (the service role: of `user_id`) most relevant to
 * `query`, best first, each `{ conversation_id, sequence_order, role, snippet, created_at, score }`.
 * `mode` is `hybrid` when ranked by words and by meaning (embeddings configured), else
 * `full_text`. public.recall_messages does the work; the rules are in its migration.
 */
import type { Caller } from "../_shared/auth.ts";
import { refuseUserIdFromUsers } from "../_shared/auth.ts";
import { type Embedder, embedderFromSettings } from "../_shared/embeddings.ts";
import { defineFunction } from "../_shared/http.ts";
import { recall } from "../_shared/recall.ts";
import { queryEmbedding } from "../_shared/embedding_queue.ts";
import { recallRequest } from "../_shared/schemas.ts";

export function createRecallHandler(
  options: { embedder?: () => Embedder | null } = {},
): (request: Request) => Promise<Response> {
  return defineFunction({
    name: "recall",
    methods: ["POST"],
    schema: recallRequest,
    async handle(request, caller: Caller) {
      refuseUserIdFromUsers(caller, request.user_id);
      const embedder = (options.embedder ?? embedderFromSettings)();
      const found = await recall(caller, {
        query: request.query,
        limit: request.limit,
        excludeConversationId: request.exclude_conversation_id,
        userId: request.user_id,
        embedding: await queryEmbedding(caller, embedder, request.query),
      });
      return { status: 200, body: found };
    },
  });
}

export const recallPassages = createRecallHandler();
