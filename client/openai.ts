/**
 * The official `openai` package and the store: windows typed as its Chat Completions messages
 * (content-part arrays where a message has files) and as Responses API input items.
 *
 *   const { messages } = await store.context(conversationId, { maxTokens: 8000 });
 *   await openai.chat.completions.create({ model, messages: await toChatMessages(messages, { resolveStorageUrl }) });
 *
 *   const window = await store.uiContext(conversationId, { maxTokens: 8000, includeReasoning: true });
 *   await openai.responses.create({ model, input: await toResponsesInput(window.messages, { resolveStorageUrl }) });
 *
 * Responses input is built from format=ui, which keeps what the chat format drops: reasoning (sent
 * back as reasoning items with their encrypted content, from the provider metadata the AI SDK's
 * OpenAI provider writes: `{ openai: { itemId, reasoningEncryptedContent } }`) and tool calls with
 * their outputs. Parts the Responses input has no item for are left out: sources, data parts,
 * step boundaries, files in assistant messages, reasoning without an OpenAI item id (another
 * provider's), and calls the provider ran itself (providerExecuted).
 *
 * Only types are imported from `openai`: this module adds nothing to a bundle.
 */
import type { UIMessage } from "ai";
import type {
  ChatCompletionContentPart,
  ChatCompletionMessageParam,
} from "openai/resources/chat/completions";
import type {
  ResponseInputContent,
  ResponseInputItem,
  ResponseReasoningItem,
} from "openai/resources/responses/responses";
import type { OpenAIMessage } from "./conversation_store.ts";
import { fetchableUrl, type ResolveStorageUrl } from "./storage_files.ts";
import { toolOutputText } from "../supabase/functions/_shared/tool_output.ts";

type Part = UIMessage["parts"][number];
type ToolPart = Extract<Part, { toolCallId: string }>;

/**
 * format=openai messages (store.context, store.history) as the chat API takes them, with image
 * URLs of Storage files resolved (format=openai names them storage://bucket/path).
 */
export async function toChatMessages(
  messages: OpenAIMessage[],
  options: { resolveStorageUrl?: ResolveStorageUrl } = {},
): Promise<ChatCompletionMessageParam[]> {
  return await Promise.all(messages.map(async (message) => {
    const content: unknown = message.content;
    if (!Array.isArray(content)) return message as ChatCompletionMessageParam;
    const parts = await Promise.all(
      (content as ChatCompletionContentPart[]).map(async (part) =>
        part.type === "image_url"
          ? {
            ...part,
            image_url: {
              ...part.image_url,
              url: await fetchableUrl(part.image_url.url, options.resolveStorageUrl),
            },
          }
          : part
      ),
    );
    return { ...message, content: parts } as ChatCompletionMessageParam;
  }));
}

/** UIMessages (format=ui: store.uiContext, loadUIMessages) as Responses API input items, in order. */
export async function toResponsesInput(
  messages: UIMessage[],
  options: { resolveStorageUrl?: ResolveStorageUrl } = {},
): Promise<ResponseInputItem[]> {
  const items: ResponseInputItem[] = [];
  for (const message of messages) {
    if (message.role === "assistant") items.push(...assistantItems(message.parts));
    else {
      const content = await inputContent(message.parts, options);
      if (content.length > 0) items.push({ role: message.role, content });
    }
  }
  return items;
}

async function inputContent(
  parts: Part[],
  options: { resolveStorageUrl?: ResolveStorageUrl },
): Promise<ResponseInputContent[]> {
  const content: ResponseInputContent[] = [];
  for (const part of parts) {
    if (part.type === "text") content.push({ type: "input_text", text: part.text });
    else if (part.type === "file") {
      const url = await fetchableUrl(part.url, options.resolveStorageUrl);
      if (part.mediaType.startsWith("image/")) {
        content.push({ type: "input_image", detail: "auto", image_url: url });
      } else {
        content.push({
          type: "input_file",
          ...(url.startsWith("data:") ? { file_data: url } : { file_url: url }),
          ...(part.filename === undefined ? {} : { filename: part.filename }),
        });
      }
    }
  }
  return content;
}

/**
 * An assistant message's items: its text as assistant messages, its reasoning as reasoning items
 * (consecutive parts of one OpenAI item as one item with several summaries, as the SDK splits them),
 * each tool call as a function_call followed by its function_call_output once it has one.
 */
function assistantItems(parts: Part[]): ResponseInputItem[] {
  const items: ResponseInputItem[] = [];
  let text = "";
  const flushText = () => {
    if (text !== "") items.push({ role: "assistant", content: text });
    text = "";
  };
  for (const part of parts) {
    if (part.type === "text") {
      text += part.text;
      continue;
    }
    if (part.type === "reasoning") {
      const openai = part.providerMetadata?.openai as
        | { itemId?: string; reasoningEncryptedContent?: string | null }
        | undefined;
      if (!openai?.itemId) continue;
      flushText();
      const last = items.at(-1) as ResponseReasoningItem | undefined;
      const item: ResponseReasoningItem = last?.type === "reasoning" && last.id === openai.itemId
        ? last
        : { type: "reasoning", id: openai.itemId, summary: [] };
      if (item !== last) items.push(item);
      if (part.text !== "") item.summary.push({ type: "summary_text", text: part.text });
      if (openai.reasoningEncryptedContent) item.encrypted_content = openai.reasoningEncryptedContent;
      continue;
    }
    if (isToolPart(part) && !part.providerExecuted && part.state !== "input-streaming") {
      flushText();
      const name = part.type === "dynamic-tool" ? part.toolName : part.type.slice("tool-".length);
      const itemId = (part.callProviderMetadata?.openai as { itemId?: string } | undefined)?.itemId;
      items.push({
        type: "function_call",
        call_id: part.toolCallId,
        name,
        arguments: JSON.stringify(part.input ?? {}),
        ...(itemId ? { id: itemId } : {}),
      });
      const output = outputText(part);
      if (output !== undefined) {
        items.push({ type: "function_call_output", call_id: part.toolCallId, output });
      }
    }
  }
  flushText();
  return items;
}

function isToolPart(part: Part): part is ToolPart {
  return part.type === "dynamic-tool" || part.type.startsWith("tool-");
}

/** What the model reads as a call's result, as the store's format=openai writes it (tool_output.ts). */
function outputText(part: ToolPart): string | undefined {
  return toolOutputText({
    state: part.state,
    output: part.state === "output-available" ? part.output : undefined,
    errorText: part.state === "output-error" ? part.errorText : undefined,
    deniedReason: part.state === "output-denied" ? part.approval.reason : undefined,
  });
}
