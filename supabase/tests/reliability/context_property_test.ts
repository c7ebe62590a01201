/**
 * Property tests of get-context (fast-check): random conversations (system prompts, user and
 * assistant turns, parallel tool calls, function calls, calls missing results, orphaned results,
 * stopped replies, a reply in progress, a summary) and random budgets; every window returned over
 * HTTP must follow the rules of context_window.ts. The conversations are written two ways: straight
 * into the tables with chosen token counts (so that budgets land on exact edges), and through the
 * API with counts from the tokenizer and replies streamed through update-message.
 * CONTEXT_SEED replays a run.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import type { MessageInput } from "../../functions/_shared/schemas.ts";
import { call, newUser, pool, test, type TestUser } from "../functions/helpers.ts";
import {
  assertWindowFollowsTheRules,
  fixedPart,
  readStoredConversation,
  tokensOf,
} from "./context_window.ts";

/** A message to write, with the token count it gets when written straight into the table. */
interface Draft {
  message: MessageInput;
  tokens: number;
  /** Through the API: written as a reply in progress, streamed in two deltas, then finished. */
  streamed?: boolean;
}

interface ConversationSpec {
  drafts: Draft[][];
  summary: { at: number; tokens: number } | null;
  /**
   * The budget: the pinned prompt and the summary, plus this percentage of the candidates' tokens
   * (below zero: less than the pinned prompt and the summary take).
   */
  budgetPercent: number;
  maxMessages: number;
  method: "GET" | "POST";
}

const TOOL_IDS = ["call_a", "call_b", "call_c", "call_d"];
const FOREIGN_ID = "call_z";

const tokens = fc.integer({ min: 0, max: 40 });
const text = fc.constantFrom("hello", "ok", "¿qué tal?", "数据库", "🙂 fine", "the weather is sunny");
const finalStatus = fc.constantFrom("completed" as const, "incomplete" as const);
const toolCall = (id: string) => ({
  id,
  type: "function" as const,
  function: { name: "lookup", arguments: `{"q":"${id}"}` },
});
const single = (message: fc.Arbitrary<MessageInput>, streamed: fc.Arbitrary<boolean> = fc.constant(false)) =>
  fc.tuple(message, tokens, streamed).map((
    [message, tokens, streamed],
  ): Draft[] => [{ message, tokens, streamed }]);

const userTurn = single(text.map((content) => ({ role: "user", content })));
const systemMessage = single(text.map((content) => ({ role: "system", content })));
const assistantTurn = single(
  fc.tuple(text, finalStatus).map(([content, status]) => ({ role: "assistant", content, status })),
  fc.boolean(),
);

/** An assistant message with parallel tool calls and its results, whole or with a flaw. */
const toolCalls = fc.uniqueArray(fc.constantFrom(...TOOL_IDS), { minLength: 1, maxLength: 3 })
  .chain((ids) =>
    fc.tuple(
      fc.shuffledSubarray(ids, { minLength: ids.length, maxLength: ids.length }),
      fc.constantFrom("whole", "whole", "missing", "extra", "foreign", "interrupted"),
      fc.option(text, { nil: null }),
      finalStatus,
      fc.array(tokens, { minLength: 6, maxLength: 6 }),
    ).map(([order, flaw, content, status, counts]): Draft[] => {
      const results = flaw === "missing"
        ? order.slice(1)
        : flaw === "extra"
        ? [...order, order[0]]
        : flaw === "foreign"
        ? [...order.slice(1), FOREIGN_ID]
        : order;
      const messages: MessageInput[] = [
        { role: "assistant", content, status, tool_calls: ids.map(toolCall) },
        ...results.map((id): MessageInput => ({
          role: "tool",
          content: `result of ${id}`,
          tool_call_id: id,
        })),
      ];
      if (flaw === "interrupted") messages.splice(2, 0, { role: "user", content: "wait" });
      return messages.map((message, n) => ({ message, tokens: counts[n] ?? 1 }));
    })
  );

/** An assistant message with a function call, followed by none, one or two function messages. */
const functionCall = fc.tuple(
  fc.integer({ min: 0, max: 2 }),
  fc.array(tokens, { minLength: 3, maxLength: 3 }),
)
  .map(([answers, counts]): Draft[] =>
    [
      {
        role: "assistant",
        content: null,
        function_call: { name: "lookup", arguments: "{}" },
      } as MessageInput,
      ...Array.from(
        { length: answers },
        (): MessageInput => ({ role: "function", name: "lookup", content: "42" }),
      ),
    ].map((message, n) => ({ message, tokens: counts[n] }))
  );

const orphanedResult = single(fc.oneof(
  fc.constantFrom(...TOOL_IDS, FOREIGN_ID).map((id): MessageInput => ({
    role: "tool",
    content: "late",
    tool_call_id: id,
  })),
  fc.constant<MessageInput>({ role: "function", name: "lookup", content: "late" }),
));

const replyInProgress = single(
  fc.tuple(fc.option(text, { nil: null }), fc.boolean()).map(([content, calling]): MessageInput => ({
    role: "assistant",
    content,
    status: "in_progress",
    ...(calling ? { tool_calls: [toolCall("call_a")] } : {}),
  })),
);

const conversationSpec: fc.Arbitrary<ConversationSpec> = fc.record({
  pinned: fc.array(systemMessage, { maxLength: 2 }),
  turns: fc.array(
    fc.oneof(
      { weight: 4, arbitrary: userTurn },
      { weight: 3, arbitrary: assistantTurn },
      { weight: 3, arbitrary: toolCalls },
      { weight: 1, arbitrary: functionCall },
      { weight: 1, arbitrary: systemMessage },
      { weight: 1, arbitrary: orphanedResult },
    ),
    { maxLength: 20 },
  ),
  reply: fc.option(replyInProgress, { nil: null }),
  summary: fc.option(fc.record({ at: fc.nat(), tokens }), { nil: null }),
  budgetPercent: fc.integer({ min: -10, max: 110 }),
  maxMessages: fc.oneof(fc.constant(1000), fc.integer({ min: 1, max: 10 })),
  method: fc.constantFrom("GET" as const, "POST" as const),
}).map(({ pinned, turns, reply, ...rest }) => ({
  ...rest,
  drafts: [...pinned, ...turns, ...(reply ? [reply] : [])],
}));

/** Writes the conversation into the tables as their owner, with the chosen token counts. */
async function writeDirectly(user: TestUser, spec: ConversationSpec): Promise<string> {
  const drafts = spec.drafts.flat();
  const through = spec.summary && drafts.length > 0 ? 1 + spec.summary.at % drafts.length : null;
  const rows = drafts.map(({ message, tokens }, n) => ({
    ...message,
    sequence_order: n + 1,
    token_count: tokens,
  }));
  const { rows: [{ id }] } = await pool.query(
    `with conversation as (
       insert into public.conversations (user_id, last_sequence, summary, summary_through_sequence, summary_token_count)
       values ($1, $2, $3, $4, $5) returning id
     ), messages as (
       insert into public.conversation_messages (conversation_id, user_id, sequence_order, role, content, name,
                                                 function_call, tool_calls, tool_call_id, status, token_count)
       select c.id, $1, m.sequence_order, m.role, m.content, m.name, m.function_call, m.tool_calls, m.tool_call_id,
              coalesce(m.status, 'completed'), m.token_count
       from conversation as c, jsonb_to_recordset($6) as m(sequence_order integer, role text, content text, name text,
                                function_call jsonb, tool_calls jsonb, tool_call_id text, status text, token_count integer)
     )
     select id from conversation`,
    [
      user.id,
      drafts.length,
      through === null ? null : `the first ${through} messages, in short`,
      through,
      through === null ? null : spec.summary!.tokens,
      JSON.stringify(rows),
    ],
  );
  return id;
}

async function expectSuccess(reply: Promise<{ status: number; body: unknown }>, what: string) {
  const { status, body } = await reply;
  assert.ok(status < 300, `${what} answered ${status}: ${JSON.stringify(body)}`);
  return body;
}

/** Writes the conversation through the API: counts from the tokenizer, streamed replies through update-message. */
async function writeThroughTheApi(user: TestUser, spec: ConversationSpec): Promise<string> {
  const token = user.token;
  const [pinned, turns] = spec.drafts[0]?.[0].message.role === "system"
    ? [spec.drafts[0], spec.drafts.slice(1)]
    : [[], spec.drafts];
  const started = await expectSuccess(
    call("start-conversation", {
      token,
      body: pinned.length ? { messages: pinned.map((d) => d.message) } : {},
    }),
    "start-conversation",
  ) as { conversation: { id: string } };
  const id = started.conversation.id;
  let last = pinned.length;
  for (const turn of turns) {
    const [{ message, streamed }] = turn;
    if (streamed) {
      const content = [...message.content!];
      const half = Math.floor(content.length / 2);
      await expectSuccess(
        call("append-message", {
          token,
          body: { conversation_id: id, message: { role: "assistant", content: "", status: "in_progress" } },
        }),
        "starting a reply",
      );
      last++;
      for (const [offset, delta] of [[0, content.slice(0, half)], [half, content.slice(half)]] as const) {
        await expectSuccess(
          call("update-message", {
            token,
            body: {
              conversation_id: id,
              sequence_order: last,
              append_content: delta.join(""),
              content_offset: offset,
            },
          }),
          "a delta",
        );
      }
      await expectSuccess(
        call("update-message", {
          token,
          body: { conversation_id: id, sequence_order: last, status: message.status },
        }),
        "finishing a reply",
      );
      continue;
    }
    await expectSuccess(
      call("append-message", { token, body: { conversation_id: id, messages: turn.map((d) => d.message) } }),
      "append-message",
    );
    last += turn.length;
  }
  if (spec.summary && last > 0) {
    const through = 1 + spec.summary.at % last;
    await expectSuccess(
      call("update-conversation", {
        token,
        body: {
          conversation_id: id,
          summary: { content: `the first ${through} messages, in short`, through_sequence: through },
        },
      }),
      "setting the summary",
    );
  }
  return id;
}

/** Asks for the window in both formats and checks it against the stored rows. */
async function checkWindow(user: TestUser, conversationId: string, spec: ConversationSpec): Promise<void> {
  const stored = await readStoredConversation(conversationId);
  const { floor, fixedTokens } = fixedPart(stored);
  const candidates = tokensOf(stored.messages.filter((message) => message.sequence_order > floor));
  const request = {
    max_tokens: Math.max(1, fixedTokens + Math.round(candidates * spec.budgetPercent / 100)),
    max_messages: spec.maxMessages,
  };
  const ask = (format: "rows" | "openai") => {
    const fields = { conversation_id: conversationId, ...request, format };
    return spec.method === "GET"
      ? call("get-context", { token: user.token, query: fields })
      : call("get-context", { token: user.token, body: fields });
  };
  assertWindowFollowsTheRules(stored, request, await ask("rows"), await ask("openai"));
}

const seed = Number(Deno.env.get("CONTEXT_SEED") ?? Date.now() % 2 ** 31);

async function withUser(body: (user: TestUser) => Promise<void>): Promise<void> {
  const user = await newUser();
  await call("list-conversations", { token: user.token }); // registers the user
  try {
    await body(user);
  } finally {
    await pool.query("delete from public.conversations where user_id = $1", [user.id]);
  }
}

test("every context window of a conversation written with chosen token counts follows the rules", async () => {
  await withUser(async (user) => {
    await fc.assert(
      fc.asyncProperty(conversationSpec, async (spec) => {
        await checkWindow(user, await writeDirectly(user, spec), spec);
      }),
      { numRuns: 300, seed },
    );
  });
});

test("every context window of a conversation written through the API follows the rules", async () => {
  await withUser(async (user) => {
    await fc.assert(
      fc.asyncProperty(conversationSpec, async (spec) => {
        await checkWindow(user, await writeThroughTheApi(user, spec), spec);
      }),
      { numRuns: 40, seed },
    );
  });
});
