/**
 * The rules a get-context window must follow, checked against the rows stored in the database:
 * OpenAI's published rules for a chat messages array, the budget, max_messages, the user turn, the
 * reply in progress, maximality, first_sequence and has_earlier. Shared by the property tests.
 */
import assert from "node:assert/strict";
import type { OpenAIMessage, ToolCall } from "../../functions/_shared/schemas.ts";
import * as api from "../../functions/_shared/schemas.ts";
import { pool, type Reply } from "../functions/helpers.ts";

/** A message as the table stores it: what the window is built from. */
export interface StoredMessage {
  sequence_order: number;
  role: OpenAIMessage["role"];
  content: string | null;
  name: string | null;
  function_call: { name: string; arguments: string } | null;
  tool_calls: ToolCall[] | null;
  tool_call_id: string | null;
  status: (typeof api.STATUSES)[number];
  token_count: number;
}

export interface StoredConversation {
  id: string;
  last_sequence: number;
  summary: string | null;
  summary_through_sequence: number | null;
  summary_token_count: number | null;
  messages: StoredMessage[];
}

export async function readStoredConversation(id: string): Promise<StoredConversation> {
  const { rows: [conversation] } = await pool.query(
    `select id, last_sequence, summary, summary_through_sequence, summary_token_count
       from public.conversations where id = $1`,
    [id],
  );
  const { rows: messages } = await pool.query(
    `select sequence_order, role, content, name, function_call, tool_calls, tool_call_id, status, token_count
       from public.conversation_messages where conversation_id = $1 order by sequence_order`,
    [id],
  );
  return { ...conversation, messages };
}

/** A stored message as OpenAI's chat API takes it: the role and the fields that are set. */
export function asOpenAI(message: StoredMessage): Record<string, unknown> {
  const fields = {
    role: message.role,
    content: message.content,
    name: message.name,
    function_call: message.function_call,
    tool_calls: message.tool_calls,
    tool_call_id: message.tool_call_id,
  };
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== null));
}

/**
 * The first of OpenAI's rules for a messages array that `messages` breaks, or null: a `tool`
 * message answers, once, a `tool_calls` id of the nearest non-tool message before it, which is an
 * assistant message with tool_calls; every id is answered before the next non-tool message (or
 * the end); a `function` message follows an assistant message with `function_call`.
 */
export function openaiRuleBroken(messages: Array<Record<string, unknown>>): string | null {
  let calls = new Set<string>();
  let unanswered = new Set<string>();
  for (const [index, message] of messages.entries()) {
    if (message.role === "tool") {
      const id = message.tool_call_id as string;
      if (!calls.has(id)) {
        return `message ${index} answers ${id}, which the assistant message before it did not call`;
      }
      if (!unanswered.delete(id)) return `message ${index} answers ${id} a second time`;
      continue;
    }
    if (unanswered.size > 0) return `message ${index} comes before ${[...unanswered]} were answered`;
    const previous = messages[index - 1];
    if (message.role === "function" && !(previous?.role === "assistant" && previous.function_call)) {
      return `message ${index} is a function result that follows no function_call`;
    }
    const ids = ((message.tool_calls ?? []) as ToolCall[]).map((call) => call.id);
    calls = new Set(ids);
    unanswered = new Set(ids);
  }
  return unanswered.size > 0 ? `the window ends before ${[...unanswered]} were answered` : null;
}

/**
 * The units of a conversation's candidates, oldest first, as public.get_context defines them
 * (its rule 4), written here forwards where the SQL walks backwards: a plain message is a unit; an
 * assistant message with tool_calls and the run of tool messages right after it are one unit when
 * that run answers each of its ids exactly once; an assistant message with function_call and the
 * function message right after it are one. Anything else (a call missing results, results without
 * their call) is no unit. Replies in progress are not candidates at all.
 */
export function contextUnits(candidates: StoredMessage[]): StoredMessage[][] {
  const messages = candidates.filter((message) => message.status !== "in_progress");
  const units: StoredMessage[][] = [];
  for (let index = 0; index < messages.length; index++) {
    const message = messages[index];
    if (message.role === "tool" || message.role === "function") continue;
    if (message.role === "assistant" && message.tool_calls) {
      let end = index + 1;
      while (messages[end]?.role === "tool") end++;
      const results = messages.slice(index + 1, end);
      const sorted = (ids: string[]) => JSON.stringify(ids.sort());
      if (sorted(message.tool_calls.map((call) => call.id)) === sorted(results.map((r) => r.tool_call_id!))) {
        units.push([message, ...results]);
      }
    } else if (message.role === "assistant" && message.function_call) {
      if (messages[index + 1]?.role === "function") units.push([message, messages[index + 1]]);
    } else {
      units.push([message]);
    }
  }
  return units;
}

export const tokensOf = (messages: StoredMessage[]) =>
  messages.reduce((sum, message) => sum + message.token_count, 0);

/**
 * What every window of the conversation holds (rules 1 and 2): the pinned prompt, the leading run
 * of system messages; the tokens it and the summary take; and the floor, the last sequence number
 * that is not a candidate.
 */
export function fixedPart(stored: StoredConversation) {
  const firstOther = stored.messages.findIndex((message) => message.role !== "system");
  const pinned = firstOther === -1 ? stored.messages : stored.messages.slice(0, firstOther);
  return {
    pinned,
    floor: Math.max(pinned.length, stored.summary_through_sequence ?? 0),
    fixedTokens: tokensOf(pinned) + (stored.summary_token_count ?? 0),
  };
}

export interface ContextRequest {
  max_tokens: number;
  max_messages: number;
}

/**
 * Asserts that two answers of get-context for the same request, in the rows and openai formats,
 * are the window the rules describe for `stored`.
 */
export function assertWindowFollowsTheRules(
  stored: StoredConversation,
  request: ContextRequest,
  rows: Reply,
  openai: Reply,
): void {
  const messages = stored.messages;
  const { pinned, floor, fixedTokens } = fixedPart(stored);

  if (fixedTokens > request.max_tokens) {
    for (const reply of [rows, openai]) {
      assert.equal(reply.status, 422, JSON.stringify(reply.body));
      assert.equal(reply.body.error.code, "context_budget_exceeded");
      assert.equal(reply.body.error.details.required_tokens, fixedTokens);
    }
    return;
  }
  assert.equal(rows.status, 200, JSON.stringify(rows.body));
  assert.equal(openai.status, 200, JSON.stringify(openai.body));
  assert.ok(api.getContextResponse.safeParse(rows.body).success, "the rows answer has the documented shape");
  assert.ok(
    api.getContextResponse.safeParse(openai.body).success,
    "the openai answer has the documented shape",
  );

  // The pinned prompt, then the summary (a field in rows, a system message in openai), then the window.
  const returned = rows.body.messages as Array<StoredMessage & { sequence_order: number }>;
  const window = returned.slice(pinned.length);
  const bySequence = new Map(messages.map((message) => [message.sequence_order, message]));
  const summary = stored.summary === null ? null : {
    content: stored.summary,
    through_sequence: stored.summary_through_sequence,
    token_count: stored.summary_token_count,
  };
  assert.deepEqual(rows.body.summary, summary, "the summary comes along in the rows format");
  assert.deepEqual(
    returned.slice(0, pinned.length).map((m) => m.sequence_order),
    pinned.map((m) => m.sequence_order),
    "the pinned prompt comes first",
  );
  for (const message of returned) {
    const row = bySequence.get(message.sequence_order);
    assert.ok(row, `message ${message.sequence_order} is stored`);
    assert.deepEqual(
      asOpenAI(message),
      asOpenAI(row),
      `message ${message.sequence_order} is returned as stored`,
    );
    assert.equal(message.token_count, row.token_count);
    assert.equal(message.status, row.status);
  }
  const expectedOpenAI = [
    ...pinned.map(asOpenAI),
    ...(stored.summary === null ? [] : [{ role: "system", content: stored.summary }]),
    ...window.map((message) => asOpenAI(bySequence.get(message.sequence_order)!)),
  ];
  assert.deepEqual(openai.body.messages, expectedOpenAI, "the openai format maps the same window");

  // Valid by OpenAI's rules, and never opening on a result.
  const broken = openaiRuleBroken(openai.body.messages);
  assert.equal(broken, null, `the window breaks OpenAI's rules: ${broken}`);
  assert.ok(!["tool", "function"].includes(window[0]?.role), "the window never begins with a result");

  // Only candidates, in order, whole units, nothing in progress.
  const sequences = window.map((message) => message.sequence_order);
  assert.ok(sequences.every((sequence, n) => sequence > floor && (n === 0 || sequence > sequences[n - 1])));
  assert.ok(window.every((message) => message.status !== "in_progress"), "replies in progress are left out");
  const units = contextUnits(messages.filter((message) => message.sequence_order > floor));
  const first = units.findIndex((unit) => unit[0].sequence_order === sequences[0]);
  const firstUnit = window.length === 0 ? units.length : first;
  assert.ok(firstUnit >= 0, "the window starts on a unit");
  assert.deepEqual(
    sequences,
    units.slice(firstUnit).flat().map((message) => message.sequence_order),
    "the window is every unit from its first on",
  );

  // Within the budget and max_messages.
  const windowTokens = tokensOf(window.map((message) => bySequence.get(message.sequence_order)!));
  assert.equal(
    rows.body.token_count,
    fixedTokens + windowTokens,
    "token_count is the sum of what is returned",
  );
  assert.equal(openai.body.token_count, rows.body.token_count);
  assert.ok(rows.body.token_count <= request.max_tokens, "the window fits the budget");
  assert.ok(window.length <= request.max_messages, "the window respects max_messages");

  // A user turn first, whenever the window holds a user message.
  if (window.some((message) => message.role === "user")) {
    assert.equal(window[0].role, "user", "the window starts on a user turn");
  }

  // Maximal: what would come next breaks the budget or max_messages.
  let next: StoredMessage[] | null = null;
  if (window[0]?.role === "user") {
    const previousUser = units.slice(0, firstUnit).findLastIndex((unit) => unit[0].role === "user");
    if (previousUser >= 0) next = units.slice(previousUser, firstUnit).flat();
  } else if (firstUnit > 0) {
    next = units[firstUnit - 1];
  }
  if (next) {
    assert.ok(
      fixedTokens + windowTokens + tokensOf(next) > request.max_tokens ||
        window.length + next.length > request.max_messages,
      `the window is maximal: messages ${next.map((m) => m.sequence_order)} would have fitted`,
    );
  }

  // first_sequence and has_earlier, from the rows.
  const firstSequence = sequences[0] ?? null;
  for (const reply of [rows, openai]) {
    assert.equal(reply.body.first_sequence, firstSequence);
    assert.equal(
      reply.body.has_earlier,
      messages.some((message) =>
        message.sequence_order > floor && message.sequence_order < (firstSequence ?? Infinity) &&
        message.status !== "in_progress"
      ),
      "has_earlier says whether candidates before the window were left out (a reply in progress is not one)",
    );
  }
}
