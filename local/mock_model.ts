/**
 * Models without a provider, built on the AI SDK's own MockLanguageModelV4 (`ai/test`): the local
 * server's demo model (when no CHAT_MODEL / OPENAI_API_KEY is set), and the models the chat tests
 * and the benchmark drive. Never part of a deployed function.
 */
import type { LanguageModelV4CallOptions, LanguageModelV4StreamPart } from "@ai-sdk/provider";
import { simulateReadableStream } from "ai";
import { MockLanguageModelV4 } from "ai/test";

const usage = {
  inputTokens: { total: 10, noCache: 10, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 10, text: 10, reasoning: undefined },
};

export function finishPart(unified: "stop" | "tool-calls" = "stop"): LanguageModelV4StreamPart {
  return { type: "finish", finishReason: { unified, raw: unified }, usage };
}

/** A text block as stream parts, one delta per chunk of `chunks`. */
export function textParts(chunks: string[], id = "text-1"): LanguageModelV4StreamPart[] {
  return [
    { type: "text-start", id },
    ...chunks.map((delta): LanguageModelV4StreamPart => ({ type: "text-delta", id, delta })),
    { type: "text-end", id },
  ];
}

/** A reasoning block as stream parts. */
export function reasoningParts(text: string, id = "reasoning-1"): LanguageModelV4StreamPart[] {
  return [
    { type: "reasoning-start", id },
    { type: "reasoning-delta", id, delta: text },
    { type: "reasoning-end", id },
  ];
}

/** A call of `toolName` with `input`, ending the step so that the SDK runs the tool. */
export function toolCallParts(
  toolName: string,
  input: unknown,
  toolCallId = "call-1",
): LanguageModelV4StreamPart[] {
  return [
    { type: "tool-call", toolCallId, toolName, input: JSON.stringify(input) },
    finishPart("tool-calls"),
  ];
}

/** Words of `text` with their following spaces: "a b" → ["a ", "b"]. */
export function words(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}

/** The text of the last user message of a call's prompt. */
function lastUserText(options: LanguageModelV4CallOptions): string {
  const user = options.prompt.findLast((message) => message.role === "user");
  if (!user || typeof user.content === "string") return "";
  return user.content.map((part) => part.type === "text" ? part.text : "").join("");
}

const hasToolResult = (options: LanguageModelV4CallOptions) => options.prompt.at(-1)?.role === "tool";

/** The tool results of the call's last message, as JSON text (what the demo model answers from). */
const lastToolResults = (options: LanguageModelV4CallOptions) =>
  JSON.stringify(options.prompt.at(-1)?.content ?? []);

/** What the demo model does with a message: the tool it calls first, with its input, if any. */
function demoToolCall(said: string): [string, unknown] | null {
  if (/\bvideo\b.*\bstatus\b|\bstatus\b.*\bvideo\b/i.test(said)) return ["get_video_status", {}];
  if (/\bvideo\b/i.test(said)) return ["start_video_render", { prompt: said.slice(0, 2000) }];
  if (/\btime\b/i.test(said)) return ["get_time", {}];
  if (/\bremember\b/i.test(said)) return ["memory", { key: "note", value: said.slice(0, 4000) }];
  return null;
}

/** The demo model's answer once a tool answered (or was denied). */
function demoAnswer(results: string): string {
  if (/execution-denied|without an answer|expired/.test(results)) {
    return "You did not approve the render, so I did not start it. This is the local demo model.";
  }
  if (/"progress"/.test(results) && !/"progress":0/.test(results)) {
    return "The video_status tool answered with the render's progress, shown above. This is the local demo model.";
  }
  if (/job_id/.test(results)) {
    return "The video render job is recorded in this conversation's metadata (video_render); ask me for the video status to follow it. This is the local demo model.";
  }
  if (/"state":"none"/.test(results)) return "No video render was started in this conversation yet.";
  if (/"remembered"/.test(results)) return "Noted: the memory tool keeps it for our next conversations.";
  return "The get_time tool answered; its result is shown above. This is the local demo model.";
}

/**
 * The local server's demo model: thinks briefly, calls a tool when the message asks for one (get_time
 * for the time; start_video_render, which asks the user first, for a video; get_video_status for the
 * video's status; memory, with the message as the note, when it says "remember"), and answers with a canned reply streamed word by word every `chunkDelayMs`.
 */
export function demoModel(chunkDelayMs = 40): MockLanguageModelV4 {
  return new MockLanguageModelV4({
    provider: "local-demo",
    modelId: "demo",
    doStream: (options) => {
      const said = lastUserText(options);
      const parts: LanguageModelV4StreamPart[] = [{ type: "stream-start", warnings: [] }];
      const call = demoToolCall(said);
      if (call && !hasToolResult(options)) {
        parts.push(...reasoningParts(`The user's message needs a tool: I will call ${call[0]}.`));
        parts.push(...toolCallParts(call[0], call[1]));
      } else {
        const reply = hasToolResult(options)
          ? demoAnswer(lastToolResults(options))
          : `This is the local demo model (set CHAT_MODEL and OPENAI_API_KEY for a real one). You said: "${said}". ` +
            "It streams this reply word by word, so you can try Stop, reload in the middle, and Regenerate.";
        parts.push(...reasoningParts("A canned reply will do."), ...textParts(words(reply)), finishPart());
      }
      return Promise.resolve({
        stream: simulateReadableStream({ chunks: parts, chunkDelayInMs: chunkDelayMs }),
      });
    },
    // Asked for a chat's title (chat's title.ts): the first words the user wrote.
    doGenerate: (options) => {
      const said = JSON.stringify(options.prompt).match(/User: (.*?)\\n/)?.[1] ?? "a chat";
      return Promise.resolve({
        content: [{ type: "text", text: `Demo: ${said.split(/\s+/).slice(0, 4).join(" ")}` }],
        finishReason: { unified: "stop", raw: "stop" },
        usage: {
          inputTokens: { total: 0, noCache: 0, cacheRead: 0, cacheWrite: 0 },
          outputTokens: { total: 0, text: 0, reasoning: 0 },
        },
        warnings: [],
      });
    },
  });
}

/** One model call of a ScriptedModel, whose parts the test sends when it chooses. */
export interface ScriptedCall {
  options: LanguageModelV4CallOptions;
  send(...parts: LanguageModelV4StreamPart[]): void;
  /** Ends the stream normally (after a finish part, or without one). */
  end(): void;
  /** Fails the stream, as a provider's connection dropping mid-reply does. */
  fail(error: Error): void;
  /** Aborts when the SDK stops the call (the user's Stop). */
  aborted: Promise<void>;
}

/**
 * A model whose every call streams exactly what the test sends, when it sends it: tests wait for
 * conditions (a call started, a chunk stored) instead of sleeping.
 */
export class ScriptedModel {
  private readonly waiting: Array<(call: ScriptedCall) => void> = [];
  private readonly ready: ScriptedCall[] = [];
  readonly model = new MockLanguageModelV4({
    // Files by https URL reach the model as URLs (OpenAI's models fetch images and PDFs themselves).
    supportedUrls: { "*/*": [/^https:\/\//] },
    doStream: (options) => {
      let controller!: ReadableStreamDefaultController<LanguageModelV4StreamPart>;
      const stream = new ReadableStream<LanguageModelV4StreamPart>({ start: (c) => void (controller = c) });
      const aborted = new Promise<void>((resolve) => {
        if (options.abortSignal?.aborted) resolve();
        options.abortSignal?.addEventListener("abort", () => resolve(), { once: true });
      });
      const call: ScriptedCall = {
        options,
        send: (...parts) => parts.forEach((part) => controller.enqueue(part)),
        end: () => controller.close(),
        fail: (error) => controller.error(error),
        aborted,
      };
      controller.enqueue({ type: "stream-start", warnings: [] });
      const waiter = this.waiting.shift();
      if (waiter) waiter(call);
      else this.ready.push(call);
      return Promise.resolve({ stream });
    },
  });

  /** The next call the model receives (already received, or the next one). */
  nextCall(): Promise<ScriptedCall> {
    const call = this.ready.shift();
    if (call) return Promise.resolve(call);
    return new Promise((resolve) => this.waiting.push(resolve));
  }
}
