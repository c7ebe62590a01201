/** The scenarios measured on both databases, and how one is measured and its plans recorded. */
import { type Call, callHttp, pgbenchScript, SENTINEL } from "../calls.ts";
import { COMMON_WORD, RARE_WORD } from "../corpus.ts";
import { type HttpRequest, runLoad } from "../http_load.ts";
import { type Measurement, runPgbench } from "../pgbench.ts";
import { capturePlans, renderPlan, statementText, storePlans } from "../plans.ts";
import { conversationId, userId, withClient } from "../seed.ts";
import { CONCURRENCY, type Database, DURATION_S, FORKS, pick, type Size } from "./config.ts";

/** How a scenario loads a database: the function's SQL for pgbench, the same call over HTTP. */
interface Load {
  sql: string;
  http: () => HttpRequest;
  /** A call of the kind the load sends, whose plans are recorded. */
  example: Call;
}

export const history = (conversation: string, user: string, page: Record<string, string | number>): Call => ({
  function: "get-history",
  input: { conversation_id: conversation, ...page },
  userId: user,
});
export const NEWEST = { order: "desc", limit: 50 };
export const append = (conversation: string, user: string): Call => ({
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
export function onOrdinaryConversation(
  db: Database,
  call: (conversation: string, user: string) => Call,
): Load {
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

export interface Scenario {
  name: string;
  load: (db: Database) => Load;
  /** Transactions per side instead of a duration, at concurrency 1: for calls that add data. */
  requests?: number;
}

export const SCENARIOS: Scenario[] = [
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

export interface Side {
  sql: Measurement;
  http: Measurement;
}

/** Failed requests of the sides, SQL and HTTP. */
export const errorsOf = (...sides: Side[]) =>
  sides.reduce((sum, side) => sum + side.sql.errors + side.http.errors, 0);

export interface ScenarioResult {
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

export async function measure(db: Database, scenario: Scenario): Promise<Side> {
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
export async function plansOf(db: Database, call: Call): Promise<string[]> {
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
