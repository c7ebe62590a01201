/**
 * The chat function's settings (secrets on Supabase, the environment locally), and the model they
 * choose. Read on each request, so a changed secret needs no redeploy of the code.
 *
 * - CHAT_MODEL: the model id, e.g. `gpt-4.1-mini`. With OPENAI_API_KEY, both required.
 * - OPENAI_API_KEY: the key sent to the provider.
 * - OPENAI_BASE_URL: any OpenAI-compatible server (`https://…/v1`); then the Chat Completions API is
 *   used, which such servers implement. Without it, OpenAI's Responses API.
 * - CHAT_SYSTEM_PROMPT: the system prompt (default below); the conversation's metadata follows it.
 * - CHAT_MAX_OUTPUT_TOKENS (default 1024), CHAT_CONTEXT_TOKENS (default 16000: the window's budget,
 *   get-context's max_tokens), CHAT_MAX_STEPS (default 5: model calls per reply, for tool use).
 * - CHAT_FLUSH_MS (default 50): at most one write of the reply per this many ms, each carrying all
 *   the text since the last; the browser is sent text once it is stored, so it arrives in these batches.
 * - CHAT_RESUME_POLL_MS (default 250): how often a resumed stream reads the reply.
 * - CHAT_MAX_DURATION_MS (default 140000): a reply still streaming then is ended `incomplete` by
 *   the function itself, before the Edge Runtime's wall clock (150 s on the free plan) stops it.
 * - CHAT_ON_DISCONNECT: `stop` (default: a closed request releases the reply; unless a page resumes
 *   it within CHAT_RESUME_GRACE_MS it ends as the user's Stop, see release.ts) or `continue` (the
 *   reply is generated to its end after the browser went away; Stop is then the owner's
 *   update-message `status: "incomplete"`).
 * - CHAT_RESUME_GRACE_MS (default 5000): how long a released reply waits for a resume (a reload)
 *   before it ends as a Stop; meanwhile nothing more is read from the model.
 * - CHAT_APPROVAL_MAX_AGE_SECONDS (default 86400, at most 604800): an approval answered later than
 *   this after the reply asked for it counts as denied (docs/CHAT.md, "Tools that ask first").
 */
import { createOpenAI } from "@ai-sdk/openai";
import type { LanguageModel } from "ai";
import { ConfigurationError, setting } from "../_shared/config.ts";
import { ApiError } from "../_shared/errors.ts";

export const DEFAULT_SYSTEM_PROMPT = "You are a helpful assistant.";

export interface ChatSettings {
  systemPrompt: string;
  maxOutputTokens: number;
  contextTokens: number;
  maxSteps: number;
  flushMs: number;
  resumePollMs: number;
  maxDurationMs: number;
  onDisconnect: "stop" | "continue";
  resumeGraceMs: number;
  approvalMaxAgeSeconds: number;
}

function whole(name: string, fallback: number, min: number, max: number): number {
  const value = Number(setting(name) ?? fallback);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigurationError(`${name} must be a whole number from ${min} to ${max}`);
  }
  return value;
}

export function chatSettings(): ChatSettings {
  const onDisconnect = setting("CHAT_ON_DISCONNECT") ?? "stop";
  if (onDisconnect !== "stop" && onDisconnect !== "continue") {
    throw new ConfigurationError("CHAT_ON_DISCONNECT must be stop or continue");
  }
  return {
    systemPrompt: setting("CHAT_SYSTEM_PROMPT") ?? DEFAULT_SYSTEM_PROMPT,
    maxOutputTokens: whole("CHAT_MAX_OUTPUT_TOKENS", 1024, 1, 1_000_000),
    contextTokens: whole("CHAT_CONTEXT_TOKENS", 16_000, 1, 2_000_000),
    maxSteps: whole("CHAT_MAX_STEPS", 5, 1, 100),
    flushMs: whole("CHAT_FLUSH_MS", 50, 0, 10_000),
    resumePollMs: whole("CHAT_RESUME_POLL_MS", 250, 10, 10_000),
    maxDurationMs: whole("CHAT_MAX_DURATION_MS", 140_000, 1_000, 3_600_000),
    onDisconnect,
    resumeGraceMs: whole("CHAT_RESUME_GRACE_MS", 5_000, 0, 60_000),
    approvalMaxAgeSeconds: whole("CHAT_APPROVAL_MAX_AGE_SECONDS", 86_400, 1, 604_800),
  };
}

/** The model the secrets name; 503 model_not_configured when they name none. */
export function modelFromSettings(): LanguageModel {
  const modelId = setting("CHAT_MODEL");
  const apiKey = setting("OPENAI_API_KEY");
  if (!modelId || !apiKey) {
    throw new ApiError(
      "model_not_configured",
      "the chat function has no model: set the secrets CHAT_MODEL and OPENAI_API_KEY (and OPENAI_BASE_URL for an OpenAI-compatible server)",
    );
  }
  const baseURL = setting("OPENAI_BASE_URL");
  const provider = createOpenAI({ apiKey, baseURL });
  return baseURL ? provider.chat(modelId) : provider(modelId);
}
