/**
 * AI SDK UIMessages (npm `ai`, camelCase parts) as the store's messages (snake_case parts, the
 * vocabulary of parts.ts): exactly the inverse of conversation_store.ui_part and ui_message
 * (migration 20261206000400_part_formats.sql), so a UIMessage stored with toStoreMessage reads back
 * equal through format=ui.
 *
 *   ui                                     store
 *   text, reasoning, step-start            same type
 *   file {mediaType, url}                  file {media_type, url}
 *   file {url: "storage://bucket/path"}    file {storage: {bucket, path}}
 *   tool-<name> {toolCallId, ...}          tool-call {tool_name: <name>, tool_call_id, ...}
 *   dynamic-tool {toolName, ...}           tool-call {tool_name, dynamic: true, ...}
 *   callProviderMetadata (tool parts)      provider_metadata
 *   source-url, source-document            source {source_type: "url" | "document", ...}
 *   data-<name> {id, data}                 data {name: <name>, id, data}
 *   custom {kind}, reasoning-file {mediaType, url}   same type, snake_case keys (ai@7)
 *
 * What has no place in the store is refused (400 invalid_request naming the part and the key),
 * never dropped: part types the store has no kind for (steering-message) and
 * keys it has no field for (citations, providerReference, toolMetadata, inputEncoding, a dynamic-tool's
 * `dynamic: false`). One key is left out on purpose: a reasoning part's `id`, the id of the stream
 * block it came from, which the SDK sets on every streamed reasoning part and never reads again
 * (convertToModelMessages ignores it); refusing it would refuse every reply of a reasoning model.
 * Values are checked by the same zod schema as every write (schemas.ts messageInput), so sizes
 * aside, what this returns the store accepts.
 *
 * Pure TypeScript without I/O; only types come from the SDK.
 */
import type { UIMessage } from "ai";
import type { z } from "zod";
import { ApiError } from "./errors.ts";
import type { Part } from "./part_vocabulary.ts";
import { messageInput } from "./schemas.ts";

/** How format=ui names a file kept in Storage: `storage://<bucket>/<path>`. */
const STORAGE_URL_PREFIX = "storage://";

type UIPart = UIMessage["parts"][number];

/** A UIMessage as a message to append: its id as the client_message_id, so replays are idempotent. */
export type StoreMessageInput = z.output<typeof messageInput> & {
  client_message_id: string;
  role: UIMessage["role"];
  parts: Part[];
};

/**
 * UI key → store key, for each kind of part; a key not listed cannot be stored. The one table of these
 * renames: conversation_store.ui_part's is checked against it (tests/database/typescript_sql_agreement_test.ts).
 */
const PROVIDER_METADATA = { providerMetadata: "provider_metadata" };
const TEXT_KEYS = { text: "text", state: "state", ...PROVIDER_METADATA };
export const KEYS: Record<string, Record<string, string>> = {
  text: TEXT_KEYS,
  reasoning: TEXT_KEYS,
  "step-start": {},
  file: { mediaType: "media_type", filename: "filename", ...PROVIDER_METADATA },
  tool: {
    toolCallId: "tool_call_id",
    state: "state",
    input: "input",
    rawInput: "raw_input",
    output: "output",
    errorText: "error_text",
    providerExecuted: "provider_executed",
    preliminary: "preliminary",
    title: "title",
    approval: "approval",
    callProviderMetadata: "provider_metadata",
    resultProviderMetadata: "result_provider_metadata",
  },
  "source-url": { sourceId: "source_id", url: "url", title: "title", ...PROVIDER_METADATA },
  "source-document": {
    sourceId: "source_id",
    mediaType: "media_type",
    title: "title",
    filename: "filename",
    ...PROVIDER_METADATA,
  },
  data: { id: "id", data: "data" },
  custom: { kind: "kind", ...PROVIDER_METADATA },
  "reasoning-file": { mediaType: "media_type", url: "url", ...PROVIDER_METADATA },
};

/** Keys that are not renamed: turned into other fields below, or (reasoning id) not kept. */
const SPECIAL_KEYS: Record<string, string[]> = {
  file: ["url"],
  "dynamic-tool": ["toolName"],
  reasoning: ["id"],
};

/**
 * One UI part as a store part. Throws ApiError invalid_request for a part the store has no kind or
 * field for; its values are checked with the whole message (toStoreMessage).
 */
export function toStorePart(part: UIPart, index = 0): Part {
  if (typeof part !== "object" || part === null || typeof part.type !== "string") {
    throw unstorable(index, "unknown", "a part is an object with a type");
  }
  const kind = kindOf(part.type);
  if (kind === undefined) throw unstorable(index, part.type, `the store has no ${part.type} part`);
  const renames = KEYS[kind.keys]; // kindOf names only own keys of KEYS
  const stored: Record<string, unknown> = { ...kind.fixed };
  for (const [key, value] of Object.entries(part)) {
    // JSON drops undefined values, and so does the store.
    if (key === "type" || value === undefined || ownValue(SPECIAL_KEYS, part.type)?.includes(key)) continue;
    const storeKey = ownValue(renames, key);
    if (storeKey === undefined) {
      throw unstorable(index, part.type, `the store has no field for its ${key}`);
    }
    stored[storeKey] = value;
  }
  // A missing or malformed url is left for the schema to name.
  if (part.type === "file" && typeof part.url === "string") Object.assign(stored, fileLocation(part.url));
  if (part.type === "dynamic-tool") Object.assign(stored, { tool_name: part.toolName, dynamic: true });
  return stored as Part;
}

/**
 * A UIMessage as a message for append-message, start-conversation or public.append_messages:
 * client_message_id = id, role, parts, and metadata when set (a JSON object). Throws ApiError
 * invalid_request when it cannot be stored as it is (the details list what is wrong).
 */
export function toStoreMessage(message: UIMessage): StoreMessageInput {
  if (!["system", "user", "assistant"].includes(message.role)) {
    throw new ApiError(
      "invalid_request",
      `message ${message.id} has role ${message.role}, not a UIMessage role`,
    );
  }
  if (!Array.isArray(message.parts)) {
    throw new ApiError("invalid_request", `message ${message.id} has no parts`);
  }
  const parsed = messageInput.safeParse({
    client_message_id: message.id,
    role: message.role,
    parts: message.parts.map(toStorePart),
    metadata: message.metadata,
  });
  if (!parsed.success) {
    const [first] = parsed.error.issues;
    throw new ApiError(
      "invalid_request",
      `message ${message.id} cannot be stored: ${first.path.join(".") || "message"}: ${first.message}`,
      parsed.error.issues,
    );
  }
  return parsed.data as StoreMessageInput;
}

/** The store part a UI part type maps to: which key table it uses, and the fields its type gives. */
function kindOf(type: string): { keys: string; fixed: Record<string, unknown> } | undefined {
  if (type.startsWith("tool-")) {
    return { keys: "tool", fixed: { type: "tool-call", tool_name: type.slice(5) } };
  }
  if (type === "dynamic-tool") return { keys: "tool", fixed: { type: "tool-call" } };
  if (type.startsWith("data-")) return { keys: "data", fixed: { type: "data", name: type.slice(5) } };
  if (type === "source-url" || type === "source-document") {
    return { keys: type, fixed: { type: "source", source_type: type.slice(7) } };
  }
  if (Object.hasOwn(KEYS, type) && type !== "tool" && type !== "data") return { keys: type, fixed: { type } };
  return undefined;
}

/** A storage:// URL is a reference to a Storage object; any other URL is kept as it is. */
function fileLocation(url: string): { url: string } | { storage: { bucket: string; path: string } } {
  const storage = storageLocation(url);
  return storage ? { storage } : { url };
}

/** The Storage object a storage://<bucket>/<path> URL names (bucket names hold no slash), or undefined. */
export function storageLocation(url: string): { bucket: string; path: string } | undefined {
  if (!url.startsWith(STORAGE_URL_PREFIX)) return undefined;
  const location = url.slice(STORAGE_URL_PREFIX.length);
  const slash = location.indexOf("/");
  return { bucket: location.slice(0, Math.max(slash, 0)), path: location.slice(slash + 1) };
}

/**
 * A table's entry for a key the user chose, never one inherited from Object.prototype: a part type
 * "constructor" or a key "__proto__" is unknown, not a function or the prototype.
 */
function ownValue<T>(table: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

function unstorable(index: number, type: string, reason: string): ApiError {
  return new ApiError("invalid_request", `part ${index} (${type}) cannot be stored: ${reason}`, {
    part_index: index,
    type,
  });
}
