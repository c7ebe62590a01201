/** The index diet: the same data under the schema that shipped first, and under all migrations. */
import { projectRoot, withLocalSslMode } from "../../tools/db_migrate.ts";
import { libpqEnv } from "../../tools/throwaway_db.ts";
import { type Measurement, runPgbench } from "../pgbench.ts";
import { layout, type Shape, withClient } from "../seed.ts";
import { CONCURRENCY, DURATION_S } from "./config.ts";

const SHIPPED_MIGRATIONS = 6;

/** Applies the Supabase baseline and the first migrations, as `supabase migration up` would have then. */
export async function migrateAsShipped(url: string): Promise<void> {
  const files = [...Deno.readDirSync(`${projectRoot}/supabase/migrations`)].map((entry) => entry.name).sort()
    .slice(0, SHIPPED_MIGRATIONS);
  await withClient(withLocalSslMode(url), async (client) => {
    await client.query(await Deno.readTextFile(`${projectRoot}/local/supabase_baseline.sql`));
    for (const file of files) {
      await client.query(await Deno.readTextFile(`${projectRoot}/supabase/migrations/${file}`));
    }
  });
}

/**
 * The append rate of public.append_messages itself, as each schema has it (the edge function of the
 * first release sent other SQL), one message per call on random ordinary conversations.
 */
export async function appendRate(url: string, shape: Shape): Promise<Measurement> {
  const { firstOrdinary, pgbenchOwnerOf } = layout(shape);
  const script = [
    `\\set n random(${firstOrdinary}, ${shape.conversations})`,
    `\\set uid 100000000000 + ${pgbenchOwnerOf(":n")}`,
    "select set_config('role', 'authenticated', true), " +
    `set_config('request.jwt.claims', '{"sub": "00000000-0000-4000-9000-' || :uid || '", "role": "authenticated"}', true) \\;`,
    `select count(*) from public.append_messages(('00000000-0000-4000-8000-' || (100000000000 + :n))::uuid, ` +
    `'[{"role": "user", "content": "A benchmark message of ordinary length."}]'::jsonb)`,
    "",
  ].join("\n");
  await withClient(url, (client) => client.query("vacuum public.conversations"));
  return await runPgbench({ script, concurrency: CONCURRENCY, seconds: DURATION_S }, libpqEnv(url));
}
