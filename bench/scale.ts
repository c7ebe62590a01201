/**
 * `deno task bench:scale [--quick]`: does the store stay flat at ten million messages?
 *
 * In one throwaway PostgreSQL 15 cluster it seeds two databases of the same shape (bench/seed.ts):
 * a large one of about 10,000,000 messages (1,000,000 with --quick) and a small one of 100,000,
 * starts the local server on each, and measures every scenario on both, interleaved (small, then
 * large, for each scenario), over HTTP and as the very query message the function sends through
 * pgbench. It prints the large/small ratio of each scenario as it goes, records each table's and
 * index's size, bytes per message and every scenario's plan, measures the index diet against the
 * schema that shipped first (the six 20261124 migrations) on the same data, and writes
 * bench/results/scale.json and scale.md.
 *
 * It takes about 30 minutes (5 with --quick) and most of the machine; it is not part of the tests.
 */
import { migrate, projectRoot, withLocalSslMode } from "../tools/db_migrate.ts";
import { LOCAL_JWT_SECRET, mintToken } from "../local/tokens.ts";
import { libpqEnv, runInThrowawayCluster, throwawayDatabaseUrl } from "../tools/throwaway_db.ts";
import { type Call, callHttp, pgbenchScript, SENTINEL } from "./calls.ts";
import { COMMON_WORD, RARE_WORD } from "./corpus.ts";
import { type HttpRequest, runLoad } from "./http_load.ts";
import { type Measurement, runPgbench } from "./pgbench.ts";
import { capturePlans, renderPlan, statementText, storePlans } from "./plans.ts";
import {
  conversationId,
  LARGE,
  layout,
  scaled,
  seed,
  type Shape,
  SMALL,
  userId,
  withClient,
} from "./seed.ts";
import { type LocalServer, startServer } from "./server.ts";

const quick = Deno.args.includes("--quick");
const SHAPES = { small: SMALL, large: quick ? scaled(LARGE, 10) : LARGE };
const DURATION_S = quick ? 3 : 10;
const CONCURRENCY = 8;
const FORKS = quick ? 5 : 20;
/** Deletes of a big conversation measured on each side (each on a conversation of its own). */
const DELETES = 3;
const SEED_JOBS = 2;
const STATEMENT_TIMEOUT_MS = 8000;

/**
 * Memory for a database of about 7 GB on a machine of 23 GB; the rest as pg_virtualenv sets it
 * (fsync off: these are CPU and memory figures, not a disk's). WAL may grow during seeding rather
 * than checkpoint every few seconds.
 */
const CLUSTER_SETTINGS = {
  shared_buffers: "2GB",
  effective_cache_size: "16GB",
  maintenance_work_mem: "1GB",
  max_wal_size: "32GB",
  checkpoint_timeout: "30min",
};

type Size = "small" | "large";

interface Database {
  size: Size;
  url: string;
  shape: Shape;
  layout: ReturnType<typeof layout>;
  env: Record<string, string>;
  server: LocalServer;
  tokens: string[];
}

const format = (value: number, digits = 1) => value.toFixed(digits);
const count = (value: number) => value.toLocaleString("en-US");
const pick = (low: number, high: number) => low + Math.floor(Math.random() * (high - low + 1));
const progress = (line: string) => console.log(`${new Date().toISOString().slice(11, 19)} ${line}`);

function databaseUrl(clusterUrl: string, name: string): string {
  const url = new URL(clusterUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

// ---------------------------------------------------------------------------------------------
// Scenarios

/** How a scenario loads a database: the function's SQL for pgbench, the same call over HTTP. */
interface Load {
  sql: string;
  http: () => HttpRequest;
  /** A call of the kind the load sends, whose plans are recorded. */
  example: Call;
}

const history = (conversation: string, user: string, page: Record<string, string | number>): Call => ({
  function: "get-history",
  input: { conversation_id: conversation, ...page },
  userId: user,
});
const NEWEST = { order: "desc", limit: 50 };
const append = (conversation: string, user: string): Call => ({
  function: "append-message",
  input: {
    conversation_id: conversation,
    message: { role: "user", content: "A benchmark message of ordinary length." },
  },
  userId: user,
});
const context = (conversation: string, user: string): Call => ({
  function: "get-context",
  input: { conversation_id: conversation, max_tokens: 8000 },
  userId: user,
});
const list = (user: string): Call => ({ function: "list-conversations", input: {}, userId: user });
const search = (user: string, q: string): Call => ({
  function: "search-conversations",
  input: { q },
  userId: user,
});

/** A call on an ordinary conversation that pgbench and the HTTP side pick at random, per request. */
function onOrdinaryConversation(db: Database, call: (conversation: string, user: string) => Call): Load {
  const [low, high] = [db.layout.firstOrdinary, db.shape.conversations];
  return {
    sql: pgbenchScript(call(SENTINEL.conversation, SENTINEL.user), {
      setup: [
        `\\set n random(${low}, ${high})`,
        "\\set cid 100000000000 + :n",
        `\\set uid 100000000000 + ${db.layout.pgbenchOwnerOf(":n")}`,
      ],
      replace: { conversation: "00000000-0000-4000-8000-:cid", user: "00000000-0000-4000-9000-:uid" },
    }),
    http: () => {
      const n = pick(low, high);
      return callHttp(call(conversationId(n), userId(db.layout.ownerOf(n))), db.tokens[db.layout.ownerOf(n)]);
    },
    example: call(conversationId(low), userId(db.layout.ownerOf(low))),
  };
}

/** A call by an ordinary user (one who owns only ordinary conversations), picked at random. */
function byOrdinaryUser(db: Database, call: (user: string) => Call): Load {
  const [low, high] = [db.layout.ordinaryUser, db.shape.users];
  return {
    sql: pgbenchScript(call(SENTINEL.user), {
      setup: [`\\set uid 100000000000 + random(${low}, ${high})`],
      replace: { user: "00000000-0000-4000-9000-:uid" },
    }),
    http: () => {
      const user = pick(low, high);
      return callHttp(call(userId(user)), db.tokens[user]);
    },
    example: call(userId(low)),
  };
}

/** The same call every time, by the owner of conversation `n` (or by `user`). */
function fixed(db: Database, call: Call, user: number): Load {
  return { sql: pgbenchScript(call), http: () => callHttp(call, db.tokens[user]), example: call };
}

const owned = (db: Database, n: number) => [conversationId(n), userId(db.layout.ownerOf(n))] as const;

interface Scenario {
  name: string;
  load: (db: Database) => Load;
  /** Transactions per side instead of a duration, at concurrency 1: for calls that add data. */
  requests?: number;
}

const SCENARIOS: Scenario[] = [
  {
    name: "history, newest 50 of an ordinary conversation",
    load: (db) => onOrdinaryConversation(db, (c, u) => history(c, u, NEWEST)),
  },
  {
    name: "history, newest 50 of the huge conversation",
    load: (db) => fixed(db, history(...owned(db, db.layout.huge), NEWEST), db.layout.ownerOf(db.layout.huge)),
  },
  {
    name: "history, a page half way into the huge conversation",
    load: (db) =>
      fixed(
        db,
        history(...owned(db, db.layout.huge), { after: db.shape.hugeMessages / 2, limit: 50 }),
        db.layout.ownerOf(db.layout.huge),
      ),
  },
  {
    name: "context, 8,000 tokens of the huge conversation",
    load: (db) => fixed(db, context(...owned(db, db.layout.huge)), db.layout.ownerOf(db.layout.huge)),
  },
  { name: "list, an ordinary user", load: (db) => byOrdinaryUser(db, list) },
  {
    name: "list, the heavy user",
    load: (db) => fixed(db, list(userId(db.layout.heavyUser)), db.layout.heavyUser),
  },
  {
    name: "search, a common word, an ordinary user",
    load: (db) => byOrdinaryUser(db, (u) => search(u, COMMON_WORD)),
  },
  {
    name: "search, a rare word, an ordinary user",
    load: (db) => byOrdinaryUser(db, (u) => search(u, RARE_WORD)),
  },
  { name: "append, an ordinary conversation", load: (db) => onOrdinaryConversation(db, append) },
  {
    name: "append, the huge conversation (hot)",
    load: (db) => fixed(db, append(...owned(db, db.layout.huge)), db.layout.ownerOf(db.layout.huge)),
  },
  {
    name: "fork, 1,000 messages of a big conversation",
    load: (db) =>
      fixed(
        db,
        {
          function: "fork-conversation",
          input: { conversation_id: conversationId(db.layout.firstBig), through_sequence: 1000 },
          userId: userId(db.layout.ownerOf(db.layout.firstBig)),
        },
        db.layout.ownerOf(db.layout.firstBig),
      ),
    requests: FORKS,
  },
];

interface Side {
  sql: Measurement;
  http: Measurement;
}

interface ScenarioResult {
  name: string;
  concurrency: number;
  small: Side;
  large: Side;
  /** Large p50 over small p50. */
  ratio: { sql: number; http: number };
  plans: Record<Size, string[]>;
}

async function vacuumConversations(db: Database): Promise<void> {
  // Appends and forks leave dead conversation rows (every append moves updated_at); neither side
  // should pay for the other's.
  await withClient(db.url, (client) => client.query("vacuum public.conversations"));
}

async function measure(db: Database, scenario: Scenario): Promise<Side> {
  const load = scenario.load(db);
  const concurrency = scenario.requests ? 1 : CONCURRENCY;
  await vacuumConversations(db);
  const sql = await runPgbench(
    scenario.requests
      ? { script: load.sql, concurrency, transactionsPerClient: scenario.requests }
      : { script: load.sql, concurrency, seconds: DURATION_S },
    db.env,
  );
  await vacuumConversations(db);
  const http = await runLoad(
    db.server.url,
    concurrency,
    scenario.requests ? { requests: scenario.requests } : { seconds: DURATION_S },
    load.http,
  );
  return { sql, http };
}

/**
 * The plans of one call, each once (a function's loop runs the same statements many times), as a
 * first call plans them and, where they differ, as plpgsql's generic plans (what a pooled
 * connection runs after five calls).
 */
async function plansOf(db: Database, call: Call): Promise<string[]> {
  const shown = new Map<string, string>();
  for (const generic of [false, true]) {
    for (const { query, plan } of storePlans(await capturePlans(db.url, call, { generic }))) {
      const statement = statementText(query);
      const rendered = renderPlan(plan);
      const key = `${statement}\n${rendered}`;
      if (!shown.has(key)) {
        shown.set(key, `-- ${generic ? "(generic plan) " : ""}${statement.slice(0, 160)}\n${rendered}`);
      }
    }
  }
  return [...shown.values()];
}

// ---------------------------------------------------------------------------------------------
// Deletes: destructive, so each is measured once per object. The SQL side runs the function's
// message inside BEGIN … ROLLBACK (the data stays), the HTTP side deletes for real.

interface Timed {
  ms: number;
  ok: boolean;
  detail?: unknown;
}

async function sqlOnce(db: Database, script: string): Promise<Timed> {
  try {
    const run = await runPgbench({ script, concurrency: 1, transactionsPerClient: 1 }, db.env);
    return { ms: run.p50, ok: run.errors === 0 && run.completed === 1 };
  } catch (error) {
    return { ms: NaN, ok: false, detail: (error as Error).message.slice(0, 500) };
  }
}

async function httpOnce(db: Database, call: Call, user: number): Promise<Timed> {
  const request = callHttp(call, db.tokens[user]);
  const started = performance.now();
  const response = await fetch(`${db.server.url}${request.path}`, {
    method: request.method,
    headers: request.headers,
    body: request.body,
  });
  const detail = await response.json();
  return { ms: performance.now() - started, ok: response.ok, detail };
}

interface DeleteResults {
  plans: { deleteConversation: string[]; deleteAll: string[] };
  deleteConversation: { messages: number; sql: Timed[]; http: Timed[] };
  purge: { calls: number; slowestCallMs: number; totalMs: number; messages: number };
  authCascade: { conversations: number; messages: number; sql: Timed };
  deleteAll: { conversations: number; messages: number; sql: Timed; http: Timed[] };
}

async function deletes(db: Database): Promise<DeleteResults> {
  const { firstBig, heavyUser, ownerOf } = db.layout;
  const deleteCall = (n: number): Call => ({
    function: "delete-conversation",
    input: { conversation_id: conversationId(n) },
    userId: userId(ownerOf(n)),
  });
  const deleteAll: Call = { function: "delete-all-conversations", input: {}, userId: userId(heavyUser) };
  // Captured rolled back, before anything is deleted for real.
  const plans = {
    deleteConversation: await plansOf(db, deleteCall(firstBig + 1)),
    deleteAll: await plansOf(db, deleteAll),
  };
  // Conversation firstBig is the fork's source; the next ones are deleted, SQL side first.
  const sql: Timed[] = [];
  const http: Timed[] = [];
  for (let i = 1; i <= DELETES; i++) {
    sql.push(await sqlOnce(db, pgbenchScript(deleteCall(firstBig + i), { send: "rolled back" })));
  }
  for (let i = DELETES + 1; i <= 2 * DELETES; i++) {
    http.push(await httpOnce(db, deleteCall(firstBig + i), ownerOf(firstBig + i)));
  }
  progress(
    `${db.size}: delete-conversation of ${count(db.shape.bigMessages)} messages: SQL ${
      sql.map((t) => format(t.ms, 0)).join(", ")
    } ms; HTTP ${http.map((t) => format(t.ms, 0)).join(", ")} ms`,
  );

  // What the deletes left is reclaimed by the purge, in bounded calls.
  const purge = await withClient(db.url, async (client) => {
    const remaining = async () =>
      Number(
        (await client.query(
          "select count(*) from public.conversation_messages m join public.conversations c on c.id = m.conversation_id where c.deleted_at is not null",
        )).rows[0].count,
      );
    const messages = await remaining();
    let calls = 0;
    let slowest = 0;
    const started = performance.now();
    while (await remaining() > 0) {
      const callStarted = performance.now();
      await client.query("select public.purge_expired_conversations()");
      slowest = Math.max(slowest, performance.now() - callStarted);
      calls++;
    }
    return { calls, slowestCallMs: slowest, totalMs: performance.now() - started, messages };
  });
  progress(
    `${db.size}: purge reclaimed ${count(purge.messages)} messages in ${purge.calls} calls, slowest ${
      format(purge.slowestCallMs, 0)
    } ms`,
  );

  const heavy = await withClient(db.url, async (client) =>
    (await client.query(
      "select count(*)::integer as conversations, coalesce(sum(last_sequence), 0)::integer as messages from public.conversations where user_id = $1",
      [userId(heavyUser)],
    )).rows[0]);
  // Deleting the user in Supabase Auth: the foreign keys cascade to every conversation and message.
  const cascade = await sqlOnce(
    db,
    `begin;\ndelete from auth.users where id = '${userId(heavyUser)}';\nrollback;\n`,
  );
  progress(
    `${db.size}: Auth deletes the heavy user (${count(heavy.conversations)} conversations, ${
      count(heavy.messages)
    } messages), cascading: ${format(cascade.ms, 0)} ms`,
  );

  const deleteAllSql = await sqlOnce(db, pgbenchScript(deleteAll, { send: "rolled back" }));
  const deleteAllHttp: Timed[] = [];
  do {
    deleteAllHttp.push(await httpOnce(db, deleteAll, heavyUser));
  } while (
    deleteAllHttp.at(-1)!.ok && !(deleteAllHttp.at(-1)!.detail as { done: boolean }).done &&
    deleteAllHttp.length < 100
  );
  progress(
    `${db.size}: delete-all of the heavy user: SQL first call ${
      format(deleteAllSql.ms, 0)
    } ms; HTTP ${deleteAllHttp.length} calls, ${deleteAllHttp.map((t) => format(t.ms, 0)).join(", ")} ms`,
  );
  return {
    plans,
    deleteConversation: { messages: db.shape.bigMessages, sql, http },
    purge,
    authCascade: { ...heavy, sql: cascade },
    deleteAll: { ...heavy, sql: deleteAllSql, http: deleteAllHttp },
  };
}

// ---------------------------------------------------------------------------------------------
// Sizes

interface Sizes {
  messages: number;
  conversations: number;
  averageContentBytes: number;
  relations: Array<{ table: string; name: string; kind: "heap" | "toast" | "index"; bytes: number }>;
  bytesPerMessage: { heap: number; indexes: number; total: number; byRelation: Record<string, number> };
}

async function sizes(url: string): Promise<Sizes> {
  return await withClient(url, async (client) => {
    const { rows: [counts] } = await client.query(`
      select (select count(*) from public.conversation_messages)::bigint as messages,
             (select count(*) from public.conversations)::bigint as conversations,
             (select avg(octet_length(content)) from public.conversation_messages)::float8 as content`);
    const { rows } = await client.query(`
      select t.relname as table, t.relname as name, 'heap' as kind, pg_relation_size(t.oid) as bytes
      from pg_class t where t.oid in ('public.conversations'::regclass, 'public.conversation_messages'::regclass)
      union all
      select t.relname, 'toast', 'toast', pg_table_size(t.oid) - pg_relation_size(t.oid)
      from pg_class t where t.oid in ('public.conversations'::regclass, 'public.conversation_messages'::regclass)
      union all
      select t.relname, i.relname, 'index', pg_relation_size(i.oid)
      from pg_index x join pg_class i on i.oid = x.indexrelid join pg_class t on t.oid = x.indrelid
      where t.oid in ('public.conversations'::regclass, 'public.conversation_messages'::regclass)
      order by 1, 3, 4 desc`);
    const relations = rows.map((row) => ({ ...row, bytes: Number(row.bytes) }));
    const messages = Number(counts.messages);
    const ofMessages = relations.filter((relation) => relation.table === "conversation_messages");
    const sum = (kinds: string[]) =>
      ofMessages.filter((relation) => kinds.includes(relation.kind)).reduce(
        (total, relation) => total + relation.bytes,
        0,
      );
    return {
      messages,
      conversations: Number(counts.conversations),
      averageContentBytes: counts.content,
      relations,
      bytesPerMessage: {
        heap: sum(["heap", "toast"]) / messages,
        indexes: sum(["index"]) / messages,
        total: sum(["heap", "toast", "index"]) / messages,
        byRelation: Object.fromEntries(
          ofMessages.map((relation) => [relation.name, relation.bytes / messages]),
        ),
      },
    };
  });
}

// ---------------------------------------------------------------------------------------------
// The index diet: the same data under the schema that shipped first, and under all migrations.

const SHIPPED_MIGRATIONS = 6;

/** Applies the Supabase baseline and the first migrations, as `supabase migration up` would have then. */
async function migrateAsShipped(url: string): Promise<void> {
  const files = [...Deno.readDirSync(`${projectRoot}/supabase/migrations`)].map((entry) => entry.name).sort()
    .slice(0, SHIPPED_MIGRATIONS);
  await withClient(withLocalSslMode(url), async (client) => {
    await client.query(await Deno.readTextFile(`${projectRoot}/local/supabase_baseline.sql`));
    for (const file of files) {
      await client.query(await Deno.readTextFile(`${projectRoot}/supabase/migrations/${file}`));
    }
  });
}

/**
 * The append rate of public.append_messages itself, as each schema has it (the edge function of the
 * first release sent other SQL), one message per call on random ordinary conversations.
 */
async function appendRate(url: string, shape: Shape): Promise<Measurement> {
  const { firstOrdinary, pgbenchOwnerOf } = layout(shape);
  const script = [
    `\\set n random(${firstOrdinary}, ${shape.conversations})`,
    `\\set uid 100000000000 + ${pgbenchOwnerOf(":n")}`,
    "select set_config('role', 'authenticated', true), " +
    `set_config('request.jwt.claims', '{"sub": "00000000-0000-4000-9000-' || :uid || '", "role": "authenticated"}', true) \\;`,
    `select count(*) from public.append_messages(('00000000-0000-4000-8000-' || (100000000000 + :n))::uuid, ` +
    `'[{"role": "user", "content": "A benchmark message of ordinary length."}]'::jsonb)`,
    "",
  ].join("\n");
  await withClient(url, (client) => client.query("vacuum public.conversations"));
  return await runPgbench({ script, concurrency: CONCURRENCY, seconds: DURATION_S }, libpqEnv(url));
}

async function seedDatabase(
  clusterUrl: string,
  name: string,
  shape: Shape,
  shipped = false,
): Promise<string> {
  const url = databaseUrl(clusterUrl, name);
  await withClient(clusterUrl, (client) => client.query(`create database ${name}`));
  if (shipped) await migrateAsShipped(url);
  else await migrate(url);
  let last = performance.now();
  const seeded = await seed(url, shape, {
    jobs: SEED_JOBS,
    progress: (line) => {
      // A line a minute is enough to see it move.
      if (performance.now() - last < 60_000) return;
      last = performance.now();
      progress(`${name}: ${line}`);
    },
  });
  progress(
    `${name}: seeded ${count(seeded.messages)} messages in ${format(seeded.seconds, 0)} s; vacuum, analyze…`,
  );
  await withClient(
    url,
    (client) => client.query("vacuum (analyze) public.conversations, public.conversation_messages"),
  );
  return url;
}

// ---------------------------------------------------------------------------------------------

async function loadAverage(): Promise<string> {
  return (await Deno.readTextFile("/proc/loadavg")).split(" ").slice(0, 3).join(" ");
}

async function main(clusterUrl: string): Promise<number> {
  const started = performance.now();
  const loadAtStart = await loadAverage();
  progress(
    `Scale benchmark${quick ? " (quick)" : ""}: large ${
      count(SHAPES.large.conversations)
    } conversations, small ${
      count(SHAPES.small.conversations)
    }; ${DURATION_S} s per side, c=${CONCURRENCY}; load average ${loadAtStart}`,
  );

  const seedStarted: Record<Size, number> = { small: 0, large: 0 };
  const seedSeconds: Record<Size, number> = { small: 0, large: 0 };
  const urls = {} as Record<Size, string>;
  for (const size of ["small", "large"] as const) {
    seedStarted[size] = performance.now();
    urls[size] = await seedDatabase(clusterUrl, `scale_${size}`, SHAPES[size]);
    seedSeconds[size] = (performance.now() - seedStarted[size]) / 1000;
  }
  const measuredSizes = { small: await sizes(urls.small), large: await sizes(urls.large) };
  // The index diet's "after", on the data as seeded (the scenarios change it).
  progress("index diet: append rate on all migrations…");
  const appendAfter = await appendRate(urls.large, SHAPES.large);
  for (const size of ["small", "large"] as const) {
    const b = measuredSizes[size].bytesPerMessage;
    progress(
      `${size}: ${count(measuredSizes[size].messages)} messages, ${format(b.total, 0)} bytes each (heap ${
        format(b.heap, 0)
      }, indexes ${format(b.indexes, 0)})`,
    );
  }

  const databases = {} as Record<Size, Database>;
  for (const size of ["small", "large"] as const) {
    const shape = SHAPES[size];
    const tokens = [""];
    for (let k = 1; k <= shape.users; k++) {
      tokens.push(await mintToken({ role: "authenticated", userId: userId(k), secret: LOCAL_JWT_SECRET }));
    }
    databases[size] = {
      size,
      url: urls[size],
      shape,
      layout: layout(shape),
      env: libpqEnv(urls[size]),
      server: await startServer(urls[size]),
      tokens,
    };
  }

  const results: ScenarioResult[] = [];
  let deleteResults: Record<Size, DeleteResults>;
  try {
    for (const [index, scenario] of SCENARIOS.entries()) {
      const small = await measure(databases.small, scenario);
      const large = await measure(databases.large, scenario);
      const plans = {
        small: await plansOf(databases.small, scenario.load(databases.small).example),
        large: await plansOf(databases.large, scenario.load(databases.large).example),
      };
      const result: ScenarioResult = {
        name: scenario.name,
        concurrency: scenario.requests ? 1 : CONCURRENCY,
        small,
        large,
        ratio: { sql: large.sql.p50 / small.sql.p50, http: large.http.p50 / small.http.p50 },
        plans,
      };
      results.push(result);
      progress(
        `[${index + 1}/${SCENARIOS.length}] ${scenario.name}: SQL p50 ${format(small.sql.p50, 2)} → ${
          format(large.sql.p50, 2)
        } ms (${format(result.ratio.sql, 2)}x), HTTP p50 ${format(small.http.p50, 2)} → ${
          format(large.http.p50, 2)
        } ms (${format(result.ratio.http, 2)}x); large ${format(large.sql.requestsPerSecond, 0)} SQL/s, ${
          format(large.http.requestsPerSecond, 0)
        } HTTP/s; errors ${small.sql.errors + small.http.errors + large.sql.errors + large.http.errors}`,
      );
    }
    deleteResults = { small: await deletes(databases.small), large: await deletes(databases.large) };
  } finally {
    for (const db of Object.values(databases)) await db.server.stop();
  }

  // The index diet's "before": the same seed under the schema as shipped.
  const sizesAfter = measuredSizes.large;
  for (const size of ["small", "large"] as const) {
    await withClient(clusterUrl, (client) => client.query(`drop database scale_${size}`));
  }
  progress("index diet: seeding the same data under the first six migrations…");
  const beforeUrl = await seedDatabase(clusterUrl, "scale_shipped", SHAPES.large, true);
  const sizesBefore = await sizes(beforeUrl);
  const appendBefore = await appendRate(beforeUrl, SHAPES.large);
  progress(
    `index diet: ${format(sizesBefore.bytesPerMessage.total, 0)} → ${
      format(sizesAfter.bytesPerMessage.total, 0)
    } bytes per message; appends ${format(appendBefore.requestsPerSecond, 0)} → ${
      format(appendAfter.requestsPerSecond, 0)
    }/s`,
  );

  const summary = {
    date: new Date().toISOString(),
    quick,
    settings: { ...CLUSTER_SETTINGS, fsync: "off", durationSeconds: DURATION_S, concurrency: CONCURRENCY },
    loadAverage: { start: loadAtStart, end: await loadAverage() },
    shapes: SHAPES,
    seedSeconds,
    sizes: measuredSizes,
    scenarios: results,
    deletes: deleteResults!,
    diet: {
      shipped: { sizes: sizesBefore, append: appendBefore },
      current: { sizes: sizesAfter, append: appendAfter },
    },
    seconds: (performance.now() - started) / 1000,
  };
  await Deno.mkdir(`${projectRoot}/bench/results`, { recursive: true });
  await Deno.writeTextFile(
    `${projectRoot}/bench/results/scale.json`,
    JSON.stringify(summary, null, 2) + "\n",
  );
  await Deno.writeTextFile(`${projectRoot}/bench/results/scale.md`, markdown(summary));
  progress(`done in ${format(summary.seconds / 60, 1)} min: bench/results/scale.md`);
  const errors = results.reduce(
    (sum, r) => sum + r.small.sql.errors + r.small.http.errors + r.large.sql.errors + r.large.http.errors,
    0,
  );
  return errors === 0 ? 0 : 1;
}

// ---------------------------------------------------------------------------------------------
// The report

type Summary = {
  date: string;
  quick: boolean;
  settings: Record<string, string | number>;
  loadAverage: { start: string; end: string };
  shapes: Record<Size, Shape>;
  seedSeconds: Record<Size, number>;
  sizes: Record<Size, Sizes>;
  scenarios: ScenarioResult[];
  deletes: Record<Size, DeleteResults>;
  diet: Record<"shipped" | "current", { sizes: Sizes; append: Measurement }>;
  seconds: number;
};

function sizeTable(sizes: Record<string, Sizes>): string[] {
  const columns = Object.keys(sizes);
  const names = [
    ...new Set(Object.values(sizes).flatMap((s) => s.relations.map((r) => `${r.table}|${r.name}|${r.kind}`))),
  ];
  const mb = (bytes: number | undefined) => bytes === undefined ? "–" : format(bytes / 1048576, 0);
  const perMessage = (size: Sizes, key: string) => {
    const [table, name] = key.split("|");
    return table === "conversation_messages" ? format(size.bytesPerMessage.byRelation[name] ?? 0, 1) : "";
  };
  return [
    `| relation | kind | ${columns.map((c) => `${c} MB | ${c} bytes/message`).join(" | ")} |`,
    `|---|---|${columns.map(() => "---:|---:").join("|")}|`,
    ...names.map((key) => {
      const [table, name, kind] = key.split("|");
      return `| ${table === name ? table : `${table}.${name}`} | ${kind} | ${
        columns.map((c) => {
          const relation = sizes[c].relations.find((r) => `${r.table}|${r.name}|${r.kind}` === key);
          return `${mb(relation?.bytes)} | ${relation ? perMessage(sizes[c], key) : "–"}`;
        }).join(" | ")
      } |`;
    }),
    `| **messages: heap + toast** | | ${
      columns.map((c) => `| ${format(sizes[c].bytesPerMessage.heap, 0)}`).join(" | ")
    } |`,
    `| **messages: indexes** | | ${
      columns.map((c) => `| ${format(sizes[c].bytesPerMessage.indexes, 0)}`).join(" | ")
    } |`,
    `| **messages: total** | | ${
      columns.map((c) => `| **${format(sizes[c].bytesPerMessage.total, 0)}**`).join(" | ")
    } |`,
  ];
}

function markdown(s: Summary): string {
  const t = (timed: Timed[]) =>
    timed.map((x) => (x.ok ? format(x.ms, 0) : `failed (${format(x.ms, 0)})`)).join(", ");
  const scenario = (name: string) => s.scenarios.find((r) => r.name === name)!;
  const within = (name: string, other: string) =>
    scenario(name).large.http.p50 / scenario(other).large.http.p50;
  const lines = [
    `# Scale benchmark, ${s.date}${s.quick ? " (quick)" : ""}`,
    "",
    "`deno task bench:scale" + (s.quick ? " --quick" : "") +
    "`: two databases of the same shape in one throwaway PostgreSQL 15 cluster " +
    `(${Object.entries(s.settings).map(([k, v]) => `${k}=${v}`).join(", ")}); ` +
    `load average ${s.loadAverage.start} at the start, ${s.loadAverage.end} at the end.`,
    "",
    "| | users | conversations | huge conversation | big conversations | heavy user's conversations | messages | seeded in |",
    "|---|---:|---:|---:|---:|---:|---:|---:|",
    ...(["small", "large"] as const).map((size) => {
      const shape = s.shapes[size];
      return `| ${size} | ${count(shape.users)} | ${count(shape.conversations)} | ${
        count(shape.hugeMessages)
      } | ${shape.bigConversations} × ${count(shape.bigMessages)} | ${count(shape.heavyConversations)} | ${
        count(s.sizes[size].messages)
      } | ${format(s.seedSeconds[size], 0)} s |`;
    }),
    "",
    `Content averages ${format(s.sizes.large.averageContentBytes, 0)} bytes per message.`,
    "",
    "## Scenarios",
    "",
    "Each side runs the same calls: SQL is pgbench sending the function's query message, HTTP the local server. " +
    `p50 in ms; ratio = large / small; c = ${CONCURRENCY} for ${s.settings.durationSeconds} s a side, ` +
    `forks ${FORKS} one after another.`,
    "",
    "| scenario | SQL p50 small | SQL p50 large | ratio | HTTP p50 small | HTTP p50 large | ratio | large SQL req/s | large HTTP req/s | HTTP/SQL | errors |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...s.scenarios.map((r) =>
      `| ${r.name} | ${format(r.small.sql.p50, 2)} | ${format(r.large.sql.p50, 2)} | ${
        format(r.ratio.sql, 2)
      } | ${format(r.small.http.p50, 2)} | ${format(r.large.http.p50, 2)} | ${format(r.ratio.http, 2)} | ${
        format(r.large.sql.requestsPerSecond, 0)
      } | ${format(r.large.http.requestsPerSecond, 0)} | ${
        format(r.large.http.requestsPerSecond / r.large.sql.requestsPerSecond, 2)
      } | ${r.small.sql.errors + r.small.http.errors + r.large.sql.errors + r.large.http.errors} |`
    ),
    "",
    "Within the large database (HTTP p50):",
    "",
    `- list, the heavy user / an ordinary user: ${
      format(within("list, the heavy user", "list, an ordinary user"), 2)
    }x`,
    `- history, a page half way into / newest 50 of the huge conversation: ${
      format(
        within(
          "history, a page half way into the huge conversation",
          "history, newest 50 of the huge conversation",
        ),
        2,
      )
    }x`,
    "",
    "## Deletes",
    "",
    "SQL runs the function's message inside BEGIN … ROLLBACK; HTTP deletes for real. Times in ms, one call per object. " +
    `The functions' statement timeout is ${STATEMENT_TIMEOUT_MS / 1000} s.`,
    "",
    "| | small | large |",
    "|---|---|---|",
    `| delete-conversation of a big conversation (${count(s.shapes.small.bigMessages)} / ${
      count(s.shapes.large.bigMessages)
    } messages), SQL | ${t(s.deletes.small.deleteConversation.sql)} | ${
      t(s.deletes.large.deleteConversation.sql)
    } |`,
    `| the same, HTTP | ${t(s.deletes.small.deleteConversation.http)} | ${
      t(s.deletes.large.deleteConversation.http)
    } |`,
    `| purge of what the HTTP deletes left: messages, calls, slowest call, total | ${
      (["small", "large"] as const).map((size) => {
        const p = s.deletes[size].purge;
        return `${count(p.messages)}, ${p.calls}, ${format(p.slowestCallMs, 0)}, ${format(p.totalMs, 0)}`;
      }).join(" | ")
    } |`,
    `| Supabase Auth deletes the heavy user (cascade), SQL | ${
      (["small", "large"] as const).map((size) => {
        const c = s.deletes[size].authCascade;
        return `${t([c.sql])} (${count(c.conversations)} conversations, ${count(c.messages)} messages)`;
      }).join(" | ")
    } |`,
    `| delete-all-conversations of the heavy user, first call, SQL | ${
      t([s.deletes.small.deleteAll.sql])
    } | ${t([s.deletes.large.deleteAll.sql])} |`,
    `| the same over HTTP, every call until done | ${t(s.deletes.small.deleteAll.http)} | ${
      t(s.deletes.large.deleteAll.http)
    } |`,
    "",
    "## Sizes",
    "",
    ...sizeTable({ small: s.sizes.small, large: s.sizes.large }),
    "",
    "## Index diet",
    "",
    `The large database's data under the six migrations that shipped first and under all of them; the append rate ` +
    `is public.append_messages called directly (one message, c=${CONCURRENCY}, ${s.settings.durationSeconds} s), ` +
    "each schema's own function.",
    "",
    ...sizeTable({ shipped: s.diet.shipped.sizes, current: s.diet.current.sizes }),
    "",
    `Appends: ${format(s.diet.shipped.append.requestsPerSecond, 0)}/s (p50 ${
      format(s.diet.shipped.append.p50, 2)
    } ms) as shipped, ${format(s.diet.current.append.requestsPerSecond, 0)}/s (p50 ${
      format(s.diet.current.append.p50, 2)
    } ms) now.`,
    "",
    "## Plans",
    "",
    "Every statement of one call of each scenario that reads the store's tables, as auto_explain logged it " +
    "(the call rolled back), with the rows each node read.",
    "",
    ...[
      ...s.scenarios.map((r) => ({ name: r.name, plans: r.plans })),
      {
        name: "delete-conversation of a big conversation",
        plans: {
          large: s.deletes.large.plans.deleteConversation,
          small: s.deletes.small.plans.deleteConversation,
        },
      },
      {
        name: "delete-all-conversations of the heavy user, first call",
        plans: { large: s.deletes.large.plans.deleteAll, small: s.deletes.small.plans.deleteAll },
      },
    ].flatMap((r) => [
      `### ${r.name}`,
      "",
      ...(["large", "small"] as const).flatMap((
        size,
      ) => [`${size}:`, "", "```", ...r.plans[size], "```", ""]),
    ]),
  ];
  return lines.join("\n");
}

if (import.meta.main) {
  const clusterUrl = Deno.env.get("DATABASE_URL") ?? throwawayDatabaseUrl();
  Deno.exit(
    clusterUrl ? await main(clusterUrl) : await runInThrowawayCluster(import.meta.url, Deno.args, {
      maxConnections: 100,
      settings: CLUSTER_SETTINGS,
    }),
  );
}
