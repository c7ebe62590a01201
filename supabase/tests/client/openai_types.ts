/**
 * Compiled, never run (openai_types_test.ts runs `deno check` on it): the store's context goes to
 * the official `openai` package as it is, and its answer comes back into the store. This is the
 * OpenAI example of docs/feed-a-model.md; no OpenAI call is made in the tests. The adapters of
 * client/openai.ts give the package's own types: chat messages with content-part arrays, and
 * Responses input items.
 */
import OpenAI from "openai";
import type { SupabaseClient } from "@supabase/supabase-js";
import type { ChatCompletionMessageParam } from "openai/resources/chat/completions";
import type { ConversationStore } from "../../../client/conversation_store.ts";
import { toChatMessages, toResponsesInput } from "../../../client/openai.ts";
import { signedStorageUrls } from "../../../client/storage_files.ts";

export async function answer(store: ConversationStore, openai: OpenAI, conversationId: string) {
  const { messages } = await store.context(conversationId, { maxTokens: 100_000 });
  const completion = await openai.chat.completions.create({ model: "gpt-4.1-mini", messages });
  const { content, tool_calls } = completion.choices[0].message;
  await store.append(conversationId, {
    role: "assistant",
    content,
    tool_calls: tool_calls?.filter((call) => call.type === "function"),
  });
}

export async function rowsAreNotChatMessages(store: ConversationStore, conversationId: string) {
  const rows = await store.contextRows(conversationId, { maxTokens: 100_000 });
  // @ts-expect-error: stored rows (sequence numbers, null fields) are not what the chat API takes
  const messages: ChatCompletionMessageParam[] = rows.messages;
  return messages;
}

export async function answerWithFiles(
  store: ConversationStore,
  openai: OpenAI,
  supabase: SupabaseClient,
  conversationId: string,
) {
  const { messages } = await store.context(conversationId, { maxTokens: 100_000 });
  const chat = await toChatMessages(messages, { resolveStorageUrl: signedStorageUrls(supabase) });
  return await openai.chat.completions.create({ model: "gpt-4.1-mini", messages: chat });
}

export async function respondWithReasoning(
  store: ConversationStore,
  openai: OpenAI,
  supabase: SupabaseClient,
  conversationId: string,
) {
  const window = await store.uiContext(conversationId, { maxTokens: 100_000, includeReasoning: true });
  return await openai.responses.create({
    model: "o4-mini",
    input: await toResponsesInput(window.messages, { resolveStorageUrl: signedStorageUrls(supabase) }),
    // Stateless: the reasoning goes back as encrypted content, which the store keeps in its parts.
    store: false,
    include: ["reasoning.encrypted_content"],
  });
}
