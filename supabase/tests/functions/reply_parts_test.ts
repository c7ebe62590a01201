// The pure stream code of a reply, without a database: chunks in, parts and part operations out;
// log entries in, parts out; parts in, the chunks a follower sends out.
import assert from "node:assert/strict";
import type { UIMessageChunk } from "ai";
import {
  applyLogEntries,
  codePoints,
  type LogEntry,
  PendingOperations,
  ReplayCursor,
  ReplyParts,
} from "../../functions/chat/reply_parts.ts";
import type { Part } from "../../functions/_shared/part_vocabulary.ts";

/** Applies chunks to fresh parts and queues every change, as the chat handler does. */
function stream(chunks: UIMessageChunk[], pending = new PendingOperations()) {
  const parts = new ReplyParts();
  for (const chunk of chunks) {
    for (const change of parts.apply(chunk)) pending.add(change, parts.parts);
  }
  return { parts: parts.parts, pending };
}

const text = (id: string, ...deltas: string[]): UIMessageChunk[] => [
  { type: "text-start", id },
  ...deltas.map((delta): UIMessageChunk => ({ type: "text-delta", id, delta })),
];

Deno.test("deltas to one part become one delta at the offset of the first", () => {
  const { parts, pending } = stream(text("t", "Hel", "lo", " wörld"));
  assert.deepEqual(parts, [{ type: "text", text: "Hello wörld" }]);
  assert.deepEqual(pending.take(), [
    { index: 0, part: JSON.stringify({ type: "text", text: "" }) },
    { index: 0, text: "Hello wörld", offset: 0 },
  ]);
  assert.equal(pending.size, 0);
});

Deno.test("offsets count code points, as PostgreSQL does, across writes", () => {
  const pending = new PendingOperations();
  const { parts } = stream(text("t", "🙂a"), pending);
  pending.take();
  const more = new ReplyParts();
  more.parts.push(...parts);
  pending.add({ kind: "append", index: 0, text: "b" }, more.parts);
  assert.deepEqual(pending.take(), [{ index: 0, text: "b", offset: 2 }]);
  assert.equal(codePoints("🙂a"), 2);
});

Deno.test("a part set again replaces what was pending for it, in its place", () => {
  const { pending } = stream([
    ...text("t", "Hi"),
    { type: "start-step" },
    { type: "text-end", id: "t", providerMetadata: { openai: { itemId: "m1" } } },
  ]);
  assert.deepEqual(pending.take(), [
    {
      index: 0,
      part: JSON.stringify({ type: "text", text: "Hi", provider_metadata: { openai: { itemId: "m1" } } }),
    },
    { index: 1, part: JSON.stringify({ type: "step-start" }) },
  ]);
});

Deno.test("operations that did not reach the store are written again first, at their offsets", () => {
  const parts = new ReplyParts();
  const pending = new PendingOperations();
  const add = (chunk: UIMessageChunk) =>
    parts.apply(chunk).forEach((change) => pending.add(change, parts.parts));
  text("t", "ab").forEach(add);
  const lost = pending.take();
  add({ type: "text-delta", id: "t", delta: "cd" });
  pending.restore(lost);
  assert.deepEqual(pending.take(), [
    { index: 0, part: JSON.stringify({ type: "text", text: "" }) },
    { index: 0, text: "ab", offset: 0 },
    { index: 0, text: "cd", offset: 2 },
  ]);
});

Deno.test("a reply resumed from stored parts continues at the stored lengths", () => {
  const pending = new PendingOperations([{ type: "step-start" }, { type: "reasoning", text: "héllo" }]);
  pending.add({ kind: "append", index: 1, text: "!" }, []);
  assert.deepEqual(pending.take(), [{ index: 1, text: "!", offset: 5 }]);
});

Deno.test("log entries applied to the parts read give the parts the writer has", () => {
  const { parts } = stream([...text("t", "Hello", " there"), { type: "start-step" }]);
  const read: Part[] = [{ type: "text", text: "Hel" }];
  const entries: LogEntry[] = [
    { position: 7, index: 0, delta: "lo", part: null },
    { position: 8, index: 0, delta: " there", part: null },
    { position: 9, index: 1, delta: null, part: { type: "step-start" } },
  ];
  assert.deepEqual(applyLogEntries(read, entries), parts);
});

Deno.test("a follower sends only what is new after each poll, and the whole reply equals one replay", () => {
  const follower = new ReplayCursor();
  const parts: Part[] = [{ type: "text", text: "Hel" }];
  const first = follower.update(parts);
  const second = follower.update(
    applyLogEntries(parts, [{ position: 1, index: 0, delta: "lo", part: null }]),
  );
  assert.deepEqual(second, [{ type: "text-delta", id: "text-0", delta: "lo" }]);
  const streamed = [...first, ...second, ...follower.end()];
  const replay = new ReplayCursor();
  const whole = [...replay.update([{ type: "text", text: "Hello" }]), ...replay.end()];
  const textOf = (chunks: UIMessageChunk[]) =>
    chunks.map((chunk) => chunk.type === "text-delta" ? chunk.delta : "").join("");
  assert.equal(textOf(streamed), textOf(whole));
  assert.deepEqual(streamed.map((chunk) => chunk.type).filter((type) => type !== "text-delta"), [
    "text-start",
    "text-end",
  ]);
});
