/**
 * A throwaway PostgreSQL 15 for the test and benchmark commands. `pg_virtualenv` (Debian) creates a
 * cluster, runs the command inside it with the PG* variables set, and drops it afterwards; the
 * command is the calling script again, which then finds itself inside via `throwawayDatabaseUrl`.
 */

const MARKER = "CONVERSATION_STORE_THROWAWAY_DB";

/** The cluster pg_virtualenv makes, as `pg_ctlcluster` names it. */
export const THROWAWAY_CLUSTER = "15 regress";

/** Inside pg_virtualenv: the URL of its cluster; elsewhere undefined. */
export function throwawayDatabaseUrl(): string | undefined {
  if (!Deno.env.get(MARKER)) return undefined;
  const password = encodeURIComponent(Deno.env.get("PGPASSWORD") ?? "");
  return `postgresql://postgres:${password}@localhost:${Deno.env.get("PGPORT")}/postgres`;
}

/** Runs `script` with `args` again inside a new throwaway cluster; returns its exit code. */
export async function runInThrowawayCluster(
  script: string,
  args: string[],
  options: { maxConnections: number; settings?: Record<string, string>; env?: Record<string, string> },
): Promise<number> {
  const status = await new Deno.Command("pg_virtualenv", {
    args: [
      // A temporary cluster directory and a free port, so that two runs on one machine never collide.
      "-t",
      "-c",
      `-p ${freePort()}`,
      "-v",
      "15",
      "-o",
      `max_connections=${options.maxConnections}`,
      ...Object.entries(options.settings ?? {}).flatMap(([name, value]) => ["-o", `${name}=${value}`]),
      Deno.execPath(),
      "run",
      "-A",
      new URL(script).pathname,
      ...args,
    ],
    env: { ...options.env, [MARKER]: "1" },
    stdout: "inherit",
    stderr: "inherit",
  }).spawn().status;
  return status.code;
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** The PG* variables for tools that read them instead of a URL (pg_prove, pgbench). */
export function libpqEnv(databaseUrl: string): Record<string, string> {
  const url = new URL(databaseUrl);
  return {
    PGHOST: url.hostname.replace(/^\[|\]$/g, ""),
    PGPORT: url.port || "5432",
    PGUSER: decodeURIComponent(url.username),
    PGPASSWORD: decodeURIComponent(url.password),
    PGDATABASE: url.pathname.slice(1) || "postgres",
  };
}
