/**
 * The tools the chat model may call, run by the function itself (server-side) during a reply; each
 * call and its result are stored in the reply as a tool part with its state (input-available, then
 * output-available or output-error), and streamed to the browser as they happen.
 *
 * Add an app's tools here with the AI SDK's `tool()`: a description the model reads, a zod input
 * schema, and `execute`. A tool without `execute` is left to the browser (useChat's onToolCall and
 * addToolOutput). An empty object is fine: the model then only writes text. Keep each tool within
 * the Edge Runtime's limits (2 s of CPU per request, the wall clock of the whole reply).
 */
import { tool, type ToolSet } from "ai";
import { z } from "zod";

export const tools: ToolSet = {
  get_time: tool({
    description: "The current date and time, as an ISO 8601 string, in UTC or the given IANA time zone.",
    inputSchema: z.object({ time_zone: z.string().max(64).optional() }),
    execute: ({ time_zone }) => {
      const now = new Date();
      const timeZone = time_zone ?? "UTC";
      try {
        return {
          now: now.toISOString(),
          time_zone: timeZone,
          local: now.toLocaleString("en-US", { timeZone }),
        };
      } catch {
        throw new Error(`unknown time zone ${timeZone}`);
      }
    },
  }),
};
