/**
 * pgbench as the benchmarks drive it: a script, a concurrency, a duration or a number of
 * transactions; latencies come from pgbench's per-transaction log, so percentiles are exact.
 */

export interface Measurement {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
  completed: number;
}

export function percentile(sorted: number[], fraction: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))];
}

export interface PgbenchRun {
  /** One script, or several that pgbench picks from at random for each transaction. */
  script: string | string[];
  concurrency: number;
  /** Run for this long… */
  seconds?: number;
  /** …or this many transactions per client. */
  transactionsPerClient?: number;
  /** pgbench's -M: the functions send simple-protocol messages. */
  mode?: "simple" | "extended" | "prepared";
}

/** Runs pgbench against the database the PG* variables in `env` name. */
export async function runPgbench(run: PgbenchRun, env: Record<string, string>): Promise<Measurement> {
  const dir = await Deno.makeTempDir({ prefix: "bench-pgbench-" });
  try {
    const scripts = typeof run.script === "string" ? [run.script] : run.script;
    await Promise.all(scripts.map((script, i) => Deno.writeTextFile(`${dir}/script${i}.sql`, script)));
    const output = await new Deno.Command("pgbench", {
      args: [
        "-n",
        "-M",
        run.mode ?? "simple",
        "-c",
        String(run.concurrency),
        "-j",
        String(Math.min(run.concurrency, 2)),
        ...(run.transactionsPerClient === undefined
          ? ["-T", String(run.seconds ?? 8)]
          : ["-t", String(run.transactionsPerClient)]),
        ...scripts.flatMap((_, i) => ["-f", `${dir}/script${i}.sql`]),
        "-l",
        `--log-prefix=${dir}/log`,
      ],
      env,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(output.stdout);
    if (!output.success) {
      throw new Error(`pgbench failed:\n${text}${new TextDecoder().decode(output.stderr)}`);
    }
    const latencies: number[] = [];
    for await (const entry of Deno.readDir(dir)) {
      if (!entry.name.startsWith("log")) continue;
      for (const line of (await Deno.readTextFile(`${dir}/${entry.name}`)).split("\n")) {
        const micros = Number(line.split(" ")[2]);
        if (line && Number.isFinite(micros)) latencies.push(micros / 1000);
      }
    }
    latencies.sort((a, b) => a - b);
    return {
      requestsPerSecond: Number(text.match(/tps = ([\d.]+)/)?.[1] ?? 0),
      p50: percentile(latencies, 0.5),
      p99: percentile(latencies, 0.99),
      errors: Number(text.match(/number of failed transactions: (\d+)/)?.[1] ?? 0),
      completed: Number(text.match(/number of transactions actually processed: (\d+)/)?.[1] ?? 0),
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
