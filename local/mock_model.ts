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

/** The name of the tool whose result ends the prompt. */
function lastToolName(options: LanguageModelV4CallOptions): string {
  const last = options.prompt.at(-1);
  const result = last?.role === "tool" ? last.content.find((part) => part.type === "tool-result") : undefined;
  return result?.type === "tool-result" ? result.toolName : "get_time";
}

/**
 * The local server's demo model: thinks briefly, calls get_time when the message mentions the time
 * (memory, with the message as the note, when it says "remember"), and answers with a canned reply streamed word by word every `chunkDelayMs`.
 */
export function demoModel(chunkDelayMs = 40): MockLanguageModelV4 {
  return new MockLanguageModelV4({
    provider: "local-demo",
    modelId: "demo",
    doStream: (options) => {
      const said = lastUserText(options);
      const parts: LanguageModelV4StreamPart[] = [{ type: "stream-start", warnings: [] }];
      if (/\btime\b/i.test(said) && !hasToolResult(options)) {
        parts.push(...reasoningParts("The user asks about the time: I will call get_time."));
        parts.push(...toolCallParts("get_time", {}));
      } else if (/\bremember\b/i.test(said) && !hasToolResult(options)) {
        parts.push(...reasoningParts("The user asks me to remember something: I will call memory."));
        parts.push(...toolCallParts("memory", { key: "note", value: said.slice(0, 4000) }));
      } else {
        const reply = hasToolResult(options)
          ? `The ${
            lastToolName(options)
          } tool answered; its result is shown above. This is the local demo model.`
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
