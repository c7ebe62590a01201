/**
 * `deno task bench [--quick]`: the HTTP API against PostgreSQL's own limit, side by side in one run.
 *
 * For each scenario and concurrency (1, 4, 16) it runs pgbench with the very statements an edge
 * function sends (one query message: the caller's role and claims, then the work), then the same
 * operation over HTTP through the local server with a closed-loop load generator. It reports requests/s, p50/p99
 * latency, errors and the HTTP/SQL ratio, checks that the appends left every conversation gap-free
 * with one message per acknowledged request, and writes bench/results/latest.{json,md}.
 *
 * Like the tests, it makes a throwaway PostgreSQL 15 with pg_virtualenv unless DATABASE_URL is set.
 */
// @ts-types="npm:@types/pg@8.23.1"
import pg from "pg";
import { migrate, projectRoot } from "../scripts/db_migrate.ts";
import { libpqEnv, runInThrowawayCluster, throwawayDatabaseUrl } from "../scripts/throwaway_db.ts";
import { LOCAL_JWT_SECRET, mintToken } from "../scripts/local_tokens.ts";
import { type HttpRequest, runLoad } from "./http_load.ts";
import { MESSAGE_JSON } from "../supabase/functions/_shared/db.ts";

const quick = Deno.args.includes("--quick");
const DURATION_S = quick ? 2 : 8;
const CONCURRENCY = [1, 4, 16];
const USERS = 100;
const CONVERSATIONS = 1000;

// Seeded ids are derived from numbers, so pgbench scripts and HTTP requests compute them alike.
const conversationId = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
const userId = (n: number) => `00000000-0000-4000-9000-${String(n).padStart(12, "0")}`;
const ownerOf = (n: number) => (n % USERS) + 1;
const HISTORY_100 = "00000000-0000-4000-a000-000000000100";
const HISTORY_100K = "00000000-0000-4000-a000-000000100000";
const NEW_CONVERSATION = `('00000000-0000-4000-b000-' || lpad(:id::text, 12, '0'))::uuid`;
const SQL_CONVERSATION = `('00000000-0000-4000-8000-' || lpad(:n::text, 12, '0'))::uuid`;
const SQL_CLAIMS =
  `json_build_object('sub', '00000000-0000-4000-9000-' || lpad((:n % ${USERS} + 1)::text, 12, '0'), 'role', 'authenticated')::text`;
const SQL_HISTORY_OWNER_CLAIMS = `json_build_object('sub', '${userId(1)}', 'role', 'authenticated')::text`;

/** The preamble every function request starts with (supabase/functions/_shared/db.ts, asCaller). */
const asCaller = (claims: string) =>
  `select set_config('role', 'authenticated', true), set_config('request.jwt.claims', ${claims}, true), set_config('statement_timeout', '8s', true) \\;`;

/** The functions' own SQL fragment for a message, on one line for pgbench. */
const MESSAGE_OBJECT = MESSAGE_JSON.text.replace(/\s+/g, " ");

/** The messages of m as the functions shape them. */
const messagesJson = (source: string) =>
  `select coalesce(json_agg(${MESSAGE_OBJECT} order by m.sequence_order), '[]') as messages from ${source} as m`;

interface Scenario {
  name: string;
  appends: boolean;
  /** pgbench script: the statements of one function request, sent as one query message. */
  sql: string;
  /** One HTTP request of the same operation. */
  http: (tokens: string[]) => HttpRequest;
}

const MESSAGE = JSON.stringify([{ role: "user", content: "A benchmark message of ordinary length." }]);

function appendScenario(name: string, pick: string, pickHttp: () => number): Scenario {
  return {
    name,
    appends: true,
    sql: `\\set n ${pick}
${asCaller(SQL_CLAIMS)} ${
      messagesJson(`public.append_messages(${SQL_CONVERSATION}, '${MESSAGE}'::jsonb, null)`)
    } \\; select json_build_object('id', c.id, 'last_sequence', c.last_sequence, 'updated_at', c.updated_at) as conversation, current_setting('conversation_store.appended_count')::integer as appended from public.conversations as c where c.id = ${SQL_CONVERSATION}
`,
    http: (tokens) => {
      const n = pickHttp();
      return {
        method: "POST",
        path: "/functions/v1/append-message",
        headers: { authorization: `Bearer ${tokens[ownerOf(n)]}`, "content-type": "application/json" },
        body: JSON.stringify({ conversation_id: conversationId(n), messages: JSON.parse(MESSAGE) }),
      };
    },
  };
}

/** get-history's statements for `order=desc&limit=50` (supabase/functions/get-history/handler.ts). */
function historyScenario(name: string, id: string): Scenario {
  const page =
    `select coalesce(json_agg(${MESSAGE_OBJECT} order by m.position) filter (where m.position <= 50), '[]') as messages,
    count(*) > 50 as has_more, case when count(*) > 50 then min(m.sequence_order) filter (where m.position = 50) end as next_cursor
    from (select *, row_number() over (order by sequence_order desc) as position from public.conversation_messages
          where conversation_id = '${id}' order by sequence_order desc limit 51) as m`.replace(/\s+/g, " ");
  return {
    name,
    appends: false,
    sql: `${
      asCaller(SQL_HISTORY_OWNER_CLAIMS)
    } select to_json(c) as conversation from public.conversations as c where c.id = '${id}' \\; ${page}
`,
    http: (tokens) => ({
      method: "GET",
      path: `/functions/v1/get-history?conversation_id=${id}&order=desc&limit=50`,
      headers: { authorization: `Bearer ${tokens[1]}` },
    }),
  };
}

const SCENARIOS: Scenario[] = [
  appendScenario(
    "append, spread",
    `random(1, ${CONVERSATIONS})`,
    () => 1 + Math.floor(Math.random() * CONVERSATIONS),
  ),
  appendScenario("append, hot conversation", "1", () => 1),
  historyScenario("history, newest 50 of 100", HISTORY_100),
  historyScenario("history, newest 50 of 100,000", HISTORY_100K),
  {
    name: "start",
    appends: false,
    // The function picks the id of a new conversation itself; here pgbench draws it at random.
    sql: `\\set n random(1, ${CONVERSATIONS})
\\set id random(1, 999999999999)
${
      asCaller(SQL_CLAIMS)
    } select current_setting('conversation_store.conversation_created')::boolean as created from public.start_conversation(null, '{}'::jsonb, ${NEW_CONVERSATION}, null) \\; select '[]'::json as messages \\; select to_json(c) as conversation from public.conversations as c where c.id = ${NEW_CONVERSATION}
`,
    http: (tokens) => ({
      method: "POST",
      path: "/functions/v1/start-conversation",
      headers: {
        authorization: `Bearer ${tokens[1 + Math.floor(Math.random() * USERS)]}`,
        "content-type": "application/json",
      },
      body: "{}",
    }),
  },
];

/**
 * The append of "append, spread" as drivers usually send it: BEGIN, settings, call, summary, COMMIT,
 * five round trips, with pgbench's extended protocol (unnamed statements, what a transaction pooler
 * allows) or prepared statements (what a direct or session-pooled connection allows).
 */
const APPEND_IN_FIVE_ROUND_TRIPS = `\\set n random(1, ${CONVERSATIONS})
begin;
${asCaller(SQL_CLAIMS).replace(" \\;", ";")}
${messagesJson(`public.append_messages(${SQL_CONVERSATION}, '${MESSAGE}'::jsonb, null)`)};
select json_build_object('id', c.id, 'last_sequence', c.last_sequence, 'updated_at', c.updated_at) as conversation, current_setting('conversation_store.appended_count')::integer as appended from public.conversations as c where c.id = ${SQL_CONVERSATION};
commit;
`;

const PROTOCOLS = [
  {
    name: "1 round trip, simple protocol (what the functions do)",
    mode: "simple",
    script: () => SCENARIOS[0].sql,
  },
  {
    name: "5 round trips, extended protocol, unnamed statements",
    mode: "extended",
    script: () => APPEND_IN_FIVE_ROUND_TRIPS,
  },
  { name: "5 round trips, prepared statements", mode: "prepared", script: () => APPEND_IN_FIVE_ROUND_TRIPS },
] as const;

interface Measurement {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
  completed: number;
}

interface Row {
  scenario: string;
  concurrency: number;
  sql: Measurement;
  http: Measurement;
  ratio: number;
}

function percentile(sorted: number[], fraction: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))];
}

async function runPgbench(
  script: string,
  concurrency: number,
  env: Record<string, string>,
  mode: "simple" | "extended" | "prepared" = "simple",
): Promise<Measurement> {
  const dir = await Deno.makeTempDir({ prefix: "bench-pgbench-" });
  await Deno.writeTextFile(`${dir}/script.sql`, script);
  const output = await new Deno.Command("pgbench", {
    args: [
      "-n",
      "-M",
      mode,
      "-c",
      String(concurrency),
      "-j",
      String(Math.min(concurrency, 2)),
      "-T",
      String(DURATION_S),
      "-f",
      `${dir}/script.sql`,
      "-l",
      `--log-prefix=${dir}/log`,
    ],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stdout);
  if (!output.success) throw new Error(`pgbench failed:\n${text}${new TextDecoder().decode(output.stderr)}`);
  const latencies: number[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.name.startsWith("log")) continue;
    for (const line of (await Deno.readTextFile(`${dir}/${entry.name}`)).split("\n")) {
      const micros = Number(line.split(" ")[2]);
      if (line && Number.isFinite(micros)) latencies.push(micros / 1000);
    }
  }
  await Deno.remove(dir, { recursive: true });
  latencies.sort((a, b) => a - b);
  const failed = Number(text.match(/number of failed transactions: (\d+)/)?.[1] ?? 0);
  return {
    requestsPerSecond: Number(text.match(/tps = ([\d.]+)/)?.[1] ?? 0),
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    errors: failed,
    completed: Number(text.match(/number of transactions actually processed: (\d+)/)?.[1] ?? 0),
  };
}

async function seed(databaseUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query(`
    insert into auth.users (id)
      select ('00000000-0000-4000-9000-' || lpad(n::text, 12, '0'))::uuid from generate_series(1, ${USERS}) n
      on conflict do nothing;
    insert into public.conversations (id, user_id)
      select ('00000000-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid,
             ('00000000-0000-4000-9000-' || lpad((n % ${USERS} + 1)::text, 12, '0'))::uuid
      from generate_series(1, ${CONVERSATIONS}) n on conflict do nothing;
    insert into public.conversations (id, user_id, last_sequence) values
      ('${HISTORY_100}', '${userId(1)}', 100), ('${HISTORY_100K}', '${
    userId(1)
  }', 100000) on conflict do nothing;
    insert into public.conversation_messages (conversation_id, user_id, sequence_order, role, content)
      select c.id, c.user_id, n, case when n % 2 = 0 then 'assistant' else 'user' end, 'Seeded message ' || n
      from public.conversations c cross join lateral generate_series(1, c.last_sequence) n
      where c.id in ('${HISTORY_100}', '${HISTORY_100K}')
      on conflict do nothing;
    analyze;
  `);
  await client.end();
}

async function vacuum(databaseUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query("vacuum (analyze) public.conversations, public.conversation_messages");
  await client.end();
}

/** Every seeded conversation numbered 1..N; the number of messages appended during the run. */
async function checkAppends(databaseUrl: string): Promise<{ gapFree: boolean; appended: number }> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const { rows: [row] } = await client.query(`
    select bool_and(stored = last_sequence and highest = last_sequence and distinct_numbers = stored) as gap_free,
           sum(stored)::int as appended
    from (select c.last_sequence, count(m.id) as stored, coalesce(max(m.sequence_order), 0) as highest,
                 count(distinct m.sequence_order) as distinct_numbers
          from public.conversations c left join public.conversation_messages m on m.conversation_id = c.id
          where c.id::text like '00000000-0000-4000-8000-%' group by c.id) per_conversation`);
  await client.end();
  return { gapFree: row.gap_free, appended: row.appended };
}

async function startServer(databaseUrl: string) {
  const port = 54400 + Math.floor(Math.random() * 500);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${projectRoot}/scripts/serve.ts`],
    env: {
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      REQUEST_LOG: "off",
      DB_POOL_MAX: Deno.env.get("DB_POOL_MAX") ?? "8",
    },
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  while (!seen.includes("Try it:")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the server did not start:\n${seen}`);
    seen += value;
  }
  (async () => {
    while (!(await reader.read()).done);
  })();
  return { child, url: `http://127.0.0.1:${port}` };
}

async function peakMemoryMiB(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  return Number(status.match(/VmHWM:\s+(\d+) kB/)?.[1] ?? 0) / 1024;
}

const format = (value: number, digits = 1) => value.toFixed(digits);

function table(rows: Row[]): string {
  const lines = [
    "| scenario | c | SQL req/s | HTTP req/s | HTTP/SQL | SQL p50 / p99 ms | HTTP p50 / p99 ms | errors SQL / HTTP |",
    "|---|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const row of rows) {
    lines.push(
      `| ${row.scenario} | ${row.concurrency} | ${format(row.sql.requestsPerSecond, 0)} | ${
        format(row.http.requestsPerSecond, 0)
      } | ` +
        `${format(row.ratio, 2)} | ${format(row.sql.p50, 2)} / ${format(row.sql.p99, 2)} | ${
          format(row.http.p50, 2)
        } / ${format(row.http.p99, 2)} | ${row.sql.errors} / ${row.http.errors} |`,
    );
  }
  return lines.join("\n");
}

async function main(databaseUrl: string): Promise<number> {
  const started = performance.now();
  console.log(
    `Benchmark${quick ? " (quick)" : ""}: ${DURATION_S} s per run, concurrency ${CONCURRENCY.join(", ")}`,
  );
  await migrate(databaseUrl);
  console.log("Seeding 1,000 conversations for 100 users, and histories of 100 and 100,000 messages…");
  await seed(databaseUrl);
  const server = await startServer(databaseUrl);
  const tokens = [""];
  for (let n = 1; n <= USERS; n++) {
    tokens.push(await mintToken({ role: "authenticated", userId: userId(n), secret: LOCAL_JWT_SECRET }));
  }
  const env = libpqEnv(databaseUrl);

  const rows: Row[] = [];
  let acknowledgedAppends = 0;
  let memory = 0;
  const total = SCENARIOS.length * CONCURRENCY.length;
  try {
    for (const scenario of SCENARIOS) {
      for (const concurrency of CONCURRENCY) {
        // Each side starts from a vacuumed table, so that neither pays for the other's dead rows.
        await vacuum(databaseUrl);
        const sql = await runPgbench(scenario.sql, concurrency, env);
        await vacuum(databaseUrl);
        const http = await runLoad(server.url, concurrency, DURATION_S, () => scenario.http(tokens));
        if (scenario.appends) acknowledgedAppends += sql.completed + http.completed;
        const row = {
          scenario: scenario.name,
          concurrency,
          sql,
          http,
          ratio: http.requestsPerSecond / sql.requestsPerSecond,
        };
        rows.push(row);
        console.log(
          `[${rows.length}/${total}] ${scenario.name}, c=${concurrency}: SQL ${
            format(sql.requestsPerSecond, 0)
          }/s, ` +
            `HTTP ${format(http.requestsPerSecond, 0)}/s (${format(row.ratio, 2)}x), HTTP p99 ${
              format(http.p99, 1)
            } ms, ` +
            `errors ${sql.errors}/${http.errors}`,
        );
      }
    }
  } finally {
    memory = await peakMemoryMiB(server.child.pid);
    server.child.kill("SIGINT");
    await server.child.status;
  }

  const protocols = [];
  for (const protocol of PROTOCOLS) {
    const measured = await runPgbench(protocol.script(), 16, env, protocol.mode);
    acknowledgedAppends += measured.completed;
    protocols.push({ protocol: protocol.name, ...measured });
    console.log(
      `[protocol] ${protocol.name}, c=16: ${format(measured.requestsPerSecond, 0)}/s, p99 ${
        format(measured.p99, 1)
      } ms`,
    );
  }

  const appends = await checkAppends(databaseUrl);
  const at16 = (name: string) => rows.find((row) => row.scenario === name && row.concurrency === 16)!;
  const historyLatencyRatio = at16("history, newest 50 of 100,000").http.p50 /
    Math.max(at16("history, newest 50 of 100").http.p50, 0.001);
  const errors = rows.reduce((sum, row) => sum + row.sql.errors + row.http.errors, 0);
  const summary = {
    date: new Date().toISOString(),
    quick,
    durationSeconds: DURATION_S,
    rows,
    historyLatencyRatioHttpP50: historyLatencyRatio,
    protocols,
    serverPeakMemoryMiB: memory,
    appends: { acknowledged: acknowledgedAppends, stored: appends.appended, gapFree: appends.gapFree },
    errors,
  };
  const markdown = [
    `# Benchmark, ${summary.date}${quick ? " (quick)" : ""}`,
    "",
    `${DURATION_S} s per run on ${
      Deno.env.get("HOSTNAME") ?? "this machine"
    }; SQL = pgbench with the functions' statements, HTTP = the same operations through the local server, closed loop.`,
    "",
    table(rows),
    "",
    "Append, spread, c=16, SQL only: the same transaction sent three ways",
    "",
    "| how the transaction is sent | req/s | p50 / p99 ms |",
    "|---|---:|---:|",
    ...protocols.map((p) =>
      `| ${p.protocol} | ${format(p.requestsPerSecond, 0)} | ${format(p.p50, 2)} / ${format(p.p99, 2)} |`
    ),
    "",
    `- History latency, 100,000 vs 100 messages (HTTP p50, c=16): ${format(historyLatencyRatio, 2)}x`,
    `- Server peak memory (VmHWM): ${format(memory, 0)} MiB`,
    `- Appends: ${acknowledgedAppends} acknowledged, ${appends.appended} stored, gap-free: ${appends.gapFree}`,
    `- Errors in all runs: ${errors}`,
    `- Took ${format((performance.now() - started) / 1000, 0)} s`,
    "",
  ].join("\n");
  await Deno.mkdir(`${projectRoot}/bench/results`, { recursive: true });
  await Deno.writeTextFile(
    `${projectRoot}/bench/results/latest.json`,
    JSON.stringify(summary, null, 2) + "\n",
  );
  await Deno.writeTextFile(`${projectRoot}/bench/results/latest.md`, markdown);
  console.log(`\n${markdown}`);

  const correct = appends.gapFree && appends.appended === acknowledgedAppends;
  if (!correct) {
    console.error("CORRECTNESS CHECK FAILED: the appends are not all stored exactly once, gap-free");
  }
  return correct ? 0 : 1;
}

if (import.meta.main) {
  const databaseUrl = Deno.env.get("DATABASE_URL") ?? throwawayDatabaseUrl();
  Deno.exit(
    databaseUrl
      ? await main(databaseUrl)
      : await runInThrowawayCluster(import.meta.url, Deno.args, { maxConnections: 200 }),
  );
}
