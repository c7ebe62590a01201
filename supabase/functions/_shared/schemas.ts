/**
 * zod schemas: the one description of every request and response of the API.
 *
 * Requests are strict (unknown fields are refused). Text may not hold a NUL character or a lone
 * surrogate, which PostgreSQL cannot store. Size limits are the database's to enforce (they answer
 * 413), except the body cap in http.ts; nesting depth is limited here because it is cheap to check.
 */
import { z } from "zod";

export const MAX_BATCH = 100;
export const MAX_JSON_DEPTH = 32;
const MAX_SEQUENCE = 2_147_483_647;

const uuid = z.guid({ error: "must be a UUID" }).transform((value) => value.toLowerCase());

function storable(value: string): boolean {
  return !value.includes("\u0000") && value.isWellFormed();
}

const text = z.string().refine(storable, { error: "must not contain NUL characters or lone surrogates" });

/** Integers arrive as numbers in JSON bodies and as digit strings in query strings. */
function integer(min: number, max: number) {
  return z.preprocess(
    (value) => typeof value === "string" && /^-?\d{1,12}$/.test(value) ? Number(value) : value,
    z.number().int().min(min).max(max),
  );
}

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

const jsonObject = z.record(z.string(), z.json()).refine(storableJson, {
  error: `must be nested at most ${MAX_JSON_DEPTH} levels deep, without NUL characters or lone surrogates`,
});

export const ROLES = ["system", "user", "assistant", "function", "tool"] as const;

export const messageInput = z.strictObject({
  role: z.enum(ROLES),
  content: text.nullable().optional(),
  name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, { error: "must be 1-64 letters, digits, _ or -" })
    .optional(),
  function_call: z.strictObject({ name: text, arguments: text }).optional(),
  tool_calls: z.array(jsonObject).min(1).max(128).optional(),
  tool_call_id: text.min(1).max(128).optional(),
  client_message_id: text.min(1).max(128).optional(),
}).superRefine((message, context) => {
  const makesCall = message.function_call !== undefined || message.tool_calls !== undefined;
  const rule = (ok: boolean, path: string, error: string) =>
    ok || context.addIssue({ code: "custom", path: [path], message: error });
  rule(
    message.content != null || (message.role === "assistant" && makesCall),
    "content",
    "is required, except for an assistant message with function_call or tool_calls",
  );
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
    message.role !== "tool" || message.tool_call_id !== undefined,
    "tool_call_id",
    "is required for a tool message",
  );
});

function distinctClientIds(messages: Array<{ client_message_id?: string }>): boolean {
  const ids = messages.flatMap((message) => message.client_message_id ?? []);
  return new Set(ids).size === ids.length;
}

const messageBatch = z.array(messageInput).min(1).max(MAX_BATCH)
  .refine(distinctClientIds, { error: "client_message_id values must be distinct" });

export const startConversationRequest = z.strictObject({
  id: uuid.optional(),
  video_id: uuid.nullable().optional(),
  metadata: jsonObject.optional(),
  messages: messageBatch.optional(),
  user_id: uuid.optional(),
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
  format: z.enum(["rows", "openai"]).default("rows"),
});

export const listConversationsRequest = z.strictObject({
  limit: integer(1, 100).default(20),
  cursor: z.string().max(200).optional(),
  video_id: uuid.optional(),
  user_id: uuid.optional(),
});

export const updateConversationRequest = z.strictObject({
  conversation_id: uuid,
  metadata: jsonObject.optional(),
  video_id: uuid.nullable().optional(),
}).refine((request) => request.metadata !== undefined || request.video_id !== undefined, {
  error: "send metadata, video_id or both",
});

export const deleteConversationRequest = z.strictObject({ conversation_id: uuid });

// Responses

const storedFunctionCall = z.object({ name: z.string(), arguments: z.string() });
const storedToolCalls = z.array(z.record(z.string(), z.json()));

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
  created_at: z.string(),
});

export const conversation = z.object({
  id: z.string(),
  user_id: z.string(),
  video_id: z.string().nullable(),
  metadata: z.record(z.string(), z.json()),
  last_sequence: z.number().int(),
  created_at: z.string(),
  updated_at: z.string(),
});

/** A message as OpenAI's chat API takes it: only the keys that are set. */
export const openaiMessage = z.object({
  role: z.enum(ROLES),
  content: z.string().optional(),
  name: z.string().optional(),
  function_call: storedFunctionCall.optional(),
  tool_calls: storedToolCalls.optional(),
  tool_call_id: z.string().optional(),
});

export const startConversationResponse = z.object({ conversation, messages: z.array(message) });
export const appendMessageResponse = z.object({
  conversation: conversation.pick({ id: true, last_sequence: true, updated_at: true }),
  messages: z.array(message),
});
export const getHistoryResponse = z.object({
  conversation,
  messages: z.union([z.array(message), z.array(openaiMessage)]),
  has_more: z.boolean(),
  next_cursor: z.number().int().nullable(),
});
export const listConversationsResponse = z.object({
  conversations: z.array(conversation),
  has_more: z.boolean(),
  next_cursor: z.string().nullable(),
});
export const updateConversationResponse = z.object({ conversation });
export const deleteConversationResponse = z.object({
  conversation_id: z.string(),
  deleted_messages: z.number().int(),
});
export const errorResponse = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});

export type MessageInput = z.infer<typeof messageInput>;
export type Message = z.infer<typeof message>;
export type Conversation = z.infer<typeof conversation>;
export type OpenAIMessage = z.infer<typeof openaiMessage>;
