/**
 * ChatGPT's data export (conversations.json) as import entries.
 *
 * A ChatGPT conversation is a tree (`mapping`: nodes with a parent and children): every edit or
 * regeneration starts a branch. The branch from the root to `current_node` is what ChatGPT shows,
 * and becomes the conversation; every other leaf's branch becomes a fork of it, copying the
 * messages the two share (fork_conversation) and continuing with its own. A branch that shares
 * no message with the conversation becomes a conversation of its own.
 *
 * Kept: the text of user, assistant and system messages (text parts, joined by line breaks).
 * Left out: nodes without a message, hidden and empty messages, tool messages (browsing, code
 * output), and non-text parts (images, audio), which the export holds as references to files it
 * does not include.
 */
import { z } from "zod";
import type { ImportEntry, ImportMessage } from "./entries.ts";
import { TITLE_MAX_CHARS } from "../_shared/schemas.ts";

const node = z.object({
  parent: z.string().nullable().optional(),
  children: z.array(z.string()).max(10_000).default([]),
  message: z.object({
    author: z.object({ role: z.string() }),
    content: z.object({
      content_type: z.string().optional(),
      parts: z.array(z.unknown()).optional(),
      text: z.string().optional(),
    }).nullable().optional(),
    metadata: z.record(z.string(), z.unknown()).nullable().optional(),
  }).nullable().optional(),
});

const conversation = z.object({
  id: z.string().min(1).max(200).optional(),
  conversation_id: z.string().min(1).max(200).optional(),
  title: z.string().nullable().optional(),
  create_time: z.number().nullable().optional(),
  update_time: z.number().nullable().optional(),
  mapping: z.record(z.string().max(200), node),
  current_node: z.string().nullable().optional(),
}).refine((value) => value.conversation_id ?? value.id, { error: "a conversation needs its id" });

/** conversations.json: an array of conversations. */
export const chatgptExport = z.array(conversation).min(1).max(100_000);
export type ChatgptExport = z.infer<typeof chatgptExport>;
type Conversation = ChatgptExport[number];
type Node = z.infer<typeof node>;

const ROLES = new Set(["user", "assistant", "system"]);

/** A node's message as the store takes it, or null when it is not one to keep. */
function toMessage(id: string, node: Node): ImportMessage | null {
  const message = node.message;
  if (!message || !ROLES.has(message.author.role) || message.metadata?.is_visually_hidden_from_conversation) {
    return null;
  }
  const parts = message.content?.parts?.filter((part): part is string => typeof part === "string") ?? [];
  const text = (parts.length > 0 ? parts.join("\n") : message.content?.text ?? "").trim();
  if (text === "") return null;
  return {
    role: message.author.role as ImportMessage["role"],
    content: text,
    client_message_id: `chatgpt:${id}`.slice(0, 128),
  };
}

/** The node ids from the root down to `leaf` (a cycle or a missing parent ends the walk). */
function branch(mapping: Conversation["mapping"], leaf: string): string[] {
  const path: string[] = [];
  const seen = new Set<string>();
  for (
    let id: string | null | undefined = leaf;
    id && mapping[id] && !seen.has(id);
    id = mapping[id].parent
  ) {
    seen.add(id);
    path.push(id);
  }
  return path.reverse();
}

function iso(seconds: number | null | undefined): string | null {
  return typeof seconds === "number" && Number.isFinite(seconds)
    ? new Date(seconds * 1000).toISOString()
    : null;
}

/** One conversation of the export: its shown branch, then a fork per other leaf. */
function conversationEntries(source: Conversation): ImportEntry[] {
  const id = (source.conversation_id ?? source.id)!;
  const key = `chatgpt:${id}`;
  const { mapping } = source;
  const leaves = Object.keys(mapping).filter((nodeId) => mapping[nodeId].children.length === 0);
  const shown = source.current_node && mapping[source.current_node]
    ? source.current_node
    : leaves[leaves.length - 1];
  const messagesOf = (ids: string[]) => ids.flatMap((nodeId) => toMessage(nodeId, mapping[nodeId]) ?? []);
  const mainPath = shown ? branch(mapping, shown) : [];
  const title = source.title?.trim().replace(/\s+/g, " ").slice(0, TITLE_MAX_CHARS) || undefined;
  const metadata = {
    import: {
      source: "chatgpt",
      id,
      created_at: iso(source.create_time),
      updated_at: iso(source.update_time),
    },
  };
  const entries: ImportEntry[] = [{
    key,
    conversation: { title, metadata },
    messages: messagesOf(mainPath),
    firstSequence: 1,
  }];
  for (const leaf of leaves) {
    if (leaf === shown) continue;
    const path = branch(mapping, leaf);
    let shared = 0;
    while (shared < path.length && shared < mainPath.length && path[shared] === mainPath[shared]) shared++;
    const own = messagesOf(path.slice(shared));
    if (own.length === 0) continue;
    const through = messagesOf(mainPath.slice(0, shared)).length;
    entries.push({
      key: `${key}:${leaf}`.slice(0, 300),
      conversation: { title, metadata },
      messages: through === 0 ? messagesOf(path) : own,
      firstSequence: through + 1,
      ...(through === 0 ? {} : { fork: { key, through } }),
    });
  }
  return entries;
}

export function chatgptEntries(file: ChatgptExport): ImportEntry[] {
  return file.flatMap(conversationEntries);
}
