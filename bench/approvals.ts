/**
 * `deno task bench:approvals`: what replies that wait for the user cost the database (issue 29).
 *
 * In a throwaway PostgreSQL 15 (or DATABASE_URL), one connection, each statement its own
 * transaction as the signed-in owner, as the edge functions send them:
 * - an append of one message (public.append_messages) to a conversation with no waiting reply,
 *   with the triggers that settle waiting replies, and with them disabled: what every append pays;
 * - an append after a waiting reply, which the trigger settles;
 * - a round of public.await_tool_input then public.answer_tool_calls (the approval applied, the
 *   reply in progress again), then the reply finished.
 * Each is timed per statement (median and 95th percentile, ms). Results go to
 * bench/results/approvals.{json,md}.
 */
// @ts-types="npm:@types/pg@8.23.1"
import pg from "pg";
import { migrate, projectRoot } from "../tools/db_migrate.ts";
import { runInThrowawayCluster, throwawayDatabaseUrl } from "../tools/throwaway_db.ts";

const ROUNDS = Deno.args.includes("--quick") ? 200 : 1000;
const databaseUrl = Deno.env.get("DATABASE_URL") ?? throwawayDatabaseUrl();
if (!databaseUrl) {
  Deno.exit(await runInThrowawayCluster(import.meta.url, Deno.args, { maxConnections: 20 }));
}

const USER = "00000000-0000-4000-8000-0000000000a1";
const TRIGGERS = [
  "conversation_messages_settle_waiting_replies",
  "conversation_messages_settle_inserted_waiting_reply",
];
const WAITING = JSON.stringify([
  { type: "step-start" },
  {
    type: "tool-call",
    tool_call_id: "c1",
    tool_name: "start_video_render",
    state: "approval-requested",
    input: { prompt: "a cat" },
    approval: { id: "a1" },
  },
]);
const ANSWER = JSON.stringify([{
  type: "tool-call",
  tool_call_id: "c1",
  tool_name: "start_video_render",
  state: "approval-responded",
  input: { prompt: "a cat" },
  approval: { id: "a1", approved: true },
}]);

await migrate(databaseUrl);
const client = new pg.Client({ connectionString: databaseUrl });
await client.connect();
await client.query(`insert into auth.users (id) values ('${USER}') on conflict do nothing`);

/** Runs `sql` in one transaction as the user; its duration in ms. */
async function asUser(sql: string): Promise<number> {
  const started = performance.now();
  await client.query(`begin;
    select set_config('role', 'authenticated', true),
           set_config('request.jwt.claims', '{"sub": "${USER}", "role": "authenticated"}', true);
    ${sql};
    commit;`);
  return performance.now() - started;
}

const percentile = (values: number[], p: number) =>
  values.toSorted((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))];
const summary = (values: number[]) => ({
  median_ms: Number(percentile(values, 0.5).toFixed(3)),
  p95_ms: Number(percentile(values, 0.95).toFixed(3)),
});

/** A conversation of the user; its id. */
async function conversation(): Promise<string> {
  const id = crypto.randomUUID();
  await asUser(`select from public.start_conversation(p_id => '${id}')`);
  return id;
}

const append = (id: string, n: number) =>
  asUser(`select from public.append_messages('${id}', '[{"role": "user", "content": "message ${n}"}]')`);

async function appends(): Promise<number[]> {
  const id = await conversation();
  const times: number[] = [];
  for (let n = 0; n < ROUNDS; n++) times.push(await append(id, n));
  return times;
}

const withTriggers = await appends();
await client.query(
  `alter table public.conversation_messages ${TRIGGERS.map((t) => `disable trigger ${t}`).join(", ")}`,
);
const withoutTriggers = await appends();
await client.query(
  `alter table public.conversation_messages ${TRIGGERS.map((t) => `enable trigger ${t}`).join(", ")}`,
);

const settling: number[] = [];
const waiting: number[] = [];
const answering: number[] = [];
for (let n = 0; n < ROUNDS / 10; n++) {
  const id = await conversation();
  await asUser(`select from public.append_messages('${id}', '[{"role": "user", "content": "Render"},
    {"role": "assistant", "status": "in_progress", "client_message_id": "r", "parts": ${WAITING}}]')`);
  // The reply sent by append_messages is at sequence 2; it waits, is answered, finishes.
  waiting.push(await asUser(`select from public.await_tool_input('${id}', 2)`));
  answering.push(await asUser(`select from public.answer_tool_calls('${id}', 'r', '${ANSWER}')`));
  await asUser(`select from public.update_message('${id}', 2, p_status => 'completed')`);
  await asUser(
    `select from public.append_messages('${id}', '[{"role": "assistant", "status": "in_progress", "client_message_id": "s", "parts": ${WAITING}}]')`,
  );
  await asUser(`select from public.await_tool_input('${id}', 3)`);
  settling.push(await append(id, n));
}
await client.end();

const results = {
  taken: new Date().toISOString(),
  machine: "a shared 2-core machine, other helpers' tests running",
  rounds: ROUNDS,
  append_with_settle_triggers: summary(withTriggers),
  append_without_settle_triggers: summary(withoutTriggers),
  append_settling_a_waiting_reply: summary(settling),
  await_tool_input: summary(waiting),
  answer_tool_calls: summary(answering),
};
const row = (name: string, value: { median_ms: number; p95_ms: number }) =>
  `| ${name} | ${value.median_ms} | ${value.p95_ms} |`;
await Deno.writeTextFile(
  `${projectRoot}/bench/results/approvals.json`,
  JSON.stringify(results, null, 2) + "\n",
);
await Deno.writeTextFile(
  `${projectRoot}/bench/results/approvals.md`,
  [
    `# Replies that wait: database cost (${results.taken}, ${results.machine})`,
    "",
    `One connection, each statement one transaction as the owner; ${ROUNDS} appends each, ${
      ROUNDS / 10
    } approval rounds.`,
    "",
    "| statement | median (ms) | p95 (ms) |",
    "| --- | --- | --- |",
    row("append of one message, settle triggers on", results.append_with_settle_triggers),
    row("append of one message, settle triggers off", results.append_without_settle_triggers),
    row("append after a waiting reply (settles it)", results.append_settling_a_waiting_reply),
    row("await_tool_input", results.await_tool_input),
    row("answer_tool_calls (one approval)", results.answer_tool_calls),
    "",
  ].join("\n"),
);
console.log(JSON.stringify(results, null, 2));
