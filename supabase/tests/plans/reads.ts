/**
 * The page reads the plan tests check, on a shape skewed on purpose: a heavy user owns half the
 * conversations, and one conversation holds a quarter of the messages.
 */
import type { Call } from "../../../bench/calls.ts";
import { COMMON_WORD, RARE_WORD } from "../../../bench/corpus.ts";
import { conversationId, layout, type Shape, userId } from "../../../bench/seed.ts";
import type { Flatness } from "../../../bench/plans.ts";

/** About 120,000 messages: big enough that a whole conversation or a whole user is far beyond a page. */
export const SHAPE: Shape = {
  users: 100,
  conversations: 1_000,
  hugeMessages: 30_000,
  bigConversations: 10,
  bigMessages: 1_000,
  heavyConversations: 500,
};
const { huge, firstHeavy, heavyUser, ordinaryUser, ownerOf } = layout(SHAPE);
export const HEAVY_USER = heavyUser;

const HISTORY_INDEX = "idx_conversation_messages_sequence_order";
const SEARCH_INDEX = "idx_conversation_messages_search";
/** Reasoning and file names of the messages written with parts (migration 20261206000420_search_parts.sql). */
const SEARCH_PARTS_INDEX = "idx_conversation_messages_search_parts";
const history: Flatness = { messageIndexes: [HISTORY_INDEX], maxRows: 100 };
// A context window of 8,000 tokens is about 200 messages: the tail is read 256 at a time.
const context: Flatness = { messageIndexes: [HISTORY_INDEX], maxRows: 600 };
/** One probe per listed conversation: does its last reply wait for the user (migration 20261207000400)? */
const AWAITING_INDEX = "idx_conversation_messages_awaiting_input";
const list: Flatness = { messageIndexes: [AWAITING_INDEX], maxRows: 25 };
// Search ranks at most 10,000 matching messages per call (its documented bound).
const search: Flatness = {
  messageIndexes: [SEARCH_INDEX, SEARCH_PARTS_INDEX],
  maxRows: 11_000,
  unboundedBitmapIndexes: [SEARCH_INDEX, SEARCH_PARTS_INDEX],
  indexCondMustName: { [SEARCH_INDEX]: "user_id", [SEARCH_PARTS_INDEX]: "user_id" },
};

/**
 * The heavy user's sidebar: 5 pinned conversations, 100 archived, one in 13 tagged "work" (38),
 * all titled. Run on the seeded database before the plans are captured.
 */
export const LABEL_HEAVY_USER = `
  with heavy as (select id, row_number() over (order by id) as n from public.conversations
                 where user_id = '${userId(heavyUser)}')
  update public.conversations as c
  set title = 'Conversation ' || heavy.n, pinned = heavy.n <= 5, archived = heavy.n > 400,
      tags = case when heavy.n % 13 = 0 then '{work}'::text[] else '{}'::text[] end
  from heavy where c.id = heavy.id`;

const owned = (n: number) => ({ conversation_id: conversationId(n), user: userId(ownerOf(n)) });

export const READS: Array<{ name: string; call: Call; flatness: Flatness }> = [
  {
    name: "history, the newest page of the huge conversation",
    call: historyCall(huge, { order: "desc", limit: 50 }),
    flatness: history,
  },
  {
    name: "history, a page half way into the huge conversation (after=15000)",
    call: historyCall(huge, { after: SHAPE.hugeMessages / 2, limit: 50 }),
    flatness: history,
  },
  {
    name: "history, the newest page of one of the heavy user's conversations",
    call: historyCall(firstHeavy, { order: "desc", limit: 50 }),
    flatness: history,
  },
  {
    name: "list, an ordinary user",
    call: { function: "list-conversations", input: {}, userId: userId(ordinaryUser) },
    flatness: list,
  },
  {
    name: `list, the heavy user (${SHAPE.heavyConversations} conversations)`,
    call: { function: "list-conversations", input: {}, userId: userId(heavyUser) },
    flatness: list,
  },
  {
    name: "list, the heavy user's archived conversations (100 of 500)",
    call: { function: "list-conversations", input: { archived: true }, userId: userId(heavyUser) },
    flatness: list,
  },
  {
    name: "list, the heavy user's conversations tagged work (38 of 500)",
    call: { function: "list-conversations", input: { tag: "work" }, userId: userId(heavyUser) },
    flatness: list,
  },
  {
    name: "context, 8,000 tokens of the huge conversation",
    call: {
      function: "get-context",
      input: { conversation_id: owned(huge).conversation_id, max_tokens: 8000 },
      userId: owned(huge).user,
    },
    flatness: context,
  },
  {
    name: "search, a word in every message, an ordinary user",
    call: { function: "search-conversations", input: { q: COMMON_WORD }, userId: userId(ordinaryUser) },
    flatness: search,
  },
  {
    name: "search, a rare word, the heavy user",
    call: { function: "search-conversations", input: { q: RARE_WORD }, userId: userId(heavyUser) },
    flatness: search,
  },
];

function historyCall(n: number, page: Record<string, string | number>): Call {
  const { conversation_id, user } = owned(n);
  return { function: "get-history", input: { conversation_id, ...page }, userId: user };
}
