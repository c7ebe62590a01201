/**
 * Deletes: destructive, so each is measured once per object. The SQL side runs the function's
 * message inside BEGIN … ROLLBACK (the data stays), the HTTP side deletes for real.
 */
import { type Call, callHttp, pgbenchScript } from "../calls.ts";
import { runPgbench } from "../pgbench.ts";
import { conversationId, userId, withClient } from "../seed.ts";
import { count, type Database, DELETES, format, progress } from "./config.ts";
import { plansOf } from "./scenarios.ts";

export interface Timed {
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

export interface DeleteResults {
  plans: { deleteConversation: string[]; deleteAll: string[] };
  deleteConversation: { messages: number; sql: Timed[]; http: Timed[] };
  purge: { calls: number; slowestCallMs: number; totalMs: number; messages: number };
  authCascade: { conversations: number; messages: number; sql: Timed };
  deleteAll: { conversations: number; messages: number; sql: Timed; http: Timed[] };
}

export async function deletes(db: Database): Promise<DeleteResults> {
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
    `${db.name}: delete-conversation of ${count(db.shape.bigMessages)} messages: SQL ${
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
    `${db.name}: purge reclaimed ${count(purge.messages)} messages in ${purge.calls} calls, slowest ${
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
    `${db.name}: Auth deletes the heavy user (${count(heavy.conversations)} conversations, ${
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
    `${db.name}: delete-all of the heavy user: SQL first call ${
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
