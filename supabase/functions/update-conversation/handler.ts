/**
 * POST or PATCH update-conversation `{ conversation_id, metadata?, video_id?, summary?, retention_seconds?,
 * title?, pinned?, archived?, tags? }` → 200 `{ conversation }`, all changes in one transaction.
 *
 * `metadata` is a JSON merge patch (RFC 7396): keys set to null are removed, objects merge.
 * `summary` `{ content, through_sequence }` sets or replaces the summary get-context sends in place
 * of messages 1..through_sequence; `null` clears it. `video_id` and `retention_seconds` are set as
 * given (`null` clears them). `title`, `pinned`, `archived` and `tags` are set as given (a `null`
 * title or tags clears them); the database normalises title and tags and bounds them
 * (migration 20261207000700_conversation_labels.sql). A title set here is the user's: chat's
 * generated titles never replace it.
 */
import { asCaller } from "../_shared/db.ts";
import { join, type Sql, sql } from "../_shared/sql.ts";
import { conversationJson, LIVE, ownedBy } from "../_shared/sql_fragments.ts";
import { ApiError } from "../_shared/errors.ts";
import { defineFunction } from "../_shared/http.ts";
import { updateConversationRequest } from "../_shared/schemas.ts";
import { countMessageTokens } from "../_shared/token_counts.ts";

export const updateConversation = defineFunction({
  name: "update-conversation",
  methods: ["POST", "PATCH"],
  schema: updateConversationRequest,
  async handle(request, caller) {
    const id = request.conversation_id;
    const columns: Sql[] = [];
    if (request.video_id !== undefined) columns.push(sql`video_id = ${request.video_id}`);
    if (request.retention_seconds !== undefined) {
      columns.push(sql`retention_seconds = ${request.retention_seconds}`);
    }
    if (request.title !== undefined) columns.push(sql`title = ${request.title}`);
    if (request.pinned !== undefined) columns.push(sql`pinned = ${request.pinned}`);
    if (request.archived !== undefined) columns.push(sql`archived = ${request.archived}`);
    if (request.tags !== undefined) {
      columns.push(sql`tags = array(select jsonb_array_elements_text(${request.tags ?? []}::jsonb))`);
    }
    const summary = request.summary;
    const results = await asCaller(caller, [
      ...(columns.length === 0 ? [] : [
        sql`update public.conversations as c set ${join(columns, ", ")}
            where c.id = ${id} and ${LIVE} ${ownedBy(caller, "c")}`,
      ]),
      ...(request.metadata === undefined
        ? []
        : [sql`select from public.update_conversation_metadata(${id}, ${request.metadata}::jsonb)`]),
      ...(summary === undefined ? [] : [
        summary === null
          ? sql`select from public.set_conversation_summary(${id}, null, null)`
          : sql`select from public.set_conversation_summary(${id}, ${summary.content}, ${summary.through_sequence},
                                                           ${
            countMessageTokens({ content: summary.content })
          })`,
      ]),
      conversationJson(caller, id),
    ]);
    const [found] = results[results.length - 1];
    if (!found) throw new ApiError("not_found", "conversation not found");
    return { status: 200, body: { conversation: found.conversation } };
  },
});
