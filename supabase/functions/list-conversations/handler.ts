/**
 * GET list-conversations?limit=&cursor=&video_id=&forked_from_conversation_id=&archived=&tag= (or
 * POST the same as JSON) → 200 `{ conversations, has_more, next_cursor }`: pinned first, then most
 * recently updated first. Archived conversations are left out, unless `archived=true`, which lists
 * only them; `tag` keeps those carrying the tag (normalised as stored: case and spacing do not matter).
 * Each conversation says whether its last reply waits for the user (`awaiting_input`: tool approvals
 * or outputs), so an app can badge it.
 *
 * The cursor is the (pinned, updated_at, id) of the page's last row, for a keyset query on
 * idx_conversations_user_list (user_id, archived, pinned, updated_at, id). The caller's id is in the
 * query as a literal, so the planner sees this user's real statistics, and bitmap scans are off for
 * the request, so it reads the index in order even before there are statistics: for a user with
 * five conversations or five thousand. A tag filter reads the same way through conversation_tags
 * (a row per tag with the conversation's sort key) and idx_conversation_tags_list. A service_role token lists every
 * user's conversations, or one user's with `user_id`. A page also stops at the byte budget
 * (conversation_store.page_max_bytes()).
 */
import type { z } from "zod";
import { type Caller, refuseUserIdFromUsers } from "../_shared/auth.ts";
import { asCaller } from "../_shared/db.ts";
import { join, Sql, sql } from "../_shared/sql.ts";
import { LIVE, ownedBy } from "../_shared/sql_fragments.ts";
import { decodeCursor, encodeCursor, listCursor } from "../_shared/cursors.ts";
import { defineFunction } from "../_shared/http.ts";
import { listConversationsRequest } from "../_shared/schemas.ts";

/** The statements of one request (also run by the benchmark and the plan tests). */
export function statements(request: z.output<typeof listConversationsRequest>, caller: Caller): Sql[] {
  const after = request.cursor === undefined ? undefined : decodeCursor(request.cursor, listCursor);
  // Without a tag the list reads conversations (idx_conversations_user_list); with one, that tag's
  // rows of conversation_tags (idx_conversation_tags_list), which carry the same sort key.
  const byTag = request.tag !== undefined;
  const key = new Sql(byTag ? "t" : "c");
  const id = new Sql(byTag ? "t.conversation_id" : "c.id");
  const filters = join([
    sql`and ${key}.archived = ${request.archived}`,
    byTag
      ? sql`and t.tag = (conversation_store.normalize_tags(array[${request.tag}]))[1]
            ${caller.role === "service_role" ? sql`` : sql`and t.user_id = ${caller.userId}`}`
      : sql``,
    request.user_id === undefined ? sql`` : sql`and ${key}.user_id = ${request.user_id}`,
    request.video_id === undefined ? sql`` : sql`and c.video_id = ${request.video_id}`,
    request.forked_from_conversation_id === undefined
      ? sql``
      : sql`and c.forked_from_conversation_id = ${request.forked_from_conversation_id}`,
    after === undefined ? sql`` : sql`and (${key}.pinned, ${key}.updated_at, ${id})
                                          < (${after[0]}, ${after[1]}::timestamptz, ${after[2]}::uuid)`,
  ]);
  const source = byTag
    ? sql`public.conversation_tags as t join public.conversations as c on c.id = t.conversation_id`
    : sql`public.conversations as c`;
  return [
    // For this transaction only: before statistics exist (a new project, a freshly restored one) the
    // planner guesses a handful of rows per user and would sort all of a heavy user's conversations
    // from a bitmap; the index already holds them in the page's order.
    sql`select set_config('enable_bitmapscan', 'off', true)`,
    sql`select page.conversation, page.pinned, page.updated_at, page.id,
               page.position = 1
               or sum(octet_length(page.conversation::text)) over (order by page.position)
                  - octet_length(page.conversation::text) < conversation_store.page_max_bytes() as included
        from (select (conversation_store.conversation_json(c)::jsonb
                      || jsonb_build_object('awaiting_input', conversation_store.awaits_user(c)))::json
                       as conversation,
                     c.pinned, to_json(c.updated_at) #>> '{}' as updated_at, c.id,
                     row_number() over (order by c.pinned desc, c.updated_at desc, c.id desc) as position
              from (select c.* from ${source}
                    where ${LIVE} ${ownedBy(caller, "c")} ${filters}
                    order by ${key}.pinned desc, ${key}.updated_at desc, ${id} desc
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
        next_cursor: hasMore ? encodeCursor([last.pinned, last.updated_at, last.id]) : null,
      },
    };
  },
});
