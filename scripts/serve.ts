/**
 * `deno task start`: the API on this machine in seconds, with no Docker.
 *
 * Without DATABASE_URL it runs an embedded PostgreSQL (PGlite) whose data stays in .data/pglite
 * across restarts, served over the Postgres wire protocol so psql can look inside. With
 * DATABASE_URL (for example `supabase start`'s database) it uses that instead. Either way it applies
 * the baseline and the migrations first, then serves every function at
 * http://127.0.0.1:54321/functions/v1/<name>.
 *
 * PGlite is a single backend session: pglite-socket queues the queries of its connections one by one,
 * so two open transactions would interleave. The functions run each transaction as one query message
 * over one connection, so theirs never do; the second connection allowed is for psql, to look inside
 * with single statements (an explicit BEGIN there would take the server's queries into it).
 */
import { PGlite } from "@electric-sql/pglite";
import { btree_gin } from "@electric-sql/pglite/contrib/btree_gin";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { migrate } from "./db_migrate.ts";
import { LOCAL_JWT_SECRET, mintToken, tokenForUser } from "./local_tokens.ts";
import { playgroundRoute } from "./playground.ts";

const apiPort = Number(Deno.env.get("PORT") ?? 54321);
const databasePort = Number(Deno.env.get("DB_PORT") ?? 54322);
const dataDir = Deno.env.get("DATA_DIR") ?? new URL("../.data/pglite", import.meta.url).pathname;
const jwtSecret = Deno.env.get("SUPABASE_JWT_SECRET") ?? LOCAL_JWT_SECRET;

let databaseUrl = Deno.env.get("DATABASE_URL");
let embedded: { db: PGlite; socket: PGLiteSocketServer } | undefined;

if (!databaseUrl) {
  await Deno.mkdir(dataDir, { recursive: true });
  // Supabase offers btree_gin; the search index needs it (owner first, then words).
  const db = await PGlite.create(dataDir, { extensions: { btree_gin } });
  const socket = new PGLiteSocketServer({ db, host: "127.0.0.1", port: databasePort, maxConnections: 2 });
  await socket.start();
  embedded = { db, socket };
  databaseUrl = `postgresql://postgres:postgres@127.0.0.1:${databasePort}/postgres?sslmode=disable`;
}

await migrate(databaseUrl);

Deno.env.set("SUPABASE_DB_URL", databaseUrl);
Deno.env.set("SUPABASE_JWT_SECRET", jwtSecret);
if (embedded) Deno.env.set("DB_POOL_MAX", "1");
const { localApi, pool } = await import("./local_api.ts");
const demoUsers = [await tokenForUser("alice", jwtSecret), await tokenForUser("bob", jwtSecret)];
const playground = playgroundRoute({
  apiUrl: `http://127.0.0.1:${apiPort}`,
  anonKey: "local-anon-key",
  users: demoUsers.map(({ name, token }) => ({ name, token })),
});

const server = Deno.serve(
  { hostname: "127.0.0.1", port: apiPort, onListen: () => {} },
  localApi([playground]),
);
await announce();

async function announce(): Promise<void> {
  const [alice, bob] = demoUsers;
  const serviceRole = await mintToken({ role: "service_role", secret: jwtSecret });
  const api = `http://127.0.0.1:${apiPort}`;
  console.log(`Conversation store API: ${api}/functions/v1/<name>`);
  console.log(`Playground:             ${api}/`);
  console.log(
    embedded
      ? `Database (embedded):    psql "postgresql://postgres@127.0.0.1:${databasePort}/postgres?sslmode=disable"  (data in ${dataDir};\n` +
        `                        one session shared with the server: look with single statements, never BEGIN)`
      : `Database:               ${new URL(databaseUrl!).host}`,
  );
  console.log(`\nToken for alice (${alice.userId}):\n${alice.token}`);
  console.log(`\nToken for bob (${bob.userId}):\n${bob.token}`);
  console.log(`\nService role token:\n${serviceRole}`);
  const conversationId = crypto.randomUUID();
  const call = (name: string, body: unknown) =>
    `curl -s ${api}/functions/v1/${name} -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' ` +
    `-d '${JSON.stringify(body)}'`;
  console.log(`\nMore users: deno task token <name>\n\nTry it:\nTOKEN=${alice.token}`);
  console.log(call("start-conversation", { id: conversationId, metadata: { topic: "demo" } }));
  console.log(
    call("append-message", { conversation_id: conversationId, message: { role: "user", content: "Hello!" } }),
  );
}

// Stop accepting requests, let the ones in flight finish, then close the database cleanly, so that
// everything acknowledged is on disk.
let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log("Stopping…");
  await server.shutdown();
  await pool.end();
  if (embedded) {
    await embedded.socket.stop();
    await embedded.db.close();
  }
  Deno.exit(0);
}
Deno.addSignalListener("SIGINT", stop);
Deno.addSignalListener("SIGTERM", stop);
