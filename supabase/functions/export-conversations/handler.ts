/**
 * GET export-conversations?cursor=&max_messages= (or POST the same as JSON) → 200, one page of the
 * export format (docs/EXPORT.md): `{ format, version, exported_at, conversations, next_cursor }`.
 * Follow next_cursor until it is null; each page is a file import-conversations takes. A page holds
 * at most `max_messages` messages (default 5,000) and about 4 MiB of them, so it fits the Edge
 * Runtime's limits; a larger conversation continues on the next page. public.export_conversations
 * does the work. A service_role token exports the user named by `user_id`.
 */
import { z } from "zod";
import { refuseUserIdFromUsers } from "../_shared/auth.ts";
import { asCaller } from "../_shared/db.ts";
import { sql } from "../_shared/sql.ts";
import { decodeCursor, encodeCursor } from "../_shared/cursors.ts";
import { defineFunction } from "../_shared/http.ts";
import { EXPORT_FORMAT, EXPORT_VERSION, exportConversationsRequest } from "../_shared/schemas.ts";

const timestamp = z.string().max(40);
const exportCursor = z.tuple([timestamp, z.guid(), z.number().int().min(0)]);

export const exportConversations = defineFunction({
  name: "export-conversations",
  methods: ["GET", "POST"],
  schema: exportConversationsRequest,
  async handle(request, caller) {
    refuseUserIdFromUsers(caller, request.user_id);
    const after = request.cursor === undefined ? null : decodeCursor(request.cursor, exportCursor);
    const [[page]] = await asCaller(caller, [
      sql`select p -> 'conversations' as conversations, (p -> 'next_cursor')::jsonb as next_cursor
          from public.export_conversations(${after}::jsonb, ${request.max_messages}, ${request.user_id}) as p`,
    ]);
    return {
      status: 200,
      body: {
        format: EXPORT_FORMAT,
        version: EXPORT_VERSION,
        exported_at: new Date().toISOString(),
        conversations: page.conversations,
        next_cursor: page.next_cursor === null ? null : encodeCursor(page.next_cursor as unknown[]),
      },
    };
  },
});
