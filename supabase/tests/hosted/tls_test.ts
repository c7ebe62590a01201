/**
 * TLS to the database on the hosted-like stack (stack.ts): PgBouncer's certificate is signed by the
 * stack's private CA for `localhost` only. libpq's sslmode meanings hold for a function deployed
 * alone, and a certificate that fails verification is a logged 503, never silently accepted.
 */
import assert from "node:assert/strict";
import { mintToken } from "../../../local/jwt.ts";
import { deployAlone } from "../deploy/module_graph.ts";
import { hostedStack, signingKey } from "./stack.ts";

const stack = hostedStack();

/**
 * The service role's answer to list-conversations from a function deployed with these database
 * settings, and the db_unavailable lines it logged.
 */
async function listConversationsWith(database: { url: string; ca?: string }) {
  const { DATABASE_CA_CERT: _, ...env } = stack!.functionEnv;
  const deployed = await deployAlone("list-conversations", {
    ...env,
    DATABASE_URL: database.url,
    ...(database.ca ? { DATABASE_CA_CERT: database.ca } : {}),
  });
  try {
    const token = await mintToken({
      role: "service_role",
      signingKey: await signingKey(stack!),
      expiresIn: "5m",
    });
    const response = await fetch(`${deployed.url}/list-conversations`, {
      headers: { authorization: `Bearer ${token}` },
    });
    return { status: response.status, body: await response.json(), deployed };
  } finally {
    await deployed.stop(); // after this, its output is complete
  }
}

function unavailableLines(output: string[]): string[] {
  return output.join("").split("\n").filter((line) => line.includes('"db_unavailable"'));
}

const pooler = (host: string, mode: string) => {
  const url = new URL(stack!.poolerUrl);
  url.hostname = host;
  url.searchParams.set("sslmode", mode);
  return url.toString();
};

function test(name: string, fn: () => Promise<void>) {
  Deno.test({ name, ignore: !stack, fn });
}

test("sslmode=require connects to a database signed by a private CA, without the CA", async () => {
  const reply = await listConversationsWith({ url: pooler("127.0.0.1", "require") });
  assert.equal(reply.status, 200);
});

test("verify-full with the project's CA connects when the certificate names the host", async () => {
  const reply = await listConversationsWith({ url: pooler("localhost", "verify-full"), ca: stack!.caCert });
  assert.equal(reply.status, 200);
});

test("verify-ca checks the chain and not the host name; verify-full checks both", async () => {
  const byAddress = { ca: stack!.caCert };
  assert.equal(
    (await listConversationsWith({ ...byAddress, url: pooler("127.0.0.1", "verify-ca") })).status,
    200,
  );
  const reply = await listConversationsWith({ ...byAddress, url: pooler("127.0.0.1", "verify-full") });
  assert.equal(reply.status, 503);
  const [logged] = unavailableLines(reply.deployed.output);
  assert.deepEqual(JSON.parse(logged), {
    level: "error",
    event: "db_unavailable",
    reason: "tls",
    code: "ERR_TLS_CERT_ALTNAME_INVALID",
  });
});

test("a server certificate from an unknown CA is refused with verify-full: a 503, logged without host or password", async () => {
  const reply = await listConversationsWith({
    url: pooler("localhost", "verify-full"),
    ca: stack!.unknownCaCert,
  });
  assert.equal(reply.status, 503);
  assert.deepEqual(reply.body, {
    error: { code: "service_unavailable", message: "the database is unavailable, try again shortly" },
  });
  const lines = unavailableLines(reply.deployed.output);
  assert.ok(lines.length > 0, reply.deployed.output.join(""));
  assert.deepEqual(JSON.parse(lines[0]), {
    level: "error",
    event: "db_unavailable",
    reason: "tls",
    code: "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  });
  const password = decodeURIComponent(new URL(stack!.poolerUrl).password);
  for (const line of lines) {
    for (const secret of [password, "localhost", "127.0.0.1", "postgres"]) {
      assert.ok(!line.includes(secret), line);
    }
  }
});
