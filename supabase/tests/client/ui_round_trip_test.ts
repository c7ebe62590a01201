/**
 * The UIMessage round trip (fast-check): generated AI SDK UIMessages, valid by the SDK's own
 * validateUIMessages and holding every part kind and tool state the store keeps losslessly, are
 * stored through the HTTP functions (saveUIMessages) and read back with format=ui
 * (loadUIMessages): equal to what was sent, as JSON. What comes back from get-context in format=ui
 * then goes through toModelPromptFromUI (the SDK's convertToModelMessages), and the window keeps
 * the context rules: every tool call answered right after it, every result after its call, units
 * whole.
 *
 * Not generated, because the store does not keep them (docs/ai-sdk-messages.md): a reasoning
 * part's stream id, undefined values and -0 (JSON has neither), and the keys and part types
 * toStoreMessage refuses. UI_ROUND_TRIP_SEED replays a run.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { type ModelMessage, type UIMessage, validateUIMessages } from "ai";
import { loadUIMessages, saveUIMessages, toModelPromptFromUI } from "../../../client/ai_sdk.ts";
import { TOOL_STATES } from "../../functions/_shared/part_vocabulary.ts";
import { newUser, test } from "../functions/helpers.ts";
import { storeFor } from "./fixtures.ts";

type Part = UIMessage["parts"][number];

/** Stands for the conversation owner's id in Storage paths, which a file must be under. */
const OWNER = "{owner}";

/** Text the store keeps: no NUL character (generated graphemes are well-formed already). */
const text = fc.string({ unit: "grapheme", maxLength: 12 }).map((value) => value.replaceAll("\u0000", ""));
/** A key the store keeps: never `__proto__`, which it refuses (a prototype key is lost by JavaScript readers). */
const key = text.filter((value) => value !== "__proto__");
const json = fc.jsonValue({ maxDepth: 3, stringUnit: "grapheme" })
  .filter((value) =>
    !JSON.stringify(value).includes("\\u0000") && !JSON.stringify(value).includes('"__proto__"')
  );
const jsonObject = fc.dictionary(key, json, { maxKeys: 3 });
const providerMetadata = fc.dictionary(fc.constantFrom("openai", "anthropic", "acme"), jsonObject, {
  minKeys: 1,
  maxKeys: 2,
});
/** Optional keys: present with a value, or absent (never present and undefined: JSON drops that). */
const optional = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined });
const record = <T extends Record<string, fc.Arbitrary<unknown>>>(model: T) =>
  fc.record(model).map((value) => JSON.parse(JSON.stringify(value)));

const textState = optional(fc.constantFrom("streaming" as const, "done" as const));
const textPart = record({
  type: fc.constant("text"),
  text,
  state: textState,
  providerMetadata: optional(providerMetadata),
});
const reasoningPart = record({
  type: fc.constant("reasoning"),
  text,
  state: textState,
  providerMetadata: optional(providerMetadata),
});
const mediaType = fc.constantFrom("image/png", "image/jpeg", "application/pdf", "text/plain", "audio/wav");
const fileUrl = fc.oneof(
  text.map((name) => `https://files.example/${encodeURIComponent(name)}`),
  fc.base64String({ maxLength: 40 }).map((data) => `data:application/octet-stream;base64,${data}`),
  fc.stringMatching(/^[a-z0-9_-]{1,8}(\/[a-z0-9_-]{1,8}){0,2}(\.[a-z]{1,4})?$/).map((path) =>
    `storage://conversation-files/${OWNER}/${path}`
  ),
);
const filePart = record({
  type: fc.constant("file"),
  mediaType,
  filename: optional(text),
  url: fileUrl,
  providerMetadata: optional(providerMetadata),
});
const sourceUrlPart = record({
  type: fc.constant("source-url"),
  sourceId: text,
  url: text.map((path) => `https://source.example/${encodeURIComponent(path)}`),
  title: optional(text),
  providerMetadata: optional(providerMetadata),
});
const sourceDocumentPart = record({
  type: fc.constant("source-document"),
  sourceId: text,
  mediaType,
  title: text,
  filename: optional(text),
  providerMetadata: optional(providerMetadata),
});
const dataPart = fc.record({
  name: fc.stringMatching(/^[A-Za-z0-9_-]{1,16}$/),
  id: optional(text),
  data: json,
}).map(({ name, ...rest }) => JSON.parse(JSON.stringify({ type: `data-${name}`, ...rest })));
const stepStart = fc.constant({ type: "step-start" });

const approvalId = fc.stringMatching(/^approval_[a-z0-9]{1,6}$/);

/** The fields each tool state takes (UIToolInvocation), with the optional ones sometimes set. */
function toolState(state: (typeof TOOL_STATES)[number]) {
  const reason = optional(text);
  switch (state) {
    case "input-streaming":
      return record({ state: fc.constant(state), input: optional(json), rawInput: optional(text) });
    case "input-available":
      return record({ state: fc.constant(state), input: json });
    case "approval-requested":
      return record({ state: fc.constant(state), input: json, approval: record({ id: approvalId }) });
    case "approval-responded":
      return record({
        state: fc.constant(state),
        input: json,
        approval: record({ id: approvalId, approved: fc.boolean(), reason }),
      });
    case "output-available":
      return record({
        state: fc.constant(state),
        input: json,
        output: json,
        resultProviderMetadata: optional(providerMetadata),
        preliminary: optional(fc.boolean()),
        approval: optional(record({ id: approvalId, approved: fc.constant(true), reason })),
      });
    case "output-error":
      return record({
        state: fc.constant(state),
        input: json,
        errorText: text,
        resultProviderMetadata: optional(providerMetadata),
      });
    case "output-denied":
      return record({
        state: fc.constant(state),
        input: json,
        approval: record({ id: approvalId, approved: fc.constant(false), reason }),
      });
  }
}

const toolName = fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9_]{0,11}$/);
const toolPart = fc.tuple(
  fc.boolean(),
  toolName,
  fc.constantFrom(...TOOL_STATES).chain(toolState),
  record({
    title: optional(text),
    providerExecuted: optional(fc.boolean()),
    callProviderMetadata: optional(providerMetadata),
  }),
).map(([dynamic, name, state, common]) => ({
  ...(dynamic ? { type: "dynamic-tool", toolName: name } : { type: `tool-${name}` }),
  ...common,
  ...state,
}));

const assistantPart = fc.oneof(
  textPart,
  reasoningPart,
  filePart,
  { weight: 3, arbitrary: toolPart },
  sourceUrlPart,
  sourceDocumentPart,
  dataPart,
  stepStart,
);
const userPart = fc.oneof(textPart, textPart, filePart, dataPart);

const message = fc.oneof(
  {
    weight: 1,
    arbitrary: fc.record({
      role: fc.constant("system"),
      parts: fc.array(textPart, { minLength: 1, maxLength: 2 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      role: fc.constant("user"),
      parts: fc.array(userPart, { minLength: 1, maxLength: 4 }),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      role: fc.constant("assistant"),
      parts: fc.array(assistantPart, { minLength: 1, maxLength: 8 }),
    }),
  },
).chain((draft) => optional(jsonObject).map((metadata) => ({ ...draft, ...(metadata ? { metadata } : {}) })));

/** A conversation: messages with distinct ids, tool call ids unique across it (as the SDK makes them). */
const conversation = fc.array(message, { minLength: 1, maxLength: 8 }).map((drafts) => {
  let calls = 0;
  return drafts.map((draft, index) =>
    ({
      id: `msg_${index}`,
      ...draft,
      parts: draft.parts.map((part: Part) =>
        part.type === "dynamic-tool" || part.type.startsWith("tool-")
          ? { ...part, toolCallId: `call_${calls++}` }
          : part
      ),
    }) as UIMessage
  );
});

/** The conversation with the owner's id in its Storage paths, as JSON would carry it. */
function ownedBy(messages: UIMessage[], userId: string): UIMessage[] {
  return JSON.parse(JSON.stringify(messages).replaceAll(OWNER, userId));
}

/**
 * Every call the app runs (not providerExecuted) answered in the tool message right after it, and
 * every result there for a call of the message before it (the SDK answers a denied provider call
 * itself); no window begins with results.
 */
function assertToolUnitsWhole(window: ModelMessage[]) {
  assert.notEqual(window[0]?.role, "tool", "the window begins with a tool result");
  for (const [index, message] of window.entries()) {
    if (message.role !== "tool") continue;
    const before = window[index - 1];
    assert.equal(before?.role, "assistant", `the results of message ${index} follow no call`);
  }
  for (const [index, message] of window.entries()) {
    if (message.role !== "assistant" || typeof message.content === "string") continue;
    const calls = message.content.flatMap((part) => part.type === "tool-call" ? [part] : []);
    const next = window[index + 1];
    const answered = next?.role === "tool"
      ? next.content.flatMap((part) => part.type === "tool-result" ? [part.toolCallId] : [])
      : [];
    for (const call of calls) {
      assert.ok(
        call.providerExecuted || answered.includes(call.toolCallId),
        `call ${call.toolCallId} unanswered`,
      );
    }
    for (const id of answered) {
      assert.ok(
        calls.some((call) => call.toolCallId === id),
        `result ${id} answers no call of message ${index}`,
      );
    }
  }
}

const signed = (bucket: string, path: string) => Promise.resolve(`https://signed.example/${bucket}/${path}`);

const seed = Number(Deno.env.get("UI_ROUND_TRIP_SEED") ?? Date.now() % 2 ** 31);

test("generated UIMessages stored over HTTP read back equal through format=ui, and make valid model windows", async () => {
  const user = await newUser();
  const store = storeFor(user);
  try {
    await fc.assert(
      fc.asyncProperty(conversation, async (generated) => {
        const messages = ownedBy(generated, user.id);
        await validateUIMessages({ messages });
        const { conversation } = await store.start();
        const { appended } = await saveUIMessages(store, conversation.id, messages);
        assert.equal(appended.length, messages.length);

        const read = await loadUIMessages(store, conversation.id);
        assert.deepEqual(read, messages);
        await validateUIMessages({ messages: read });
        await toModelPromptFromUI(read, { resolveStorageUrl: signed });

        const window = await store.uiContext(conversation.id, {
          maxTokens: 1_000_000,
          includeReasoning: true,
        });
        const prompt = await toModelPromptFromUI(window.messages, { resolveStorageUrl: signed });
        assertToolUnitsWhole(prompt.messages);
      }),
      { numRuns: 120, seed },
    );
  } catch (error) {
    throw new Error(`UI_ROUND_TRIP_SEED=${seed} replays this run`, { cause: error });
  }
});
