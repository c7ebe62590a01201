/**
 * Pages of this store's own export (docs/EXPORT.md) as import entries: each conversation again,
 * under a new id in the importing account, with its messages (parts and metadata included), its
 * title, pin, archive flag, tags, metadata and ratings. A conversation that an earlier page began
 * continues where that page ended (first_sequence). Fork links and retention are not carried over;
 * a reply that was still in progress comes back as incomplete.
 */
import type { ExportPage } from "../_shared/schemas.ts";
import type { ImportEntry, ImportMessage } from "./entries.ts";

type Exported = ExportPage["conversations"][number];

function toMessage(message: Exported["messages"][number]): ImportMessage {
  const fields: Record<string, unknown> = {
    role: message.role,
    client_message_id: message.client_message_id ?? `import:${message.id}`,
    status: message.status === "in_progress" ? "incomplete" : message.status,
  };
  const copied = message.parts === undefined
    ? ["content", "name", "function_call", "tool_calls", "tool_call_id", "metadata"] as const
    : ["parts", "name", "metadata"] as const;
  for (const field of copied) {
    if (message[field] != null) fields[field] = message[field];
  }
  return fields as ImportMessage;
}

export function storeExportEntries(page: ExportPage): ImportEntry[] {
  return page.conversations.map(({ conversation, first_sequence, messages, ratings }) => ({
    key: `export:${conversation.id}`,
    conversation: {
      title: conversation.title,
      pinned: conversation.pinned,
      archived: conversation.archived,
      tags: conversation.tags,
      metadata: conversation.metadata,
      ratings: ratings.map(({ sequence_order, rating, reason, comment }) => ({
        sequence_order,
        rating,
        reason,
        comment,
      })),
    },
    messages: messages.map(toMessage),
    firstSequence: first_sequence,
  }));
}
