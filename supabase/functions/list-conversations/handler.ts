/**
 * GET list-conversations?limit=&cursor=&video_id= (or POST the same as JSON)
 * → 200 `{ conversations, has_more, next_cursor }`, most recently updated first.
 *
 * The cursor is opaque to clients: the (updated_at, id) of the last row, for a keyset query on
 * idx_conversations_user_id. A service_role token lists every user's conversations, or one user's
 * with `user_id`.
 */
import { asCaller, sql } from "../_shared/db.ts";
import { ApiError } from "../_shared/errors.ts";
import { defineFunction } from "../_shared/http.ts";
import { listConversationsRequest } from "../_shared/schemas.ts";

export const listConversations = defineFunction({
  name: "list-conversations",
  methods: ["GET", "POST"],
  schema: listConversationsRequest,
  async handle(request, caller) {
    if (caller.role !== "service_role" && request.user_id !== undefined) {
      throw new ApiError("forbidden", "user_id is only accepted with a service_role token");
    }
    const after = request.cursor === undefined ? undefined : decodeCursor(request.cursor);
    const [rows] = await asCaller(caller, [
      sql`select to_json(c) as conversation, to_json(c.updated_at) #>> '{}' as updated_at, c.id
          from (select * from public.conversations
                where true
                  ${request.user_id === undefined ? sql`` : sql`and user_id = ${request.user_id}`}
                  ${request.video_id === undefined ? sql`` : sql`and video_id = ${request.video_id}`}
                  ${
        after === undefined
          ? sql``
          : sql`and (updated_at, id) < (${after.updatedAt}::timestamptz, ${after.id}::uuid)`
      }
                order by updated_at desc, id desc
                limit ${request.limit + 1}) as c
          order by c.updated_at desc, c.id desc`,
    ]);
    const page = rows.slice(0, request.limit);
    const hasMore = rows.length > request.limit;
    const last = page[page.length - 1];
    return {
      status: 200,
      body: {
        conversations: page.map((row) => row.conversation),
        has_more: hasMore,
        next_cursor: hasMore ? encodeCursor(last.updated_at as string, last.id as string) : null,
      },
    };
  },
});

function encodeCursor(updatedAt: string, id: string): string {
  return btoa(JSON.stringify([updatedAt, id])).replaceAll("+", "-").replaceAll(
    "/",
    "_",
  )
    .replace(/=+$/, "");
}

function decodeCursor(cursor: string): { updatedAt: string; id: string } {
  try {
    const [updatedAt, id] = JSON.parse(atob(cursor.replaceAll("-", "+").replaceAll("_", "/")));
    if (typeof updatedAt === "string" && !Number.isNaN(Date.parse(updatedAt)) && /^[0-9a-f-]{36}$/.test(id)) {
      return { updatedAt, id };
    }
  } catch {
    // fall through to the error below
  }
  throw new ApiError("invalid_request", "cursor is not a value returned as next_cursor");
}
