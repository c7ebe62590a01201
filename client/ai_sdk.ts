/**
 * The Vercel AI SDK (npm `ai`) and the store, both ways, in two shapes.
 *
 * UIMessages (what useChat and toUIMessageStream keep), stored as they are, with their parts
 * (docs/ai-sdk-messages.md):
 *
 *   const messages = [...(await loadUIMessages(store, chatId)), message];
 *   const result = streamText({ model, ...(await toModelPromptFromUI(messages, { resolveStorageUrl })) });
 *   return result.toUIMessageStreamResponse({
 *     originalMessages: messages,
 *     generateMessageId: createIdGenerator({ prefix: "msg" }),
 *     onFinish: ({ messages }) => saveUIMessages(store, chatId, messages),
 *   });
 *
 * saveUIMessages appends, by client_message_id = the UIMessage id, the messages the store does not
 * hold yet; loadUIMessages and store.uiContext read them back (format=ui) as they were written,
 * but for the few spots docs/ai-sdk-messages.md lists. The conversion is _shared/ui_parts.ts.
 *
 * ModelMessages (generateText's responseMessages) in the store's chat format, as before:
 *
 *   const { messages } = await store.context(conversationId, { maxTokens: 8000 });
 *   const result = await generateText({ model, tools, ...toModelPrompt(messages) });
 *   await store.append(conversationId, toStoreMessages(result.responseMessages));
 *
 * There the mapping is the one the SDK's OpenAI provider makes:
 * an assistant's tool-call parts are its `tool_calls` (input as a JSON string), each tool-result
 * part is a `tool` message with its `tool_call_id`, and a result's output is stored as the text a
 * chat model reads (JSON as JSON text); it comes back as a text output. Reasoning parts are not
 * kept (chat models do not take their reasoning back as input), nor are tool approvals (the app's
 * business: the model reads the call and its result). Anything else that has no place in the chat
 * format, such as files, is refused with a TypeError rather than dropped silently.
 */
import {
  type AssistantModelMessage,
  convertToModelMessages,
  type FilePart,
  type ImagePart,
  type ModelMessage,
  type SystemModelMessage,
  type TextPart,
  type ToolCallPart,
  type ToolModelMessage,
  type ToolResultPart,
  type ToolSet,
  type UIMessage,
} from "ai";
import { ApiError } from "../supabase/functions/_shared/errors.ts";
import { MAX_BATCH } from "../supabase/functions/_shared/schemas.ts";
import { type StoreMessageInput, toStoreMessage } from "../supabase/functions/_shared/ui_parts.ts";
import {
  type ConversationStore,
  ConversationStoreError,
  type Message,
  type MessageInput,
  type OpenAIContentPart,
  type OpenAIMessage,
  type ToolCall,
} from "./conversation_store.ts";
import { fetchableUrl, type ResolveStorageUrl } from "./storage_files.ts";

export { type ResolveStorageUrl, signedStorageUrls } from "./storage_files.ts";

type ToolResultOutput = ToolResultPart["output"];

/**
 * A context window as generateText and streamText take it: the leading system messages (the
 * pinned system prompt and the summary) as `instructions`, the rest as `messages`. The SDK refuses
 * system messages among `messages` unless it is given `allowSystemInMessages: true`; a system
 * message later in a conversation stays there, for the app to decide whether it trusts it.
 */
export function toModelPrompt(messages: OpenAIMessage[]): ModelPrompt {
  return splitInstructions(toModelMessages(messages));
}

export interface ModelPrompt {
  instructions: SystemModelMessage[] | undefined;
  messages: ModelMessage[];
}

function splitInstructions(converted: ModelMessage[]): ModelPrompt {
  const pinned = converted.findIndex((message) => message.role !== "system");
  const split = pinned === -1 ? converted.length : pinned;
  return {
    instructions: split === 0 ? undefined : converted.slice(0, split) as SystemModelMessage[],
    messages: converted.slice(split),
  };
}

/**
 * UIMessages with their storage:// file URLs resolved (a copy; other parts untouched). Without a
 * resolver a Storage file is refused with a TypeError: no model can fetch a storage:// URL.
 */
export async function resolveStorageUrls(
  messages: UIMessage[],
  resolve?: ResolveStorageUrl,
): Promise<UIMessage[]> {
  return await Promise.all(messages.map(async (message) => ({
    ...message,
    parts: await Promise.all(
      message.parts.map(async (part) =>
        part.type === "file" ? { ...part, url: await fetchableUrl(part.url, resolve) } : part
      ),
    ),
  })));
}

/**
 * UIMessages from the store (loadUIMessages, store.uiContext) as generateText and streamText take
 * them: the SDK's own convertToModelMessages (files, reasoning with its provider metadata, tool
 * calls and results, approvals), Storage files resolved first, and the leading system messages
 * as `instructions` as in toModelPrompt. `tools` lets a tool's toModelOutput shape its results.
 */
export async function toModelPromptFromUI(
  messages: UIMessage[],
  options: { resolveStorageUrl?: ResolveStorageUrl; tools?: ToolSet } = {},
): Promise<ModelPrompt> {
  const resolved = await resolveStorageUrls(messages, options.resolveStorageUrl);
  return splitInstructions(await convertToModelMessages(resolved, { tools: options.tools }));
}

/** Every message of a conversation as UIMessages (format=ui), oldest first. */
export async function loadUIMessages(store: ConversationStore, conversationId: string): Promise<UIMessage[]> {
  const messages: UIMessage[] = [];
  // The largest pages: a tool result is folded into its call only when both are on one page.
  for await (const page of store.uiPages(conversationId, { limit: 1000 })) messages.push(...page.messages);
  return messages;
}

/**
 * Stores a chat's UIMessages (onFinish's `messages`, or toUIMessageStream's `originalMessages`
 * plus the reply), oldest first: appends, in one batch per 100, every message after the newest one
 * the store already holds, each with client_message_id = its id, so a retry or a second call
 * stores nothing twice. That newest one is looked for among the conversation's last rows, as many
 * as there are messages (tool rows aside); when none is there, all are appended (a message stored
 * with the same id is then a replay, or a 422 if it differs).
 *
 * A message the store holds cannot change (messages are final once stored): one whose parts or
 * metadata differ from the stored ones is refused (idempotency_conflict, 422) rather than dropped.
 * A message that cannot be stored is refused (invalid_request, 400) before anything is written.
 * Returns the messages appended.
 */
export async function saveUIMessages(
  store: ConversationStore,
  conversationId: string,
  messages: UIMessage[],
): Promise<{ appended: Message[] }> {
  const inputs = messages.map(storeInput);
  const positions = new Map(inputs.map((input, index) => [input.client_message_id, index]));
  const newest = await newestStored(store, conversationId, positions);
  if (newest) {
    const given = inputs[newest.index];
    if (
      newest.row.parts && !newest.answered && !sameJson(
        { parts: given.parts, metadata: given.metadata },
        { parts: newest.row.parts, metadata: newest.row.metadata ?? undefined },
      )
    ) {
      throw new ConversationStoreError(
        "idempotency_conflict",
        `message ${given.client_message_id} is stored with other parts or metadata; stored messages do not change`,
        422,
      );
    }
  }
  const pending = inputs.slice(newest ? newest.index + 1 : 0);
  const appended: Message[] = [];
  for (let start = 0; start < pending.length; start += MAX_BATCH) {
    const { messages: rows } = await store.append(conversationId, pending.slice(start, start + MAX_BATCH));
    appended.push(...rows);
  }
  return { appended };
}

function storeInput(message: UIMessage): StoreMessageInput {
  try {
    return toStoreMessage(message);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    throw new ConversationStoreError(error.code, error.message, error.status, error.details);
  }
}

/**
 * The newest stored row that is one of the given messages (by client_message_id, or by row id for
 * a message format=ui read from a row without one), walking the history back from its end. Each
 * message stands for one row besides the tool rows folded into it, so the walk gives up after as
 * many other rows as there are messages: its cost follows what is saved, not the conversation.
 * `answered`: tool rows after it answer its calls, which format=ui folds into the message, so its
 * stored parts are not the whole of what was read.
 */
async function newestStored(
  store: ConversationStore,
  conversationId: string,
  positions: Map<string, number>,
) {
  let answered = false;
  let passed = 0;
  const limit = Math.min(positions.size + 10, 100);
  for await (const page of store.pages(conversationId, { order: "desc", limit })) {
    for (const row of page.messages as Message[]) {
      const index = positions.get(row.client_message_id ?? row.id);
      if (index !== undefined) return { row, index, answered };
      answered = row.role === "tool" || row.role === "function";
      if (!answered && ++passed >= positions.size) return undefined;
    }
  }
  return undefined;
}

/** Equal as JSON, whatever the key order (jsonb keeps its own). */
function sameJson(a: unknown, b: unknown): boolean {
  const canonical = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(canonical)
      : value !== null && typeof value === "object"
      ? Object.fromEntries(
        Object.entries(value).filter(([, v]) => v !== undefined).sort(([x], [y]) => x < y ? -1 : 1)
          .map(([k, v]) => [k, canonical(v)]),
      )
      : value;
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
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
        result.push({ role: "system", content: message.content });
        break;
      case "user":
        result.push({
          role: "user",
          content: typeof message.content === "string" ? message.content : message.content.map(userContent),
        });
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

/**
 * A content part of a user message with files (format=openai) as the SDK's. format=openai names a
 * Storage image by a storage:// URL and a file by its name alone unless it is inline: those are
 * refused with a TypeError, as toModelPromptFromUI reads them (format=ui) and resolves them.
 */
function userContent(part: OpenAIContentPart): TextPart | ImagePart | FilePart {
  const unreadable = (what: string) =>
    new TypeError(`${what} cannot be sent from format=openai: use store.uiContext and toModelPromptFromUI`);
  switch (part.type) {
    case "text":
      return { type: "text", text: part.text };
    case "image_url":
      if (part.image_url.url.startsWith("storage:")) throw unreadable(part.image_url.url);
      return { type: "image", image: new URL(part.image_url.url) };
    case "file": {
      const data = part.file.file_data;
      if (!data?.startsWith("data:")) throw unreadable(`file ${part.file.filename ?? ""}`);
      return {
        type: "file",
        data: new URL(data),
        mediaType: data.slice("data:".length, data.search(/[;,]/)),
        ...(part.file.filename === undefined ? {} : { filename: part.file.filename }),
      };
    }
  }
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
