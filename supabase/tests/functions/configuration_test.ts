/**
 * The functions' settings: libpq's sslmode meanings, DATABASE_URL before SUPABASE_DB_URL, both JWKS
 * shapes, and a bad value that is a logged 500, never a crash or a leak.
 */
import assert from "node:assert/strict";
import { parseJwks } from "../../functions/_shared/auth.ts";
import { ConfigurationError } from "../../functions/_shared/config.ts";
import { connectionFailure } from "../../functions/_shared/db_pool.ts";
import { connectionSettings } from "../../functions/_shared/db_settings.ts";
import { es256Token, JWKS, newUser, spawnServer, test } from "./helpers.ts";

const CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
const POOLER = "postgresql://postgres.ref:p%40ss@pooler.example.com:6543/postgres";

function settings(values: Record<string, string>) {
  return connectionSettings((name) => values[name]);
}

test("sslmode has libpq's meanings, given to node-postgres as explicit options", () => {
  const ssl = (mode: string, ca?: string) =>
    settings({ DATABASE_URL: `${POOLER}?sslmode=${mode}`, ...(ca ? { DATABASE_CA_CERT: ca } : {}) }).ssl;
  assert.equal(settings({ DATABASE_URL: POOLER }).ssl, false, "no sslmode: plain, as node-postgres does");
  assert.equal(ssl("disable"), false);
  assert.equal(ssl("allow"), false);
  assert.deepEqual(ssl("prefer"), { rejectUnauthorized: false });
  assert.deepEqual(ssl("require"), { rejectUnauthorized: false }, "encrypted, not verified");
  const requireWithCa = ssl("require", CA) as { ca: string; checkServerIdentity: () => undefined };
  assert.equal(
    requireWithCa.ca,
    CA,
    "require with a CA verifies the chain, as libpq does with a root certificate",
  );
  assert.equal(requireWithCa.checkServerIdentity(), undefined, "but not the host name");
  const verifyCa = ssl("verify-ca", CA) as { rejectUnauthorized: boolean; checkServerIdentity?: unknown };
  assert.equal(verifyCa.rejectUnauthorized, true);
  assert.equal(typeof verifyCa.checkServerIdentity, "function");
  assert.deepEqual(ssl("verify-full", CA), { rejectUnauthorized: true, ca: CA }, "chain and host name");
  assert.deepEqual(ssl("verify-full"), { rejectUnauthorized: true, ca: undefined }, "the system's roots");
});

test("DATABASE_URL wins over SUPABASE_DB_URL, and sslmode leaves the URL node-postgres parses", () => {
  const direct = "postgresql://postgres:secret@db.ref.supabase.co:5432/postgres";
  assert.equal(settings({ SUPABASE_DB_URL: direct }).connectionString, direct);
  const pooled = settings({
    SUPABASE_DB_URL: direct,
    DATABASE_URL: `${POOLER}?sslmode=require&uselibpqcompat=true&application_name=agent`,
  });
  assert.equal(pooled.connectionString, `${POOLER}?application_name=agent`);
  assert.equal(pooled.max, 5);
  assert.equal(settings({ DATABASE_URL: POOLER, DB_POOL_MAX: "2" }).max, 2);
});

test("settings that cannot work are configuration errors that name the setting, not its value", () => {
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{}, /neither DATABASE_URL nor SUPABASE_DB_URL/],
    [{ DATABASE_URL: "host=db.example.com password=secret" }, /DATABASE_URL is not a URL/],
    [{ DATABASE_URL: `${POOLER}?sslmode=verify` }, /unknown sslmode/],
    [{ DATABASE_URL: `${POOLER}?sslmode=verify-full&sslrootcert=/ca.crt` }, /sslrootcert.*DATABASE_CA_CERT/],
    [{ DATABASE_URL: `${POOLER}?ssl=true` }, /sets ssl/],
    [{ DATABASE_URL: `${POOLER}?sslmode=verify-ca` }, /verify-ca needs the CA/],
    [{ DATABASE_URL: POOLER, DATABASE_CA_CERT: "prod-ca-2021.crt" }, /DATABASE_CA_CERT must be PEM/],
    [{ DATABASE_URL: POOLER, DB_POOL_MAX: "many" }, /DB_POOL_MAX/],
  ];
  for (const [values, message] of cases) {
    assert.throws(() => settings(values), (error: Error) => {
      assert.ok(error instanceof ConfigurationError);
      assert.match(error.message, message);
      assert.ok(!/secret|p%40ss|example\.com/.test(error.message), error.message);
      return true;
    });
  }
});

test("connection failures are logged as a reason and a code, never the message", () => {
  const tls = Object.assign(
    new Error("Hostname/IP does not match certificate's altnames: Host: db.ref.supabase.co"),
    {
      code: "ERR_TLS_CERT_ALTNAME_INVALID",
    },
  );
  assert.deepEqual(connectionFailure(tls), { reason: "tls", code: "ERR_TLS_CERT_ALTNAME_INVALID" });
  const refused = Object.assign(new Error("connect ECONNREFUSED 10.0.0.7:6543"), { code: "ECONNREFUSED" });
  assert.deepEqual(connectionFailure(refused), { reason: "network", code: "ECONNREFUSED" });
  const password = Object.assign(new Error('password authentication failed for user "postgres.ref"'), {
    code: "28P01",
    severity: "FATAL",
  });
  assert.deepEqual(connectionFailure(password), { reason: "database", code: "28P01" });
  assert.deepEqual(connectionFailure(new Error("The server does not support SSL connections")), {
    reason: "tls",
    code: "server_without_tls",
  });
  assert.deepEqual(connectionFailure(new Error("timeout exceeded when trying to connect")), {
    reason: "timeout",
    code: "timeout",
  });
  assert.deepEqual(connectionFailure(new Error("db.ref.supabase.co said no")), {
    reason: "unknown",
    code: "unknown",
  });
});

test("SUPABASE_JWKS is read as a key set or as a bare array of keys", () => {
  assert.deepEqual(parseJwks(JSON.stringify(JWKS)), JWKS);
  assert.deepEqual(parseJwks(JSON.stringify(JWKS.keys)), JWKS);
  for (const malformed of ["{", "{}", '{"keys": {}}', "[1]", '[{"kid": "no kty"}]', "null"]) {
    assert.throws(() => parseJwks(malformed), ConfigurationError, malformed);
  }
});

async function withFunctions(
  env: Record<string, string>,
  body: (url: string, output: string[]) => Promise<void>,
) {
  const server = await spawnServer(
    "./fixtures/serve_functions.ts",
    { REQUEST_LOG: "off", ...env },
    /listening (\d+)/,
  );
  try {
    await body(server.url, server.output);
  } finally {
    await server.stop();
  }
}

async function listConversations(url: string, token: string) {
  const response = await fetch(`${url}/functions/v1/list-conversations`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return { status: response.status, body: await response.json() };
}

test("functions given SUPABASE_JWKS as a bare array accept ES256 tokens", async () => {
  await withFunctions({ SUPABASE_JWKS: JSON.stringify(JWKS.keys) }, async (url) => {
    const token = await es256Token({ sub: crypto.randomUUID(), role: "authenticated" });
    assert.equal((await listConversations(url, token)).status, 200);
  });
});

test("a malformed SUPABASE_JWKS is a logged 500 for ES256 tokens; the function keeps serving", async () => {
  await withFunctions({ SUPABASE_JWKS: '{"keys": "none"}' }, async (url, output) => {
    const token = await es256Token({ sub: crypto.randomUUID(), role: "authenticated" });
    const refused = await listConversations(url, token);
    assert.equal(refused.status, 500);
    assert.deepEqual(refused.body, { error: { code: "internal_error", message: "internal error" } });
    const log = output.join("").split("\n").find((line) => line.includes("ConfigurationError"));
    assert.match(log ?? "", /SUPABASE_JWKS must be/);
    const alice = await newUser();
    assert.equal((await listConversations(url, alice.token)).status, 200, "HS256 tokens still work");
  });
});

test("a database setting that cannot work is a logged 500 on every request, not a crash", async () => {
  await withFunctions(
    { DATABASE_URL: "postgresql://postgres:secret@127.0.0.1:1/postgres?sslmode=verify" },
    async (url, output) => {
      const alice = await newUser();
      for (let attempt = 0; attempt < 2; attempt++) {
        const reply = await listConversations(url, alice.token);
        assert.equal(reply.status, 500);
      }
      const logged = output.join("");
      assert.match(logged, /ConfigurationError.*DATABASE_URL has an unknown sslmode/);
      assert.ok(!logged.includes("secret"));
    },
  );
});
