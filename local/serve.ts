/**
 * `deno task start`: the API on this machine in seconds, with no Docker.
 *
 * Without DATABASE_URL it runs an embedded PostgreSQL (PGlite) whose data stays in .data/pglite
 * across restarts, served over the Postgres wire protocol so psql can look inside. With
 * DATABASE_URL (for example `supabase start`'s database) it uses that instead. Either way it applies
 * the baseline and the migrations first, then serves every function at
 * http://127.0.0.1:54321/functions/v1/<name>.
 *
 * Its tokens are signed with Supabase's well-known local JWT secret unless SUPABASE_JWT_SECRET is
 * given, so anyone who can reach the server can mint one. That is harmless for the embedded database,
 * which alone answers any origin (CORS `*`); a DATABASE_URL elsewhere than this machine is refused
 * without a secret of your own, and a database of your own answers only the origins in CORS_ORIGINS.
 *
 * PGlite is a single backend session: pglite-socket queues the queries of its connections one by one,
 * so two open transactions would interleave. The functions run each transaction as one query message
 * over one connection, so theirs never do; the second connection allowed is for psql, to look inside
 * with single statements (an explicit BEGIN there would take the server's queries into it).
 */
import { PGlite } from "@electric-sql/pglite";
import { btree_gin } from "@electric-sql/pglite/contrib/btree_gin";
import { vector } from "@electric-sql/pglite-pgvector";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { migrate } from "../tools/db_migrate.ts";
import { LOCAL_JWT_SECRET, localProjectUrl, localSecretKey, mintToken, tokenForUser } from "./jwt.ts";
import { playgroundRoute } from "./playground.ts";
import { localApi } from "./api.ts";
import { demoModel } from "./mock_model.ts";
import { createChatHandler } from "../supabase/functions/chat/handler.ts";
import { toolApproval, tools } from "../supabase/functions/chat/tools.ts";
import { closePool } from "../supabase/functions/_shared/db_pool.ts";

const apiPort = Number(Deno.env.get("PORT") ?? 54321);
const databasePort = Number(Deno.env.get("DB_PORT") ?? 54322);
const dataDir = Deno.env.get("DATA_DIR") ?? new URL("../.data/pglite", import.meta.url).pathname;
const givenSecret = Deno.env.get("SUPABASE_JWT_SECRET");
const jwtSecret = givenSecret || LOCAL_JWT_SECRET;

let databaseUrl = Deno.env.get("DATABASE_URL");
let embedded: { db: PGlite; socket: PGLiteSocketServer } | undefined;

if (databaseUrl && !givenSecret && !isOnThisMachine(databaseUrl)) {
  console.error(
    "DATABASE_URL is not on this machine, and without SUPABASE_JWT_SECRET the local server signs tokens\n" +
      "with Supabase's well-known local secret: anyone who can reach it could read and write that database.\n" +
      "Set SUPABASE_JWT_SECRET to a secret of your own, or use a database on this machine.",
  );
  Deno.exit(1);
}

/** A Unix socket, localhost or a loopback address. */
function isOnThisMachine(url: string): boolean {
  let host: string;
  try {
    const parsed = new URL(url);
    host = parsed.searchParams.get("host") ?? parsed.hostname;
  } catch {
    return false;
  }
  return host === "" || host.startsWith("/") || host === "localhost" || /^127\./.test(host) ||
    ["::1", "[::1]"].includes(host);
}

if (!databaseUrl) {
  await Deno.mkdir(dataDir, { recursive: true });
  // Supabase offers btree_gin; the search index needs it (owner first, then words). pgvector too:
  // with it, recall ranks by meaning as well (when EMBEDDING_MODEL names an embedder).
  const db = await PGlite.create(dataDir, { extensions: { btree_gin, vector } });
  const socket = new PGLiteSocketServer({ db, host: "127.0.0.1", port: databasePort, maxConnections: 2 });
  await socket.start();
  embedded = { db, socket };
  databaseUrl = `postgresql://postgres:postgres@127.0.0.1:${databasePort}/postgres?sslmode=disable`;
}

await migrate(databaseUrl);

const api = `http://127.0.0.1:${apiPort}`;
const secretKey = await localSecretKey(jwtSecret);
Deno.env.set("DATABASE_URL", databaseUrl);
Deno.env.set("SUPABASE_JWT_SECRET", jwtSecret);
Deno.env.set("SUPABASE_SECRET_KEYS", JSON.stringify({ local: secretKey }));
// User tokens must name the local project's Auth as their issuer, as `supabase start`'s tokens do.
Deno.env.set("SUPABASE_URL", localProjectUrl());
// The functions read these when they first need them (the pool on the first request), so setting
// them now, after the database is ready, is in time.
if (embedded) Deno.env.set("DB_POOL_MAX", "1");
// Without a model in the environment, chat answers with a clearly labelled canned demo (local only:
// the deployed function answers 503 model_not_configured instead).
const demoChat = !(Deno.env.get("CHAT_MODEL") && Deno.env.get("OPENAI_API_KEY"));
const chat = demoChat
  ? createChatHandler({
    tools,
    toolApproval,
    model: demoModel(Number(Deno.env.get("LOCAL_DEMO_CHUNK_MS") ?? 40)),
  })
  : undefined;
const demoUsers = [await tokenForUser("alice", jwtSecret), await tokenForUser("bob", jwtSecret)];
const playground = playgroundRoute({
  apiUrl: api,
  anonKey: "local-anon-key",
  users: demoUsers.map(({ name, token }) => ({ name, token })),
});

const server = Deno.serve(
  { hostname: "127.0.0.1", port: apiPort, onListen: () => {} },
  localApi({
    routes: [playground],
    allowedOrigins: embedded ? "*" : [api, `http://localhost:${apiPort}`, ...corsOrigins()],
    functions: chat ? { chat } : {},
  }),
);
await announce();

/** CORS_ORIGINS: the web apps (comma-separated origins) that may call a local server on a database of yours. */
function corsOrigins(): string[] {
  return (Deno.env.get("CORS_ORIGINS") ?? "").split(",").map((origin) => origin.trim()).filter(Boolean);
}

async function announce(): Promise<void> {
  const [alice, bob] = demoUsers;
  const serviceRole = await mintToken({ role: "service_role", secret: jwtSecret });
  console.log(`Conversation store API: ${api}/functions/v1/<name>`);
  console.log(`Playground:             ${api}/`);
  console.log(
    `Chat model:             ${
      demoChat
        ? "local demo model (canned replies; set CHAT_MODEL and OPENAI_API_KEY for a real one)"
        : Deno.env.get("CHAT_MODEL")
    }`,
  );
  console.log(
    embedded
      ? `Database (embedded):    psql "postgresql://postgres@127.0.0.1:${databasePort}/postgres?sslmode=disable"  (data in ${dataDir};\n` +
        `                        one session shared with the server: look with single statements, never BEGIN)`
      : `Database:               ${new URL(databaseUrl!).host}`,
  );
  console.log(`\nToken for alice (${alice.userId}):\n${alice.token}`);
  console.log(`\nToken for bob (${bob.userId}):\n${bob.token}`);
  console.log(`\nService role token:\n${serviceRole}`);
  console.log(`\nSecret key (the service role too; createClient(url, key) on a server):\n${secretKey}`);
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
  await closePool();
  if (embedded) {
    await embedded.socket.stop();
    await embedded.db.close();
  }
  Deno.exit(0);
}
Deno.addSignalListener("SIGINT", stop);
Deno.addSignalListener("SIGTERM", stop);
