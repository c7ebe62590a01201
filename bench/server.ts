/** The local server (local/serve.ts) on a database of the benchmark's, as its HTTP side. */
import { projectRoot } from "../tools/db_migrate.ts";

export interface LocalServer {
  url: string;
  pid: number;
  /** The server's peak resident memory so far, in MiB (VmHWM). */
  peakMemoryMiB(): Promise<number>;
  stop(): Promise<void>;
}

export async function startServer(databaseUrl: string): Promise<LocalServer> {
  const port = 54400 + Math.floor(Math.random() * 500);
  const child = new Deno.Command(Deno.execPath(), {
    // BENCH_SERVER_FLAGS: extra deno flags for the server, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
    args: [
      "run",
      "-A",
      ...(Deno.env.get("BENCH_SERVER_FLAGS")?.split(" ").filter(Boolean) ?? []),
      `${projectRoot}/local/serve.ts`,
    ],
    env: {
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      REQUEST_LOG: "off",
      DB_POOL_MAX: Deno.env.get("DB_POOL_MAX") ?? "8",
    },
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  while (!seen.includes("Try it:")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the server did not start:\n${seen}`);
    seen += value;
  }
  // Keep reading, so that the server never blocks on a full pipe.
  (async () => {
    while (!(await reader.read()).done);
  })();
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid,
    async peakMemoryMiB() {
      const status = await Deno.readTextFile(`/proc/${child.pid}/status`);
      return Number(status.match(/VmHWM:\s+(\d+) kB/)?.[1] ?? 0) / 1024;
    },
    async stop() {
      child.kill("SIGINT");
      await child.status;
    },
  };
}
