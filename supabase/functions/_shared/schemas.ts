/**
 * zod schemas: the one description of every request and response of the API.
 *
 * Requests are strict (unknown fields are refused). Text may not hold a NUL character or a lone
 * surrogate, which PostgreSQL cannot store. Size limits are the database's to enforce (they answer
 * 413), except the body cap in http.ts; nesting depth is limited here because it is cheap to check.
 * The message shapes match the table's constraints (migration 20261125000500_message_shape.sql),
 * so the edge functions and supabase.rpc() accept exactly the same messages.
 */
import { z } from "zod";
import { jsonObject, MAX_JSON_DEPTH, MAX_PARTS, part, parts, roleProblem, text } from "./part_vocabulary.ts";

export const MAX_BATCH = 100;
export { MAX_JSON_DEPTH };
const MAX_SEQUENCE = 2_147_483_647;

const uuid = z.guid({ error: "must be a UUID" }).transform((value) => value.toLowerCase());

/** Integers arrive as numbers in JSON bodies and as digit strings in query strings. */
function integer(min: number, max: number) {
  return z.preprocess(
    (value) => typeof value === "string" && /^-?\d{1,12}$/.test(value) ? Number(value) : value,
    z.number().int().min(min).max(max),
  );
}

/** Booleans arrive as JSON booleans in bodies and as "true" or "false" in query strings. */
function flag() {
  return z.preprocess(
    (value) => value === "true" ? true : value === "false" ? false : value,
    z.boolean({ error: "must be true or false" }),
  );
}

export const ROLES = ["system", "user", "assistant", "function", "tool"] as const;
export const STATUSES = ["in_progress", "completed", "incomplete"] as const;
/** A stored message's status: also awaiting_input, which only the chat function sets (tool approvals). */
export const STORED_STATUSES = ["in_progress", "awaiting_input", "completed", "incomplete"] as const;

export const functionCall = z.strictObject({ name: text, arguments: text });
export const toolCall = z.strictObject({
  id: text.min(1).max(128),
  type: z.literal("function"),
  function: functionCall,
});
export const toolCalls = z.array(toolCall).min(1).max(128);

export const messageInput = z.strictObject({
  role: z.enum(ROLES),
  content: text.nullable().optional(),
  name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, { error: "must be 1-64 letters, digits, _ or -" })
    .optional(),
  function_call: functionCall.optional(),
  tool_calls: toolCalls.optional(),
  tool_call_id: text.min(1).max(128).optional(),
  client_message_id: text.min(1).max(128).optional(),
  status: z.enum(STATUSES).optional(),
  parts: parts.optional(),
  metadata: jsonObject.optional(),
}).superRefine((message, context) => {
  const makesCall = message.function_call !== undefined || message.tool_calls !== undefined;
  const rule = (ok: boolean, path: string, error: string) =>
    ok || context.addIssue({ code: "custom", path: [path], message: error });
  rule(
    message.content != null || message.parts !== undefined || (message.role === "assistant" && makesCall) ||
      message.status === "in_progress",
    "content",
    "is required, except with parts, for an assistant message with function_call or tool_calls, or a reply in progress",
  );
  // One source of truth per row: the database derives content, tool_calls and tool_call_id from parts.
  rule(
    message.parts === undefined ||
      [message.content, message.function_call, message.tool_calls, message.tool_call_id].every((field) =>
        field == null
      ),
    "parts",
    "come instead of content, function_call, tool_calls and tool_call_id, not beside them",
  );
  const partsProblem = message.parts && roleProblem(message.role, message.parts);
  rule(!partsProblem, "parts", partsProblem ?? "");
  rule(
    message.role === "assistant" || !makesCall,
    "role",
    "only an assistant message carries function_call or tool_calls",
  );
  rule(
    message.role !== "function" || message.name !== undefined,
    "name",
    "is required for a function message",
  );
  rule(
    message.role === "tool" || message.tool_call_id === undefined,
    "tool_call_id",
    "is only for a tool message",
  );
  rule(
    message.role !== "tool" || message.tool_call_id !== undefined || message.parts !== undefined,
    "tool_call_id",
    "is required for a tool message (or a tool-result part)",
  );
  rule(
    message.status !== "in_progress" || message.role === "assistant",
    "status",
    "only an assistant reply may be in_progress",
  );
});

function distinctClientIds(messages: Array<{ client_message_id?: string }>): boolean {
  const ids = messages.flatMap((message) => message.client_message_id ?? []);
  return new Set(ids).size === ids.length;
}

const messageBatch = z.array(messageInput).min(1).max(MAX_BATCH)
  .refine(distinctClientIds, { error: "client_message_id values must be distinct" })
  .refine(
    (messages) =>
      messages.every((message, index) => message.status !== "in_progress" || index === messages.length - 1),
    {
      error: "only the last message of a batch may be in_progress",
    },
  );

const retentionSeconds = integer(60, 315_360_000);

export const startConversationRequest = z.strictObject({
  id: uuid.optional(),
  video_id: uuid.nullable().optional(),
  metadata: jsonObject.optional(),
  messages: messageBatch.optional(),
  user_id: uuid.optional(),
  retention_seconds: retentionSeconds.optional(),
});

export const appendMessageRequest = z.strictObject({
  conversation_id: uuid,
  message: messageInput.optional(),
  messages: messageBatch.optional(),
  expected_last_sequence: integer(0, MAX_SEQUENCE).optional(),
}).refine((request) => (request.message === undefined) !== (request.messages === undefined), {
  error: "send either message or messages",
});

export const getHistoryRequest = z.strictObject({
  conversation_id: uuid,
  limit: integer(1, 1000).default(100),
  after: integer(0, MAX_SEQUENCE).optional(),
  before: integer(1, MAX_SEQUENCE).optional(),
  order: z.enum(["asc", "desc"]).default("asc"),
  format: z.enum(["rows", "openai", "ui"]).default("rows"),
});

/**
 * A conversation's labels (migration 20261207000700_conversation_labels.sql holds the same bounds
 * and normalises what is stored: trimmed, whitespace collapsed, tags lower case, distinct, sorted).
 */
export const TITLE_MAX_CHARS = 200;
export const TAGS_MAX = 10;
export const TAG_MAX_CHARS = 32;
const oneLine = (max: number) =>
  // deno-lint-ignore no-control-regex -- control characters (other than whitespace) are what it refuses
  text.max(max * 4).refine((value) => !/[\u0000-\u0008\u000e-\u001f\u007f]/.test(value), {
    error: "may not hold control characters",
  }).refine((value) => [...value.trim().replace(/\s+/g, " ")].length <= max, {
    error: `must be at most ${max} characters (after trimming)`,
  });
export const title = oneLine(TITLE_MAX_CHARS);
export const tag = oneLine(TAG_MAX_CHARS).refine((value) => value.trim() !== "" && !value.includes(","), {
  error: "must hold a character other than whitespace, and no comma",
});

/** The filters list-conversations and search-conversations share. */
const conversationFilters = {
  archived: flag().default(false),
  tag: tag.optional(),
};

export const listConversationsRequest = z.strictObject({
  limit: integer(1, 100).default(20),
  cursor: z.string().max(200).optional(),
  video_id: uuid.optional(),
  forked_from_conversation_id: uuid.optional(),
  user_id: uuid.optional(),
  ...conversationFilters,
});

const summaryInput = z.strictObject({
  content: text.min(1),
  through_sequence: integer(1, MAX_SEQUENCE),
});

export const updateConversationRequest = z.strictObject({
  conversation_id: uuid,
  metadata: jsonObject.optional(),
  video_id: uuid.nullable().optional(),
  summary: summaryInput.nullable().optional(),
  retention_seconds: retentionSeconds.nullable().optional(),
  title: title.nullable().optional(),
  pinned: z.boolean({ error: "must be true or false" }).optional(),
  archived: z.boolean({ error: "must be true or false" }).optional(),
  tags: z.array(tag).max(TAGS_MAX).nullable().optional(),
}).refine(
  (request) =>
    [
      request.metadata,
      request.video_id,
      request.summary,
      request.retention_seconds,
      request.title,
      request.pinned,
      request.archived,
      request.tags,
    ].some((field) => field !== undefined),
  {
    error:
      "send metadata, video_id, summary, retention_seconds, title, pinned, archived, tags, or several of them",
  },
);

export const deleteConversationRequest = z.strictObject({ conversation_id: uuid });

export const getContextRequest = z.strictObject({
  conversation_id: uuid,
  max_tokens: integer(1, 2_000_000),
  max_messages: integer(1, 1000).default(1000),
  format: z.enum(["openai", "rows", "ui"]).default("openai"),
  include_reasoning: flag().default(false),
}).refine((request) => !(request.include_reasoning && request.format === "openai"), {
  path: ["include_reasoning"],
  error: "reasoning is never in the openai format: ask for format rows or ui",
});

export const updateMessageRequest = z.strictObject({
  conversation_id: uuid,
  sequence_order: integer(1, MAX_SEQUENCE),
  content: text.optional(),
  append_content: text.optional(),
  content_offset: integer(0, MAX_SEQUENCE).optional(),
  tool_calls: toolCalls.optional(),
  function_call: functionCall.optional(),
  status: z.enum(STATUSES).optional(),
  part_index: integer(0, MAX_PARTS).optional(),
  part: part.optional(),
  append_text: text.optional(),
  text_offset: integer(0, MAX_SEQUENCE).optional(),
  metadata: jsonObject.optional(),
}).superRefine((request, context) => {
  const rule = (ok: boolean, error: string) => ok || context.addIssue({ code: "custom", message: error });
  const given = (...fields: unknown[]) => fields.some((field) => field !== undefined);
  rule(
    request.content === undefined || request.append_content === undefined,
    "send content or append_content, not both",
  );
  rule(
    (request.append_content === undefined) === (request.content_offset === undefined),
    "append_content and content_offset come together",
  );
  rule(
    (request.append_text === undefined) === (request.text_offset === undefined),
    "append_text and text_offset come together",
  );
  rule(
    (request.part_index === undefined) === !given(request.part, request.append_text) &&
      !(request.part !== undefined && request.append_text !== undefined),
    "part_index comes with one of part and append_text",
  );
  rule(
    request.part_index === undefined ||
      !given(request.content, request.append_content, request.tool_calls, request.function_call),
    "send part operations or content and calls, not both",
  );
  rule(
    given(
      request.content,
      request.append_content,
      request.tool_calls,
      request.function_call,
      request.status,
      request.part_index,
      request.metadata,
    ),
    "send content, append_content, tool_calls, function_call, status, a part operation or metadata",
  );
});

export const forkConversationRequest = z.strictObject({
  conversation_id: uuid,
  through_sequence: integer(1, MAX_SEQUENCE),
  id: uuid.optional(),
  metadata: jsonObject.optional(),
});

export const rateMessageRequest = z.strictObject({
  conversation_id: uuid,
  sequence_order: integer(1, MAX_SEQUENCE),
  rating: z.enum(["up", "down"]).nullable(),
  reason: z.string().regex(/^[a-z0-9_]{1,64}$/, { error: "must be 1-64 of a-z, 0-9 and _" }).optional(),
  comment: text.max(2000).optional(),
}).refine((request) => request.rating !== null || (request.reason ?? request.comment) === undefined, {
  error: "reason and comment come with a rating",
});

export const shareConversationRequest = z.strictObject({
  conversation_id: uuid,
  expires_in_seconds: integer(60, 315_360_000).optional(),
  include_reasoning: z.boolean({ error: "must be true or false" }).optional(),
});
/** Any string: a token of the wrong shape is "not found" like any other unknown token. */
const shareToken = z.string();
export const revokeShareRequest = z.strictObject({ token: shareToken });
export const getSharedConversationRequest = z.strictObject({
  token: shareToken,
  after: integer(0, MAX_SEQUENCE).default(0),
  limit: integer(1, 1000).default(100),
});

export const exportConversationsRequest = z.strictObject({
  cursor: z.string().max(300).optional(),
  max_messages: integer(1, 10_000).default(5_000),
  user_id: uuid.optional(),
});
/** import-conversations: a file (an export page, or ChatGPT's conversations.json) and where to go on. */
export const importConversationsRequest = z.strictObject({
  file: z.unknown().refine((file) => file !== undefined, { error: "is required" }),
  cursor: z.string().max(300).optional(),
});

export const deleteAllConversationsRequest = z.strictObject({ user_id: uuid.optional() });

export const searchConversationsRequest = z.strictObject({
  q: text.min(1).max(256),
  limit: integer(1, 50).default(20),
  cursor: z.string().max(300).optional(),
  video_id: uuid.optional(),
  user_id: uuid.optional(),
  ...conversationFilters,
});

/** Memory (migration 20261207000600_user_memory.sql holds the same limits). */
export const MEMORY_KEY_MAX_CHARS = 100;
export const MEMORY_VALUE_MAX_CHARS = 4000;
export const memoryKey = text.min(1).max(MEMORY_KEY_MAX_CHARS).refine((key) => !/\p{Cc}/u.test(key), {
  error: "a key may not hold control characters",
});
export const memoryValue = text.min(1).max(MEMORY_VALUE_MAX_CHARS);

export const getMemoryRequest = z.strictObject({ user_id: uuid.optional() });

/**
 * update-memory: create, replace or delete (`value: null`) one entry, if it is still at
 * `expected_version` (omitted or null: the entry must not exist yet).
 */
export const updateMemoryRequest = z.strictObject({
  key: memoryKey,
  value: memoryValue.nullable(),
  expected_version: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).nullable().optional(),
  conversation_id: uuid.optional(),
  user_id: uuid.optional(),
});

export const recallRequest = z.strictObject({
  query: text.min(1).max(256),
  limit: integer(1, 20).default(8),
  exclude_conversation_id: uuid.optional(),
  user_id: uuid.optional(),
});

/**
 * A UIMessage as the AI SDK's Chat sends it and format=ui returns it. Parts are checked by the
 * store's part rules once they are converted (ui_parts.ts); here only their envelope.
 */
/** A limit: a whole number of requests or tokens (cost_per_month: any amount), or null for unlimited. */
const limit = (max: number) => z.number().int().min(0).max(max).nullable();
export const usageLimits = z.strictObject({
  requests_per_hour: limit(2_147_483_647).optional(),
  requests_per_day: limit(2_147_483_647).optional(),
  tokens_per_day: limit(1e15).optional(),
  cost_per_month: z.number().min(0).max(1e8).nullable().optional(),
});

export const getUsageRequest = z.strictObject({
  user_id: uuid.optional(),
  days: integer(1, 366).default(30),
});

const planName = z.string().regex(/^[a-z0-9_-]{1,50}$/, { error: "1 to 50 of a-z, 0-9, _ and -" });
const price = z.number().min(0).max(1e8);

/** One of: a plan's limits; a user's plan (null: back to default); a model's prices (null: none). */
export const updateUsageLimitsRequest = z.union([
  z.strictObject({ plan: planName, limits: usageLimits }),
  z.strictObject({ user_id: uuid, plan: planName.nullable() }),
  z.strictObject({
    model: z.string().min(1).max(200),
    prices: z.strictObject({
      input_per_million: price.optional(),
      cached_input_per_million: price.optional(),
      output_per_million: price.optional(),
    }).nullable(),
  }),
]);

/**
 * A UI part's envelope. A `__proto__` key is refused here, on the input: copying the part into zod's
 * output would set the copy's prototype instead, and the key would be gone before ui_parts.ts could
 * name it.
 */
const uiPartEnvelope = z.preprocess((part, context) => {
  if (part !== null && typeof part === "object" && Object.hasOwn(part, "__proto__")) {
    context.issues.push({
      code: "custom",
      message: "the store has no field for its __proto__",
      input: part,
      path: ["__proto__"],
    });
  }
  return part;
}, z.looseObject({ type: z.string().min(1).max(128) }));

export const uiMessage = z.strictObject({
  id: text.min(1).max(128),
  role: z.enum(["system", "user", "assistant"]),
  parts: z.array(uiPartEnvelope).max(1000),
  metadata: z.record(z.string(), z.json()).optional(),
});

/**
 * POST chat, the body `DefaultChatTransport` sends: `id` is the conversation, `messages` all of the
 * chat's messages or only the last one (`message` also works, as the SDK's resume recipe sends it).
 */
export const chatRequest = z.strictObject({
  id: uuid,
  messages: z.array(uiMessage).min(1).max(MAX_BATCH).optional(),
  message: uiMessage.optional(),
  trigger: z.enum(["submit-message", "regenerate-message"]).default("submit-message"),
  messageId: text.min(1).max(128).optional(),
}).refine((request) => (request.message === undefined) !== (request.messages === undefined), {
  error: "send either messages or message",
}).transform(({ messages, message, ...request }) => ({ ...request, last: message ?? messages!.at(-1)! }))
  .refine((request) => request.last.role === "user" || request.last.role === "assistant", {
    error: "the last message must be the user's, or the assistant's reply with tool approvals or outputs",
    path: ["messages"],
  });

/** GET chat?conversation_id=… or GET chat/<conversation id>/stream: resume the reply in progress. */
export const chatResumeRequest = z.strictObject({ conversation_id: uuid });

// Responses

/** Stored calls: the shapes above, or anything a row written before they were enforced holds. */
const storedFunctionCall = z.union([functionCall, z.json()]);
const storedToolCalls = z.union([z.array(toolCall), z.json()]);

export const message = z.object({
  id: z.string(),
  conversation_id: z.string(),
  sequence_order: z.number().int(),
  role: z.enum(ROLES),
  content: z.string().nullable(),
  name: z.string().nullable(),
  function_call: storedFunctionCall.nullable(),
  tool_calls: storedToolCalls.nullable(),
  tool_call_id: z.string().nullable(),
  client_message_id: z.string().nullable(),
  status: z.enum(STORED_STATUSES),
  token_count: z.number().int(),
  created_at: z.string(),
  updated_at: z.string(),
  /** Only on rows written with parts. */
  parts: z.array(part).optional(),
  metadata: z.record(z.string(), z.json()).nullable().optional(),
});

export const conversation = z.object({
  id: z.string(),
  user_id: z.string(),
  video_id: z.string().nullable(),
  title: z.string().nullable(),
  pinned: z.boolean(),
  archived: z.boolean(),
  tags: z.array(z.string()),
  metadata: z.record(z.string(), z.json()),
  last_sequence: z.number().int(),
  created_at: z.string(),
  updated_at: z.string(),
  retention_seconds: z.number().int().nullable(),
  expires_at: z.string().nullable(),
  summary: z.string().nullable(),
  summary_through_sequence: z.number().int().nullable(),
  summary_token_count: z.number().int().nullable(),
  forked_from_conversation_id: z.string().nullable(),
  forked_from_sequence: z.number().int().nullable(),
  /** list-conversations only: the last reply waits for the user's tool approvals or outputs. */
  awaiting_input: z.boolean().optional(),
});

/** The content parts of a user message with files, as OpenAI's chat API takes them. */
export const openaiContentPart = z.discriminatedUnion("type", [
  z.object({ type: z.literal("text"), text: z.string() }),
  z.object({ type: z.literal("image_url"), image_url: z.object({ url: z.string() }) }),
  z.object({
    type: z.literal("file"),
    file: z.object({ file_data: z.string().optional(), filename: z.string().optional() }),
  }),
]);

/**
 * A message as OpenAI's chat API takes it: only the keys that are set, one shape per role (so the
 * array type-checks as the openai package's ChatCompletionMessageParam[]).
 */
export const openaiMessage = z.discriminatedUnion("role", [
  z.object({ role: z.literal("system"), content: z.string(), name: z.string().optional() }),
  z.object({
    role: z.literal("user"),
    content: z.union([z.string(), z.array(openaiContentPart)]),
    name: z.string().optional(),
  }),
  z.object({
    role: z.literal("assistant"),
    content: z.string().optional(),
    name: z.string().optional(),
    function_call: functionCall.optional(),
    tool_calls: z.array(toolCall).optional(),
  }),
  z.object({ role: z.literal("tool"), content: z.string(), tool_call_id: z.string() }),
  z.object({ role: z.literal("function"), content: z.string(), name: z.string() }),
]);

export const startConversationResponse = z.object({ conversation, messages: z.array(message) });
export const appendMessageResponse = z.object({
  conversation: conversation.pick({ id: true, last_sequence: true, updated_at: true }),
  messages: z.array(message),
});
export const rating = z.object({
  sequence_order: z.number().int(),
  message_id: z.string(),
  client_message_id: z.string().nullable(),
  rating: z.enum(["up", "down"]),
  reason: z.string().nullable(),
  comment: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type Rating = z.infer<typeof rating>;
export const rateMessageResponse = z.object({ rating: rating.nullable() });
export const shareConversationResponse = z.object({
  token: z.string(),
  through_sequence: z.number().int(),
  expires_at: z.string().nullable(),
  include_reasoning: z.boolean(),
});
export const getSharedConversationResponse = z.object({
  conversation: z.strictObject({
    title: z.string().nullable(),
    created_at: z.string(),
    through_sequence: z.number().int(),
    shared_at: z.string(),
    expires_at: z.string().nullable(),
  }),
  messages: z.array(uiMessage),
  has_more: z.boolean(),
  next_cursor: z.number().int().nullable(),
});
export const getHistoryResponse = z.object({
  conversation,
  messages: z.union([z.array(message), z.array(openaiMessage), z.array(uiMessage)]),
  ratings: z.array(rating),
  has_more: z.boolean(),
  next_cursor: z.number().int().nullable(),
});
export const listConversationsResponse = z.object({
  conversations: z.array(conversation),
  has_more: z.boolean(),
  next_cursor: z.string().nullable(),
});
export const updateConversationResponse = z.object({ conversation });
const storageObject = z.object({ bucket: z.string(), path: z.string() });
export const deleteConversationResponse = z.object({
  conversation_id: z.string(),
  deleted_messages: z.number().int(),
  storage_objects: z.array(storageObject),
});
export const summary = z.object({
  content: z.string(),
  through_sequence: z.number().int(),
  token_count: z.number().int(),
});
export const getContextResponse = z.object({
  conversation,
  messages: z.union([z.array(openaiMessage), z.array(message), z.array(uiMessage)]),
  token_count: z.number().int(),
  has_earlier: z.boolean(),
  first_sequence: z.number().int().nullable(),
  summary: summary.nullable().optional(),
});
export const updateMessageResponse = z.object({ message });
export const forkConversationResponse = z.object({ conversation, copied_messages: z.number().int() });
export const deleteAllConversationsResponse = z.object({
  deleted_conversations: z.number().int(),
  deleted_messages: z.number().int(),
  done: z.boolean(),
  storage_objects: z.array(storageObject),
});
const searchMatch = z.object({
  sequence_order: z.number().int(),
  role: z.enum(ROLES),
  snippet: z.string(),
  highlights: z.array(z.tuple([z.number().int(), z.number().int()])),
});
export const searchConversationsResponse = z.object({
  results: z.array(z.object({ conversation, matches: z.array(searchMatch) })),
  has_more: z.boolean(),
  next_cursor: z.string().nullable(),
});
export const memoryEntry = z.object({
  key: z.string(),
  value: z.string().nullable(),
  version: z.number().int().nullable(),
  token_count: z.number().int(),
  conversation_id: z.string().nullable(),
  updated_at: z.string(),
});
export const getMemoryResponse = z.object({
  entries: z.array(memoryEntry),
  total_tokens: z.number().int(),
  max_entries: z.number().int(),
  max_tokens: z.number().int(),
});
export const updateMemoryResponse = z.object({ entry: memoryEntry });
export const recallPassage = z.object({
  conversation_id: z.string(),
  sequence_order: z.number().int(),
  role: z.enum(ROLES),
  snippet: z.string(),
  created_at: z.string(),
  score: z.number(),
});
export const recallResponse = z.object({
  mode: z.enum(["full_text", "hybrid"]),
  passages: z.array(recallPassage),
});
const tokenCount = z.number().int().min(0).max(2_147_483_647).optional();
/** A model call's usage in the AI SDK's names (record_usage's p_usage; a reply's `usage`). */
export const usageCounts = z.strictObject({
  inputTokens: tokenCount,
  outputTokens: tokenCount,
  totalTokens: tokenCount,
  reasoningTokens: tokenCount,
  cachedInputTokens: tokenCount,
});

const limitState = z.object({
  policy: z.string(),
  quota: z.number(),
  remaining: z.number(),
  window_seconds: z.number().int(),
  reset_seconds: z.number().int(),
});
/** reserve_usage's answer. */
export const usageReservation = z.object({
  reservation_id: z.string(),
  max_output_tokens: z.number().int(),
  plan: z.string(),
  limits: z.array(limitState),
});
/** record_usage's answer: the ledger entry as settled. */
export const usageEntry = z.object({
  id: z.string(),
  user_id: z.string(),
  conversation_id: z.string().nullable(),
  message_id: z.string().nullable(),
  model: z.string().nullable(),
  status: z.enum(["reserved", "settled"]),
  reserved_tokens: z.number().int(),
  input_tokens: z.number().int().nullable(),
  cached_input_tokens: z.number().int().nullable(),
  output_tokens: z.number().int().nullable(),
  reasoning_tokens: z.number().int().nullable(),
  total_tokens: z.number().int().nullable(),
  cost: z.number(),
  priced: z.boolean(),
  estimated: z.boolean(),
});
const windowUsage = z.object({
  requests: z.number(),
  tokens: z.number(),
  reserved_tokens: z.number(),
  cost: z.number(),
});
const modelTotals = z.object({
  model: z.string().nullable(),
  requests: z.number(),
  input_tokens: z.number(),
  cached_input_tokens: z.number(),
  output_tokens: z.number(),
  reasoning_tokens: z.number(),
  total_tokens: z.number(),
  cost: z.number(),
});
/** get-usage: one user's usage and limits, or (the service role, no user_id) totals per day and model. */
export const getUsageResponse = z.union([
  z.object({
    user_id: z.string(),
    plan: z.string(),
    limits: z.record(z.string(), z.number().nullable()),
    remaining: z.record(z.string(), z.number().nullable()),
    reset_seconds: z.record(z.string(), z.number()),
    usage: z.object({ hour: windowUsage, day: windowUsage, month: windowUsage }),
    models: z.array(modelTotals.extend({ priced: z.boolean().nullable() })),
  }),
  z.object({
    days: z.array(modelTotals.extend({ day: z.string(), users: z.number(), reserved_tokens: z.number() })),
  }),
]);

/** The export format (docs/EXPORT.md): its name and version, then one page of conversations. */
export const EXPORT_FORMAT = "conversation-store/export";
export const EXPORT_VERSION = 1;
export const exportPage = z.object({
  format: z.literal(EXPORT_FORMAT),
  version: z.literal(EXPORT_VERSION),
  exported_at: z.string(),
  conversations: z.array(z.object({
    conversation,
    first_sequence: z.number().int().min(1),
    messages: z.array(message),
    ratings: z.array(rating),
    complete: z.boolean(),
  })),
  next_cursor: z.string().nullable(),
});
export type ExportPage = z.infer<typeof exportPage>;
export const importConversationsResponse = z.object({
  imported: z.array(
    z.object({ key: z.string(), id: z.string(), created: z.boolean(), appended: z.number().int() }),
  ),
  total: z.number().int(),
  next_cursor: z.string().nullable(),
  done: z.boolean(),
});
/** The body of every error answer (http.ts errorResponse). */
export const errorBody = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});

export type MessageInput = z.infer<typeof messageInput>;
export type Message = z.infer<typeof message>;
export type Conversation = z.infer<typeof conversation>;
export type OpenAIMessage = z.infer<typeof openaiMessage>;
export type UIMessage = z.infer<typeof uiMessage>;
export type ToolCall = z.infer<typeof toolCall>;
