/**
 * The floor under bench/reply.ts's CPU figures: a process that only reads a model's streamed
 * answer with `fetch` (what the AI SDK's provider does first with every chunk) and nothing else.
 * Run by bench/reply.ts as its own process, against the same OpenAI-compatible test server, with
 * the same chunks and pacing; prints `{ "cpu_ms": … }`, the CPU (user + system) the read took.
 *
 * `deno run -A bench/model_stream_floor.ts <OPENAI_BASE_URL> <chunks>`
 */
import process from "node:process";

const [baseUrl, chunksAsked] = Deno.args;

async function readAnswer(chunks: string): Promise<number> {
  const response = await fetch(`${baseUrl}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: "Bearer floor" },
    body: JSON.stringify({
      model: "floor",
      stream: true,
      messages: [{ role: "user", content: `${chunks} chunks` }],
    }),
  });
  let bytes = 0;
  for await (const piece of response.body!) bytes += piece.length;
  return bytes;
}

await readAnswer("50"); // warm up, as the server is
const before = process.cpuUsage();
await readAnswer(chunksAsked);
const used = process.cpuUsage(before);
console.log(JSON.stringify({ cpu_ms: Math.round((used.user + used.system) / 1000) }));
