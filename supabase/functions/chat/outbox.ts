/**
 * The chunks of a streaming reply on their way to the browser. Each chunk waits for the ticket of
 * the changes it made (ReplyWriter.note): it goes once the store holds them, and everything before
 * them, so the browser is never shown what a crash would lose. The writer stores changes in
 * batches (one write per flush), so the chunks a write releases go together, and the text (or
 * reasoning) deltas among them that follow each other in one block go as one delta: one chunk to
 * encode and send per block and write, not per model token.
 */
import type { UIMessageChunk } from "ai";

type Delta = Extract<UIMessageChunk, { type: "text-delta" | "reasoning-delta" }>;

const isDelta = (chunk: UIMessageChunk): chunk is Delta =>
  chunk.type === "text-delta" || chunk.type === "reasoning-delta";

export class StoredOutbox {
  /** Chunks waiting for their ticket, in the order they came (tickets never go down). */
  private held: Array<{ ticket: number; chunk: UIMessageChunk }> = [];
  private stored = 0;

  constructor(private readonly send: (chunk: UIMessageChunk) => void) {}

  /** `chunk` goes to the browser once `ticket` is stored (at once if it is, and nothing waits). */
  push(chunk: UIMessageChunk, ticket: number): void {
    if (ticket <= this.stored && this.held.length === 0) this.send(chunk);
    else this.held.push({ ticket, chunk });
  }

  /** Every ticket up to `ticket` is stored: the chunks waiting for them go, in order. */
  release(ticket: number): void {
    if (ticket > this.stored) this.stored = ticket;
    let count = 0;
    while (count < this.held.length && this.held[count].ticket <= this.stored) count++;
    if (count === 0) return;
    const going = this.held.splice(0, count);
    let merged: Delta | undefined;
    for (const { chunk } of going) {
      if (
        merged && isDelta(chunk) && chunk.type === merged.type && chunk.id === merged.id &&
        chunk.providerMetadata === undefined
      ) {
        merged.delta += chunk.delta;
        continue;
      }
      if (merged) this.send(merged);
      merged = undefined;
      if (isDelta(chunk)) merged = { ...chunk };
      else this.send(chunk);
    }
    if (merged) this.send(merged);
  }
}
