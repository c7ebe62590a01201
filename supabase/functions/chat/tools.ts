/**
 * The tools the chat model may call, run by the function itself (server-side) during a reply; each
 * call and its result are stored in the reply as a tool part with its state (input-available, then
 * output-available or output-error), and streamed to the browser as they happen.
 *
 * Add an app's tools here with the AI SDK's `tool()`: a description the model reads, a zod input
 * schema, and `execute`. A tool without `execute` is left to the browser (useChat's onToolCall and
 * addToolOutput): the reply waits for its output. A tool named in `toolApproval` asks the user
 * first: the reply waits for the user's Approve or Deny (docs/CHAT.md, "Tools that ask first").
 * An empty object is fine: the model then only writes text. Keep each tool within the Edge
 * Runtime's limits (2 s of CPU per request, the wall clock of the whole reply).
 *
 * The example in the seed's domain: `start_video_render` starts a render job (it would spend money,
 * so it asks first) and records the job in the conversation's `metadata` under `video_render`, the
 * conversation's "current state of the video generation process", which the model reads in its
 * instructions; `get_video_status` reads it back (and, in this demo, moves the job along).
 */
import { tool, type ToolApprovalConfiguration, type ToolSet } from "ai";
import { z } from "zod";
import type { Caller } from "../_shared/auth.ts";
import { asCaller } from "../_shared/db.ts";
import { sql } from "../_shared/sql.ts";

/** What a tool may act on: the user the reply is for (their rights, not more) and the conversation. */
export interface ToolContext {
  caller: Caller;
  conversationId: string;
}

/** A render job as the conversation's metadata records it (`video_render`). */
export interface RenderJob {
  job_id: string;
  prompt: string;
  state: "queued" | "rendering" | "done";
  progress: number;
  updated_at: string;
}

/** Reads the conversation's render job, or null; `change` writes a new one (a merge patch, as the caller). */
async function renderJob(context: ToolContext, change?: RenderJob): Promise<RenderJob | null> {
  const [rows] = await asCaller(context.caller, [
    change === undefined
      ? sql`select c.metadata -> 'video_render' as job from public.conversations as c
            where c.id = ${context.conversationId}`
      : sql`select c.metadata -> 'video_render' as job
            from public.update_conversation_metadata(${context.conversationId}, ${{
        video_render: change,
      }}::jsonb) as c`,
  ]);
  return (rows[0]?.job as RenderJob | null | undefined) ?? null;
}

const getTime = tool({
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
});

/** The app's tools for one reply. */
export function tools(context: ToolContext): ToolSet {
  return {
    get_time: getTime,
    start_video_render: tool({
      description:
        "Start rendering the conversation's video from a prompt. Costs money: the user is asked to approve first.",
      inputSchema: z.object({ prompt: z.string().min(1).max(2000) }),
      execute: ({ prompt }) =>
        renderJob(context, {
          job_id: crypto.randomUUID(),
          prompt,
          state: "queued",
          progress: 0,
          updated_at: new Date().toISOString(),
        }),
    }),
    get_video_status: tool({
      description:
        "The state of the conversation's video render job: queued, rendering or done, with progress.",
      inputSchema: z.object({}),
      execute: async () => {
        const job = await renderJob(context);
        if (!job) return { state: "none", message: "no video render was started in this conversation" };
        if (job.state === "done") return job;
        // The demo's render moves half-way on each look.
        const progress = Math.min(100, job.progress + 50);
        return await renderJob(context, {
          ...job,
          progress,
          state: progress === 100 ? "done" : "rendering",
          updated_at: new Date().toISOString(),
        });
      },
    }),
  };
}

/** Tool calls that wait for the user's approval: every start of a render. */
export const toolApproval: ToolApprovalConfiguration<ToolSet, unknown> = {
  start_video_render: "user-approval",
};
