/**
 * The model's prompt: the system prompt setting, the conversation's agent state, and the window
 * get_context chose (pinned system prompt and summary first, then the newest turns that fit).
 *
 * Agent state: the conversation's `metadata` (update-conversation sets it; the seed's ChatAgent
 * keeps its video-generation step there) is appended to the system prompt as JSON under the
 * heading "## Conversation state", so the model reads where the task stands. An empty object adds
 * nothing.
 */
import type { ModelMessage, SystemModelMessage, ToolCallPart } from "ai";
import type { OpenAIMessage } from "../schemas.ts";

export function instructionsFor(systemPrompt: string, metadata: Record<string, unknown>): string {
  if (Object.keys(metadata).length === 0) return systemPrompt;
  return `${systemPrompt}\n\n## Conversation state\n\n\`\`\`json\n${
    JSON.stringify(metadata, null, 2)
  }\n\`\`\``;
}

function parseInput(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text; // a model wrote arguments that are not JSON: it reads them back as they were
  }
}

/** A window in OpenAI's chat format as the SDK's messages: system messages first, as instructions. */
export function promptOf(
  instructions: string,
  window: OpenAIMessage[],
): { instructions: SystemModelMessage[]; messages: ModelMessage[] } {
  const system: SystemModelMessage[] = [{ role: "system", content: instructions }];
  const messages: ModelMessage[] = [];
  const toolNames = new Map<string, string>();
  for (const message of window) {
    switch (message.role) {
      case "system":
        if (messages.length === 0) system.push({ role: "system", content: message.content });
        else messages.push({ role: "user", content: message.content }); // a later system message is not trusted as one
        break;
      case "user":
        messages.push({ role: "user", content: message.content });
        break;
      case "assistant": {
        const calls: ToolCallPart[] = (message.tool_calls ?? []).map((call) => {
          toolNames.set(call.id, call.function.name);
          return {
            type: "tool-call",
            toolCallId: call.id,
            toolName: call.function.name,
            input: parseInput(call.function.arguments),
          };
        });
        const text = message.content ? [{ type: "text" as const, text: message.content }] : [];
        messages.push({ role: "assistant", content: [...text, ...calls] });
        break;
      }
      case "tool":
        messages.push({
          role: "tool",
          content: [{
            type: "tool-result",
            toolCallId: message.tool_call_id,
            toolName: toolNames.get(message.tool_call_id) ?? "unknown",
            output: { type: "text", value: message.content },
          }],
        });
        break;
      case "function":
        messages.push({ role: "user", content: `${message.name} returned: ${message.content}` });
        break;
    }
  }
  return { instructions: system, messages };
}
