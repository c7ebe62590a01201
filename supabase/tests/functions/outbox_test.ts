// The chunks of a streaming reply on their way to the browser (chat/outbox.ts), without a database:
// each waits for the write that stores it, and the deltas one write releases go as one.
import assert from "node:assert/strict";
import type { UIMessageChunk } from "ai";
import { StoredOutbox } from "../../functions/chat/outbox.ts";

function outbox() {
  const sent: UIMessageChunk[] = [];
  return { sent, box: new StoredOutbox((chunk) => sent.push(chunk)) };
}

const delta = (id: string, text: string): UIMessageChunk => ({ type: "text-delta", id, delta: text });

Deno.test("a chunk waits until the write holding its change is stored", () => {
  const { sent, box } = outbox();
  box.push({ type: "text-start", id: "t" }, 1);
  box.push(delta("t", "Hel"), 2);
  assert.deepEqual(sent, []);
  box.release(1);
  assert.deepEqual(sent, [{ type: "text-start", id: "t" }]);
  box.release(2);
  assert.deepEqual(sent, [{ type: "text-start", id: "t" }, delta("t", "Hel")]);
});

Deno.test("the deltas one write stores reach the browser as one delta, in order with the other chunks", () => {
  const { sent, box } = outbox();
  box.push({ type: "text-start", id: "t" }, 1);
  box.push(delta("t", "Hel"), 2);
  box.push(delta("t", "lo"), 3);
  box.push({ type: "reasoning-start", id: "r" }, 4);
  box.push({ type: "reasoning-delta", id: "r", delta: "hm" }, 5);
  box.push({ type: "reasoning-delta", id: "r", delta: "m" }, 5);
  box.push(delta("t", " wörld"), 6);
  box.push(delta("t", "!"), 7);
  box.release(7);
  assert.deepEqual(sent, [
    { type: "text-start", id: "t" },
    delta("t", "Hello"),
    { type: "reasoning-start", id: "r" },
    { type: "reasoning-delta", id: "r", delta: "hmm" },
    delta("t", " wörld!"),
  ]);
});

Deno.test("deltas of different blocks, or with provider metadata, are never merged", () => {
  const { sent, box } = outbox();
  const withMetadata: UIMessageChunk = {
    type: "text-delta",
    id: "a",
    delta: "y",
    providerMetadata: { p: { k: 1 } },
  };
  box.push(delta("a", "x"), 1);
  box.push(delta("b", "z"), 1);
  box.push(delta("a", "x"), 1);
  box.push(withMetadata, 1);
  box.release(1);
  assert.deepEqual(sent, [delta("a", "x"), delta("b", "z"), delta("a", "x"), withMetadata]);
});

Deno.test("a chunk that changes nothing waits for the chunks before it, then goes at once once all are stored", () => {
  const { sent, box } = outbox();
  box.push(delta("t", "a"), 1);
  box.push({ type: "finish-step" }, 1); // changes nothing: the ticket of what is pending
  assert.deepEqual(sent, []);
  box.release(1);
  assert.deepEqual(sent, [delta("t", "a"), { type: "finish-step" }]);
  box.push({ type: "start-step" }, 1);
  assert.deepEqual(sent.at(-1), { type: "start-step" });
});

Deno.test("a chunk whose write is never stored (a refused reply) is never sent, nor anything after it", () => {
  const { sent, box } = outbox();
  box.push(delta("t", "kept"), 1);
  box.push(delta("t", "refused"), 2);
  box.push({ type: "finish-step" }, 2);
  box.release(1);
  assert.deepEqual(sent, [delta("t", "kept")]);
});

Deno.test("a merged delta is a copy: the chunks the model sent are not changed", () => {
  const { box } = outbox();
  const first = delta("t", "a");
  box.push(first, 1);
  box.push(delta("t", "b"), 1);
  box.release(1);
  assert.deepEqual(first, delta("t", "a"));
});
