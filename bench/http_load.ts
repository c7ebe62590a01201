/**
 * A closed-loop HTTP/1.1 load generator: `concurrency` keep-alive connections, each sending a request,
 * reading its whole answer, and sending the next, until the time is up.
 *
 * Two choices keep the comparison with pgbench fair. It speaks HTTP over a raw TCP connection, so the
 * client costs about what pgbench costs (fetch would spend more CPU than the server on this 2-core
 * machine). And it never abandons a request in flight: every request sent is answered and counted,
 * so the appends can be checked against what the database stored.
 */

export interface HttpRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export interface LoadResult {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
  completed: number;
}

const encoder = new TextEncoder();

function encode(request: HttpRequest, host: string): Uint8Array {
  const body = request.body === undefined ? new Uint8Array() : encoder.encode(request.body);
  const headers = Object.entries(request.headers).map(([name, value]) => `${name}: ${value}\r\n`).join("");
  const head =
    `${request.method} ${request.path} HTTP/1.1\r\nhost: ${host}\r\n${headers}content-length: ${body.length}\r\n\r\n`;
  const bytes = new Uint8Array(head.length + body.length);
  bytes.set(encoder.encode(head));
  bytes.set(body, head.length);
  return bytes;
}

const CR = 13;
const LF = 10;

/** Where the blank line that ends the headers starts in bytes[from..to), or -1. */
function headerEnd(bytes: Uint8Array, from: number, to: number): number {
  for (let i = Math.max(from, 0); i + 3 < to; i++) {
    if (bytes[i] === CR && bytes[i + 1] === LF && bytes[i + 2] === CR && bytes[i + 3] === LF) return i;
  }
  return -1;
}

/** One keep-alive connection that answers `send(request)` with the response status. */
async function connect(host: string, port: number) {
  const connection = await Deno.connect({ hostname: host, port });
  connection.setNoDelay(true);
  // One buffer per connection: responses are read into it and consumed in place.
  let buffer = new Uint8Array(1 << 16);
  let end = 0;
  const decoder = new TextDecoder();

  async function readMore(): Promise<void> {
    if (end === buffer.length) {
      const grown = new Uint8Array(buffer.length * 2);
      grown.set(buffer);
      buffer = grown;
    }
    const read = await connection.read(buffer.subarray(end));
    if (read === null) throw new Error("connection closed");
    end += read;
  }

  return {
    async send(bytes: Uint8Array): Promise<number> {
      await connection.write(bytes);
      let scanned = 0;
      let headEnd = -1;
      while (headEnd < 0) {
        await readMore();
        headEnd = headerEnd(buffer, scanned - 3, end);
        scanned = end;
      }
      const head = decoder.decode(buffer.subarray(0, headEnd));
      const status = Number(head.slice(9, 12));
      const length = Number(head.match(/\r\ncontent-length:\s*(\d+)/i)?.[1] ?? 0);
      const total = headEnd + 4 + length;
      while (end < total) await readMore();
      buffer.copyWithin(0, total, end);
      end -= total;
      return status;
    },
    close: () => connection.close(),
  };
}

/** How long a run lasts: a time, or a number of requests in all (for operations that change what they measure). */
export type RunLength = { seconds: number } | { requests: number };

export async function runLoad(
  baseUrl: string,
  concurrency: number,
  length: RunLength,
  nextRequest: () => HttpRequest,
): Promise<LoadResult> {
  const url = new URL(baseUrl);
  const latencies: number[] = [];
  let errors = 0;
  const connections = await Promise.all(
    Array.from({ length: concurrency }, () => connect(url.hostname, Number(url.port))),
  );
  const started = performance.now();
  const deadline = "seconds" in length ? started + length.seconds * 1000 : Infinity;
  let remaining = "requests" in length ? length.requests : Infinity;

  await Promise.all(connections.map(async (connection) => {
    while (performance.now() < deadline && remaining-- > 0) {
      const bytes = encode(nextRequest(), url.host);
      const sent = performance.now();
      const status = await connection.send(bytes);
      if (status >= 200 && status < 300) latencies.push(performance.now() - sent);
      else errors++;
    }
    connection.close();
  }));

  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (fraction: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(fraction * latencies.length))] ?? 0;
  return {
    requestsPerSecond: latencies.length / elapsed,
    p50: at(0.5),
    p99: at(0.99),
    errors,
    completed: latencies.length,
  };
}
