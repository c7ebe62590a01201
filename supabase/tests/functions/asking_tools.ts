/**
 * The tools the approval tests give the chat function: `launch` asks first and records each run
 * (a tool that must run once per approval); `pick_color` has no execute, so the browser answers it.
 */
import { tool, type ToolApprovalConfiguration, type ToolSet } from "ai";
import { z } from "zod";

/** The tools, recording the `name` of each run of `launch` in `runs`. */
export function askingTools(runs: string[]): ToolSet {
  return {
    launch: tool({
      description: "Launches something; asks first.",
      inputSchema: z.object({ name: z.string() }),
      execute: ({ name }) => {
        runs.push(name);
        return { launched: name };
      },
    }),
    pick_color: tool({ description: "The user picks a color.", inputSchema: z.object({}) }),
  };
}

export const askingApproval: ToolApprovalConfiguration<ToolSet, unknown> = { launch: "user-approval" };
