/**
 * The model's prompt: the system prompt setting, the conversation's agent state, and the window
 * get_context chose (pinned system prompt and summary first, then the newest turns that fit), read
 * as UIMessages (format ui) so that files, tool calls with their results and provider metadata
 * reach the model as they were stored.
 *
 * Agent state: the conversation's `metadata` (update-conversation sets it; the seed's ChatAgent
 * keeps its video-generation step there) is appended to the system prompt as JSON under the
 * heading "## Conversation state", so the model reads where the task stands. An empty object adds
 * nothing.
 */
import {
  convertToModelMessages,
  type ModelMessage,
  type SystemModelMessage,
  type ToolSet,
  type UIMessage,
} from "ai";
import { storageLocation } from "../ui_parts.ts";

/** A file kept in Supabase Storage as a URL the model's provider can fetch. */
export type ResolveStorageUrl = (bucket: string, path: string) => Promise<string>;

export function instructionsFor(systemPrompt: string, metadata: Record<string, unknown>): string {
  if (Object.keys(metadata).length === 0) return systemPrompt;
  return `${systemPrompt}\n\n## Conversation state\n\n\`\`\`json\n${
    JSON.stringify(metadata, null, 2)
  }\n\`\`\``;
}

const textOf = (message: UIMessage) =>
  message.parts.map((part) => part.type === "text" ? part.text : "").join("");

/** Storage files (url storage://bucket/path) with the URLs `resolve` gives them. */
function withFetchableFiles(window: UIMessage[], resolve: ResolveStorageUrl): Promise<UIMessage[]> {
  return Promise.all(window.map(async (message) => ({
    ...message,
    parts: await Promise.all(message.parts.map(async (part) => {
      const location = part.type === "file" ? storageLocation(part.url) : undefined;
      return location ? { ...part, url: await resolve(location.bucket, location.path) } : part;
    })),
  })));
}

/**
 * A window as the SDK's prompt: the leading system messages as instructions after the system
 * prompt; a later system message is not trusted as one and is read as a user's. The rest through
 * the SDK's own convertToModelMessages.
 */
export async function promptOf(
  instructions: string,
  window: UIMessage[],
  options: { tools?: ToolSet; resolveStorageUrl: ResolveStorageUrl },
): Promise<{ instructions: SystemModelMessage[]; messages: ModelMessage[] }> {
  const firstTurn = window.findIndex((message) => message.role !== "system");
  const leading = firstTurn === -1 ? window : window.slice(0, firstTurn);
  const turns = (firstTurn === -1 ? [] : window.slice(firstTurn)).map((message) =>
    message.role === "system" ? { ...message, role: "user" as const } : message
  );
  return {
    instructions: [instructions, ...leading.map(textOf)].map((content) => ({ role: "system", content })),
    messages: await convertToModelMessages(await withFetchableFiles(turns, options.resolveStorageUrl), {
      tools: options.tools,
    }),
  };
}
