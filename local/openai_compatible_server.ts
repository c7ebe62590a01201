/**
 * An OpenAI-compatible model server for tests and benchmarks: `POST /v1/chat/completions` answered
 * as OpenAI answers it, streamed (`data: {chat.completion.chunk}` lines, a last chunk with
 * `finish_reason`, a usage chunk when `stream_options.include_usage`, then `data: [DONE]`) or not.
 * Each request is answered by a script, so a test decides the text, tool calls, usage, pauses and
 * failures, and reads back what the client sent and whether it went away mid-stream. `chat` talks to
 * it through OPENAI_BASE_URL as it would to any such server.
 */

/** A tool call the model makes, its arguments as the JSON text the model streams. */
export interface ScriptedToolCall {
  id: string;
  name: string;
  arguments: string;
}

/** Token counts in OpenAI's names, as the server reports them. */
export interface ScriptedUsage {
  prompt_tokens: number;
  completion_tokens: number;
  cached_tokens?: number;
  reasoning_tokens?: number;
}

/** How the server answers one request. */
export interface ScriptedAnswer {
  /** Text chunks, streamed in order (one `delta.content` each). */
  text?: string[];
  /** Tool calls, streamed after the text; the finish reason is then `tool_calls`. */
  toolCalls?: ScriptedToolCall[];
  /** Answer with this HTTP status and an OpenAI error body instead (e.g. 429, 500). */
  fail?: { status: number; message: string };
  /** Awaited before the text chunk of this index is sent (a pause the test controls). */
  before?: (index: number) => Promise<void> | void;
  /** Milliseconds between chunks (default 0). */
  chunkDelayMs?: number;
  /** Reported usage (default: prompt 10, completion one per chunk). */
  usage?: ScriptedUsage;
  /** Default `stop`, or `tool_calls` when there are tool calls. */
  finishReason?: "stop" | "length" | "tool_calls" | "content_filter";
}

/** What a request asked, and what became of it. */
export interface ReceivedRequest {
  // deno-lint-ignore no-explicit-any
  body: any;
  /** Text chunks sent before the answer ended. */
  chunksSent: number;
  /** The client closed the stream before its end (a Stop or a lost connection). */
  cancelled: boolean;
  /** The answer was sent to its end. */
  finished: boolean;
}

export interface CompatibleServer {
  /** The OPENAI_BASE_URL to give a client: `http://127.0.0.1:<port>/v1`. */
  baseUrl: string;
  requests: ReceivedRequest[];
  close(): Promise<void>;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function usageJson(usage: ScriptedUsage) {
  return {
    prompt_tokens: usage.prompt_tokens,
    completion_tokens: usage.completion_tokens,
    total_tokens: usage.prompt_tokens + usage.completion_tokens,
    prompt_tokens_details: { cached_tokens: usage.cached_tokens ?? 0 },
    completion_tokens_details: { reasoning_tokens: usage.reasoning_tokens ?? 0 },
  };
}

/** Starts the server on a free loopback port; `script` answers the request numbered `index` (from 0). */
export function openAiCompatibleServer(
  // deno-lint-ignore no-explicit-any
  script: (body: any, index: number) => ScriptedAnswer | Promise<ScriptedAnswer>,
): CompatibleServer {
  const requests: ReceivedRequest[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    if (request.method !== "POST" || new URL(request.url).pathname !== "/v1/chat/completions") {
      return Response.json({ error: { message: "not found", type: "invalid_request_error" } }, {
        status: 404,
      });
    }
    const received: ReceivedRequest = {
      body: await request.json(),
      chunksSent: 0,
      cancelled: false,
      finished: false,
    };
    requests.push(received);
    const answer = await script(received.body, requests.length - 1);
    if (answer.fail) {
      received.finished = true;
      return Response.json(
        { error: { message: answer.fail.message, type: "server_error", code: null } },
        { status: answer.fail.status },
      );
    }
    const id = `chatcmpl-${requests.length}`;
    const model = String(received.body.model ?? "compatible-model");
    const text = answer.text ?? [];
    const toolCalls = answer.toolCalls ?? [];
    const usage = answer.usage ?? { prompt_tokens: 10, completion_tokens: text.length + toolCalls.length };
    const finishReason = answer.finishReason ?? (toolCalls.length > 0 ? "tool_calls" : "stop");
    if (!received.body.stream) {
      received.finished = true;
      return Response.json({
        id,
        object: "chat.completion",
        created: Math.floor(Date.now() / 1000),
        model,
        choices: [{
          index: 0,
          message: {
            role: "assistant",
            content: text.join(""),
            ...(toolCalls.length > 0
              ? {
                tool_calls: toolCalls.map((call) => ({
                  id: call.id,
                  type: "function",
                  function: { name: call.name, arguments: call.arguments },
                })),
              }
              : {}),
          },
          finish_reason: finishReason,
        }],
        usage: usageJson(usage),
      });
    }
    const encoder = new TextEncoder();
    const event = (payload: unknown) => encoder.encode(`data: ${JSON.stringify(payload)}\n\n`);
    const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
      event({
        id,
        object: "chat.completion.chunk",
        created: Math.floor(Date.now() / 1000),
        model,
        choices: [{ index: 0, delta, finish_reason: finish }],
      });
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        const send = (bytes: Uint8Array) => {
          if (!received.cancelled) controller.enqueue(bytes);
        };
        send(chunk({ role: "assistant", content: "" }));
        for (const [index, piece] of text.entries()) {
          await answer.before?.(index);
          if (answer.chunkDelayMs) await pause(answer.chunkDelayMs);
          if (received.cancelled) return;
          send(chunk({ content: piece }));
          received.chunksSent++;
        }
        for (const [index, call] of toolCalls.entries()) {
          send(chunk({
            tool_calls: [{
              index,
              id: call.id,
              type: "function",
              function: { name: call.name, arguments: call.arguments },
            }],
          }));
        }
        send(chunk({}, finishReason));
        if (received.body.stream_options?.include_usage) {
          send(event({
            id,
            object: "chat.completion.chunk",
            created: Math.floor(Date.now() / 1000),
            model,
            choices: [],
            usage: usageJson(usage),
          }));
        }
        send(encoder.encode("data: [DONE]\n\n"));
        if (received.cancelled) return;
        received.finished = true;
        controller.close();
      },
      cancel() {
        received.cancelled = true;
      },
    });
    return new Response(body, { headers: { "content-type": "text/event-stream" } });
  });
  return {
    baseUrl: `http://127.0.0.1:${server.addr.port}/v1`,
    requests,
    close: () => server.shutdown(),
  };
}
