/**
 * The local server signs with a well-known secret by default, so it keeps to what is safe with one:
 * no database elsewhere without a secret of your own, CORS `*` only for the embedded database, and
 * users registered only for requests a function accepted, a bounded number of them.
 */
import assert from "node:assert/strict";
import { databaseUrl, freePort, localApi, newUser, pool, spawnServer, test } from "./helpers.ts";

test("the local server refuses a DATABASE_URL elsewhere unless SUPABASE_JWT_SECRET is given", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../../../local/serve.ts", import.meta.url).pathname],
    env: {
      DATABASE_URL: "postgresql://postgres:secret@db.example.com:5432/postgres",
      SUPABASE_JWT_SECRET: "",
      PORT: String(freePort()),
    },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(output.code, 1);
  assert.match(new TextDecoder().decode(output.stderr), /Set SUPABASE_JWT_SECRET to a secret of your own/);
  assert.equal(new TextDecoder().decode(output.stdout), "", "nothing was served");
});

test("on a database of yours, the local server answers only the origins it is given, and its secret key", async () => {
  const port = freePort();
  const server = await spawnServer(
    "../../../local/serve.ts",
    {
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      SUPABASE_URL: "",
      CORS_ORIGINS: "http://app.example.test",
    },
    /Secret key[^\n]*\n(sb_secret_\S+)\n/,
    port,
  );
  try {
    const preflight = (origin: string) =>
      fetch(`${server.url}/functions/v1/list-conversations`, {
        method: "OPTIONS",
        headers: { origin, "access-control-request-method": "GET" },
      });
    const stranger = await preflight("http://some-page.example");
    assert.equal(stranger.headers.get("access-control-allow-origin"), null);
    const app = await preflight("http://app.example.test");
    assert.equal(app.headers.get("access-control-allow-origin"), "http://app.example.test");

    const secretKey = server.output.join("").match(/Secret key[^\n]*\n(sb_secret_\S+)\n/)![1];
    const history = await fetch(
      `${server.url}/functions/v1/get-history?conversation_id=${crypto.randomUUID()}`,
      {
        headers: { apikey: secretKey },
      },
    );
    assert.equal(history.status, 404, "the service role, told the conversation does not exist");
  } finally {
    await server.stop();
  }
});

test("local users are registered only for requests a function accepted, and a bounded number of them", async () => {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, localApi({ maxUsers: 2 }));
  const start = (token: string, body: unknown) =>
    fetch(`http://127.0.0.1:${server.addr.port}/functions/v1/start-conversation`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    }).then(async (response) => ({ status: response.status, body: await response.json() }));
  const registered = async (id: string) =>
    (await pool.query("select 1 from auth.users where id = $1", [id])).rowCount === 1;
  try {
    const [alice, bob, carol] = [await newUser(), await newUser(), await newUser()];
    assert.equal((await start(alice.token, { unknown_field: 1 })).status, 400);
    assert.equal(await registered(alice.id), false, "a refused request registers nobody");

    assert.equal((await start(alice.token, {})).status, 201);
    assert.equal((await start(bob.token, {})).status, 201);
    assert.ok(await registered(alice.id) && await registered(bob.id));

    const beyond = await start(carol.token, {});
    assert.equal(beyond.status, 404);
    assert.equal(beyond.body.error.message, "the owner is not a known user");
    assert.equal(await registered(carol.id), false);
  } finally {
    await server.shutdown();
  }
});
