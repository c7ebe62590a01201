/**
 * Upgrade tests' fixture: a database migrated up to an earlier release's last migration, filled as
 * that release let it be filled, then migrated on to this one. Each concern's upgrade test
 * (upgrade_*_test.ts) uses it.
 */
import assert from "node:assert/strict";
// @ts-types="npm:@types/pg@8.23.1"
import pg from "pg";
import { projectRoot, supabaseCli, withLocalSslMode } from "../../../tools/db_migrate.ts";

/** The last migration of the first release (the seed's tables, RLS, start and append). */
export const PREVIOUS_RELEASE = "20261124000600";
/** The last migration shipped before message parts (issue 17). */
export const LAST_SHIPPED = "20261125001500";
/** The last migration of the release with message parts and chat (issues 17-19). */
export const PARTS_RELEASE = "20261206000500";

export const databaseUrl = Deno.env.get("DATABASE_URL") ?? "";

/** A project directory holding the migrations up to and including `last`, for the Supabase CLI. */
async function projectUpTo(last: string): Promise<string> {
  const directory = await Deno.makeTempDir({ prefix: "release-" });
  await Deno.mkdir(`${directory}/supabase/migrations`, { recursive: true });
  await Deno.copyFile(`${projectRoot}/supabase/config.toml`, `${directory}/supabase/config.toml`);
  for await (const entry of Deno.readDir(`${projectRoot}/supabase/migrations`)) {
    if (entry.name.slice(0, 14) <= last) {
      await Deno.copyFile(
        `${projectRoot}/supabase/migrations/${entry.name}`,
        `${directory}/supabase/migrations/${entry.name}`,
      );
    }
  }
  return directory;
}

export async function migrateWith(url: string, workdir?: string): Promise<void> {
  const result = await supabaseCli([
    "migration",
    "up",
    "--db-url",
    url,
    ...(workdir ? ["--workdir", workdir] : []),
  ]);
  assert.ok(result.success, result.stdout + result.stderr);
}

/**
 * Runs `body` on a new database of DATABASE_URL's cluster holding the local Supabase baseline,
 * connected as `client`; `url` is its address. The database is dropped afterwards.
 */
export async function withNewDatabase(
  body: (client: pg.Client, url: string) => Promise<void>,
  prefix = "upgrade",
): Promise<void> {
  const name = `${prefix}_${crypto.randomUUID().replaceAll("-", "")}`;
  const admin = new pg.Client({ connectionString: withLocalSslMode(databaseUrl) });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(withLocalSslMode(databaseUrl));
  url.pathname = `/${name}`;
  const client = new pg.Client({ connectionString: url.toString() });
  try {
    await client.connect();
    await client.query(await Deno.readTextFile(`${projectRoot}/local/supabase_baseline.sql`));
    await body(client, url.toString());
  } finally {
    await client.end().catch(() => {});
    await admin.query(`drop database ${name} with (force)`);
    await admin.end();
  }
}

/**
 * Runs `body` on a new database migrated up to `last` (the local baseline first), connected as
 * `client`; `url` is its address, for migrating it on. The database is dropped afterwards.
 */
export async function withDatabaseAt(
  last: string,
  body: (client: pg.Client, url: string) => Promise<void>,
): Promise<void> {
  const project = await projectUpTo(last);
  try {
    await withNewDatabase(async (client, url) => {
      await migrateWith(url, project);
      await body(client, url);
    });
  } finally {
    await Deno.remove(project, { recursive: true });
  }
}

/**
 * A reader of both tables' rows in the columns they have now, as one hash per table: taken before
 * migrating, it reads the same columns after, so a test proves the old rows intact whatever columns
 * this release adds.
 */
export async function rowsAsTheyAre(client: pg.Client): Promise<() => Promise<Record<string, string>>> {
  const { rows } = await client.query<{ table_name: string; columns: string[] }>(
    `select table_name::text, array_agg(column_name::text order by ordinal_position) as columns
     from information_schema.columns
     where table_schema = 'public' and table_name in ('conversations', 'conversation_messages')
     group by table_name`,
  );
  const columns = Object.fromEntries(rows.map((row) => [row.table_name, row.columns]));
  const hash = (table: string, alias: string) =>
    `(select md5(string_agg(row(${
      columns[table].map((column) => `${alias}.${JSON.stringify(column)}`).join(", ")
    })::text, '|' order by ${alias}.id)) from public.${table} as ${alias})`;
  const text = `select ${hash("conversations", "c")} as conversations,
                       ${hash("conversation_messages", "m")} as messages`;
  return async () => (await client.query(text)).rows[0];
}

/** Runs `sql` (statements) in one committed transaction as the signed-in user `userId`; the rows of its last statement. */
export async function asUser(client: pg.Client, userId: string, sql: string): Promise<pg.QueryResultRow[]> {
  const results = await client.query(`
    begin;
    select set_config('role', 'authenticated', true),
           set_config('request.jwt.claims', '{"sub": "${userId}", "role": "authenticated"}', true);
    ${sql.trim().replace(/;$/, "")};
    commit;`) as unknown as pg.QueryResult[];
  return results.at(-2)!.rows;
}
