/**
 * POST share-conversation `{ conversation_id, expires_in_seconds?, include_reasoning? }`
 * → 201 `{ token, through_sequence, expires_at, include_reasoning }`: a read-only link to the
 * conversation as it is now, through its last message; the token is shown this once.
 * DELETE share-conversation `{ token }` → 200 `{ revoked: true }`: the link reads as not found from
 * now on. The rules are public.share_conversation's and public.revoke_conversation_share's
 * (migration 20261207000730_share_links.sql).
 */
import { asCaller } from "../_shared/db.ts";
import { sql } from "../_shared/sql.ts";
import { ApiError } from "../_shared/errors.ts";
import { defineFunction } from "../_shared/http.ts";
import { revokeShareRequest, shareConversationRequest } from "../_shared/schemas.ts";

export const shareConversation = defineFunction({
  name: "share-conversation",
  methods: ["POST", "DELETE"],
  schema: shareConversationRequest.or(revokeShareRequest),
  async handle(request, caller, { method }) {
    if (method === "DELETE") {
      if (!("token" in request)) throw new ApiError("invalid_request", "DELETE takes { token }");
      await asCaller(caller, [sql`select public.revoke_conversation_share(${request.token})`]);
      return { status: 200, body: { revoked: true } };
    }
    if (!("conversation_id" in request)) {
      throw new ApiError(
        "invalid_request",
        "POST takes { conversation_id, expires_in_seconds?, include_reasoning? }",
      );
    }
    const [[row]] = await asCaller(caller, [
      sql`select public.share_conversation(${request.conversation_id}, ${request.expires_in_seconds},
                                           ${request.include_reasoning}) as link`,
    ]);
    return { status: 201, body: row.link };
  },
});
