/**
 * `deno task bench:usage`: what the usage limits cost (issue 28), limits on vs off, one short run:
 * - chat's time to the first text chunk (sequential requests, a mock model that answers at once, the
 *   chat handler in this process): on, every request reserves under the plan and settles at the end;
 *   also on for a heavy user with 5,000 ledger entries today (the check reads the day's entries);
 * - the turn's append (append_messages + get_context in one transaction, as chat sends it) with and
 *   without the reserve_usage statement.
 * Writes bench/results/usage.{json,md}. Makes a throwaway PostgreSQL 15 unless DATABASE_URL is set.
 */
import { migrate } from "../tools/db_migrate.ts";
import { runInThrowawayCluster, throwawayDatabaseUrl } from "../tools/throwaway_db.ts";
import { LOCAL_JWT_SECRET, localProjectUrl, mintToken } from "../local/jwt.ts";

const ROUNDS = 150;
const databaseUrl = Deno.env.get("DATABASE_URL") ?? throwawayDatabaseUrl();
if (!databaseUrl) {
  Deno.exit(await runInThrowawayCluster(import.meta.url, Deno.args, { maxConnections: 50 }));
}
await migrate(databaseUrl);
Deno.env.set("DATABASE_URL", databaseUrl);
Deno.env.set("REQUEST_LOG", "off");
// Tokens as the local server verifies them (local/serve.ts).
Deno.env.set("SUPABASE_JWT_SECRET", LOCAL_JWT_SECRET);
Deno.env.set("SUPABASE_URL", localProjectUrl());

const { simulateReadableStream } = await import("ai");
const { MockLanguageModelV4 } = await import("ai/test");
const { finishPart, textParts } = await import("../local/mock_model.ts");
const { createChatHandler } = await import("../supabase/functions/chat/handler.ts");
const { asCaller } = await import("../supabase/functions/_shared/db.ts");
const { closePool, configuredPool } = await import("../supabase/functions/_shared/db_pool.ts");
const { sql } = await import("../supabase/functions/_shared/sql.ts");
// The functions' own pool, made now that DATABASE_URL is set.
const pool = configuredPool();
const { reserveUsage } = await import("../supabase/functions/chat/usage.ts");
const { localApi } = await import("../local/api.ts");

const instantModel = () =>
  new MockLanguageModelV4({
    doStream: () =>
      Promise.resolve({
        stream: simulateReadableStream({
          chunks: [{ type: "stream-start", warnings: [] }, ...textParts(["Hello ", "there."]), finishPart()],
          initialDelayInMs: null,
          chunkDelayInMs: null,
        }),
      }),
  });

function serve(usageLimits: boolean): string {
  const chat = createChatHandler({ model: instantModel, usageLimits, settings: { flushMs: 0 } });
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    localApi({ functions: { chat } }),
  );
  return `http://127.0.0.1:${server.addr.port}/functions/v1/chat`;
}

/** A user on a plan whose limits are far away (so the checks run and never refuse), with `entries` today. */
async function benchUser(entries: number) {
  const id = crypto.randomUUID();
  await pool.query("insert into auth.users (id) values ($1)", [id]);
  await pool.query(
    `insert into public.usage_plans (name, requests_per_hour, requests_per_day, tokens_per_day)
     values ('bench', 1000000, 1000000, 1000000000000) on conflict (name) do nothing`,
  );
  await pool.query("insert into public.usage_plan_assignments (user_id, plan) values ($1, 'bench')", [id]);
  await pool.query(
    `insert into public.usage_ledger (user_id, model, status, reserved_tokens, input_tokens, output_tokens,
                                      total_tokens, settled_at, created_at)
     select $1, 'bench', 'settled', 1024, 100, 50, 150, now(), now() - (g % 60) * interval '1 second'
     from generate_series(1, $2::int) as g`,
    [id, entries],
  );
  const token = await mintToken({ role: "authenticated", userId: id });
  return {
    id,
    token,
    caller: { role: "authenticated" as const, userId: id, claims: { sub: id, role: "authenticated" } },
  };
}

async function firstChunkMs(url: string, token: string): Promise<number> {
  const started = performance.now();
  const response = await fetch(url, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({
      id: crypto.randomUUID(),
      messages: [{ id: crypto.randomUUID(), role: "user", parts: [{ type: "text", text: "Benchmark me" }] }],
    }),
  });
  if (response.status !== 200) throw new Error(`chat answered ${response.status}`);
  let first = 0;
  for await (const text of response.body!.pipeThrough(new TextDecoderStream())) {
    if (!first && text.includes('"text-delta"')) first = performance.now() - started;
  }
  return first;
}

/** The turn's append as chat sends it, optionally with the reservation; ms. */
async function appendMs(user: Awaited<ReturnType<typeof benchUser>>, reserve: boolean): Promise<number> {
  const conversationId = crypto.randomUUID();
  await asCaller(user.caller, [
    sql`select from public.start_conversation(null, '{}'::jsonb, ${conversationId})`,
  ]);
  const replyId = crypto.randomUUID();
  const messages = [
    { role: "user", content: "Benchmark me", token_count: 5 },
    { role: "assistant", content: null, status: "in_progress", client_message_id: replyId },
  ];
  const started = performance.now();
  await asCaller(user.caller, [
    sql`select m.sequence_order from public.append_messages(${conversationId}, ${messages}::jsonb) as m`,
    sql`select public.get_context(${conversationId}, 16000, 1000, 'ui') as context`,
    ...(reserve ? [reserveUsage(conversationId, replyId, "bench", 1024)] : []),
  ]);
  return performance.now() - started;
}

const percentile = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))];
const round = (value: number) => Math.round(value * 100) / 100;
const summary = (values: number[]) => ({
  p50: round(percentile(values, 0.5)),
  p95: round(percentile(values, 0.95)),
});

const on = serve(true);
const off = serve(false);
const [light, heavy, plain] = await Promise.all([benchUser(0), benchUser(5000), benchUser(0)]);
const samples: Record<string, number[]> = {
  chat_off: [],
  chat_on: [],
  chat_on_heavy: [],
  append_off: [],
  append_on: [],
  append_on_heavy: [],
};
for (let warm = 0; warm < 10; warm++) {
  await firstChunkMs(on, light.token), await firstChunkMs(off, plain.token);
}
// Interleaved, so that drift on the shared machine hits every variant alike.
for (let round = 0; round < ROUNDS; round++) {
  samples.chat_off.push(await firstChunkMs(off, plain.token));
  samples.chat_on.push(await firstChunkMs(on, light.token));
  samples.chat_on_heavy.push(await firstChunkMs(on, heavy.token));
  samples.append_off.push(await appendMs(plain, false));
  samples.append_on.push(await appendMs(light, true));
  samples.append_on_heavy.push(await appendMs(heavy, true));
}
const results = Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, summary(values)]));
const report = {
  date: new Date().toISOString(),
  machine: "shared 2-core machine, other benchmarks and test suites running beside it",
  rounds: ROUNDS,
  results,
};
await Deno.writeTextFile("bench/results/usage.json", JSON.stringify(report, null, 2) + "\n");
const row = (label: string, name: string) => `| ${label} | ${results[name].p50} | ${results[name].p95} |`;
await Deno.writeTextFile(
  "bench/results/usage.md",
  `# Usage limits: on vs off (${report.date.slice(0, 10)})

${ROUNDS} sequential requests of each variant, interleaved, on a ${report.machine}; ms.

| variant | p50 | p95 |
| --- | --- | --- |
${row("chat, time to first text chunk, limits off", "chat_off")}
${row("chat, time to first text chunk, limits on", "chat_on")}
${row("chat, time to first text chunk, limits on, 5,000 entries today", "chat_on_heavy")}
${row("turn append (append_messages + get_context), limits off", "append_off")}
${row("turn append + reserve_usage", "append_on")}
${row("turn append + reserve_usage, 5,000 entries today", "append_on_heavy")}
`,
);
console.log(JSON.stringify(results, null, 2));
await closePool();
Deno.exit(0);
