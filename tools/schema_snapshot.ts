/**
 * `deno task db:schema`: writes supabase/schema.sql, the schema as the migrations leave it (every
 * table, index, policy, grant and the current body of every SQL function in one file), from
 * `pg_dump --schema-only` of a freshly migrated throwaway database. Rerun it after adding a
 * migration; `deno task test` fails while the checked-in file differs from a fresh dump.
 */
import { migrate, projectRoot } from "./db_migrate.ts";
import { libpqEnv, runInThrowawayCluster, throwawayDatabaseUrl } from "./throwaway_db.ts";

export const SCHEMA_FILE = `${projectRoot}supabase/schema.sql`;

/** The schemas the migrations create objects in. */
const OWNED_SCHEMAS = ["public", "conversation_store"];

/** The schema-only dump of OWNED_SCHEMAS, without the lines that change from run to run. */
export async function dumpSchema(databaseUrl: string): Promise<string> {
  const output = await new Deno.Command("pg_dump", {
    args: ["--schema-only", ...OWNED_SCHEMAS.map((schema) => `--schema=${schema}`)],
    env: libpqEnv(databaseUrl),
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!output.success) throw new Error(`pg_dump failed:\n${new TextDecoder().decode(output.stderr)}`);
  const lines = new TextDecoder().decode(output.stdout).split("\n").filter((line) =>
    // The pg_dump and server versions, and the random key of \restrict / \unrestrict (newer pg_dump).
    !/^-- Dumped (from database|by pg_dump) version /.test(line) && !/^\\(un)?restrict /.test(line)
  );
  return `${lines.join("\n").replace(/\n{3,}/g, "\n\n").trim()}\n`;
}

if (import.meta.main) {
  const databaseUrl = throwawayDatabaseUrl();
  if (databaseUrl) {
    await migrate(databaseUrl);
    await Deno.writeTextFile(SCHEMA_FILE, await dumpSchema(databaseUrl));
    console.log(`Wrote ${SCHEMA_FILE}`);
  } else {
    Deno.exit(await runInThrowawayCluster(import.meta.url, [], { maxConnections: 20 }));
  }
}
