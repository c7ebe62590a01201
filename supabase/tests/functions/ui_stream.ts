/**
 * The UI message stream as a browser reads it, for the chat tests: the messages the AI SDK's Chat
 * sends and readers of the chunks it gets back. No database and no server here, so that the
 * hosted-stack tests may use it too.
 */
import type { UIMessageChunk } from "ai";

/** A user message as the AI SDK's Chat sends it. */
export function userMessage(text: string, id: string = crypto.randomUUID()) {
  return { id, role: "user", parts: [{ type: "text", text }] };
}

/** The chunks of a UI message stream (SSE), one at a time. */
export async function* chunksOf(response: Response): AsyncGenerator<UIMessageChunk> {
  let buffered = "";
  for await (const text of response.body!.pipeThrough(new TextDecoderStream())) {
    buffered += text;
    let end: number;
    while ((end = buffered.indexOf("\n\n")) !== -1) {
      const event = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      const data = event.split("\n").filter((line) => line.startsWith("data: ")).map((line) => line.slice(6))
        .join("\n");
      if (data && data !== "[DONE]") yield JSON.parse(data);
    }
  }
}

/**
 * Reads chunks until one matches (and returns it), leaving the stream open: a `break` out of
 * `for await` would close it, which the function sees as the browser going away.
 */
export async function until(
  chunks: AsyncGenerator<UIMessageChunk>,
  match: (chunk: UIMessageChunk) => boolean,
  seen: UIMessageChunk[] = [],
): Promise<UIMessageChunk> {
  for (let next = await chunks.next(); !next.done; next = await chunks.next()) {
    seen.push(next.value);
    if (match(next.value)) return next.value;
  }
  throw new Error(`the stream ended without the chunk: ${JSON.stringify(seen)}`);
}

/** The rest of a stream. */
export async function rest(chunks: AsyncGenerator<UIMessageChunk>): Promise<UIMessageChunk[]> {
  const all: UIMessageChunk[] = [];
  for await (const chunk of chunks) all.push(chunk);
  return all;
}

/** Reads a stream to its end. */
export async function allChunks(response: Response): Promise<UIMessageChunk[]> {
  const chunks: UIMessageChunk[] = [];
  for await (const chunk of chunksOf(response)) chunks.push(chunk);
  return chunks;
}

/** The text of the text deltas among `chunks`. */
export function streamedText(chunks: UIMessageChunk[]): string {
  return chunks.map((chunk) => chunk.type === "text-delta" ? chunk.delta : "").join("");
}
