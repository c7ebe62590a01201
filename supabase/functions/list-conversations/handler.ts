/**
 * GET list-conversations?limit=&cursor=&video_id=&forked_from_conversation_id= (or POST the same
 * as JSON) → 200 `{ conversations, has_more, next_cursor }`, most recently updated first. Each
 * conversation says whether its last reply waits for the user (`awaiting_input`: tool approvals or
 * outputs), so an app can badge it.
 *
 * The cursor is the (updated_at, id) of the page's last row, for a keyset query on
 * idx_conversations_user_id. The caller's id is in the query as a literal, so the planner sees
 * this user's real statistics, and bitmap scans are off for the request, so it reads the index in
 * order even before there are statistics: for a user with five conversations or five thousand. A service_role token lists every user's conversations, or one user's with
 * `user_id`. A page also stops at the byte budget (conversation_store.page_max_bytes()).
 */
import type { z } from "zod";
import { type Caller, refuseUserIdFromUsers } from "../_shared/auth.ts";
import { asCaller, join, LIVE, ownedBy, type Sql, sql } from "../_shared/db.ts";
import { decodeCursor, encodeCursor, listCursor } from "../_shared/cursors.ts";
import { defineFunction } from "../_shared/http.ts";
import { listConversationsRequest } from "../_shared/schemas.ts";

/** The statements of one request (also run by the benchmark and the plan tests). */
export function statements(request: z.output<typeof listConversationsRequest>, caller: Caller): Sql[] {
  const after = request.cursor === undefined ? undefined : decodeCursor(request.cursor, listCursor);
  const filters = join([
    request.user_id === undefined ? sql`` : sql`and c.user_id = ${request.user_id}`,
    request.video_id === undefined ? sql`` : sql`and c.video_id = ${request.video_id}`,
    request.forked_from_conversation_id === undefined
      ? sql``
      : sql`and c.forked_from_conversation_id = ${request.forked_from_conversation_id}`,
    after === undefined
      ? sql``
      : sql`and (c.updated_at, c.id) < (${after[0]}::timestamptz, ${after[1]}::uuid)`,
  ]);
  return [
    // For this transaction only: before statistics exist (a new project, a freshly restored one) the
    // planner guesses a handful of rows per user and would sort all of a heavy user's conversations
    // from a bitmap; the index already holds them in the page's order.
    sql`select set_config('enable_bitmapscan', 'off', true)`,
    sql`select page.conversation, page.updated_at, page.id,
               page.position = 1
               or sum(octet_length(page.conversation::text)) over (order by page.position)
                  - octet_length(page.conversation::text) < conversation_store.page_max_bytes() as included
        from (select (conversation_store.conversation_json(c)::jsonb
                      || jsonb_build_object('awaiting_input', conversation_store.awaits_user(c)))::json
                       as conversation,
                     to_json(c.updated_at) #>> '{}' as updated_at, c.id,
                     row_number() over (order by c.updated_at desc, c.id desc) as position
              from (select * from public.conversations as c
                    where ${LIVE} ${ownedBy(caller, "c")} ${filters}
                    order by c.updated_at desc, c.id desc
                    limit ${request.limit + 1}) as c) as page
        order by page.position`,
  ];
}

export const listConversations = defineFunction({
  name: "list-conversations",
  methods: ["GET", "POST"],
  schema: listConversationsRequest,
  async handle(request, caller) {
    refuseUserIdFromUsers(caller, request.user_id);
    const [, rows] = await asCaller(caller, statements(request, caller));
    const page = rows.slice(0, request.limit).filter((row) => row.included);
    const hasMore = rows.length > page.length;
    const last = page[page.length - 1];
    return {
      status: 200,
      body: {
        conversations: page.map((row) => row.conversation),
        has_more: hasMore,
        next_cursor: hasMore ? encodeCursor([last.updated_at, last.id]) : null,
      },
    };
  },
});
