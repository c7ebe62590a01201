/**
 * GET get-history?conversation_id=…&limit=&after=&before=&order=&format= (or POST the same as JSON)
 * → 200 `{ conversation, messages, ratings, has_more, next_cursor }`, messages as stored rows (format rows),
 * chat messages (openai: a row may stand for several) or AI SDK UIMessages (ui: a tool result on
 * the page is folded into its call's message).
 *
 * Keyset pagination on sequence_order: `next_cursor` is the value to pass as `after` (ascending) or
 * `before` (descending) for the next page. The newest N messages: `order=desc&limit=N`, reversed.
 *
 * Sequence numbers have no gaps, so a page is a range of numbers known before any row is read
 * (`after`+1 … `after`+limit, or the newest `limit` below `before`): an index range of at most
 * `limit` rows, whatever the statistics say and however deep in a conversation it starts. A page
 * also stops at the byte budget (conversation_store.page_max_bytes()); has_more then says so.
 * In format ui the budget counts a message with its folded results as one, so a page never ends
 * between a call and its result. `ratings` are the owner's ratings of the page's messages (rate-message).
 */
import type { z } from "zod";
import type { Caller } from "../_shared/auth.ts";
import { asCaller } from "../_shared/db.ts";
import { direction, type Sql, sql } from "../_shared/sql.ts";
import { LIVE, ownedBy } from "../_shared/sql_fragments.ts";
import { ApiError } from "../_shared/errors.ts";
import { defineFunction } from "../_shared/http.ts";
import { getHistoryRequest } from "../_shared/schemas.ts";

/** The statements of one request (also run by the benchmark and the plan tests). */
export function statements(request: z.output<typeof getHistoryRequest>, caller: Caller): Sql[] {
  const after = request.after ?? 0;
  const before = request.before === undefined ? null : request.before - 1; // the highest number wanted
  const range = request.order === "asc"
    ? sql`select ${after + 1} as low, least(${before}, ${after + request.limit}) as high`
    : sql`select greatest(${after + 1}, least(${before}, c.last_sequence) - ${request.limit - 1}) as low,
                 least(${before}, c.last_sequence) as high
          from conversation as c`;
  // A reply in progress is read with its log applied: the text written so far.
  const rows =
    sql`select case when m.status = 'in_progress' then conversation_store.live_message(m) else m end as m
                    from range join public.conversation_messages as m
                      on m.conversation_id = ${request.conversation_id}
                     and m.sequence_order between range.low and range.high
                    where exists (select from conversation) ${ownedBy(caller, "m")}`;
  // The messages of the page with the unit each is read in (a row; in format ui, the message a
  // result was folded into, the result itself with message null) and its position in the unit
  // (format openai: a row may stand for several chat messages). A reply carries its model and usage
  // from the ledger (conversation_store.with_reply_usage).
  const messages = {
    rows: sql`select (r.m).sequence_order,
                     conversation_store.with_reply_usage(conversation_store.message_json(r.m), r.m, false) as message,
                     (r.m).sequence_order as unit, 1 as position
              from rows as r`,
    openai:
      sql`select (r.m).sequence_order, conversation_store.with_reply_usage(chat.message, r.m, false) as message,
                       (r.m).sequence_order as unit, chat.position
                from rows as r,
                     json_array_elements(conversation_store.openai_messages(r.m)) with ordinality
                       as chat(message, position)`,
    ui: sql`select u.sequence_order, conversation_store.with_reply_usage(u.message, r.m, true) as message,
                 coalesce(u.folded_into, u.sequence_order) as unit, 1 as position
            from conversation_store.ui_messages((select array_agg(r.m) from rows as r), true) as u
            left join rows as r on (r.m).sequence_order = u.sequence_order`,
  }[request.format];
  const byUnit = sql`order by page.unit ${direction(request.order)}`;
  return [
    sql`with conversation as (
          select * from public.conversations as c
          where c.id = ${request.conversation_id} and ${LIVE} ${ownedBy(caller, "c")}
        ),
        -- Materialized, the bounds reach the index scan as plain values: computed inline, the
        -- subtraction (not leakproof) would be held back behind the messages policy as a filter.
        range as materialized (${range}),
        rows as (${rows}),
        -- Materialized, each message is shaped once: inlined, the budget's two window sums and the
        -- aggregate would each shape it again (twice the time of a page).
        page as materialized (${messages}),
        -- A unit is included when the units before it took less than the budget; the first always is.
        sized as (
          select page.*, dense_rank() over (${byUnit}) = 1
                         or sum(coalesce(octet_length(page.message::text), 0)) over (${byUnit})
                            - sum(coalesce(octet_length(page.message::text), 0)) over (partition by page.unit)
                            < conversation_store.page_max_bytes() as included
          from page
        )
        select (select conversation_store.conversation_json(c) from conversation as c) as conversation,
               -- The owner's ratings of the page's messages (a primary-key range of message_ratings).
               (select coalesce(json_agg(conversation_store.rating_json(r, m) order by r.sequence_order), '[]')
                from public.message_ratings as r
                join public.conversation_messages as m
                  on m.conversation_id = r.conversation_id and m.sequence_order = r.sequence_order
                where r.conversation_id = ${request.conversation_id}
                  and r.user_id = (select c.user_id from conversation as c)
                  and r.sequence_order between (select min(i.sequence_order) from sized as i where i.included)
                                           and (select max(i.sequence_order) from sized as i where i.included))
                 as ratings,
               coalesce(json_agg(s.message order by s.sequence_order ${direction(request.order)},
                                                    s.position ${direction(request.order)})
                          filter (where s.included and s.message is not null), '[]') as messages,
               ${
      request.order === "asc"
        ? sql`max(s.sequence_order) filter (where s.included)
              < (select least(${before}, c.last_sequence) from conversation as c)`
        : sql`min(s.sequence_order) filter (where s.included) > ${after + 1}`
    } as has_more,
               ${
      request.order === "asc"
        ? sql`max(s.sequence_order) filter (where s.included)`
        : sql`min(s.sequence_order) filter (where s.included)`
    } as last_returned
        from sized as s`,
  ];
}

export const getHistory = defineFunction({
  name: "get-history",
  methods: ["GET", "POST"],
  schema: getHistoryRequest,
  async handle(request, caller) {
    const [[page]] = await asCaller(caller, statements(request, caller));
    if (!page.conversation) throw new ApiError("not_found", "conversation not found");

    const hasMore = page.has_more === true;
    return {
      status: 200,
      body: {
        conversation: page.conversation,
        messages: page.messages,
        ratings: page.ratings,
        has_more: hasMore,
        next_cursor: hasMore ? page.last_returned : null,
      },
    };
  },
});
