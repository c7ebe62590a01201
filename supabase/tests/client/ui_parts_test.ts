/**
 * _shared/ui_parts.ts: AI SDK UIMessages as the store's messages (pure; the round trip through the
 * store is ui_round_trip_test.ts).
 */
import assert from "node:assert/strict";
import { type UIMessage, validateUIMessages } from "ai";
import { ApiError } from "../../functions/_shared/errors.ts";
import { toStoreMessage } from "../../functions/_shared/ui_parts.ts";

/** Asserts that `message` is refused with a 400 whose message matches `pattern`. */
function assertRefused(message: UIMessage, pattern: RegExp) {
  assert.throws(() => toStoreMessage(message), (error: unknown) => {
    assert.ok(error instanceof ApiError);
    assert.equal(error.code, "invalid_request");
    assert.equal(error.status, 400);
    assert.match(error.message, pattern);
    return true;
  });
}

Deno.test("every UI part kind becomes its store part, keys in snake_case", async () => {
  const message: UIMessage = {
    id: "msg-1",
    role: "assistant",
    metadata: { model: "mock", tokens: 12 },
    parts: [
      { type: "step-start" },
      { type: "reasoning", text: "Think.", state: "done", providerMetadata: { openai: { itemId: "rs_1" } } },
      { type: "text", text: "Here.", state: "done" },
      { type: "file", mediaType: "image/png", filename: "a.png", url: "https://example.com/a.png" },
      { type: "file", mediaType: "application/pdf", url: "storage://conversation-files/u1/dir/b.pdf" },
      {
        type: "tool-weather",
        toolCallId: "call_1",
        state: "output-available",
        input: { city: "Paris" },
        output: { celsius: 21 },
        callProviderMetadata: { openai: { itemId: "fc_1" } },
      },
      {
        type: "dynamic-tool",
        toolName: "lookup",
        toolCallId: "call_2",
        state: "output-error",
        input: {},
        errorText: "no",
      },
      { type: "source-url", sourceId: "s1", url: "https://example.com", title: "Example" },
      { type: "source-document", sourceId: "s2", mediaType: "text/plain", title: "Notes", filename: "n.txt" },
      { type: "data-progress", id: "p1", data: { percent: 50 } },
    ],
  };
  await validateUIMessages({ messages: [message] });
  assert.deepEqual(toStoreMessage(message), {
    client_message_id: "msg-1",
    role: "assistant",
    metadata: { model: "mock", tokens: 12 },
    parts: [
      { type: "step-start" },
      { type: "reasoning", text: "Think.", state: "done", provider_metadata: { openai: { itemId: "rs_1" } } },
      { type: "text", text: "Here.", state: "done" },
      { type: "file", media_type: "image/png", filename: "a.png", url: "https://example.com/a.png" },
      {
        type: "file",
        media_type: "application/pdf",
        storage: { bucket: "conversation-files", path: "u1/dir/b.pdf" },
      },
      {
        type: "tool-call",
        tool_name: "weather",
        tool_call_id: "call_1",
        state: "output-available",
        input: { city: "Paris" },
        output: { celsius: 21 },
        provider_metadata: { openai: { itemId: "fc_1" } },
      },
      {
        type: "tool-call",
        tool_name: "lookup",
        dynamic: true,
        tool_call_id: "call_2",
        state: "output-error",
        input: {},
        error_text: "no",
      },
      { type: "source", source_type: "url", source_id: "s1", url: "https://example.com", title: "Example" },
      {
        type: "source",
        source_type: "document",
        source_id: "s2",
        media_type: "text/plain",
        title: "Notes",
        filename: "n.txt",
      },
      { type: "data", name: "progress", id: "p1", data: { percent: 50 } },
    ],
  });
});

Deno.test("a streamed reasoning part's block id is left out, undefined values too", () => {
  const stored = toStoreMessage({
    id: "m",
    role: "assistant",
    parts: [{ type: "reasoning", id: "reasoning-0", text: "Hm.", providerMetadata: undefined }],
  });
  assert.deepEqual(stored.parts, [{ type: "reasoning", text: "Hm." }]);
});

Deno.test("a part the store has no kind for is refused, naming the part", () => {
  assertRefused(
    {
      id: "m",
      role: "assistant",
      parts: [{ type: "text", text: "a" }, { type: "steering-message", text: "x" }],
    } as unknown as UIMessage,
    /^part 1 \(steering-message\) cannot be stored: the store has no steering-message part$/,
  );
});

Deno.test("ai@7 custom and reasoning-file parts are stored with snake_case keys; a malformed one is refused", () => {
  const stored = toStoreMessage({
    id: "m",
    role: "assistant",
    parts: [
      { type: "custom", kind: "acme.widget", providerMetadata: { acme: { size: 2 } } },
      { type: "reasoning-file", mediaType: "image/png", url: "data:image/png;base64,AA==" },
    ],
  } as UIMessage);
  assert.deepEqual(stored.parts, [
    { type: "custom", kind: "acme.widget", provider_metadata: { acme: { size: 2 } } },
    { type: "reasoning-file", media_type: "image/png", url: "data:image/png;base64,AA==" },
  ]);
  assertRefused(
    { id: "m", role: "assistant", parts: [{ type: "custom", kind: "no-provider" }] } as unknown as UIMessage,
    /kind/,
  );
  assertRefused(
    {
      id: "m",
      role: "assistant",
      parts: [{ type: "reasoning-file", mediaType: "image/png", url: "ftp://x" }],
    },
    /url/,
  );
});

Deno.test("a key the store has no field for is refused, never dropped", () => {
  assertRefused(
    { id: "m", role: "assistant", parts: [{ type: "text", text: "a", citations: [] }] },
    /^part 0 \(text\) cannot be stored: the store has no field for its citations$/,
  );
  assertRefused(
    {
      id: "m",
      role: "assistant",
      parts: [{
        type: "dynamic-tool",
        dynamic: false,
        toolName: "t",
        toolCallId: "c",
        state: "input-available",
        input: 1,
      }],
    },
    /its dynamic$/,
  );
});

Deno.test("values the store cannot take are refused with the zod issues", () => {
  const refusals: Array<[UIMessage, RegExp]> = [
    [{
      id: "m",
      role: "user",
      parts: [{ type: "tool-t", toolCallId: "c", state: "input-available", input: 1 }],
    }, /^message m cannot be stored: parts: part 0 is a tool-call, which only an assistant message holds$/],
    [{ id: "m", role: "user", parts: [] }, /^message m cannot be stored: parts: Too small/],
    [
      { id: "m", role: "user", parts: [{ type: "text", text: "a" }], metadata: [1] },
      /^message m cannot be stored: metadata: /,
    ],
    [
      { id: "m", role: "user", parts: [{ type: "file", mediaType: "image/png", url: "blob:x" }] },
      /^message m cannot be stored: parts\.0\.url: must be an http:, https: or data: URL$/,
    ],
    [
      { id: "m", role: "user", parts: [{ type: "file", mediaType: "image/png", url: "storage://nopath" }] },
      /^message m cannot be stored: parts\.0\.storage\.bucket: /,
    ],
    [{ id: "", role: "user", parts: [{ type: "text", text: "a" }] }, /cannot be stored: client_message_id: /],
    [
      {
        id: "m",
        role: "user",
        parts: [{ type: "file", mediaType: "image/png" } as UIMessage["parts"][number]],
      },
      /^message m cannot be stored: parts\.0: a file part needs exactly one of url and storage$/,
    ],
  ];
  for (const [message, pattern] of refusals) {
    assertRefused(message, pattern);
    assert.throws(() => toStoreMessage(message), (error: ApiError) => Array.isArray(error.details));
  }
  assertRefused({ id: "m", role: "tool" as "user", parts: [{ type: "text", text: "a" }] }, /role tool/);
});
