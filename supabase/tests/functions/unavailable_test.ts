/** A database that is down or does not answer is a 503 within seconds, never a hang or a 500. */
import assert from "node:assert/strict";
import { newUser, spawnServer, test } from "./helpers.ts";

async function appendThrough(url: string, token: string) {
  const response = await fetch(`${url}/functions/v1/append-message`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({
      conversation_id: crypto.randomUUID(),
      message: { role: "user", content: "hello" },
    }),
    signal: AbortSignal.timeout(15_000),
  });
  return { status: response.status, body: await response.json() };
}

test("a database that refuses connections is a 503", async () => {
  const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (closed.addr as Deno.NetAddr).port;
  closed.close();
  const server = await spawnServer("./fixtures/serve_functions.ts", {
    DATABASE_URL: `postgresql://postgres:postgres@127.0.0.1:${port}/postgres`,
  }, /listening (\d+)/);
  try {
    const alice = await newUser();
    const reply = await appendThrough(server.url, alice.token);
    assert.equal(reply.status, 503);
    assert.deepEqual(reply.body, {
      error: { code: "service_unavailable", message: "the database is unavailable, try again shortly" },
    });
  } finally {
    await server.stop();
  }
});

test("a database that accepts connections but never answers is a 503, not a hang", async () => {
  const silent = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  (async () => {
    for await (const connection of silent) held.push(connection);
  })();
  const server = await spawnServer("./fixtures/serve_functions.ts", {
    DATABASE_URL: `postgresql://postgres:postgres@127.0.0.1:${(silent.addr as Deno.NetAddr).port}/postgres`,
  }, /listening (\d+)/);
  try {
    const alice = await newUser();
    const reply = await appendThrough(server.url, alice.token);
    assert.equal(reply.status, 503);
  } finally {
    await server.stop();
    silent.close();
    for (const connection of held) connection.close();
  }
});
