/**
 * A database restart mid-load. While appends flow through a function server in its own process,
 * the PostgreSQL server is stopped and started again. Requests during the outage must fail fast
 * with 503; the server must serve again without a restart; after clients retry with their
 * client_message_id, every acknowledged message is stored exactly once, and numbering has no gap.
 *
 * Needs control of the server, so it runs on the throwaway cluster of `deno task test`
 * (THROWAWAY_CLUSTER names it) and is skipped with a DATABASE_URL of your own.
 */
import assert from "node:assert/strict";
import { databaseUrl, newUser, spawnServer, startConversation, test } from "../functions/helpers.ts";
import { assertGapFree, storedKeys } from "./checks.ts";

const cluster = Deno.env.get("THROWAWAY_CLUSTER")?.split(" ");
const WORKERS = 8;
const REQUEST_TIMEOUT_MS = 15_000; // a request still open after this counts as a hang

async function pgCtl(action: "stop" | "start") {
  const args = [...cluster!, action, ...(action === "stop" ? ["-m", "fast"] : [])];
  const output = await new Deno.Command("pg_ctlcluster", { args, stdout: "piped", stderr: "piped" }).output();
  if (!output.success) {
    throw new Error(`pg_ctlcluster ${args.join(" ")}: ${new TextDecoder().decode(output.stderr)}`);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

if (cluster) {
  test("a PostgreSQL restart under load loses nothing, duplicates nothing, and never hangs a request", async () => {
    const alice = await newUser();
    const ids: string[] = [];
    for (let n = 0; n < 4; n++) ids.push(await startConversation(alice));
    const server = await spawnServer("../functions/fixtures/serve_functions.ts", {
      SUPABASE_DB_URL: databaseUrl,
      DB_POOL_MAX: "8",
    }, /listening (\d+)/);

    const figures = { sent: 0, acknowledged: 0, unavailable: 0, hangs: 0, other: [] as string[] };
    const attempted = new Set<string>();
    const acknowledged = new Set<string>();
    let outageOver = false;
    let stopSending = false;

    // Each worker sends new messages until told to stop, retrying each one until it is acknowledged.
    async function worker(index: number) {
      for (let n = 0; !stopSending; n++) {
        const key = `outage-${index}-${n}`;
        const body = JSON.stringify({
          conversation_id: ids[(index + n) % ids.length],
          message: { role: "user", content: `worker ${index} message ${n}`, client_message_id: key },
        });
        attempted.add(key);
        for (let attempt = 0;; attempt++) {
          figures.sent++;
          let status = 0;
          try {
            const response = await fetch(`${server.url}/functions/v1/append-message`, {
              method: "POST",
              headers: { authorization: `Bearer ${alice.token}`, "content-type": "application/json" },
              body,
              signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
            });
            status = response.status;
            await response.body?.cancel();
          } catch (error) {
            if ((error as Error).name === "TimeoutError") figures.hangs++;
            else figures.other.push(String(error));
          }
          if (status === 200 || status === 201) {
            figures.acknowledged++;
            acknowledged.add(key);
            break;
          }
          if (status === 503) figures.unavailable++;
          else if (status !== 0) figures.other.push(`HTTP ${status}`);
          if (attempt > 200) throw new Error(`${key} was never acknowledged`);
          await sleep(outageOver ? 20 : 100);
        }
      }
    }

    try {
      const load = Promise.all(Array.from({ length: WORKERS }, (_, index) => worker(index)));
      await sleep(1_000);
      await pgCtl("stop");
      await sleep(2_000);
      await pgCtl("start");
      outageOver = true;
      await sleep(1_000);
      stopSending = true;
      await load;
    } finally {
      await server.stop();
    }

    const stored = await storedKeys(ids);
    const duplicates = [...stored.values()].filter((copies) => copies > 1).length;
    const lost = [...acknowledged].filter((key) => !stored.has(key)).length;
    console.log(
      `outage: ${figures.sent} requests sent, ${figures.acknowledged} acknowledged, ` +
        `${figures.unavailable} failed with 503, ${figures.hangs} hung, ${duplicates} duplicates, ${lost} lost`,
    );
    assert.ok(figures.unavailable > 0, "the outage was observed");
    assert.equal(figures.hangs, 0, "no request hung");
    assert.deepEqual(figures.other, [], "every failure was a 503");
    assert.equal(acknowledged.size, attempted.size, "every message was eventually acknowledged");
    assert.equal(duplicates, 0);
    assert.equal(lost, 0);
    assert.equal(stored.size, acknowledged.size);
    await assertGapFree(ids);
  });
}
