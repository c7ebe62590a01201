/**
 * `deno task bench [--quick]`: the HTTP API against PostgreSQL's own limit, side by side in one run.
 *
 * For each scenario and concurrency (1, 4, 16) it runs pgbench with the very query message an edge
 * function sends (built by the function's own `statements` and `requestText`, bench/calls.ts), then
 * the same operation over HTTP through the local server with a closed-loop load generator. It
 * reports requests/s, p50/p99 latency, errors and the HTTP/SQL ratio, checks that the appends left
 * every conversation gap-free with one message per acknowledged request, and writes
 * bench/results/latest.{json,md}.
 *
 * Like the tests, it makes a throwaway PostgreSQL 15 with pg_virtualenv unless DATABASE_URL is set.
 */
import { migrate, projectRoot } from "../tools/db_migrate.ts";
import { libpqEnv, runInThrowawayCluster, throwawayDatabaseUrl } from "../tools/throwaway_db.ts";
import { LOCAL_JWT_SECRET, mintToken } from "../local/jwt.ts";
import { countMessageTokens } from "../supabase/functions/_shared/token_counts.ts";
import { type Call, callHttp, pgbenchScript, type ScriptOptions, SENTINEL } from "./calls.ts";
import { COMMON_WORD } from "./corpus.ts";
import { type HttpRequest, runLoad } from "./http_load.ts";
import { partsMessage } from "./parts_message.ts";
import { type Measurement, runPgbench } from "./pgbench.ts";
import { conversationId, layout, seed, type Shape, userId, withClient } from "./seed.ts";
import { startServer } from "./server.ts";

const quick = Deno.args.includes("--quick");
const DURATION_S = quick ? 2 : 8;
const CONCURRENCY = [1, 4, 16];

/**
 * 100 users with 10 conversations each, of 10–150 messages, plus a conversation of 100,000 messages
 * and one of 100 (bench/seed.ts: realistic text, tool calls and token counts).
 */
const SHAPE: Shape = {
  users: 100,
  conversations: 1000,
  hugeMessages: 100_000,
  bigConversations: 1,
  bigMessages: 100,
  heavyConversations: 0,
};
const { huge, firstBig, firstOrdinary, ownerOf, pgbenchOwnerOf } = layout(SHAPE);
/** A user of their own, whose messages never hold the word every other user's messages hold. */
const SEARCHER = SHAPE.users + 1;
const SEARCHER_CONVERSATION = SHAPE.conversations + 1;
/** The searcher's second conversation: 100 parts-heavy messages (bench/parts_message.ts). */
const PARTS_CONVERSATION = SHAPE.conversations + 2;

const MESSAGE = { role: "user", content: "A benchmark message of ordinary length." };

interface Scenario {
  name: string;
  appends: boolean;
  /** The pgbench script: the function's query message, with a target picked per transaction. */
  sql: string;
  /** One HTTP request of the same operation, with a target picked per request. */
  http: (tokens: string[]) => HttpRequest;
}

const pick = (low: number, high: number) => low + Math.floor(Math.random() * (high - low + 1));

/** A call on an ordinary conversation picked at random by pgbench and by the HTTP side alike. */
function onRandomConversation(name: string, appends: boolean, call: (n: number) => Call): Scenario {
  const [low, high] = [firstOrdinary, SHAPE.conversations];
  return {
    name,
    appends,
    sql: pgbenchScript(call(0), {
      setup: [
        `\\set n random(${low}, ${high})`,
        "\\set cid 100000000000 + :n",
        `\\set uid 100000000000 + ${pgbenchOwnerOf(":n")}`,
      ],
      replace: { conversation: "00000000-0000-4000-8000-:cid", user: "00000000-0000-4000-9000-:uid" },
    }),
    http: (tokens) => {
      const n = pick(low, high);
      return callHttp(call(n), tokens[ownerOf(n)]);
    },
  };
}

/** The same call every time. */
function fixed(name: string, appends: boolean, call: Call, token: (tokens: string[]) => string): Scenario {
  return { name, appends, sql: pgbenchScript(call), http: (tokens) => callHttp(call, token(tokens)) };
}

/** Ids of conversation n and its owner; 0 stands for the pgbench sentinels. */
const ids = (n: number) =>
  n === 0
    ? { conversation: SENTINEL.conversation, user: SENTINEL.user }
    : { conversation: conversationId(n), user: userId(ownerOf(n)) };

const append = (n: number): Call => ({
  function: "append-message",
  input: { conversation_id: ids(n).conversation, messages: [MESSAGE] },
  userId: ids(n).user,
});
const appendParts = (n: number): Call => ({
  function: "append-message",
  input: { conversation_id: ids(n).conversation, messages: [partsMessage(n)] },
  userId: ids(n).user,
});
const newestHistory = (n: number): Call => ({
  function: "get-history",
  input: { conversation_id: ids(n).conversation, order: "desc", limit: 50 },
  userId: ids(n).user,
});
const context = (n: number): Call => ({
  function: "get-context",
  input: { conversation_id: ids(n).conversation, max_tokens: 8000 },
  userId: ids(n).user,
});

const SCENARIOS: Scenario[] = [
  onRandomConversation("append, spread", true, append),
  fixed("append, hot conversation", true, append(firstOrdinary), (t) => t[ownerOf(firstOrdinary)]),
  onRandomConversation("append with parts, spread", true, appendParts),
  fixed("history, newest 50 of 100", false, newestHistory(firstBig), (t) => t[ownerOf(firstBig)]),
  fixed("history with parts, newest 50 of 100", false, {
    function: "get-history",
    input: { conversation_id: conversationId(PARTS_CONVERSATION), order: "desc", limit: 50 },
    userId: userId(SEARCHER),
  }, (t) => t[SEARCHER]),
  fixed("history, newest 50 of 100,000", false, newestHistory(huge), (t) => t[ownerOf(huge)]),
  fixed("context, 8,000 tokens of 100", false, context(firstBig), (t) => t[ownerOf(firstBig)]),
  fixed("context, 8,000 tokens of 100,000", false, context(huge), (t) => t[ownerOf(huge)]),
  fixed(
    "search, a word in every message of other users",
    false,
    { function: "search-conversations", input: { q: COMMON_WORD }, userId: userId(SEARCHER) },
    (t) => t[SEARCHER],
  ),
  {
    name: "start",
    appends: false,
    // The function picks a new conversation's id when the client does not; pgbench draws one.
    sql: pgbenchScript(
      { function: "start-conversation", input: { id: SENTINEL.conversation }, userId: SENTINEL.user },
      {
        setup: [
          "\\set id random(200000000000, 999999999999)",
          `\\set uid 100000000000 + random(1, ${SHAPE.users})`,
        ],
        replace: { conversation: "00000000-0000-4000-8000-:id", user: "00000000-0000-4000-9000-:uid" },
      },
    ),
    http: (tokens) => {
      const user = pick(1, SHAPE.users);
      return callHttp({ function: "start-conversation", input: {}, userId: userId(user) }, tokens[user]);
    },
  },
];

/**
 * The spread append sent three ways, SQL only. Extended and prepared statements take pgbench
 * variables as parameters, never inside literals, so each way gets the same 64 fixed calls, one
 * script each, which pgbench picks from at random.
 */
const PROTOCOL_CALLS = Array.from({ length: 64 }, (_, i) => append(firstOrdinary + 1 + i * 13));
const PROTOCOLS: Array<
  { name: string; mode: "simple" | "extended" | "prepared"; send: ScriptOptions["send"] }
> = [
  { name: "1 round trip, simple protocol (what the functions do)", mode: "simple", send: "one message" },
  { name: "5 round trips, extended protocol, unnamed statements", mode: "extended", send: "each statement" },
  { name: "5 round trips, prepared statements", mode: "prepared", send: "each statement" },
];

interface Row {
  scenario: string;
  concurrency: number;
  sql: Measurement;
  http: Measurement;
  ratio: number;
}

/** The searcher: one conversation of 100 messages about something else entirely. */
async function seedSearcher(databaseUrl: string): Promise<void> {
  const messages = Array.from({ length: 100 }, (_, i) => {
    const content = `Notes on the weather in spring, day ${i + 1}: mild, some rain in the afternoon.`;
    return {
      sequence_order: i + 1,
      role: i % 2 === 0 ? "user" : "assistant",
      content,
      token_count: countMessageTokens({ content }),
    };
  });
  await withClient(databaseUrl, async (client) => {
    const [user, conversation] = [userId(SEARCHER), conversationId(SEARCHER_CONVERSATION)];
    await client.query("insert into auth.users (id) values ($1)", [user]);
    await client.query(
      "insert into public.conversations (id, user_id, last_sequence) values ($1, $2, $3)",
      [conversation, user, messages.length],
    );
    await client.query(
      `insert into public.conversation_messages (conversation_id, user_id, sequence_order, role, content, token_count)
       select $1, $2, m.sequence_order, m.role, m.content, m.token_count
       from jsonb_to_recordset($3::jsonb) as m(sequence_order integer, role text, content text, token_count integer)`,
      [conversation, user, JSON.stringify(messages)],
    );
    // Parts-heavy messages, with the columns the database derives from parts.
    const parts = Array.from({ length: 100 }, (_, i) => {
      const message = partsMessage(i + 1);
      return { sequence_order: i + 1, ...message, token_count: countMessageTokens(message) };
    });
    await client.query(
      "insert into public.conversations (id, user_id, last_sequence) values ($1, $2, $3)",
      [conversationId(PARTS_CONVERSATION), user, parts.length],
    );
    await client.query(
      `insert into public.conversation_messages (conversation_id, user_id, sequence_order, role, content, tool_calls,
                                                 parts, metadata, token_count, reasoning_token_count)
       select $1, $2, m.sequence_order, m.role, conversation_store.parts_content(m.parts, m.role),
              conversation_store.parts_tool_calls(m.parts), m.parts, m.metadata, m.token_count,
              conversation_store.estimate_reasoning_tokens(m.parts)
       from jsonb_to_recordset($3::jsonb)
         as m(sequence_order integer, role text, parts jsonb, metadata jsonb, token_count integer)`,
      [conversationId(PARTS_CONVERSATION), user, JSON.stringify(parts)],
    );
  });
}

const vacuum = (databaseUrl: string) =>
  withClient(
    databaseUrl,
    (client) => client.query("vacuum (analyze) public.conversations, public.conversation_messages"),
  );

/** Every conversation is numbered 1..N without gaps; how many messages are stored in all. */
/**
 * How many messages the two context windows hold. The conversation of 100 messages holds fewer than
 * 8,000 tokens, so its window is all of it, and smaller than the other's: the latency ratio compares
 * windows of different sizes, and the cost per window message is the one that should be flat.
 */
async function contextWindows(databaseUrl: string): Promise<{ small: number; large: number }> {
  return await withClient(databaseUrl, async (client) => {
    const { rows: [row] } = await client.query(
      `select json_array_length(public.get_context($1, 8000) -> 'messages') as small,
              json_array_length(public.get_context($2, 8000) -> 'messages') as large`,
      [conversationId(firstBig), conversationId(huge)],
    );
    return row;
  });
}

async function checkMessages(databaseUrl: string): Promise<{ gapFree: boolean; stored: number }> {
  return await withClient(databaseUrl, async (client) => {
    const { rows: [row] } = await client.query(`
      select bool_and(stored = last_sequence and highest = last_sequence and distinct_numbers = stored) as gap_free,
             sum(stored)::bigint as stored
      from (select c.last_sequence, count(m.id) as stored, coalesce(max(m.sequence_order), 0) as highest,
                   count(distinct m.sequence_order) as distinct_numbers
            from public.conversations c left join public.conversation_messages m on m.conversation_id = c.id
            group by c.id) per_conversation`);
    return { gapFree: row.gap_free, stored: Number(row.stored) };
  });
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
      } | ${format(row.ratio, 2)} | ${format(row.sql.p50, 2)} / ${format(row.sql.p99, 2)} | ${
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
  console.log("Seeding 1,000 conversations of 100 users, and conversations of 100 and 100,000 messages…");
  const seeded = await seed(databaseUrl, SHAPE);
  await seedSearcher(databaseUrl);
  const seededMessages = seeded.messages + 200;
  const server = await startServer(databaseUrl);
  const tokens = [""];
  for (let k = 1; k <= SEARCHER; k++) {
    tokens.push(await mintToken({ role: "authenticated", userId: userId(k), secret: LOCAL_JWT_SECRET }));
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
        const sql = await runPgbench({ script: scenario.sql, concurrency, seconds: DURATION_S }, env);
        await vacuum(databaseUrl);
        const http = await runLoad(
          server.url,
          concurrency,
          { seconds: DURATION_S },
          () => scenario.http(tokens),
        );
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
            `HTTP ${format(http.requestsPerSecond, 0)}/s (${format(row.ratio, 2)}x), HTTP p50 ${
              format(http.p50, 1)
            } / p99 ${format(http.p99, 1)} ms, errors ${sql.errors}/${http.errors}`,
        );
      }
    }
  } finally {
    memory = await server.peakMemoryMiB();
    await server.stop();
  }

  const protocols = [];
  for (const protocol of PROTOCOLS) {
    const script = PROTOCOL_CALLS.map((call) => pgbenchScript(call, { send: protocol.send }));
    const measured = await runPgbench(
      { script, concurrency: 16, seconds: DURATION_S, mode: protocol.mode },
      env,
    );
    acknowledgedAppends += measured.completed;
    protocols.push({ protocol: protocol.name, ...measured });
    console.log(
      `[protocol] ${protocol.name}, c=16: ${format(measured.requestsPerSecond, 0)}/s, p99 ${
        format(measured.p99, 1)
      } ms`,
    );
  }

  const messages = await checkMessages(databaseUrl);
  const appended = messages.stored - seededMessages;
  const at16 = (name: string) => rows.find((row) => row.scenario === name && row.concurrency === 16)!;
  const latencyRatio = (large: string, small: string) =>
    at16(large).http.p50 / Math.max(at16(small).http.p50, 0.001);
  const historyLatencyRatio = latencyRatio("history, newest 50 of 100,000", "history, newest 50 of 100");
  const contextLatencyRatio = latencyRatio(
    "context, 8,000 tokens of 100,000",
    "context, 8,000 tokens of 100",
  );
  const windows = await contextWindows(databaseUrl);
  const contextPerMessageRatio = contextLatencyRatio * windows.small / windows.large;
  const searchP50 = at16("search, a word in every message of other users").http.p50;
  const errors = rows.reduce((sum, row) => sum + row.sql.errors + row.http.errors, 0);
  const summary = {
    date: new Date().toISOString(),
    quick,
    durationSeconds: DURATION_S,
    rows,
    historyLatencyRatioHttpP50: historyLatencyRatio,
    contextLatencyRatioHttpP50: contextLatencyRatio,
    contextWindows: windows,
    contextPerMessageRatioHttpP50: contextPerMessageRatio,
    searchHttpP50: searchP50,
    protocols,
    serverPeakMemoryMiB: memory,
    appends: { acknowledged: acknowledgedAppends, stored: appended, gapFree: messages.gapFree },
    errors,
  };
  const markdown = [
    `# Benchmark, ${summary.date}${quick ? " (quick)" : ""}`,
    "",
    `${DURATION_S} s per run on ${
      Deno.env.get("HOSTNAME") ?? "this machine"
    }; SQL = pgbench with the functions' query messages, HTTP = the same operations through the local server, closed loop.`,
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
    `- Context latency, 100,000 vs 100 messages (HTTP p50, c=16): ${
      format(contextLatencyRatio, 2)
    }x, for windows of ${windows.large} and ${windows.small} messages: ${
      format(contextPerMessageRatio, 2)
    }x per window message`,
    `- Search, a word in every message of other users (HTTP p50, c=16): ${format(searchP50, 2)} ms`,
    `- Server peak memory (VmHWM): ${format(memory, 0)} MiB`,
    `- Appends: ${acknowledgedAppends} acknowledged, ${appended} stored, gap-free: ${messages.gapFree}`,
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

  const correct = messages.gapFree && appended === acknowledgedAppends;
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
