/**
 * Test fixture: the local API in this process on a random port, over the real PostgreSQL at
 * DATABASE_URL, accepting HS256 tokens (local secret), ES256 tokens (a key minted here whose JWKS
 * is served at SUPABASE_URL/auth/v1/.well-known/jwks.json, as a Supabase project publishes it), and
 * the secret API key below.
 */
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { LOCAL_JWT_SECRET, mintToken } from "../../../local/jwt.ts";
import { configuredPool } from "../../functions/_shared/db_pool.ts";

export const databaseUrl = Deno.env.get("DATABASE_URL") ?? "";
export const skip = databaseUrl === "";

const signingKey = await generateKeyPair("ES256", { extractable: true });
export const ES256_KEY_ID = "test-es256";
/** The public half of the fixture's ES256 key, as a project's JWKS publishes it. */
export const JWKS = {
  keys: [{ ...(await exportJWK(signingKey.publicKey)), kid: ES256_KEY_ID, alg: "ES256", use: "sig" }],
};

const authServer = Deno.serve(
  { hostname: "127.0.0.1", port: 0, onListen() {} },
  (request) =>
    new URL(request.url).pathname === "/auth/v1/.well-known/jwks.json"
      ? Response.json(JWKS)
      : new Response("not found", { status: 404 }),
);

Deno.env.set("SUPABASE_DB_URL", databaseUrl);
Deno.env.set("SUPABASE_JWT_SECRET", LOCAL_JWT_SECRET);
Deno.env.set("SUPABASE_URL", `http://127.0.0.1:${authServer.addr.port}`);
export const SECRET_KEY = `sb_secret_${crypto.randomUUID().replaceAll("-", "")}`;
export const PUBLISHABLE_KEY = `sb_publishable_${crypto.randomUUID().replaceAll("-", "")}`;
Deno.env.set("SUPABASE_SECRET_KEYS", JSON.stringify({ default: SECRET_KEY }));
Deno.env.set("SUPABASE_PUBLISHABLE_KEYS", JSON.stringify({ default: PUBLISHABLE_KEY }));
Deno.env.set("DB_POOL_MAX", "20");
Deno.env.set("REQUEST_LOG", "off");

const { localApi } = await import("../../../local/api.ts");
/** The functions' own pool (created on first use, so after the environment above is set). */
export const pool = configuredPool();
export { localApi };

const apiServer = skip
  ? undefined
  : Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, localApi());
export const apiUrl = `http://127.0.0.1:${apiServer?.addr.port}`;

/** Deno.test with the fixture's long-lived pool and servers allowed to outlive each test. */
export function test(name: string, fn: () => void | Promise<void>): void {
  Deno.test({ name, ignore: skip, sanitizeOps: false, sanitizeResources: false, fn });
}

export interface TestUser {
  id: string;
  token: string;
}

/** A new user with an HS256 token signed by the local secret, as Supabase Auth issues them. */
export async function newUser(): Promise<TestUser> {
  const id = crypto.randomUUID();
  return { id, token: await mintToken({ role: "authenticated", userId: id }) };
}

export function serviceRoleToken(): Promise<string> {
  return mintToken({ role: "service_role" });
}

/**
 * An ES256 token signed with the key published in the fixture's JWKS. A user's token gets `iss` and
 * `aud` as Supabase Auth writes them unless `claims` says otherwise.
 */
export async function es256Token(claims: Record<string, unknown>, keyId = ES256_KEY_ID): Promise<string> {
  const issued = claims.role === "authenticated"
    ? { iss: `${Deno.env.get("SUPABASE_URL")}/auth/v1`, aud: "authenticated" }
    : {};
  return await new SignJWT({ ...issued, ...claims })
    .setProtectedHeader({ alg: "ES256", kid: keyId, typ: "JWT" })
    .setIssuedAt()
    .setExpirationTime("1h")
    .sign(signingKey.privateKey);
}

export interface CallOptions {
  token?: string;
  method?: string;
  body?: unknown;
  rawBody?: BodyInit;
  query?: Record<string, string | number>;
  headers?: Record<string, string>;
}

// deno-lint-ignore no-explicit-any -- tests read response bodies freely; schemas check their shape
export interface Reply<Body = any> {
  status: number;
  body: Body;
  headers: Headers;
}

/** Calls a function over HTTP; JSON bodies unless `rawBody` is given. */
// deno-lint-ignore no-explicit-any -- see Reply
export async function call<Body = any>(name: string, options: CallOptions = {}): Promise<Reply<Body>> {
  const url = new URL(`${apiUrl}/functions/v1/${name}`);
  for (const [key, value] of Object.entries(options.query ?? {})) url.searchParams.set(key, String(value));
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers["content-type"] ??= "application/json";
  const response = await fetch(url, {
    method: options.method ?? (options.body === undefined && options.rawBody === undefined ? "GET" : "POST"),
    headers,
    body: options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null, headers: response.headers };
}

/** Starts a conversation for `user` and returns its id. */
export async function startConversation(user: TestUser, body: Record<string, unknown> = {}): Promise<string> {
  const reply = await call("start-conversation", { token: user.token, body });
  if (reply.status !== 201) {
    throw new Error(`start-conversation answered ${reply.status}: ${JSON.stringify(reply.body)}`);
  }
  return reply.body.conversation.id;
}

/** Appends `count` user messages, one request each, and returns the replies. */
export async function appendMany(user: TestUser, conversationId: string, count: number, prefix = "message") {
  const replies = [];
  for (let n = 1; n <= count; n++) {
    replies.push(
      await call("append-message", {
        token: user.token,
        body: { conversation_id: conversationId, message: { role: "user", content: `${prefix} ${n}` } },
      }),
    );
  }
  return replies;
}

export interface ServerProcess {
  url: string;
  output: string[];
  stop(signal?: Deno.Signal): Promise<Deno.CommandStatus>;
}

/**
 * Runs a server script in its own process and waits until a line of its output matches `ready`
 * (whose first group, when there is one, is the port). Its output is kept for assertions.
 */
export async function spawnServer(
  script: string,
  env: Record<string, string>,
  ready: RegExp,
  port?: number,
): Promise<ServerProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(script, import.meta.url).pathname],
    env: { REQUEST_LOG: "off", ...env },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const output: string[] = [];
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  child.stderr.pipeTo(
    new WritableStream({ write: (chunk) => void output.push(new TextDecoder().decode(chunk)) }),
  );
  let buffered = "";
  let match: RegExpMatchArray | null = null;
  while (!match) {
    const { value, done } = await lines.read();
    if (done) throw new Error(`${script} exited before it was ready:\n${output.join("")}${buffered}`);
    buffered += value;
    output.push(value);
    match = buffered.match(ready);
  }
  // Keep draining so that the child never blocks on a full pipe.
  (async () => {
    for (let next = await lines.read(); !next.done; next = await lines.read()) output.push(next.value);
  })();
  const listeningPort = port ?? Number(match[1]);
  return {
    url: `http://127.0.0.1:${listeningPort}`,
    output,
    async stop(signal: Deno.Signal = "SIGINT") {
      child.kill(signal);
      return await child.status;
    },
  };
}

/** A port nothing listens on right now. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}
