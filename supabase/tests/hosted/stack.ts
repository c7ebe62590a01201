/**
 * A stand-in for a hosted Supabase project on this machine, for the tests in this directory:
 * - PostgreSQL 15 with TLS only: a CA and a server certificate made here with openssl (for
 *   `localhost` only), and pg_hba.conf with `hostssl` lines alone, so plain TCP is refused;
 * - PgBouncer (Debian's) in transaction mode in front of it, TLS to clients, verifying the server;
 * - the settings a Supabase project gives its functions (SUPABASE_URL, SUPABASE_DB_URL,
 *   SUPABASE_JWKS, SUPABASE_SECRET_KEYS, SUPABASE_PUBLISHABLE_KEYS) plus the documented custom
 *   secrets (DATABASE_URL: PgBouncer with sslmode=require; DATABASE_CA_CERT), and no JWT secret:
 *   user tokens are signed ES256, as Supabase Auth signs them with asymmetric keys.
 *
 * `deno run -A supabase/tests/hosted/stack.ts [report.xml]` starts a throwaway cluster of its own
 * (`pg_virtualenv -t` on a free port, so that it may run beside another cluster), builds the stack
 * in it, migrates, runs supabase/tests/hosted/ (writing their JUnit report to report.xml) and exits
 * with their status. `deno task test` runs it as one of its suites.
 */
// @ts-types="npm:@types/pg@8.23.1"
import pg from "pg";
import { exportJWK, generateKeyPair, type JWK } from "jose";
import { migrate, projectRoot } from "../../../tools/db_migrate.ts";
import { mintToken } from "../../../local/jwt.ts";

/** What the tests need to know about the stack; handed to them as JSON in HOSTED_STACK. */
export interface HostedStack {
  /** Exactly the environment a deployed function gets. */
  functionEnv: Record<string, string>;
  /** The private half of the key in SUPABASE_JWKS, for minting ES256 tokens. */
  signingKey: JWK;
  keyId: string;
  /** PgBouncer as `postgresql://user:password@127.0.0.1:port/postgres`, without sslmode. */
  poolerUrl: string;
  /** A direct TLS connection for the tests' own setup (users in auth.users), verified with `caCert`. */
  adminUrl: string;
  caCert: string;
  /** A CA that signed nothing here. */
  unknownCaCert: string;
}

const STACK_VARIABLE = "HOSTED_STACK";
const INSIDE_CLUSTER = "HOSTED_STACK_CLUSTER";

/** The stack the tests run against; undefined outside `stack.ts` (the tests are then skipped). */
export function hostedStack(): HostedStack | undefined {
  const value = Deno.env.get(STACK_VARIABLE);
  return value ? JSON.parse(value) : undefined;
}

/** The key that signs the stack's tokens, as local_tokens.ts takes it. */
export async function signingKey(stack: HostedStack): Promise<{ privateKey: CryptoKey; keyId: string }> {
  const privateKey = await crypto.subtle.importKey(
    "jwk",
    stack.signingKey,
    { name: "ECDSA", namedCurve: "P-256" },
    false,
    ["sign"],
  );
  return { privateKey, keyId: stack.keyId };
}

/**
 * A user as Supabase Auth makes one: a row in auth.users (through `admin`, a direct connection to
 * the stack's database), and an access token signed with the stack's key for an hour.
 */
export async function newHostedUser(
  stack: HostedStack,
  admin: pg.Client,
): Promise<{ id: string; token: string }> {
  const id = crypto.randomUUID();
  await admin.query("insert into auth.users (id) values ($1)", [id]);
  const token = await mintToken({
    role: "authenticated",
    userId: id,
    signingKey: await signingKey(stack),
    issuer: `${stack.functionEnv.SUPABASE_URL}/auth/v1`,
    expiresIn: "1h",
  });
  return { id, token };
}

async function run(command: string, args: string[], options: Deno.CommandOptions = {}): Promise<string> {
  const output = await new Deno.Command(command, { args, stdout: "piped", stderr: "piped", ...options })
    .output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  if (!output.success) throw new Error(`${command} ${args.join(" ")} failed:\n${decode(output.stderr)}`);
  return decode(output.stdout);
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** Waits for `ready` to hold, checking every 100 ms, for at most `seconds`. */
async function waitFor(what: string, ready: () => Promise<boolean>, seconds = 15): Promise<void> {
  for (const deadline = Date.now() + seconds * 1000; Date.now() < deadline;) {
    if (await ready()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what} was not ready within ${seconds} s`);
}

/** A CA, a server certificate it signs for `localhost`, and a second CA that signs nothing. */
async function makeCertificates(dir: string): Promise<void> {
  const openssl = (...args: string[]) => run("openssl", args, { cwd: dir });
  const newCa = (name: string, subject: string) =>
    openssl(
      ..."req -x509 -newkey rsa:2048 -nodes -days 2".split(" "),
      ...["-keyout", `${name}.key`, "-out", `${name}.crt`, "-subj", subject],
    );
  await newCa("ca", "/CN=Hosted stack test root CA");
  await newCa("unknown-ca", "/CN=Some other root CA");
  await openssl(
    ..."req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=localhost".split(" "),
  );
  await Deno.writeTextFile(`${dir}/server.ext`, "subjectAltName=DNS:localhost\n");
  await openssl(
    ..."x509 -req -days 2 -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt".split(" "),
    ...["-extfile", "server.ext"],
  );
  await Deno.chmod(`${dir}/server.key`, 0o600);
}

/** Turns TLS on with the stack's certificate and allows only TLS connections over TCP. */
async function requireTls(plainUrl: string, dir: string): Promise<void> {
  const client = new pg.Client({ connectionString: plainUrl });
  await client.connect();
  try {
    const { rows: [{ hba_file }] } = await client.query("show hba_file");
    await client.query(`alter system set ssl = on`);
    await client.query(`alter system set ssl_cert_file = '${dir}/server.crt'`);
    await client.query(`alter system set ssl_key_file = '${dir}/server.key'`);
    await Deno.writeTextFile(
      hba_file,
      [
        "local all all peer",
        "hostssl all all 127.0.0.1/32 scram-sha-256",
        "hostssl all all ::1/128 scram-sha-256",
        "",
      ].join("\n"),
    );
    await client.query("select pg_reload_conf()");
  } finally {
    await client.end();
  }
}

async function connects(url: string, ssl: pg.ClientConfig["ssl"]): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, ssl, connectionTimeoutMillis: 2_000 });
  client.on("error", () => {});
  try {
    await client.connect();
    await client.query("select 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/** PgBouncer in the foreground, as the cluster's owner (it refuses to run as root). */
async function startPgBouncer(
  dir: string,
  postgresPort: string,
  password: string,
): Promise<{ child: Deno.ChildProcess; port: number }> {
  const port = freePort();
  await Deno.writeTextFile(`${dir}/userlist.txt`, `"postgres" "${password}"\n`);
  await Deno.writeTextFile(
    `${dir}/pgbouncer.ini`,
    `[databases]
postgres = host=localhost port=${postgresPort} dbname=postgres

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = ${port}
unix_socket_dir =
auth_type = scram-sha-256
auth_file = ${dir}/userlist.txt
pool_mode = transaction
max_client_conn = 500
default_pool_size = 20
client_tls_sslmode = require
client_tls_cert_file = ${dir}/server.crt
client_tls_key_file = ${dir}/server.key
server_tls_sslmode = verify-full
server_tls_ca_file = ${dir}/ca.crt
logfile = ${dir}/pgbouncer.log
`,
  );
  const asOwner = Deno.uid() === 0
    ? ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "pgbouncer"]
    : ["pgbouncer"];
  const child = new Deno.Command(asOwner[0], {
    args: [...asOwner.slice(1), `${dir}/pgbouncer.ini`],
    stdout: "null",
    stderr: "null",
  }).spawn();
  let exited = false;
  child.status.then(() => exited = true);
  try {
    await waitFor("PgBouncer", async () => {
      if (exited) throw new Error("PgBouncer exited");
      return await Deno.connect({ hostname: "127.0.0.1", port }).then((connection) => {
        connection.close();
        return true;
      }, () => false);
    });
  } catch (error) {
    const log = await Deno.readTextFile(`${dir}/pgbouncer.log`).catch(() => "(no log)");
    throw new Error(`${(error as Error).message}:\n${log}`);
  }
  return { child, port };
}

async function buildAndTest(report: string | undefined): Promise<number> {
  const started = performance.now();
  const password = Deno.env.get("PGPASSWORD")!;
  const postgresPort = Deno.env.get("PGPORT")!;
  const dir = await Deno.makeTempDir({ prefix: "hosted-stack-" });
  await Deno.chmod(dir, 0o755); // the cluster's owner reads the certificates from here
  await makeCertificates(dir);
  if (Deno.uid() === 0) await run("chown", ["-R", "postgres:postgres", dir]);

  const direct = `postgresql://postgres:${encodeURIComponent(password)}@localhost:${postgresPort}/postgres`;
  await migrate(`${direct}?sslmode=disable`);
  await requireTls(`${direct}?sslmode=disable`, dir);
  const caCert = await Deno.readTextFile(`${dir}/ca.crt`);
  await waitFor("PostgreSQL with TLS only", async () => await connects(direct, { ca: caCert }));
  if (await connects(direct, false)) throw new Error("PostgreSQL still accepts plain TCP connections");

  const pgbouncer = await startPgBouncer(dir, postgresPort, password);
  try {
    const poolerUrl = `postgresql://postgres:${
      encodeURIComponent(password)
    }@127.0.0.1:${pgbouncer.port}/postgres`;
    const keyId = crypto.randomUUID();
    const { publicKey, privateKey } = await generateKeyPair("ES256", { extractable: true });
    const stack: HostedStack = {
      functionEnv: {
        SUPABASE_URL: "https://project-ref.supabase.invalid",
        SUPABASE_DB_URL: direct,
        SUPABASE_JWKS: JSON.stringify({
          keys: [{ ...(await exportJWK(publicKey)), kid: keyId, alg: "ES256", use: "sig" }],
        }),
        SUPABASE_SECRET_KEYS: JSON.stringify({ default: `sb_secret_${crypto.randomUUID()}` }),
        SUPABASE_PUBLISHABLE_KEYS: JSON.stringify({ default: `sb_publishable_${crypto.randomUUID()}` }),
        DATABASE_URL: `${poolerUrl}?sslmode=require`,
        DATABASE_CA_CERT: caCert,
      },
      signingKey: await exportJWK(privateKey),
      keyId,
      poolerUrl,
      adminUrl: direct,
      caCert,
      unknownCaCert: await Deno.readTextFile(`${dir}/unknown-ca.crt`),
    };
    console.log(`Hosted-like stack ready in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    const status = await new Deno.Command(Deno.execPath(), {
      args: [
        "test",
        "-A",
        "--no-check",
        ...(report ? [`--junit-path=${report}`] : []),
        "supabase/tests/hosted/",
      ],
      cwd: projectRoot,
      env: { [STACK_VARIABLE]: JSON.stringify(stack) },
      stdout: "inherit",
      stderr: "inherit",
    }).spawn().status;
    return status.code;
  } finally {
    pgbouncer.child.kill("SIGTERM");
    await pgbouncer.child.status;
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) {
  const [report] = Deno.args;
  if (Deno.env.get(INSIDE_CLUSTER)) {
    Deno.exit(await buildAndTest(report));
  }
  // pg_virtualenv -t would take port 5432 even when a cluster it does not know about has it.
  const status = await new Deno.Command("pg_virtualenv", {
    args: ["-t", "-v", "15", Deno.execPath(), "run", "-A", new URL(import.meta.url).pathname, ...Deno.args],
    env: { [INSIDE_CLUSTER]: "1", PGPORT: String(freePort()) },
    stdout: "inherit",
    stderr: "inherit",
  }).spawn().status;
  Deno.exit(status.code);
}
