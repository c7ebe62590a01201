/**
 * The client's one entry (deno.json "exports"): the typed store client, the AI SDK and OpenAI
 * conversions, the chat class and transport for useChat, the reply writer, signed Storage URLs and
 * the one error type. Each module can still be imported on its own.
 */
export * from "./conversation_store.ts";
export * from "./ai_sdk.ts";
export * from "./chat.ts";
export * from "./openai.ts";
export * from "./reply_writer.ts";
export * from "./storage_files.ts";
export * from "./errors.ts";
