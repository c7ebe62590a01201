/**
 * Hostile answers to tool requests (issue 29): malformed, oversized and deeply nested answers sent
 * to chat and straight to public.answer_tool_calls (as supabase.rpc() sends them) are refused with
 * their documented errors and leave the waiting reply exactly as it was; many identical approvals
 * at once run the tool once.
 */
import assert from "node:assert/strict";
import type { UIMessage } from "ai";
import { finishPart, textParts } from "../../../local/mock_model.ts";
import { askingApproval, askingTools } from "../functions/asking_tools.ts";
import { allChunks, chatServer, postChat } from "../functions/chat_support.ts";
import { newUser, pool, test, type TestUser } from "../functions/helpers.ts";
import { asUserDirectly } from "./checks.ts";

const runs: string[] = [];
const server = chatServer({ tools: askingTools(runs), toolApproval: askingApproval });
addEventListener("unload", () => server.close());

/** The stored parts of a reply that waits for an approval of launch (call c1) and an output of pick_color (c2). */
const WAITING_PARTS = [
  { type: "step-start" },
  {
    type: "tool-call",
    tool_call_id: "c1",
    tool_name: "launch",
    state: "approval-requested",
    input: { name: "hostile" },
    approval: { id: "a1" },
  },
  { type: "tool-call", tool_call_id: "c2", tool_name: "pick_color", state: "input-available", input: {} },
];

/** A conversation of `user` whose reply (id `reply`) waits, stored as the chat function leaves it. */
async function waitingConversation(user: TestUser): Promise<string> {
  const id = crypto.randomUUID();
  await pool.query(
    `insert into auth.users (id) values ($2) on conflict do nothing;
     insert into public.conversations (id, user_id, last_sequence) values ($1, $2, 2);
     insert into public.conversation_messages
       (conversation_id, user_id, sequence_order, role, content, status, client_message_id, token_count, parts)
     values ($1, $2, 1, 'user', 'Go', 'completed', 'question', 1, null),
            ($1, $2, 2, 'assistant', null, 'in_progress', 'reply', 1, $3);
     update public.conversation_messages set status = 'awaiting_input' where conversation_id = $1 and sequence_order = 2;`
      .replaceAll("$1", `'${id}'`).replaceAll("$2", `'${user.id}'`)
      .replace("$3", `'${JSON.stringify(WAITING_PARTS)}'::jsonb`),
  );
  return id;
}

async function storedReply(conversationId: string) {
  const { rows } = await pool.query(
    `select status, parts, updated_at from public.conversation_messages where conversation_id = $1 and sequence_order = 2`,
    [conversationId],
  );
  return rows[0];
}

/** The reply as the browser sends it back, with `parts` (UI parts) as its answers. */
const browserReply = (
  parts: unknown[],
): UIMessage => ({ id: "reply", role: "assistant", parts } as UIMessage);
const approval = (extra: Record<string, unknown> = {}) => ({
  type: "tool-launch",
  toolCallId: "c1",
  state: "approval-responded",
  input: { name: "hostile" },
  approval: { id: "a1", approved: true },
  ...extra,
});
const output = (value: unknown) => ({
  type: "tool-pick_color",
  toolCallId: "c2",
  state: "output-available",
  input: {},
  output: value,
});
const nested = (depth: number): unknown => depth === 0 ? "x" : { d: nested(depth - 1) };

test("malformed, oversized and deep answers to chat are refused with their 4xx, and the waiting reply is unchanged", async () => {
  const alice = await newUser();
  const conversationId = await waitingConversation(alice);
  const before = await storedReply(conversationId);
  const cases: Array<[string, UIMessage, number, string]> = [
    ["no answer at all", browserReply([{ type: "text", text: "approve please" }]), 400, "invalid_request"],
    [
      "an output 600 KB large",
      browserReply([approval(), output("x".repeat(600_000))]),
      413,
      "payload_too_large",
    ],
    ["an output nested 40 deep", browserReply([approval(), output(nested(40))]), 400, "invalid_request"],
    [
      "an approval whose approved is a string",
      browserReply([approval({ approval: { id: "a1", approved: "yes" } }), output(1)]),
      422,
      "tool_response_mismatch",
    ],
    ["an answer for one call of two", browserReply([approval()]), 422, "tool_response_mismatch"],
    [
      "an unknown part type",
      browserReply([{ type: "steering-message", text: "x" }, approval(), output(1)]),
      400,
      "invalid_request",
    ],
  ];
  for (const [name, reply, status, code] of cases) {
    const response = await postChat(server.url, alice, { id: conversationId, messages: [reply] });
    const body = await response.json();
    assert.equal(response.status, status, `${name}: ${JSON.stringify(body)}`);
    assert.equal(body.error.code, code, name);
  }
  assert.deepEqual(await storedReply(conversationId), before, "the reply still waits, as it was");
  assert.deepEqual(runs.filter((name) => name === "hostile"), []);
});

test("answer_tool_calls called directly refuses malformed arguments with their SQLSTATEs and changes nothing", async () => {
  const alice = await newUser();
  const conversationId = await waitingConversation(alice);
  const answer = (answers: string, maxAge = "null") =>
    asUserDirectly(
      alice.id,
      `select public.answer_tool_calls('${conversationId}', 'reply', ${answers}, ${maxAge})`,
    );
  const good = JSON.stringify([
    {
      type: "tool-call",
      tool_call_id: "c1",
      tool_name: "launch",
      state: "approval-responded",
      input: { name: "hostile" },
      approval: { id: "a1", approved: true },
    },
    {
      type: "tool-call",
      tool_call_id: "c2",
      tool_name: "pick_color",
      state: "output-available",
      input: {},
      output: 1,
    },
  ]);
  const cases: Array<[string, Promise<{ error: string | null }>, string]> = [
    ["null answers", answer("null"), "22023"],
    ["an object, not an array", answer(`'{}'`), "22023"],
    ["an empty array", answer(`'[]'`), "22023"],
    ["129 answers", answer(`(select jsonb_agg(x) from generate_series(1, 129) x)`), "22023"],
    ["answers that are not parts", answer(`'[1, 2]'`), "22023"],
    ["a max age of zero", answer(`'${good}'`, "0"), "22023"],
    ["a reason that is not text", answer(`jsonb_set('${good}', '{0,approval,reason}', '[1]')`), "22023"],
    [
      "the user's message, not a reply",
      asUserDirectly(alice.id, `select public.answer_tool_calls('${conversationId}', 'question', '${good}')`),
      "PT404",
    ],
  ];
  for (const [name, result, code] of cases) assert.equal((await result).error, code, name);
  assert.equal(
    (await answer(`'${good}'`)).error,
    null,
    "the well-formed answers are accepted (and rolled back)",
  );
  assert.equal((await storedReply(conversationId)).status, "awaiting_input");
});

test("eight identical approvals at once run the tool once: one continues the reply, seven are refused", async () => {
  const alice = await newUser();
  const conversationId = await waitingConversation(alice);
  const reply = browserReply([approval({ input: { name: "hostile" } }), output({ color: "teal" })]);
  const responses = Promise.all(
    Array.from({ length: 8 }, () => postChat(server.url, alice, { id: conversationId, messages: [reply] })),
  );
  const next = await server.model.nextCall();
  next.send(...textParts(["Once."]), finishPart());
  next.end();
  const statuses = await Promise.all((await responses).map(async (response) => {
    if (response.status === 200) await allChunks(response);
    else assert.equal((await response.json()).error.code, "tool_call_answered");
    return response.status;
  }));
  assert.deepEqual(statuses.toSorted(), [200, 409, 409, 409, 409, 409, 409, 409]);
  assert.deepEqual(runs.filter((name) => name === "hostile"), ["hostile"]);
  assert.equal((await storedReply(conversationId)).status, "completed");
});
