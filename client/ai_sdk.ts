/**
 * The Vercel AI SDK (npm `ai`) and the store, both ways:
 *
 *   const { messages } = await store.context(conversationId, { maxTokens: 8000 });
 *   const result = await generateText({ model, tools, ...toModelPrompt(messages) });
 *   await store.append(conversationId, toStoreMessages(result.responseMessages));
 *
 * The store keeps OpenAI's chat format, so the mapping is the one the SDK's OpenAI provider makes:
 * an assistant's tool-call parts are its `tool_calls` (input as a JSON string), each tool-result
 * part is a `tool` message with its `tool_call_id`, and a result's output is stored as the text a
 * chat model reads (JSON as JSON text); it comes back as a text output. Reasoning parts are not
 * kept (chat models do not take their reasoning back as input), nor are tool approvals (the app's
 * business: the model reads the call and its result). Anything else that has no place in the chat
 * format, such as files, is refused with a TypeError rather than dropped silently.
 *
 * Only types are imported from the SDK: this module adds nothing to a bundle.
 */
import type {
  AssistantModelMessage,
  ModelMessage,
  SystemModelMessage,
  ToolCallPart,
  ToolModelMessage,
  ToolResultPart,
} from "ai";
import type { MessageInput, OpenAIMessage, ToolCall } from "./conversation_store.ts";

type ToolResultOutput = ToolResultPart["output"];

/**
 * A context window as generateText and streamText take it: the leading system messages (the
 * pinned system prompt and the summary) as `instructions`, the rest as `messages`. The SDK refuses
 * system messages among `messages` unless it is given `allowSystemInMessages: true`; a system
 * message later in a conversation stays there, for the app to decide whether it trusts it.
 */
export function toModelPrompt(messages: OpenAIMessage[]): {
  instructions: SystemModelMessage[] | undefined;
  messages: ModelMessage[];
} {
  const converted = toModelMessages(messages);
  const pinned = converted.findIndex((message) => message.role !== "system");
  const split = pinned === -1 ? converted.length : pinned;
  return {
    instructions: split === 0 ? undefined : converted.slice(0, split) as SystemModelMessage[],
    messages: converted.slice(split),
  };
}

/** OpenAI-format messages from the store (a context window, a history page) as the SDK's messages. */
export function toModelMessages(messages: OpenAIMessage[]): ModelMessage[] {
  const toolNames = new Map<string, string>();
  const result: ModelMessage[] = [];
  let legacyCallId: string | undefined;

  const toolResult = (toolCallId: string, content: string): ToolResultPart => {
    const toolName = toolNames.get(toolCallId);
    if (toolName === undefined) {
      throw new TypeError(`the result of tool call ${toolCallId} comes before its call`);
    }
    return { type: "tool-result", toolCallId, toolName, output: { type: "text", value: content } };
  };
  /** Results of one step go in one tool message, as the SDK itself writes them. */
  const addResult = (part: ToolResultPart) => {
    const last = result.at(-1);
    if (last?.role === "tool") last.content.push(part);
    else result.push({ role: "tool", content: [part] });
  };

  for (const [index, message] of messages.entries()) {
    switch (message.role) {
      case "system":
      case "user":
        result.push({ role: message.role, content: message.content });
        break;
      case "assistant": {
        const calls: ToolCallPart[] = (message.tool_calls ?? []).map((call) => ({
          type: "tool-call",
          toolCallId: call.id,
          toolName: call.function.name,
          input: parseArguments(call.function.arguments),
        }));
        if (message.function_call) {
          // The legacy function_call has no id; its function message follows it, so one is made up.
          legacyCallId = `function_call_${index}`;
          calls.push({
            type: "tool-call",
            toolCallId: legacyCallId,
            toolName: message.function_call.name,
            input: parseArguments(message.function_call.arguments),
          });
        }
        for (const call of calls) toolNames.set(call.toolCallId, call.toolName);
        const text = message.content ?? "";
        result.push({
          role: "assistant",
          content: calls.length === 0 ? text : [...(text ? [{ type: "text" as const, text }] : []), ...calls],
        });
        break;
      }
      case "tool":
        addResult(toolResult(message.tool_call_id, message.content));
        break;
      case "function":
        if (legacyCallId === undefined) {
          throw new TypeError("a function message comes before its function_call");
        }
        addResult(toolResult(legacyCallId, message.content));
        legacyCallId = undefined;
        break;
    }
  }
  return result;
}

/** The SDK's messages (a result's `responseMessages`, say) as messages to append to the store. */
export function toStoreMessages(messages: ModelMessage[]): MessageInput[] {
  return messages.flatMap((message): MessageInput[] => {
    switch (message.role) {
      case "system":
        return [{ role: "system", content: message.content }];
      case "user":
        return [{ role: "user", content: textOf(message.content, "user") }];
      case "assistant":
        return [assistantMessage(message)];
      case "tool":
        return toolMessages(message);
    }
  });
}

function assistantMessage(message: AssistantModelMessage): MessageInput {
  if (typeof message.content === "string") return { role: "assistant", content: message.content };
  const texts: string[] = [];
  const toolCalls: ToolCall[] = [];
  for (const part of message.content) {
    if (part.type === "text") texts.push(part.text);
    else if (part.type === "tool-call" && !part.providerExecuted) {
      toolCalls.push({
        id: part.toolCallId,
        type: "function",
        function: { name: part.toolName, arguments: JSON.stringify(part.input ?? {}) },
      });
    } else if (!["reasoning", "reasoning-file", "tool-approval-request"].includes(part.type)) {
      throw unstorable(part.type, "assistant");
    }
  }
  const content = texts.join("");
  return toolCalls.length === 0
    ? { role: "assistant", content }
    : { role: "assistant", content: content || null, tool_calls: toolCalls };
}

function toolMessages(message: ToolModelMessage): MessageInput[] {
  return message.content.flatMap((part): MessageInput[] =>
    part.type === "tool-result"
      ? [{ role: "tool", tool_call_id: part.toolCallId, content: outputText(part.output) }]
      : []
  );
}

/** The text a chat model reads for a tool's output. */
function outputText(output: ToolResultOutput): string {
  switch (output.type) {
    case "text":
    case "error-text":
      return output.value;
    case "json":
    case "error-json":
      return JSON.stringify(output.value);
    case "execution-denied":
      return output.reason ?? "Tool execution denied.";
    case "content":
      return output.value.map((part) => {
        if (part.type !== "text") throw unstorable(part.type, "tool result");
        return part.text;
      }).join("");
  }
}

function textOf(content: string | Array<{ type: string; text?: string }>, role: string): string {
  if (typeof content === "string") return content;
  return content.map((part) => {
    if (part.type !== "text") throw unstorable(part.type, role);
    return part.text;
  }).join("");
}

/** Tool arguments as the SDK takes them: parsed JSON, or the text itself when a model wrote broken JSON. */
function parseArguments(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

const unstorable = (type: string, where: string) =>
  new TypeError(`a ${type} part of a ${where} message has no place in the store's chat format`);
