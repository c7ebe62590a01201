/**
 * GET search-conversations?q=…&limit=&cursor=&video_id=&archived=&tag= (or POST the same as JSON)
 * → 200 `{ results, has_more, next_cursor }`: the caller's conversations whose title or messages match
 * `q` (web-search syntax), archived ones only with `archived=true` (then only them), carrying `tag`
 * if given, most relevant first, each with up to 3 matching messages as plain-text snippets and
 * highlight ranges. public.search_conversations does the work; the rules are in its migration.
 */
import type { z } from "zod";
import { type Caller, refuseUserIdFromUsers } from "../_shared/auth.ts";
import { asCaller } from "../_shared/db.ts";
import { type Sql, sql } from "../_shared/sql.ts";
import { decodeCursor, encodeCursor, searchCursor } from "../_shared/cursors.ts";
import { defineFunction } from "../_shared/http.ts";
import { searchConversationsRequest } from "../_shared/schemas.ts";

/** The statements of one request (also run by the benchmark). */
export function statements(request: z.output<typeof searchConversationsRequest>, _caller: Caller): Sql[] {
  const after = request.cursor === undefined ? null : decodeCursor(request.cursor, searchCursor);
  return [
    sql`select (p -> 'results')::json as results, (p ->> 'has_more')::boolean as has_more,
               (p -> 'next_cursor')::jsonb as next_cursor
        from public.search_conversations(${request.q}, ${request.limit}, ${after}::jsonb, ${request.video_id},
                                         ${request.user_id}, ${request.archived}, ${request.tag}) as p`,
  ];
}

export const searchConversations = defineFunction({
  name: "search-conversations",
  methods: ["GET", "POST"],
  schema: searchConversationsRequest,
  async handle(request, caller) {
    refuseUserIdFromUsers(caller, request.user_id);
    const [[page]] = await asCaller(caller, statements(request, caller));
    return {
      status: 200,
      body: {
        results: page.results,
        has_more: page.has_more,
        next_cursor: page.next_cursor === null ? null : encodeCursor(page.next_cursor as unknown[]),
      },
    };
  },
});
