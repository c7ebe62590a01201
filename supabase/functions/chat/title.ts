/**
 * A title for a new chat: after the first reply of a conversation that has none, a short model call
 * (generateText) names it from the user's first message and the reply; the store keeps it unless
 * the user set a title meanwhile (conversation_store.set_generated_title writes only into a
 * conversation without one); the browser gets it as a transient `data-conversation-title` part
 * (`useChat`'s onData), so it lands in the sidebar without a reload and is never part of a message.
 *
 * A title is a nicety: any failure (the model, the store) leaves the conversation untitled and the
 * reply untouched. CHAT_TITLES=off turns it off. The call's usage is returned with the title, for
 * whatever counts the chat's usage to count it too.
 */
import { generateText, type LanguageModel, type LanguageModelUsage, type UIMessage } from "ai";
import type { Caller } from "../_shared/auth.ts";
import { setting } from "../_shared/config.ts";
import { asCaller } from "../_shared/db.ts";
import { sql } from "../_shared/sql.ts";
import { TITLE_MAX_CHARS } from "../_shared/schemas.ts";
import type { StoredReply } from "./stored_reply.ts";

/** How the model is asked. Short: a title is a few words. */
export const TITLE_INSTRUCTIONS = "Write a title of at most six words for this chat. " +
  "Answer with the title only: no quotes, no final punctuation.";
const TITLE_MAX_OUTPUT_TOKENS = 24;
/** How much of the first exchange the model reads: enough to know what it is about. */
const EXCERPT_CHARS = 2_000;

/** The UI chunk that carries a new title to the browser. */
export interface TitleChunk {
  type: "data-conversation-title";
  data: { title: string };
  transient: true;
}

/** The model's answer as a title: its first line, unquoted, without a final full stop, bounded. */
export function cleanTitle(text: string): string | null {
  const line = text.trim().split("\n")[0].trim()
    .replace(/^(title:\s*)/i, "")
    .replace(/^["'“”‘’«»*_`]+|["'“”‘’«»*_`]+$/g, "")
    .replace(/[.。!]+$/, "")
    .replace(/\s+/g, " ")
    .trim();
  return line === "" ? null : [...line].slice(0, TITLE_MAX_CHARS).join("");
}

function textOf(message: UIMessage | undefined): string {
  return (message?.parts ?? []).flatMap((part) => part.type === "text" ? [part.text] : []).join("\n");
}

/**
 * After `reply` (final, completed): the title written for its conversation, or null when none was
 * (not the first reply, already titled, titles off, or any failure).
 */
export async function titleAfterFirstReply(
  caller: Caller,
  reply: StoredReply,
  window: UIMessage[],
  model: LanguageModel,
  signal?: AbortSignal,
): Promise<{ title: string; usage: LanguageModelUsage } | null> {
  if (setting("CHAT_TITLES") === "off" || reply.status !== "completed") return null;
  try {
    // Untitled, and no assistant message before this reply: this was the first reply.
    const [[state]] = await asCaller(caller, [
      sql`select c.title is null
                 and not exists (select from public.conversation_messages m
                                 where m.conversation_id = c.id and m.role = 'assistant'
                                   and m.sequence_order < ${reply.sequence}) as wanted,
                 (select m.content from public.conversation_messages m
                  where m.conversation_id = c.id and m.sequence_order = ${reply.sequence}) as reply
          from public.conversations c where c.id = ${reply.conversationId}`,
    ]);
    if (!state?.wanted) return null;
    const question = textOf(window.findLast((message) => message.role === "user")).slice(0, EXCERPT_CHARS);
    const answer = String(state.reply ?? "").slice(0, EXCERPT_CHARS);
    const result = await generateText({
      model,
      system: TITLE_INSTRUCTIONS,
      prompt: `User: ${question}\n\nAssistant: ${answer}`,
      maxOutputTokens: TITLE_MAX_OUTPUT_TOKENS,
      abortSignal: signal,
    });
    const title = cleanTitle(result.text);
    if (title === null) return null;
    const [[stored]] = await asCaller(caller, [
      sql`select conversation_store.set_generated_title(${reply.conversationId}, ${title}) as title`,
    ]);
    // The user's own title, if they set one meanwhile, is not news to the browser.
    return stored?.title === title ? { title, usage: result.usage } : null;
  } catch (error) {
    console.error(JSON.stringify({
      level: "warn",
      event: "chat_title_failed",
      error: error instanceof Error ? error.name : "unknown",
    }));
    return null;
  }
}

export function titleChunk(title: string): TitleChunk {
  return { type: "data-conversation-title", data: { title }, transient: true };
}
