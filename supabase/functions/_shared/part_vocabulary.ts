/**
 * Message parts: the store's vocabulary of typed message pieces (docs/MESSAGE_PARTS.md), the same
 * rule as conversation_store.part_problem and check_parts (migration 20261206000200_message_parts.sql).
 *
 * Sizes are the database's to enforce (413): the inline-file limit, the 512 KiB of parts. The
 * Storage owner's folder is checked there too (403 storage_path_forbidden), since only the
 * database knows the conversation's owner.
 */
import { z } from "zod";

export const MAX_PARTS = 1000;
/** The largest data: URL a file part may carry inline (conversation_store.inline_file_max_chars). */
export const INLINE_FILE_MAX_CHARS = 65_536;
/** Tokens counted for a file part, whatever it holds (conversation_store.file_token_estimate). */
export const FILE_TOKEN_ESTIMATE = 1_000;

export const MAX_JSON_DEPTH = 32;
/** The most file parts one message may hold (conversation_store.max_file_parts). */
export const MAX_FILE_PARTS = 100;
/** A Storage bucket id: no "/" or "." that could name a path inside another bucket or folder. */
export const BUCKET_ID = /^[a-z0-9_-]{1,100}$/;

function storable(value: string): boolean {
  return !value.includes("\u0000") && value.isWellFormed();
}

export const text = z.string().refine(storable, {
  error: "must not contain NUL characters or lone surrogates",
});

/** Walks a JSON value without recursion: depth within limits, every key and string storable. */
function storableJson(value: unknown): boolean {
  const pending: Array<[unknown, number]> = [[value, 1]];
  while (pending.length > 0) {
    const [current, depth] = pending.pop()!;
    if (typeof current === "string" && !storable(current)) return false;
    if (current === null || typeof current !== "object") continue;
    if (depth > MAX_JSON_DEPTH) return false;
    for (const [key, child] of Object.entries(current)) {
      if (!Array.isArray(current) && !storable(key)) return false;
      pending.push([child, depth + 1]);
    }
  }
  return true;
}

const storableError = {
  error: `must be nested at most ${MAX_JSON_DEPTH} levels deep, without NUL characters or lone surrogates`,
};
export const json = z.json().refine(storableJson, storableError);
export const jsonObject = z.record(z.string(), z.json()).refine(storableJson, storableError);

const id = text.min(1).max(128);
const textState = z.enum(["streaming", "done"]);

export const TOOL_STATES = [
  "input-streaming",
  "input-available",
  "approval-requested",
  "approval-responded",
  "output-available",
  "output-error",
  "output-denied",
] as const;

const textPart = z.strictObject({
  type: z.literal("text"),
  text,
  state: textState.optional(),
  provider_metadata: jsonObject.optional(),
});
const reasoningPart = textPart.extend({ type: z.literal("reasoning") });

/** Folder names are compared as written: no empty, "." or ".." segment may hide another folder. */
const storagePath = text.min(1).max(1024).refine((path) => !`/${path}/`.match(/\/\.{0,2}\//), {
  error: "must not have an empty, . or .. segment",
});

const filePart = z.strictObject({
  type: z.literal("file"),
  media_type: text.min(1).max(255),
  filename: text.optional(),
  url: text.regex(/^(https?|data):/, { error: "must be an http:, https: or data: URL" }).optional(),
  storage: z.strictObject({
    bucket: z.string().regex(BUCKET_ID, { error: "must be 1-100 lowercase letters, digits, _ or -" }),
    path: storagePath,
  }).optional(),
  provider_metadata: jsonObject.optional(),
}).refine((part) => (part.url === undefined) !== (part.storage === undefined), {
  error: "a file part needs exactly one of url and storage",
});

const toolCallPart = z.strictObject({
  type: z.literal("tool-call"),
  tool_call_id: id,
  tool_name: id,
  state: z.enum(TOOL_STATES),
  input: json.optional(),
  raw_input: json.optional(),
  output: json.optional(),
  error_text: text.optional(),
  provider_executed: z.boolean().optional(),
  dynamic: z.boolean().optional(),
  preliminary: z.boolean().optional(),
  title: text.optional(),
  approval: jsonObject.optional(),
  provider_metadata: jsonObject.optional(),
  result_provider_metadata: jsonObject.optional(),
});

const toolResultPart = z.strictObject({
  type: z.literal("tool-result"),
  tool_call_id: id,
  tool_name: text.max(128),
  output: json.optional(),
  error_text: text.optional(),
});

const sourcePart = z.strictObject({
  type: z.literal("source"),
  source_type: z.enum(["url", "document"]),
  source_id: text,
  url: text.regex(/^https?:\/\//i, { error: "must be an http: or https: URL" }).optional(),
  title: text.optional(),
  media_type: text.optional(),
  filename: text.optional(),
  provider_metadata: jsonObject.optional(),
});

const dataPart = z.strictObject({
  type: z.literal("data"),
  name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, { error: "must be 1-64 letters, digits, _ or -" }),
  id: text.optional(),
  data: json,
});

const stepStartPart = z.strictObject({ type: z.literal("step-start") });

/** ai@7 provider-specific content (migration 20261207000410_ai7_parts.sql). */
const customPart = z.strictObject({
  type: z.literal("custom"),
  kind: text.max(256).regex(/^[^.]+\.[^.]/, { error: 'must be "<provider>.<type>"' }),
  provider_metadata: jsonObject.optional(),
});

/** ai@7: a file the model produced while reasoning. */
const reasoningFilePart = z.strictObject({
  type: z.literal("reasoning-file"),
  media_type: text.min(1).max(255),
  url: text.regex(/^(https?|data):/, { error: "must be an http:, https: or data: URL" }),
  provider_metadata: jsonObject.optional(),
});

export const part = z.discriminatedUnion("type", [
  textPart,
  reasoningPart,
  filePart,
  toolCallPart,
  toolResultPart,
  sourcePart,
  dataPart,
  stepStartPart,
  customPart,
  reasoningFilePart,
]);

export const parts = z.array(part).min(1).max(MAX_PARTS).refine(
  (list) => list.filter((item) => item.type === "file").length <= MAX_FILE_PARTS,
  { error: `a message holds at most ${MAX_FILE_PARTS} file parts` },
);

export type Part = z.infer<typeof part>;
export type TextPart = z.infer<typeof textPart>;
export type ToolCallPart = z.infer<typeof toolCallPart>;

/**
 * The role rules of conversation_store.check_parts: tool-call parts only in assistant messages; a
 * tool message is exactly one tool-result part. Returns what is wrong, or null.
 */
export function roleProblem(role: string, list: Part[]): string | null {
  for (const [index, item] of list.entries()) {
    if (item.type === "tool-call" && role !== "assistant") {
      return `part ${index} is a tool-call, which only an assistant message holds`;
    }
    if (item.type === "tool-result" && role !== "tool") {
      return `part ${index} is a tool-result, which only a tool message holds`;
    }
    if (role === "tool" && item.type !== "tool-result") {
      return `part ${index} is not a tool-result, which a tool message is`;
    }
  }
  return role === "tool" && list.length !== 1 ? "a tool message is exactly one tool-result part" : null;
}
