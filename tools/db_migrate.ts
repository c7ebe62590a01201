/**
 * `deno task db:migrate`: applies the local Supabase baseline where it is missing, then every
 * migration in supabase/migrations, to $DATABASE_URL with the pinned Supabase CLI.
 */
// @ts-types="npm:@types/pg@8.23.1"
import pg from "pg";

export const SUPABASE_CLI = "npm:supabase@2.117.0";
export const projectRoot = new URL("..", import.meta.url).pathname;

/** A local server has no TLS; the CLI insists on it unless the URL says otherwise. */
export function withLocalSslMode(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  const local = ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname);
  if (local && !url.searchParams.has("sslmode")) url.searchParams.set("sslmode", "disable");
  return url.toString();
}

/** Runs the Supabase CLI from npm; returns its output, throws with it when the CLI fails. */
export async function supabaseCli(
  args: string[],
): Promise<{ stdout: string; stderr: string; success: boolean }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", SUPABASE_CLI, ...args],
    cwd: projectRoot,
    stdout: "piped",
    stderr: "piped",
    env: { DO_NOT_TRACK: "1", SUPABASE_TELEMETRY_DISABLED: "1" },
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { stdout: decode(output.stdout), stderr: decode(output.stderr), success: output.success };
}

export async function migrate(databaseUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: withLocalSslMode(databaseUrl) });
  await client.connect();
  try {
    await client.query(await Deno.readTextFile(new URL("../local/supabase_baseline.sql", import.meta.url)));
  } finally {
    await client.end();
  }
  const result = await supabaseCli(["migration", "up", "--db-url", withLocalSslMode(databaseUrl)]);
  if (!result.success) {
    throw new Error(`supabase migration up failed:\n${result.stdout}${result.stderr}`);
  }
}

if (import.meta.main) {
  const databaseUrl = Deno.env.get("DATABASE_URL");
  if (!databaseUrl) {
    console.error(
      "Set DATABASE_URL to the database to migrate, e.g. postgresql://postgres:postgres@127.0.0.1:54322/postgres",
    );
    Deno.exit(2);
  }
  await migrate(databaseUrl);
  console.log("Migrations applied.");
}
