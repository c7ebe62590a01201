/** The README's first command: the local server on the embedded database keeps data across restarts. */
import assert from "node:assert/strict";
import { freePort, newUser, spawnServer, test } from "./helpers.ts";

test("the local server on PGlite serves the API and keeps messages across a restart", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "conversation-store-pglite-" });
  const env = { DATA_DIR: dataDir, PORT: String(freePort()), DB_PORT: String(freePort()), DATABASE_URL: "" };
  const alice = await newUser();
  const headers = { authorization: `Bearer ${alice.token}`, "content-type": "application/json" };
  const ready = /curl -s .*append-message.*\n/;
  const conversationId = crypto.randomUUID();

  const first = await spawnServer("../../../local/serve.ts", env, ready, Number(env.PORT));
  try {
    assert.match(first.output.join(""), /Token for alice/);
    assert.match(first.output.join(""), /curl -s .*append-message/);
    const started = await fetch(`${first.url}/functions/v1/start-conversation`, {
      method: "POST",
      headers,
      body: JSON.stringify({ id: conversationId, messages: [{ role: "system", content: "kept" }] }),
    });
    assert.equal(started.status, 201, await started.text());
    const appended = await fetch(`${first.url}/functions/v1/append-message`, {
      method: "POST",
      headers,
      body: JSON.stringify({
        conversation_id: conversationId,
        message: { role: "user", content: "also kept" },
      }),
    });
    assert.equal(appended.status, 201, await appended.text());
  } finally {
    const status = await first.stop("SIGINT");
    assert.equal(status.code, 0, "Ctrl-C stops the server cleanly");
  }

  const second = await spawnServer("../../../local/serve.ts", env, ready, Number(env.PORT));
  try {
    const history = await fetch(
      `${second.url}/functions/v1/get-history?conversation_id=${conversationId}&format=openai`,
      { headers },
    );
    assert.equal(history.status, 200);
    assert.deepEqual((await history.json()).messages, [
      { role: "system", content: "kept" },
      { role: "user", content: "also kept" },
    ]);
  } finally {
    await second.stop("SIGINT");
    await Deno.remove(dataDir, { recursive: true });
  }
});
