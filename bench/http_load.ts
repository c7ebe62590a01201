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
const HEADER_END = encoder.encode("\r\n\r\n");

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

function indexOf(haystack: Uint8Array, needle: Uint8Array, from: number): number {
  outer: for (let i = from; i <= haystack.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** One keep-alive connection that answers `send(request)` with the response status. */
async function connect(host: string, port: number) {
  const connection = await Deno.connect({ hostname: host, port });
  connection.setNoDelay(true);
  let buffer = new Uint8Array(0);
  const chunk = new Uint8Array(65536);

  async function readMore(): Promise<void> {
    const read = await connection.read(chunk);
    if (read === null) throw new Error("connection closed");
    const grown = new Uint8Array(buffer.length + read);
    grown.set(buffer);
    grown.set(chunk.subarray(0, read), buffer.length);
    buffer = grown;
  }

  return {
    async send(bytes: Uint8Array): Promise<number> {
      await connection.write(bytes);
      let headerEnd = indexOf(buffer, HEADER_END, 0);
      while (headerEnd < 0) {
        await readMore();
        headerEnd = indexOf(buffer, HEADER_END, 0);
      }
      const head = new TextDecoder().decode(buffer.subarray(0, headerEnd));
      const status = Number(head.slice(9, 12));
      const length = Number(head.match(/\r\ncontent-length:\s*(\d+)/i)?.[1] ?? 0);
      while (buffer.length < headerEnd + 4 + length) await readMore();
      buffer = buffer.slice(headerEnd + 4 + length);
      return status;
    },
    close: () => connection.close(),
  };
}

export async function runLoad(
  baseUrl: string,
  concurrency: number,
  seconds: number,
  nextRequest: () => HttpRequest,
): Promise<LoadResult> {
  const url = new URL(baseUrl);
  const latencies: number[] = [];
  let errors = 0;
  const connections = await Promise.all(
    Array.from({ length: concurrency }, () => connect(url.hostname, Number(url.port))),
  );
  const started = performance.now();
  const deadline = started + seconds * 1000;

  await Promise.all(connections.map(async (connection) => {
    while (performance.now() < deadline) {
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
