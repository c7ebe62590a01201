/**
 * A reply as the store keeps it (the message-parts vocabulary, snake_case), built from the AI SDK's
 * UI message chunks as they stream, and the chunks that replay it.
 *
 * Both directions are pure: the writer (reply_writer.ts) applies each chunk the model produces and
 * writes the changes it reports; a resumed stream (follow.ts) turns what it reads from the store into
 * the chunks a browser that has seen none, or some, of the reply still needs.
 */
import type { ProviderMetadata, UIMessageChunk } from "ai";
import type { Part, TOOL_STATES } from "../_shared/part_vocabulary.ts";
import { type Provenance, PROVENANCE_NAMESPACE } from "./provenance.ts";

type ToolState = typeof TOOL_STATES[number];

type Json = unknown;

/** A change to the stored parts: replace (or add, at the end) a part, or add text to one. */
export type PartChange =
  | { kind: "set"; index: number }
  | { kind: "append"; index: number; text: string };

/**
 * One entry of a reply's log as a follower reads it (conversation_store.reply_log_after): a delta
 * added to the text of the part at `index`, or the whole part set there (added, at the end).
 */
export type LogEntry =
  | { position: number; index: number; delta: string; part: null }
  | { position: number; index: number; delta: null; part: Part };

/**
 * Applies log entries, in order, to parts read from the store (changed in place): the parts as
 * the store holds them after those entries. Work in the size of the entries only.
 */
export function applyLogEntries(parts: Part[], entries: LogEntry[]): Part[] {
  for (const entry of entries) {
    if (entry.part !== null) parts[entry.index] = entry.part;
    else (parts[entry.index] as { text: string }).text += entry.delta;
  }
  return parts;
}

/** A part built from the SDK's chunk fields, whose JSON the store checks (check_parts). */
const storePart = (value: Record<string, unknown>) => defined(value) as Part;

/** A chunk built from stored fields, which the store took from the SDK's chunks. */
const chunk = (value: Record<string, unknown>) => defined(value) as UIMessageChunk;

/** Leaves out undefined values, which JSON would drop anyway, so that parts compare as stored. */
function defined<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

type ToolPart = Extract<Part, { type: "tool-call" }>;

/**
 * The parts of one reply as its chunks arrive. With `provenance`, a tool result the reply's own
 * model call produced (a tool run in the function, or by the provider) is stamped as such.
 */
export class ReplyParts {
  readonly parts: Part[];
  private readonly blocks = new Map<string, number>();
  private readonly tools = new Map<string, number>();

  /**
   * `stored`: the parts of a reply being continued (after the user answered its tool calls), whose
   * tool calls the new chunks may finish; new parts follow them. `provenance` stamps the results of
   * tools the function runs (provenance.ts).
   */
  constructor(stored: Part[] = [], private readonly provenance?: Provenance) {
    this.parts = structuredClone(stored);
    this.parts.forEach((part, index) => {
      if (part.type === "tool-call") this.tools.set(part.tool_call_id, index);
    });
  }

  /** Applies one chunk; returns what changed in the stored parts (nothing for most control chunks). */
  apply(chunk: UIMessageChunk): PartChange[] {
    switch (chunk.type) {
      case "text-start":
      case "reasoning-start": {
        const type = chunk.type === "text-start" ? "text" : "reasoning";
        this.blocks.set(`${type}:${chunk.id}`, this.parts.length);
        return this.add(storePart({ type, text: "", provider_metadata: chunk.providerMetadata }));
      }
      case "text-delta":
      case "reasoning-delta": {
        const index = this.blocks.get(`${chunk.type === "text-delta" ? "text" : "reasoning"}:${chunk.id}`);
        if (index === undefined || chunk.delta === "") return [];
        (this.parts[index] as { text: string }).text += chunk.delta;
        return [{ kind: "append", index, text: chunk.delta }];
      }
      case "text-end":
      case "reasoning-end": {
        const index = this.blocks.get(`${chunk.type === "text-end" ? "text" : "reasoning"}:${chunk.id}`);
        if (index === undefined || !chunk.providerMetadata) return [];
        (this.parts[index] as { provider_metadata?: ProviderMetadata }).provider_metadata = chunk
          .providerMetadata as ProviderMetadata;
        return [{ kind: "set", index }];
      }
      case "tool-input-start":
        return this.tool(chunk.toolCallId, chunk.toolName, {
          state: "input-streaming",
          provider_executed: chunk.providerExecuted,
          dynamic: chunk.dynamic,
          title: chunk.title,
          provider_metadata: chunk.providerMetadata,
        });
      case "tool-input-available":
        return this.tool(chunk.toolCallId, chunk.toolName, {
          state: "input-available",
          input: chunk.input,
          provider_executed: chunk.providerExecuted,
          dynamic: chunk.dynamic,
          title: chunk.title,
          provider_metadata: chunk.providerMetadata,
        });
      case "tool-input-error":
        return this.tool(chunk.toolCallId, chunk.toolName, {
          state: "output-error",
          input: chunk.input,
          error_text: chunk.errorText,
          provider_executed: chunk.providerExecuted,
          dynamic: chunk.dynamic,
        });
      case "tool-approval-request":
        return this.tool(chunk.toolCallId, undefined, {
          state: "approval-requested",
          approval: defined({
            id: chunk.approvalId,
            requestReason: chunk.reason,
            isAutomatic: chunk.isAutomatic,
            descriptor: chunk.approvalDescriptor,
          }),
        });
      case "tool-output-available":
        return this.tool(chunk.toolCallId, undefined, {
          state: "output-available",
          output: chunk.output,
          preliminary: chunk.preliminary,
        });
      case "tool-output-error":
        return this.tool(chunk.toolCallId, undefined, { state: "output-error", error_text: chunk.errorText });
      case "tool-output-denied":
        return this.tool(chunk.toolCallId, undefined, { state: "output-denied" });
      case "source-url":
        // The store keeps http(s) sources only (part_problem); another scheme is not a link to show.
        if (!/^https?:\/\//i.test(chunk.url)) return [];
        return this.add(storePart({
          type: "source",
          source_type: "url",
          source_id: chunk.sourceId,
          url: chunk.url,
          title: chunk.title,
          provider_metadata: chunk.providerMetadata,
        }));
      case "source-document":
        return this.add(storePart({
          type: "source",
          source_type: "document",
          source_id: chunk.sourceId,
          media_type: chunk.mediaType,
          title: chunk.title,
          filename: chunk.filename,
          provider_metadata: chunk.providerMetadata,
        }));
      case "file":
        return this.add(storePart({
          type: "file",
          media_type: chunk.mediaType,
          url: chunk.url,
          provider_metadata: chunk.providerMetadata,
        }));
      case "start-step":
        return this.add({ type: "step-start" });
      case "custom":
        return this.add(
          storePart({ type: "custom", kind: chunk.kind, provider_metadata: chunk.providerMetadata }),
        );
      case "reasoning-file":
        return this.add(storePart({
          type: "reasoning-file",
          media_type: chunk.mediaType,
          url: chunk.url,
          provider_metadata: chunk.providerMetadata,
        }));
      default:
        if (chunk.type.startsWith("data-")) {
          const data = chunk as { type: `data-${string}`; id?: string; data: Json; transient?: boolean };
          if (data.transient) return [];
          return this.add(
            storePart({ type: "data", name: data.type.slice(5), id: data.id, data: data.data }),
          );
        }
        return [];
    }
  }

  private add(part: Part): PartChange[] {
    this.parts.push(part);
    return [{ kind: "set", index: this.parts.length - 1 }];
  }

  /** A tool part changes state in place, as the SDK's own UI message does. */
  private tool(
    toolCallId: string,
    toolName: string | undefined,
    change: { state: ToolState } & Record<string, unknown>,
  ): PartChange[] {
    let index = this.tools.get(toolCallId);
    if (index === undefined) {
      if (toolName === undefined) return []; // a result for a call this reply never made
      index = this.parts.length;
      this.tools.set(toolCallId, index);
      this.parts.push({
        type: "tool-call",
        tool_call_id: toolCallId,
        tool_name: toolName,
        state: change.state!,
      });
    }
    const part = this.parts[index] as ToolPart;
    const changed = storePart({
      ...part,
      ...change,
      preliminary: change.preliminary || undefined,
    }) as ToolPart;
    this.parts[index] = this.provenance ? stampedResult(changed, this.provenance) : changed;
    return [{ kind: "set", index }];
  }
}

/**
 * A tool part with a result, stamped as one the function vouches for (a tool it ran, or a browser
 * tool's output the store accepted for a call that waited for it); other parts as they are.
 */
export function stampedResult<Tool extends ToolPart>(part: Tool, provenance: Provenance): Tool {
  if (part.state !== "output-available" && part.state !== "output-error") return part;
  const stamp = provenance.stamp(part);
  return {
    ...part,
    result_provider_metadata: {
      ...part.result_provider_metadata,
      [PROVENANCE_NAMESPACE]: { provenance: stamp },
    },
  };
}

const TOOL_STAGE: Record<ToolState, number> = {
  "input-streaming": 0,
  "input-available": 1,
  "approval-requested": 2,
  "approval-responded": 2,
  "output-available": 3,
  "output-error": 3,
  "output-denied": 3,
};

interface Seen {
  type: Part["type"];
  /** Text sent so far (UTF-16 units), for text and reasoning. */
  length: number;
  /** The tool stage sent so far. */
  stage: number;
  /** Whether the user's approval decision was sent (a tool part's approval.approved). */
  responded?: boolean;
  open: boolean;
}

/**
 * What a browser has been sent of a stored reply, and the chunks that bring it up to date. A resumed
 * stream starts with nothing seen (a full replay, as DefaultChatTransport expects from a resume) and
 * calls `update` with each new read of the reply.
 */
export class ReplayCursor {
  private readonly seen: Seen[] = [];
  private stepOpen = false;

  update(parts: Part[]): UIMessageChunk[] {
    const chunks: UIMessageChunk[] = [];
    parts.forEach((part, index) => {
      const seen = this.seen[index];
      if (seen === undefined) this.closeOpen(chunks);
      chunks.push(...this.partChunks(part, index, seen));
    });
    return chunks;
  }

  /** The chunks that end the message: open blocks closed, the step finished. */
  end(): UIMessageChunk[] {
    const chunks: UIMessageChunk[] = [];
    this.closeOpen(chunks);
    if (this.stepOpen) chunks.push({ type: "finish-step" });
    this.stepOpen = false;
    return chunks;
  }

  private closeOpen(chunks: UIMessageChunk[]): void {
    this.seen.forEach((seen, index) => {
      if (!seen.open) return;
      seen.open = false;
      const id = `${seen.type}-${index}`;
      chunks.push(seen.type === "text" ? { type: "text-end", id } : { type: "reasoning-end", id });
    });
  }

  private partChunks(part: Part, index: number, seen: Seen | undefined): UIMessageChunk[] {
    const first = seen === undefined;
    const state = seen ?? (this.seen[index] = { type: part.type, length: 0, stage: -1, open: false });
    switch (part.type) {
      case "text":
      case "reasoning": {
        const id = `${part.type}-${index}`;
        const providerMetadata = part.provider_metadata;
        const chunks: UIMessageChunk[] = [];
        if (first) {
          state.open = true;
          chunks.push(
            part.type === "text"
              ? chunk({ type: "text-start", id, providerMetadata })
              : chunk({ type: "reasoning-start", id, providerMetadata }),
          );
        }
        if (part.text.length > state.length) {
          const delta = part.text.slice(state.length);
          state.length = part.text.length;
          chunks.push(
            part.type === "text" ? { type: "text-delta", id, delta } : { type: "reasoning-delta", id, delta },
          );
        }
        return chunks;
      }
      case "step-start": {
        if (!first) return [];
        const chunks: UIMessageChunk[] = this.stepOpen ? [{ type: "finish-step" }] : [];
        this.stepOpen = true;
        return [...chunks, { type: "start-step" }];
      }
      case "tool-call":
        return this.toolChunks(part, state);
      case "source":
        if (!first) return [];
        return [
          part.source_type === "url"
            ? chunk({
              type: "source-url",
              sourceId: part.source_id,
              url: part.url ?? "",
              title: part.title,
              providerMetadata: part.provider_metadata,
            })
            : chunk({
              type: "source-document",
              sourceId: part.source_id,
              mediaType: part.media_type ?? "application/octet-stream",
              title: part.title ?? "",
              filename: part.filename,
              providerMetadata: part.provider_metadata,
            }),
        ];
      case "file":
        return first
          ? [
            chunk({
              type: "file",
              url: part.url ?? `storage://${part.storage?.bucket}/${part.storage?.path}`,
              mediaType: part.media_type,
              providerMetadata: part.provider_metadata,
            }),
          ]
          : [];
      case "data":
        return first ? [chunk({ type: `data-${part.name}`, id: part.id, data: part.data })] : [];
      case "custom":
        return first
          ? [chunk({ type: "custom", kind: part.kind, providerMetadata: part.provider_metadata })]
          : [];
      case "reasoning-file":
        return first
          ? [chunk({
            type: "reasoning-file",
            url: part.url,
            mediaType: part.media_type,
            providerMetadata: part.provider_metadata,
          })]
          : [];
      case "tool-result": // tool rows only: never in a reply
        return [];
    }
  }

  private toolChunks(part: ToolPart, seen: Seen): UIMessageChunk[] {
    const stage = TOOL_STAGE[part.state];
    const chunks: UIMessageChunk[] = [];
    const common = defined({
      toolCallId: part.tool_call_id,
      providerExecuted: part.provider_executed,
      dynamic: part.dynamic,
    });
    if (seen.stage < 0 && stage === 0) {
      chunks.push(
        chunk({ type: "tool-input-start", ...common, toolName: part.tool_name, title: part.title }),
      );
    }
    if (seen.stage < 1 && stage >= 1) {
      chunks.push(chunk({
        type: "tool-input-available",
        ...common,
        toolName: part.tool_name,
        input: part.input,
        title: part.title,
        providerMetadata: part.provider_metadata,
      }));
    }
    if (seen.stage < 2 && stage >= 2 && part.approval) {
      chunks.push(chunk({
        type: "tool-approval-request",
        approvalId: String(part.approval.id),
        toolCallId: part.tool_call_id,
        reason: part.approval.requestReason,
        isAutomatic: part.approval.isAutomatic,
        approvalDescriptor: part.approval.descriptor,
      }));
    }
    const approved = part.approval?.approved;
    if (!seen.responded && stage >= 2 && part.approval && typeof approved === "boolean") {
      // The user's answer, as the browser that answered shows it (approval-responded).
      seen.responded = true;
      chunks.push(chunk({
        type: "tool-approval-response",
        approvalId: String(part.approval.id),
        approved,
        reason: part.approval.reason,
      }));
    }
    if (seen.stage < 3 && stage === 3) {
      if (part.state === "output-available") {
        chunks.push(chunk({ type: "tool-output-available", ...common, output: part.output }));
      } else if (part.state === "output-error") {
        chunks.push(chunk({ type: "tool-output-error", ...common, errorText: part.error_text ?? "" }));
      } else {
        chunks.push({ type: "tool-output-denied", toolCallId: part.tool_call_id });
      }
    }
    seen.stage = Math.max(seen.stage, stage);
    return chunks;
  }
}

/** Characters as PostgreSQL counts them (code points): the unit of a delta's offset. */
export function codePoints(text: string): number {
  let length = 0;
  for (const _ of text) length++;
  return length;
}

/** A part operation for the store: a whole part (as JSON text), or a delta at a text offset. */
export type PartOperation =
  | { index: number; part: string }
  | { index: number; text: string; offset: number };

/**
 * The part operations that bring the stored reply up to the parts, from the changes ReplyParts
 * reports: consecutive deltas to one part become one delta at the offset of the first; a set
 * (the whole part, as it is now) replaces what was pending for that part, in its place. Each change
 * costs work in its own size, never in the reply's.
 */
export class PendingOperations {
  private operations: PartOperation[] = [];
  /** Each text or reasoning part's length in code points, with the pending operations applied. */
  private readonly lengths: number[] = [];

  /** `stored`: the parts the store holds already (a reply taken over, or resumed). */
  constructor(stored: Part[] = []) {
    stored.forEach((part, index) => this.measure(part, index));
  }

  get size(): number {
    return this.operations.length;
  }

  add(change: PartChange, parts: readonly Part[]): void {
    const { index } = change;
    if (change.kind === "append") {
      const last = this.operations.at(-1);
      if (last && "text" in last && last.index === index) last.text += change.text;
      else this.operations.push({ index, text: change.text, offset: this.lengths[index] ?? 0 });
      this.lengths[index] = (this.lengths[index] ?? 0) + codePoints(change.text);
      return;
    }
    const part = parts[index];
    this.measure(part, index);
    const operation = { index, part: JSON.stringify(part) };
    const set = this.operations.findIndex((pending) => pending.index === index && "part" in pending);
    if (set >= 0) this.operations[set] = operation;
    this.operations = this.operations.filter((pending, position) =>
      pending.index !== index || position === set
    );
    if (set < 0) this.operations.push(operation);
  }

  /** The operations to write now; none pending afterwards. */
  take(): PartOperation[] {
    const taken = this.operations;
    this.operations = [];
    return taken;
  }

  /** Operations taken whose write did not reach the store: written again, before the newer ones. */
  restore(operations: PartOperation[]): void {
    this.operations = [...operations, ...this.operations];
  }

  /** Nothing taken is written again (the store refused them): nothing more is pending either. */
  clear(): void {
    this.operations = [];
  }

  private measure(part: Part, index: number): void {
    if (part.type === "text" || part.type === "reasoning") this.lengths[index] = codePoints(part.text);
  }
}
