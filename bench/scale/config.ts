/** The scale benchmark's settings and the helpers every part of it shares. */
import { LARGE, layout, scaled, type Shape, SMALL } from "../seed.ts";
import { projectRoot } from "../../tools/db_migrate.ts";
import { type LocalServer } from "../server.ts";

export const quick = Deno.args.includes("--quick");
export const SHAPES = { small: SMALL, large: quick ? scaled(LARGE, 10) : LARGE };
export const DURATION_S = quick ? 3 : 10;
export const CONCURRENCY = 8;
export const FORKS = quick ? 5 : 20;
/** Deletes of a big conversation measured on each side (each on a conversation of its own). */
export const DELETES = 3;
export const SEED_JOBS = 2;
export const STATEMENT_TIMEOUT_MS = 8000;

/**
 * Memory for a database of about 7 GB on a machine of 23 GB; the rest as pg_virtualenv sets it
 * (fsync off: these are CPU and memory figures, not a disk's). WAL may grow during seeding rather
 * than checkpoint every few seconds.
 */
export const CLUSTER_SETTINGS = {
  shared_buffers: "2GB",
  effective_cache_size: "16GB",
  maintenance_work_mem: "1GB",
  max_wal_size: "32GB",
  checkpoint_timeout: "30min",
};

export type Size = "small" | "large";

export interface Database {
  /** What progress lines call it. */
  name: string;
  url: string;
  shape: Shape;
  layout: ReturnType<typeof layout>;
  env: Record<string, string>;
  server: LocalServer;
  tokens: string[];
}

export const format = (value: number, digits = 1) => value.toFixed(digits);
export const count = (value: number) => value.toLocaleString("en-US");
export const pick = (low: number, high: number) => low + Math.floor(Math.random() * (high - low + 1));
export const progress = (line: string) => console.log(`${new Date().toISOString().slice(11, 19)} ${line}`);
export async function loadAverage(): Promise<string> {
  return (await Deno.readTextFile("/proc/loadavg")).split(" ").slice(0, 3).join(" ");
}

/** Writes bench/results/`name`.json (the summary) and `name`.md (its report). */
export async function writeResults(
  name: string,
  summary: { seconds: number },
  report: string,
): Promise<void> {
  await Deno.mkdir(`${projectRoot}/bench/results`, { recursive: true });
  await Deno.writeTextFile(
    `${projectRoot}/bench/results/${name}.json`,
    JSON.stringify(summary, null, 2) + "\n",
  );
  await Deno.writeTextFile(`${projectRoot}/bench/results/${name}.md`, report);
  progress(`done in ${format(summary.seconds / 60, 1)} min: bench/results/${name}.md`);
}
