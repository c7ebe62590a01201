/**
 * A parts-heavy message as an AI SDK app stores it (docs/MESSAGE_PARTS.md): a step, reasoning with
 * the provider's encrypted content to send back, a tool call with its output, text, an image by
 * URL and a data part. About 1 KB of parts JSON; the benchmark appends it and reads pages of it.
 */
import type { Part } from "../supabase/functions/_shared/part_vocabulary.ts";

export function partsMessage(
  n: number,
): { role: "assistant"; metadata: Record<string, unknown>; parts: Part[] } {
  return {
    role: "assistant",
    metadata: { model: "gpt-5", step: n },
    parts: [
      { type: "step-start" },
      {
        type: "reasoning",
        text: "The user wants a render of the scene; check the queue before starting one.",
        state: "done",
        provider_metadata: { openai: { itemId: `rs_${n}`, reasoningEncryptedContent: "gAAAAB".repeat(40) } },
      },
      {
        type: "tool-call",
        tool_call_id: `call_${n}`,
        tool_name: "render",
        state: "output-available",
        input: { scene: 3, quality: "high" },
        output: { status: "queued", position: 2 },
      },
      { type: "text", text: `Rendering has started. Here is a preview of scene ${n}.`, state: "done" },
      {
        type: "file",
        media_type: "image/png",
        url: `https://example.com/previews/${n}.png`,
        filename: "preview.png",
      },
      { type: "data", name: "progress", id: `p${n}`, data: { percent: 40 } },
    ],
  };
}
