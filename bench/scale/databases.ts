/** The scale benchmark's databases: each seeded in the one throwaway cluster, then served. */
import { migrate } from "../../tools/db_migrate.ts";
import { LOCAL_JWT_SECRET, mintToken } from "../../local/jwt.ts";
import { libpqEnv } from "../../tools/throwaway_db.ts";
import { layout, seed, type SeedOptions, type Shape, userId, withClient } from "../seed.ts";
import { startServer } from "../server.ts";
import { count, type Database, format, progress, SEED_JOBS } from "./config.ts";
import { migrateAsShipped } from "./index_diet.ts";

function databaseUrl(clusterUrl: string, name: string): string {
  const url = new URL(clusterUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * Creates database `name`, migrates it (with only the migrations that shipped first when
 * `shipped`), seeds it to `shape` and vacuums it. Returns its URL.
 */
export async function seedDatabase(
  clusterUrl: string,
  name: string,
  shape: Shape,
  options: { shipped?: boolean; parts?: SeedOptions["parts"] } = {},
): Promise<string> {
  const url = databaseUrl(clusterUrl, name);
  await withClient(clusterUrl, (client) => client.query(`create database ${name}`));
  if (options.shipped) await migrateAsShipped(url);
  else await migrate(url);
  let last = performance.now();
  const seeded = await seed(url, shape, {
    jobs: SEED_JOBS,
    parts: options.parts,
    progress: (line) => {
      // A line a minute is enough to see it move.
      if (performance.now() - last < 60_000) return;
      last = performance.now();
      progress(`${name}: ${line}`);
    },
  });
  progress(
    `${name}: seeded ${count(seeded.messages)} messages in ${format(seeded.seconds, 0)} s; vacuum, analyze…`,
  );
  await withClient(
    url,
    (client) => client.query("vacuum (analyze) public.conversations, public.conversation_messages"),
  );
  return url;
}

/** A seeded database with the local server started on it and a token for every user. */
export async function openDatabase(name: string, url: string, shape: Shape): Promise<Database> {
  const tokens = [""];
  for (let k = 1; k <= shape.users; k++) {
    tokens.push(await mintToken({ role: "authenticated", userId: userId(k), secret: LOCAL_JWT_SECRET }));
  }
  return {
    name,
    url,
    shape,
    layout: layout(shape),
    env: libpqEnv(url),
    server: await startServer(url),
    tokens,
  };
}
