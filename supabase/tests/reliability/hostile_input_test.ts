/**
 * Hostile input: a corpus of malformed requests, kept as data. Each must get its documented 4xx in
 * the error shape, never a 500, and the database must be byte-for-byte unchanged afterwards. The
 * same malformed shapes and arguments sent straight to the SQL functions (as supabase.rpc() does)
 * get their SQLSTATEs; search queries of any text get 200 or 400; and pages of huge messages stop
 * at the byte budget while paging still reaches every message once.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { encodeCursor } from "../../functions/_shared/cursors.ts";
import { fromDatabaseError } from "../../functions/_shared/errors.ts";
import * as api from "../../functions/_shared/schemas.ts";
import {
  apiUrl,
  call,
  newUser,
  pool,
  serviceRoleToken,
  startConversation,
  test,
} from "../functions/helpers.ts";
import { asUserDirectly } from "./checks.ts";

interface HostileCase {
  name: string;
  fn: string;
  status: number;
  method?: string;
  /** A JSON value to send, or a raw body (string or bytes). */
  body?: unknown;
  raw?: string | Uint8Array<ArrayBuffer>;
  contentType?: string | null;
  query?: string;
  /** Sent with a service_role token instead of the user's. */
  caller?: "service_role";
  /** The error code expected, where the status alone has several meanings. */
  code?: string;
}

const nested = (depth: number) => "[".repeat(depth) + "]".repeat(depth);
const deepObject = (depth: number): unknown => depth === 0 ? {} : { d: deepObject(depth - 1) };
/** A merge patch of 20,000 new keys (about 250 KB): quadratic to merge before issue 14. */
const manyKeys = () => Object.fromEntries(Array.from({ length: 20_000 }, (_, n) => [`k${n}`, n]));
const toolCall = { id: "c1", type: "function", function: { name: "f", arguments: "{}" } };

/**
 * Placeholders replaced per run, all of the user's unless said otherwise: CONVERSATION (one stored
 * user message, its client_message_id KEY), REPLYING (a user message, then a reply in progress
 * holding "partial 🙂": 9 code points, 10 UTF-16 units), SILENT (a reply in progress without
 * text), PROMPTED (a system prompt, then a user message), ALICE (the user), BOB (another user),
 * TAKEN (Bob's conversation), ABSENT (nobody's).
 */
function corpus(): HostileCase[] {
  return [
    ...requestCases(),
    ...replyCases(),
    ...forkCases(),
    ...contextCases(),
    ...searchCases(),
    ...eraseCases(),
    ...boundedWorkCases(),
  ];
}

const post = (
  fn: string,
  body: unknown,
  status = 400,
  code?: string,
  name = JSON.stringify(body).slice(0, 70),
) => ({ name: `${fn} ${name}`, fn, status, body, code }) satisfies HostileCase;
const get = (fn: string, query: string, status = 400, code?: string) =>
  ({ name: `${fn} ?${query.slice(0, 70)}`, fn, status, method: "GET", query, code }) satisfies HostileCase;
const methods = (fn: string, refused: string[]) =>
  refused.map((method) =>
    ({
      name: `${method} ${fn}`,
      fn,
      status: 405,
      method,
      body: method === "GET" ? undefined : {},
    }) satisfies HostileCase
  );

/** The original corpus: append-message, get-history, start, update, list and delete. */
function requestCases(): HostileCase[] {
  const append = (body: unknown, status = 400, name = JSON.stringify(body).slice(0, 80)): HostileCase => ({
    name: `append ${name}`,
    fn: "append-message",
    status,
    body,
  });
  const message = (fields: Record<string, unknown>, status = 400) =>
    append(
      { conversation_id: "CONVERSATION", message: fields },
      status,
      `message ${JSON.stringify(fields).slice(0, 60)}`,
    );
  const history = (query: string, status = 400): HostileCase => ({
    name: `history ?${query.slice(0, 60)}`,
    fn: "get-history",
    status,
    method: "GET",
    query,
  });
  const valid = JSON.stringify({ conversation_id: "CONVERSATION", message: { role: "user", content: "hi" } });

  return [
    // Invalid and truncated JSON
    ...[
      "{",
      '{"conversation_id":',
      "[1, 2",
      "nul",
      "'single'",
      '{"a": 1,}',
      "",
      '{"a": 1} trailing',
      "NaN",
      "{a: 1}",
    ]
      .map((raw) => ({
        name: `invalid JSON ${JSON.stringify(raw)}`,
        fn: "append-message",
        status: 400,
        raw,
      })),
    ...[10, 25, 40, 60].map((cut) => ({
      name: `JSON truncated at ${cut}`,
      fn: "append-message",
      status: 400,
      raw: valid.slice(0, cut),
    })),
    // Wrong content types
    ...[
      "text/plain",
      "application/x-www-form-urlencoded",
      "multipart/form-data",
      "application/jsonx",
      "text/json",
      null,
    ]
      .map((contentType) => ({
        name: `content type ${contentType}`,
        fn: "append-message",
        status: 415,
        raw: valid,
        contentType,
      })),
    // Wrong methods
    { name: "GET start", fn: "start-conversation", status: 405, method: "GET" },
    { name: "PUT append", fn: "append-message", status: 405, method: "PUT", body: {} },
    { name: "DELETE append", fn: "append-message", status: 405, method: "DELETE", body: {} },
    { name: "PATCH history", fn: "get-history", status: 405, method: "PATCH", body: {} },
    { name: "PUT delete", fn: "delete-conversation", status: 405, method: "PUT", body: {} },
    // Missing and extra fields
    append({ message: { role: "user", content: "x" } }),
    append({ conversation_id: "CONVERSATION" }),
    append({ conversation_id: "CONVERSATION", message: { role: "user", content: "x" }, sneaky: true }),
    message({ role: "user", content: "x", sequence_order: 1 }),
    message({ role: "user", content: "x", user_id: "ABSENT" }),
    message({ role: "user", content: "x", id: "ABSENT" }),
    message({ role: "user", content: "x", created_at: "2020-01-01" }),
    { name: "start with last_sequence", fn: "start-conversation", status: 400, body: { last_sequence: 5 } },
    { name: "update without id", fn: "update-conversation", status: 400, body: { metadata: {} } },
    { name: "delete without id", fn: "delete-conversation", status: 400, body: {} },
    history(""),
    // Wrong types
    ...[42, ["CONVERSATION"], { id: "CONVERSATION" }, null, true].map((id) =>
      append({ conversation_id: id, message: { role: "user", content: "x" } })
    ),
    append({ conversation_id: "CONVERSATION", message: "hello" }),
    append({ conversation_id: "CONVERSATION", message: [{ role: "user", content: "x" }] }),
    append({ conversation_id: "CONVERSATION", messages: { role: "user", content: "x" } }),
    ...[42, { text: "x" }, ["x"], true].map((content) => message({ role: "user", content })),
    message({ role: 1, content: "x" }),
    message({ role: "assistant", content: null, function_call: "call()" }),
    message({ role: "assistant", content: null, tool_calls: {} }),
    { name: "metadata as array", fn: "start-conversation", status: 400, body: { metadata: [1, 2] } },
    { name: "metadata as string", fn: "start-conversation", status: 400, body: { metadata: "{}" } },
    // Invalid uuids
    ...[
      "",
      "abc",
      "123e4567-e89b-12d3-a456-42661417400",
      "{123e4567-e89b-12d3-a456-426614174000}",
      " 123e4567-e89b-12d3-a456-426614174000",
      "123e4567-e89b-12d3-a456-426614174000' or '1'='1",
    ]
      .map((id) => append({ conversation_id: id, message: { role: "user", content: "x" } })),
    // Unknown roles and broken role rules
    ...["admin", "System", "", "developer", "tool "].map((role) => message({ role, content: "x" })),
    message({ role: "tool", content: "no id" }),
    message({ role: "function", content: "no name" }),
    message({ role: "user", content: "x", tool_calls: [{ id: "c" }] }),
    message({ role: "user", content: null }),
    message({ role: "assistant" }),
    message({ role: "user", content: "x", tool_call_id: "c1" }),
    message({ role: "user", content: "x", name: "has spaces" }),
    message({ role: "user", content: "x", name: "n".repeat(65) }),
    // NUL characters and lone surrogates
    message({ role: "user", content: "a\u0000b" }),
    message({ role: "user", content: "x", client_message_id: "k\u0000" }),
    {
      name: "metadata key with NUL",
      fn: "start-conversation",
      status: 400,
      body: { metadata: { "a\u0000": 1 } },
    },
    {
      name: "metadata value with NUL",
      fn: "start-conversation",
      status: 400,
      body: { metadata: { a: "\u0000" } },
    },
    message({ role: "user", content: "\ud800" }),
    message({ role: "user", content: "x\udc00y" }),
    message({ role: "tool", content: "x", tool_call_id: "\ud83d" }),
    {
      name: "metadata key with lone surrogate",
      fn: "start-conversation",
      status: 400,
      body: { metadata: { "\udfff": 1 } },
    },
    // Invalid UTF-8 bytes
    ...[[0xff], [0xc3, 0x28], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80]].map((
      bytes,
    ) => ({
      name: `invalid UTF-8 ${bytes.map((b) => b.toString(16)).join(" ")}`,
      fn: "append-message",
      status: 400,
      raw: new Uint8Array([...new TextEncoder().encode('{"conversation_id":"'), ...bytes, 0x22, 0x7d]),
    })),
    // Sizes: bodies, contents, nesting, arrays
    { name: "10 MB body", fn: "append-message", status: 413, raw: "x".repeat(10_000_000) },
    { name: "1 MiB + 1 body", fn: "start-conversation", status: 413, raw: " ".repeat(1_048_577) },
    message({ role: "user", content: "x".repeat(100_001) }, 413),
    {
      name: "metadata over 64 KiB",
      fn: "start-conversation",
      status: 413,
      body: { metadata: { blob: "x".repeat(70_000) } },
    },
    {
      name: "metadata nested 33 deep",
      fn: "start-conversation",
      status: 400,
      body: { metadata: deepObject(33) },
    },
    {
      name: "metadata nested 100000 deep",
      fn: "start-conversation",
      status: 400,
      raw: `{"metadata":{"a":${nested(100_000)}}}`,
    },
    { name: "JSON nested 400000 deep", fn: "append-message", status: 400, raw: nested(400_000) },
    append(
      { conversation_id: "CONVERSATION", messages: Array(101).fill({ role: "user", content: "x" }) },
      400,
      "101 messages",
    ),
    append({ conversation_id: "CONVERSATION", messages: [] }, 400, "0 messages"),
    message({ role: "assistant", content: null, tool_calls: Array(129).fill({ id: "c" }) }),
    {
      name: "metadata array of 100000",
      fn: "start-conversation",
      status: 413,
      body: { metadata: { a: Array(100_000).fill(1) } },
    },
    // Negative and overflowing numbers
    ...[-1, 2_147_483_648, 1.5, "five", 1e308].map((expected) =>
      append({
        conversation_id: "CONVERSATION",
        message: { role: "user", content: "x" },
        expected_last_sequence: expected,
      })
    ),
    {
      name: "expected_last_sequence 1e400",
      fn: "append-message",
      status: 400,
      raw: valid.replace(/}$/, ',"expected_last_sequence":1e400}'),
    },
    history("conversation_id=CONVERSATION&limit=-1"),
    history("conversation_id=CONVERSATION&limit=99999999999999999999"),
    history("conversation_id=CONVERSATION&after=2147483648"),
    history("conversation_id=CONVERSATION&before=0"),
    // SQL and JSON injection
    history("conversation_id=CONVERSATION&order=asc;drop table public.conversations"),
    history("conversation_id=CONVERSATION&format=openai' or '1'='1"),
    history("conversation_id=CONVERSATION'--"),
    append(
      {
        conversation_id: "ABSENT",
        message: { role: "user", content: "'); delete from public.conversation_messages; --" },
      },
      404,
      "injection in content, to nobody's conversation",
    ),
    append(
      {
        conversation_id: "ABSENT",
        message: { role: "user", content: "$$; drop table public.conversations; $$" },
      },
      404,
      "dollar quoting in content",
    ),
    {
      name: "__proto__ metadata to nobody's conversation",
      fn: "update-conversation",
      status: 404,
      raw: '{"conversation_id":"ABSENT","metadata":{"__proto__":{"admin":true}}}',
    },
    {
      name: "duplicate keys pointing elsewhere",
      fn: "delete-conversation",
      status: 404,
      raw: '{"conversation_id":"CONVERSATION","conversation_id":"ABSENT"}',
    },
    // Limit and cursor abuse
    history("conversation_id=CONVERSATION&limit=1e3"),
    history("conversation_id=CONVERSATION&limit=10.5"),
    history("conversation_id=CONVERSATION&limit=1&limit=2"),
    history("conversation_id=CONVERSATION&after=abc"),
    history("conversation_id=CONVERSATION&format=openai&format=rows"),
    {
      name: "cursor not ours",
      fn: "list-conversations",
      status: 400,
      method: "GET",
      query: "cursor=bm90LWEtY3Vyc29y",
    },
    {
      name: "cursor of the wrong shape",
      fn: "list-conversations",
      status: 400,
      method: "GET",
      query: `cursor=${btoa('{"a":1}')}`,
    },
    {
      name: "cursor with injection",
      fn: "list-conversations",
      status: 400,
      method: "GET",
      query: `cursor=${btoa(JSON.stringify(["2020-01-01'); drop table x; --", "ABSENT"]))}`,
    },
    {
      name: "cursor too long",
      fn: "list-conversations",
      status: 400,
      method: "GET",
      query: `cursor=${"A".repeat(300)}`,
    },
    { name: "list limit 101", fn: "list-conversations", status: 400, method: "GET", query: "limit=101" },
    // Conflicts that must leave everything as it was
    message({ role: "user", content: "not what was stored", client_message_id: "KEY" }, 422),
    append(
      {
        conversation_id: "CONVERSATION",
        message: { role: "user", content: "late" },
        expected_last_sequence: 0,
      },
      409,
      "stale expectation",
    ),
    { name: "start with a taken id", fn: "start-conversation", status: 409, body: { id: "TAKEN" } },
  ];
}

/** update-message: streaming a reply, and every way a delta or a finish can be wrong. */
function replyCases(): HostileCase[] {
  const update = (fields: Record<string, unknown>, status = 400, code?: string) =>
    post("update-message", { conversation_id: "REPLYING", sequence_order: 2, ...fields }, status, code);
  return [
    post("update-message", {}),
    post("update-message", { conversation_id: "REPLYING", append_content: "x", content_offset: 9 }),
    update({}),
    update({ content: "x", append_content: "y", content_offset: 9 }),
    update({ append_content: "x" }),
    update({ content_offset: 9 }),
    ...[-1, 2_147_483_648, 1.5, "nine", null].map((offset) =>
      update({ append_content: "x", content_offset: offset })
    ),
    ...[0, -1, 2_147_483_648, "2; drop table public.conversations"].map((sequence) =>
      post("update-message", { conversation_id: "REPLYING", sequence_order: sequence, status: "completed" })
    ),
    ...["done", "in progress", "", null, "COMPLETED"].map((status) => update({ status })),
    update({ content: null }),
    update({ content: 42 }),
    ...[{}, [], [{ id: "c1" }], [1, "a", null], Array(129).fill(toolCall), [{ ...toolCall, type: "tool" }]]
      .map((toolCalls) => update({ tool_calls: toolCalls })),
    ...["f()", { zz: [1, 2] }, { name: "f" }, { name: "f", arguments: "{}", extra: 1 }, {
      name: 1,
      arguments: "{}",
    }]
      .map((functionCall) => update({ function_call: functionCall })),
    {
      name: "update-message tool_calls nested 6000 deep",
      fn: "update-message",
      status: 400,
      raw: `{"conversation_id":"REPLYING","sequence_order":2,"tool_calls":${nested(6000)}}`,
    },
    update({ append_content: "a\u0000b", content_offset: 9 }),
    update({ append_content: "\ud800", content_offset: 9 }),
    update({ content: "x\udc00" }),
    update({ append_content: "x", content_offset: 9, role: "user" }),
    update({ append_content: "x", content_offset: 9, conversation_id: "not-a-uuid" }),
    // Refused by the database, which leaves the reply as it was
    update({ append_content: "x".repeat(100_000), content_offset: 9 }, 413, "payload_too_large"),
    update({ content: "x".repeat(100_001) }, 413, "payload_too_large"),
    update({ append_content: "x", content_offset: 99 }, 409, "content_offset_mismatch"),
    update({ append_content: "x", content_offset: 8 }, 409, "content_offset_mismatch"),
    // "partial 🙂".length is 10 in JavaScript; the offset counts code points, 9
    update({ append_content: "x", content_offset: 10 }, 409, "content_offset_mismatch"),
    post(
      "update-message",
      { conversation_id: "SILENT", sequence_order: 2, status: "completed" },
      400,
      "invalid_request",
      "finishing a reply without text or calls",
    ),
    post(
      "update-message",
      { conversation_id: "CONVERSATION", sequence_order: 1, append_content: "x", content_offset: 6 },
      409,
      "message_final",
    ),
    post("update-message", { conversation_id: "CONVERSATION", sequence_order: 1, status: "incomplete" }, 409),
    post("update-message", { conversation_id: "CONVERSATION", sequence_order: 99, status: "completed" }, 404),
    post("update-message", { conversation_id: "ABSENT", sequence_order: 1, status: "completed" }, 404),
    post("update-message", { conversation_id: "TAKEN", sequence_order: 1, status: "completed" }, 404),
    ...methods("update-message", ["GET", "PUT", "DELETE"]),
    {
      name: "update-message as text/plain",
      fn: "update-message",
      status: 415,
      raw: '{"conversation_id":"REPLYING","sequence_order":2,"status":"completed"}',
      contentType: "text/plain",
    },
  ];
}

/** fork-conversation: bad sequences, ids and metadata, other people's conversations. */
function forkCases(): HostileCase[] {
  const fork = (fields: Record<string, unknown>, status = 400, code?: string) =>
    post(
      "fork-conversation",
      { conversation_id: "CONVERSATION", through_sequence: 1, ...fields },
      status,
      code,
    );
  return [
    post("fork-conversation", {}),
    post("fork-conversation", { conversation_id: "CONVERSATION" }),
    ...[0, -1, 2_147_483_648, 1.5, "one", null].map((through) => fork({ through_sequence: through })),
    ...["abc", 42, ""].map((id) => fork({ id })),
    ...[[1], "{}", null].map((metadata) => fork({ metadata })),
    fork({ metadata: deepObject(33) }),
    fork({ metadata: { "a\u0000": 1 } }),
    fork({ user_id: "ALICE" }),
    fork({ conversation_id: "CONVERSATION'--" }),
    fork({ through_sequence: 99 }, 422, "beyond_last_sequence"),
    post("fork-conversation", { conversation_id: "REPLYING", through_sequence: 2 }, 409, "reply_in_progress"),
    post("fork-conversation", { conversation_id: "ABSENT", through_sequence: 1 }, 404),
    post("fork-conversation", { conversation_id: "TAKEN", through_sequence: 1 }, 404),
    fork({ id: "TAKEN" }, 409, "conversation_exists"),
    fork({ id: "CONVERSATION" }, 409, "conversation_exists"),
    fork({ metadata: { blob: "x".repeat(70_000) } }, 413, "payload_too_large"),
    {
      ...fork({ metadata: manyKeys() }, 413, "payload_too_large"),
      name: "fork-conversation with 20,000 new keys",
    },
    ...methods("fork-conversation", ["GET", "PATCH", "DELETE"]),
  ];
}

/** get-context: budgets out of range, formats, and a budget the pinned prompt alone exceeds. */
function contextCases(): HostileCase[] {
  const context = (query: string, status = 400, code?: string) =>
    get("get-context", `conversation_id=CONVERSATION&${query}`, status, code);
  return [
    get("get-context", "max_tokens=100"),
    context(""),
    ...["0", "-1", "2000001", "abc", "1.5", "1e3", "99999999999999999999", ""].map((budget) =>
      context(`max_tokens=${budget}`)
    ),
    ...["0", "1001", "100000", "-5"].map((count) => context(`max_tokens=100&max_messages=${count}`)),
    context("max_tokens=100&format=xml"),
    context("max_tokens=100&format=openai&format=rows"),
    context("max_tokens=100&max_tokens=200"),
    context("max_tokens=100&limit=5"),
    get("get-context", "conversation_id=%00&max_tokens=100"),
    get("get-context", "conversation_id=CONVERSATION'--&max_tokens=100"),
    get("get-context", "conversation_id=ABSENT&max_tokens=100", 404),
    get("get-context", "conversation_id=TAKEN&max_tokens=100", 404),
    get("get-context", "conversation_id=PROMPTED&max_tokens=1", 422, "context_budget_exceeded"),
    post("get-context", { conversation_id: "CONVERSATION", max_tokens: "100", sneaky: true }),
    post("get-context", { conversation_id: "CONVERSATION", max_tokens: [100] }),
    {
      name: "get-context max_tokens 1e400",
      fn: "get-context",
      status: 400,
      raw: '{"conversation_id":"CONVERSATION","max_tokens":1e400}',
    },
    ...methods("get-context", ["PUT", "PATCH", "DELETE"]),
  ];
}

/** search-conversations: the query, the page size, cursors, and other people's data. */
function searchCases(): HostileCase[] {
  const uuid = crypto.randomUUID();
  const cursor = (key: string) => get("search-conversations", `q=plan&cursor=${key}`);
  return [
    get("search-conversations", ""),
    get("search-conversations", "q="),
    get("search-conversations", `q=${"a".repeat(257)}`),
    get("search-conversations", "q=%00"),
    get("search-conversations", "q=plan%00drop"),
    post("search-conversations", { q: "\ud800" }),
    post("search-conversations", { q: 42 }),
    post("search-conversations", { q: ["plan"] }),
    ...["0", "51", "-1", "x", "1000"].map((limit) => get("search-conversations", `q=plan&limit=${limit}`)),
    cursor("bm90LWEtY3Vyc29y"),
    cursor(encodeCursor(["2020-01-01T00:00:00+00:00", uuid])),
    cursor(btoa(`[1e999,"2020-01-01T00:00:00+00:00","${uuid}"]`)),
    cursor(encodeCursor([0.5, "2020-02-30T00:00:00+00:00", uuid])),
    cursor(encodeCursor([0.5, "2020-01-01T00:00:00+00:00\u0000", uuid])),
    cursor(encodeCursor([0.5, "Jan 1 2020 (x)", uuid])),
    cursor("A".repeat(301)),
    get("search-conversations", "q=plan&video_id=abc"),
    get("search-conversations", "q=plan&user_id=ALICE", 403),
    get("search-conversations", "q=plan&sneaky=1"),
    get("search-conversations", "q=plan&q=other"),
    ...methods("search-conversations", ["PUT", "PATCH", "DELETE"]),
  ];
}

/** delete-all-conversations: everything but a valid request, as a user and as the service role. */
function eraseCases(): HostileCase[] {
  const erase = (body: unknown, status = 400, code?: string) =>
    post("delete-all-conversations", body, status, code);
  return [
    erase({ user_id: "ALICE" }, 403),
    erase({ user_id: "ABSENT" }, 403),
    erase({ user_id: "abc" }),
    erase({ user_id: null }),
    erase({ sneaky: true }),
    erase([]),
    erase("everything"),
    { ...erase({}), caller: "service_role", name: "delete-all-conversations as service_role naming nobody" },
    { ...erase({ user_id: "abc" }), caller: "service_role" },
    { ...erase({ user_id: "ALICE", sneaky: 1 }), caller: "service_role" },
    ...methods("delete-all-conversations", ["GET", "PUT", "PATCH"]),
    {
      name: "delete-all-conversations as text/plain",
      fn: "delete-all-conversations",
      status: 415,
      raw: "{}",
      contentType: "text/plain",
    },
  ];
}

/** Issue 14: work bounded per request, cursors parsed strictly, the message shape enforced, huge pages. */
function boundedWorkCases(): HostileCase[] {
  const uuid = crypto.randomUUID();
  const listPage = (cursor: string) => get("list-conversations", `cursor=${cursor}`);
  return [
    {
      ...post("update-conversation", { conversation_id: "CONVERSATION", metadata: manyKeys() }, 413),
      name: "update-conversation with 20,000 new keys",
    },
    listPage(encodeCursor(["Jan 1 2020 (x)", uuid])),
    listPage(encodeCursor(["2020-01-01T00:00:00+00:00\u0000", uuid])),
    listPage(encodeCursor(["2020-01-01T00:00:00+00:00", `${uuid}\u0000`])),
    listPage(encodeCursor(["2020-02-30T00:00:00+00:00", uuid])),
    listPage(encodeCursor(["2020-01-01T00:00:00+99:99", uuid])),
    listPage(encodeCursor(["2020-01-01T00:00:00+00:00", uuid.toUpperCase()])),
    listPage(encodeCursor(["2020-01-01T00:00:00+00:00", uuid, "extra"])),
    listPage("%00"),
    get("list-conversations", "forked_from_conversation_id=abc"),
    get("list-conversations", "forked_from_conversation_id=ALICE&user_id=ALICE", 403),
    post("append-message", {
      conversation_id: "CONVERSATION",
      message: { role: "assistant", content: null, function_call: { zz: [1, 2] } },
    }),
    post("append-message", {
      conversation_id: "CONVERSATION",
      message: { role: "assistant", content: null, tool_calls: [1, "a", null] },
    }),
    {
      name: "append tool_calls nested 6000 deep",
      fn: "append-message",
      status: 400,
      raw: `{"conversation_id":"CONVERSATION","message":{"role":"assistant","content":null,"tool_calls":${
        nested(6000)
      }}}`,
    },
    get("get-history", "conversation_id=CONVERSATION&limit=1001"),
    get("get-history", "conversation_id=CONVERSATION&limit=1000000"),
    get("get-history", "conversation_id=CONVERSATION&limit=1000&format=openai&after=-1"),
    get("list-conversations", "limit=1000"),
  ];
}

/**
 * The conversations and messages a refused request must leave as they were, as a digest taken now, and
 * `digest` to take it again over the same rows. The scheduled purge (pg_cron runs it beside the suite)
 * may delete expired conversations meanwhile and clear their forks' links to them: conversations
 * expiring within the hour, the forks of those and their messages are left out; rows created since
 * are counted in.
 */
async function databaseSnapshot() {
  const { rows: [{ ids, taken }] } = await pool.query(`
    select coalesce(array_agg(c.id), '{}') as ids, clock_timestamp() as taken
    from public.conversations c
    where coalesce(c.expires_at > now() + interval '1 hour', true)
      and not exists (select from public.conversations source
                      where source.id = c.forked_from_conversation_id
                        and source.expires_at <= now() + interval '1 hour')`);
  const digest = async (): Promise<string> => {
    const { rows: [row] } = await pool.query(
      `select md5(coalesce((select string_agg(c::text, '|' order by c.id) from public.conversations c
                            where c.id = any($1::uuid[])), '')) ||
              md5(coalesce((select string_agg(m::text, '|' order by m.id) from public.conversation_messages m
                            where m.conversation_id = any($1::uuid[])), '')) ||
              (select count(*) from public.conversations c where c.created_at > $2) || '+' ||
              (select count(*) from public.conversation_messages m where m.created_at > $2) as sum`,
      [ids, taken],
    );
    return row.sum;
  };
  return { before: await digest(), digest };
}

/** The conversations the placeholders name (see corpus), and `fill`, which puts them into a text. */
async function hostileFixture() {
  const alice = await newUser();
  const bob = await newUser();
  const question = { role: "user", content: "the plan?" };
  const placeholders: Record<string, string> = {
    CONVERSATION: await startConversation(alice, {
      messages: [{ role: "user", content: "stored", client_message_id: "stored-key" }],
    }),
    REPLYING: await startConversation(alice, {
      messages: [question, { role: "assistant", content: "partial 🙂", status: "in_progress" }],
    }),
    SILENT: await startConversation(alice, {
      messages: [question, { role: "assistant", status: "in_progress" }],
    }),
    PROMPTED: await startConversation(alice, {
      messages: [{ role: "system", content: "You are a careful assistant." }, question],
    }),
    ALICE: alice.id,
    ABSENT: crypto.randomUUID(),
    KEY: "stored-key",
    TAKEN: await startConversation(bob),
    BOB: bob.id,
  };
  const names = new RegExp(`\\b(${Object.keys(placeholders).join("|")})\\b`, "g");
  return { alice, placeholders, fill: (text: string) => text.replace(names, (name) => placeholders[name]) };
}

test("every request of the hostile corpus gets its documented 4xx and changes nothing", async () => {
  const { alice, placeholders, fill } = await hostileFixture();
  const serviceRole = await serviceRoleToken();
  const cases = corpus();
  assert.ok(cases.length >= 250, `the corpus has ${cases.length} cases`);
  const snapshot = await databaseSnapshot();

  for (const hostile of cases) {
    const token = hostile.caller === "service_role" ? serviceRole : alice.token;
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    const contentType = hostile.contentType === undefined ? "application/json" : hostile.contentType;
    if (contentType) headers["content-type"] = contentType;
    let body: BodyInit | undefined;
    if (hostile.raw !== undefined) body = typeof hostile.raw === "string" ? fill(hostile.raw) : hostile.raw;
    else if (hostile.body !== undefined) body = fill(JSON.stringify(hostile.body));
    const url = `${apiUrl}/functions/v1/${hostile.fn}${
      hostile.query === undefined ? "" : `?${fill(hostile.query)}`
    }`;
    const response = await fetch(url, { method: hostile.method ?? "POST", headers, body });
    const text = await response.text();
    assert.equal(response.status, hostile.status, `${hostile.name}: ${text.slice(0, 300)}`);
    const error = api.errorBody.safeParse(JSON.parse(text));
    assert.ok(error.success, `${hostile.name}: error shape`);
    if (hostile.code) assert.equal(error.data.error.code, hostile.code, hostile.name);
  }

  assert.equal(await snapshot.digest(), snapshot.before, "the database is byte-for-byte unchanged");
  console.log(`hostile corpus: ${cases.length} requests, each answered as documented, database unchanged`);
  const history = await call("get-history", {
    token: alice.token,
    query: { conversation_id: placeholders.CONVERSATION },
  });
  assert.deepEqual(history.body.messages.map((m: api.Message) => m.content), ["stored"]);
  const reply = await call("get-history", {
    token: alice.token,
    query: { conversation_id: placeholders.REPLYING, after: 1 },
  });
  assert.deepEqual(
    reply.body.messages.map((m: api.Message) => [m.content, m.status]),
    [["partial 🙂", "in_progress"]],
    "the reply in progress is as it was",
  );
});

/** Data API statements, as Alice, with the SQLSTATE each must raise (placeholders as in the corpus). */
function directCases(): Array<[string, string]> {
  const append = (messages: string) => `select * from public.append_messages('CONVERSATION', '${messages}')`;
  const update = (arguments_: string) => `select * from public.update_message('REPLYING', 2, ${arguments_})`;
  const search = (arguments_: string) => `select public.search_conversations(${arguments_})`;
  const patch = JSON.stringify(manyKeys());
  return [
    // The message shape, on every path that writes messages (issue 14)
    [append('[{"role":"assistant","content":null,"function_call":{"zz":[1,2]}}]'), "23514"],
    [append('[{"role":"assistant","content":null,"tool_calls":[1,"a",null]}]'), "23514"],
    [append(`[{"role":"assistant","content":null,"tool_calls":${nested(6000)}}]`), "23514"],
    [
      append(
        `[{"role":"assistant","content":null,"tool_calls":[${JSON.stringify({ ...toolCall, id: "" })}]}]`,
      ),
      "23514",
    ],
    [append('{"role":"user","content":"x"}'), "22023"],
    [append("[]"), "22023"],
    [append(JSON.stringify(Array(101).fill({ role: "user", content: "x" }))), "22023"],
    [append("[42]"), "22023"],
    [append('[{"role":"user","content":42}]'), "22023"],
    [append('[{"role":"user","content":"x","sneaky":1}]'), "22023"],
    [
      append('[{"role":"assistant","content":"a","status":"in_progress"},{"role":"user","content":"b"}]'),
      "22023",
    ],
    [append('[{"role":"user","content":"x","status":"in_progress"}]'), "23514"],
    [append('[{"role":"user","content":"x","status":"done"}]'), "23514"],
    [update(`p_tool_calls => '[1]'`), "23514"],
    [update(`p_function_call => '{"zz":1}'`), "23514"],
    [update(`p_status => 'done'`), "22023"],
    [update(`p_content => 'x', p_append_content => 'y', p_content_offset => 9`), "22023"],
    [update(`p_append_content => 'x'`), "22023"],
    [update(`p_append_content => 'x', p_content_offset => -1`), "PT409"],
    [update(`p_append_content => repeat('x', 100000), p_content_offset => 9`), "23514"],
    [`select * from public.update_message('SILENT', 2, p_status => 'completed')`, "23514"],
    [`select * from public.update_message('CONVERSATION', 1, p_status => 'completed')`, "PT409"],
    [`select * from public.update_message('CONVERSATION', 99, p_status => 'completed')`, "PT404"],
    // Forks
    [`select * from public.fork_conversation('CONVERSATION', 0)`, "22023"],
    [`select * from public.fork_conversation('CONVERSATION', 1, null, '[]')`, "22023"],
    [`select * from public.fork_conversation('CONVERSATION', 99)`, "PT422"],
    [`select * from public.fork_conversation('REPLYING', 2)`, "PT409"],
    [`select * from public.fork_conversation('CONVERSATION', 1, 'TAKEN')`, "23505"],
    [`select * from public.fork_conversation('CONVERSATION', 1, null, '${patch}')`, "23514"],
    // Context windows
    ...["0", "2000001", "null", "-1"].map((budget): [string, string] => [
      `select public.get_context('CONVERSATION', ${budget})`,
      "22023",
    ]),
    [`select public.get_context('CONVERSATION', 100, 0)`, "22023"],
    [`select public.get_context('CONVERSATION', 100, 1001)`, "22023"],
    [`select public.get_context('CONVERSATION', 100, 10, 'xml')`, "22023"],
    [`select public.get_context('PROMPTED', 1)`, "PT422"],
    [`select public.get_context('TAKEN', 100)`, "PT404"],
    // Search: arguments and cursors that are not a page's next_cursor
    [search(`''`), "22023"],
    [search(`repeat('a', 257)`), "22023"],
    [search(`'plan', 0`), "22023"],
    [search(`'plan', 51`), "22023"],
    [search(`'plan', 20, '{}'`), "22023"],
    [search(`'plan', 20, '[1, 2]'`), "22023"],
    [search(`'plan', 20, '["x", "y", "z"]'`), "22P02"],
    [search(`'plan', 20, '[0.5, "2020-02-30T00:00:00Z", "ABSENT"]'`), "22008"],
    [search(`'plan', 20, '[0.5, "2020-01-01T00:00:00Z", "not-a-uuid"]'`), "22P02"],
    [search(`'plan', p_user_id => 'BOB'`), "42501"],
    // Metadata, summaries, retention, erasing, purging
    [`select * from public.update_conversation_metadata('CONVERSATION', '${patch}')`, "23514"],
    [`select * from public.update_conversation_metadata('CONVERSATION', '[1]')`, "22023"],
    [`select * from public.set_conversation_summary('CONVERSATION', 'x', 99)`, "PT422"],
    [`select * from public.set_conversation_summary('CONVERSATION', 'x', null)`, "22023"],
    [`select * from public.set_conversation_summary('CONVERSATION', repeat('x', 100001), 1)`, "23514"],
    [`select * from public.start_conversation(p_retention_seconds => 1)`, "23514"],
    [`select * from public.start_conversation(p_metadata => '[]')`, "23514"],
    [`select * from public.delete_all_conversations('BOB')`, "42501"],
    [`select public.purge_expired_conversations()`, "42501"],
  ];
}

test("the SQL functions behind supabase.rpc() refuse the same input with SQLSTATEs the API maps to a 4xx", async () => {
  const { alice, fill } = await hostileFixture();
  const snapshot = await databaseSnapshot();
  for (const [template, expected] of directCases()) {
    const statement = fill(template);
    const result = await asUserDirectly(alice.id, statement);
    assert.equal(result.error, expected, statement.slice(0, 200));
    const status = fromDatabaseError({ code: expected, message: "", severity: "ERROR" }).status;
    assert.ok(status >= 400 && status < 500, `${expected} is a ${status}`);
  }
  assert.equal(await snapshot.digest(), snapshot.before, "the database is unchanged");
});

test("any search query answers 200 or 400, never anything else, and changes nothing", async () => {
  const { alice } = await hostileFixture();
  const seed = Number(Deno.env.get("HOSTILE_SEED") ?? 42);
  const queries = [
    '"',
    '""',
    "'",
    "-",
    "or",
    "-or -",
    "!!",
    "&|",
    ":*",
    "plan:*",
    "\\",
    "(",
    ")",
    "<->",
    "the <-> plan",
    '" or "',
    "- - - or or or",
    "'); drop table public.conversations; --",
    "$$",
    "%_%",
    "\u202e\u200b\ufeff",
    "\u0001\u0002\u001f",
    "🙂".repeat(256),
    "a".repeat(256),
    "x ".repeat(128),
    '"the plan" or -"the plan" -plan',
    ...fc.sample(fc.string({ minLength: 1, maxLength: 256, unit: "grapheme-ascii" }), { numRuns: 40, seed }),
    ...fc.sample(fc.string({ minLength: 1, maxLength: 64, unit: "binary" }), { numRuns: 40, seed }),
  ];
  const snapshot = await databaseSnapshot();
  for (const q of queries) {
    for (
      const ask of [
        () => call("search-conversations", { token: alice.token, query: { q } }),
        () => call("search-conversations", { token: alice.token, body: { q } }),
      ]
    ) {
      const reply = await ask();
      assert.ok(
        [200, 400].includes(reply.status),
        `${JSON.stringify(q)}: ${reply.status} ${JSON.stringify(reply.body)}`,
      );
      const shape = reply.status === 200 ? api.searchConversationsResponse : api.errorBody;
      assert.ok(shape.safeParse(reply.body).success, `${JSON.stringify(q)}: the documented shape`);
    }
  }
  assert.equal(await snapshot.digest(), snapshot.before, "the database is unchanged");
});

test("pages of huge messages stop at the byte budget, and paging still reaches every message once", async () => {
  const user = await newUser();
  const id = await startConversation(user);
  // 60 messages of 100,000 characters (6 MB), written as the table owner to keep the test quick.
  const count = 60;
  await pool.query(
    `with messages as (
       insert into public.conversation_messages (conversation_id, user_id, sequence_order, role, content, token_count)
       select $1, $2, n, case when n % 2 = 1 then 'user' else 'assistant' end, n || ':' || repeat('x', 99990), 10
       from generate_series(1, $3::integer) as n
     )
     update public.conversations set last_sequence = $3 where id = $1`,
    [id, user.id, count],
  );
  const { rows: [{ budget }] } = await pool.query("select conversation_store.page_max_bytes() as budget");
  const largest = 100_000 + 1_000; // one message with its fields
  const sequenceOf = (message: { content: string }) => Number(message.content.split(":")[0]);

  for (const format of ["rows", "openai"]) {
    const seen: number[] = [];
    let after = 0;
    for (let page = 0; page < count; page++) {
      const reply = await call("get-history", {
        token: user.token,
        query: { conversation_id: id, limit: 1000, after, format },
      });
      assert.equal(reply.status, 200);
      assert.ok(
        JSON.stringify(reply.body).length <= budget + largest,
        `a ${format} page stays within the budget`,
      );
      seen.push(...reply.body.messages.map(sequenceOf));
      if (!reply.body.has_more) break;
      assert.ok(reply.body.messages.length > 0, "a page always makes progress");
      after = reply.body.next_cursor;
    }
    assert.deepEqual(
      seen,
      Array.from({ length: count }, (_, n) => n + 1),
      `${format}: every message once, in order`,
    );
  }

  const context = await call("get-context", {
    token: user.token,
    query: { conversation_id: id, max_tokens: 2_000_000 },
  });
  assert.equal(context.status, 200);
  assert.ok(
    JSON.stringify(context.body).length <= budget + largest,
    "a context window stays within the budget",
  );
  assert.equal(context.body.has_earlier, true, "what the budget left out is earlier");
  assert.ok(context.body.messages.length > 0 && context.body.messages.length < count);
});
