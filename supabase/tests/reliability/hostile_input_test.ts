/**
 * Hostile input: a corpus of malformed requests, kept as data. Each must get its documented 4xx in
 * the error shape, never a 500, and the database must be byte-for-byte unchanged afterwards.
 */
import assert from "node:assert/strict";
import * as api from "../../functions/_shared/schemas.ts";
import { apiUrl, call, newUser, pool, startConversation, test } from "../functions/helpers.ts";

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
}

/** Placeholders replaced per run: CONVERSATION (the user's), ABSENT (nobody's), KEY (a stored client_message_id). */
function corpus(): HostileCase[] {
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
  const nested = (depth: number) => "[".repeat(depth) + "]".repeat(depth);
  const deepObject = (depth: number): unknown => depth === 0 ? {} : { d: deepObject(depth - 1) };
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

async function checksum(): Promise<string> {
  const { rows: [row] } = await pool.query(`
    select md5(coalesce((select string_agg(c::text, '|' order by c.id) from public.conversations c), '')) ||
           md5(coalesce((select string_agg(m::text, '|' order by m.id) from public.conversation_messages m), '')) as sum`);
  return row.sum;
}

test("every request of the hostile corpus gets its documented 4xx and changes nothing", async () => {
  const alice = await newUser();
  const bob = await newUser();
  const conversationId = await startConversation(alice, {
    messages: [{ role: "user", content: "stored", client_message_id: "stored-key" }],
  });
  const taken = await startConversation(bob);
  const placeholders: Record<string, string> = {
    CONVERSATION: conversationId,
    ABSENT: crypto.randomUUID(),
    KEY: "stored-key",
    TAKEN: taken,
  };
  const fill = (text: string) =>
    text.replace(/\b(CONVERSATION|ABSENT|KEY|TAKEN)\b/g, (name) => placeholders[name]);

  const cases = corpus();
  assert.ok(cases.length >= 80, `the corpus has ${cases.length} cases`);
  const before = await checksum();

  for (const hostile of cases) {
    const headers: Record<string, string> = { authorization: `Bearer ${alice.token}` };
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
    assert.ok(api.errorResponse.safeParse(JSON.parse(text)).success, `${hostile.name}: error shape`);
  }

  assert.equal(await checksum(), before, "the database is byte-for-byte unchanged");
  console.log(`hostile corpus: ${cases.length} requests, each answered as documented, database unchanged`);
  const history = await call("get-history", {
    token: alice.token,
    query: { conversation_id: conversationId },
  });
  assert.deepEqual(history.body.messages.map((m: api.Message) => m.content), ["stored"]);
});
