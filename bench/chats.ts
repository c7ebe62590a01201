/**
 * `deno task bench:chats`: a user's own chats (issue 31), measured on a modest seeded database.
 *
 * 1. list-conversations at a heavy user (5,000 conversations, some pinned, a fifth archived, one in
 *    13 tagged "work", a handful "rare") and at an ordinary one (50): the exact query message the function
 *    sends (bench/calls.ts), first pages and pages deep in, with each filter; median and p95 of 200
 *    runs on one connection. Flat means the heavy user's pages cost what the ordinary user's do.
 * 2. import-conversations throughput: ChatGPT files of 5,000 messages (50 conversations of 100) and
 *    10,000 (10 of 1,000) sent through the function's handler until done, then the same file again
 *    (which stores nothing); messages per second.
 *
 * Seeded with plain SQL rather than bench/scale's shape (the list reads conversations, not
 * messages), on a throwaway PostgreSQL 15 (pg_virtualenv) unless DATABASE_URL is set. Writes
 * bench/results/chats.{json,md}.
 */
import pg from "pg";
import { projectRoot } from "../tools/db_migrate.ts";
import { migrate } from "../tools/db_migrate.ts";
import { runInThrowawayCluster, throwawayDatabaseUrl } from "../tools/throwaway_db.ts";
import { LOCAL_JWT_SECRET, mintToken } from "../local/jwt.ts";
import { encodeCursor } from "../supabase/functions/_shared/cursors.ts";
import type { Call } from "./calls.ts";

const databaseUrl = Deno.env.get("DATABASE_URL") ?? throwawayDatabaseUrl();
if (!databaseUrl) Deno.exit(await runInThrowawayCluster(import.meta.url, Deno.args, { maxConnections: 50 }));

const HEAVY = "00000000-0000-4000-a000-000000000001";
const ORDINARY = "00000000-0000-4000-a000-000000000002";
const IMPORTER = "00000000-0000-4000-a000-000000000003";
const RUNS = 200;

Deno.env.set("SUPABASE_DB_URL", databaseUrl);
Deno.env.set("SUPABASE_JWT_SECRET", LOCAL_JWT_SECRET);
Deno.env.set("REQUEST_LOG", "off");
// The functions make their pool when first imported: only now that the database is known.
const { callSql } = await import("./calls.ts");
const { importConversations } = await import("../supabase/functions/import-conversations/handler.ts");

await migrate(databaseUrl);
const client = new pg.Client({ connectionString: databaseUrl });
await client.connect();

await client.query(`
  insert into auth.users (id) values ('${HEAVY}'), ('${ORDINARY}'), ('${IMPORTER}');
  insert into public.conversations (user_id, created_at, updated_at)
    select u.id, now() - n * interval '1 minute', now() - n * interval '1 minute'
    from (values ('${HEAVY}'::uuid, 5000), ('${ORDINARY}'::uuid, 50)) as u(id, count), generate_series(1, u.count) as n;
  with ranked as (select id, row_number() over (order by id) as n from public.conversations)
  update public.conversations c
  set title = 'Conversation ' || r.n, pinned = r.n % 500 = 0, archived = r.n % 5 = 1,
      tags = case when r.n % 13 = 0 then '{work}'::text[] when r.n % 1000 = 7 then '{rare}'::text[] else '{}' end
  from ranked r where c.id = r.id;
  analyze public.conversations, public.conversation_tags;`);

const counts = (await client.query(`
  select count(*) filter (where pinned)::int as pinned, count(*) filter (where archived)::int as archived,
         count(*) filter (where 'work' = any (tags))::int as work, count(*) filter (where 'rare' = any (tags))::int as rare
  from public.conversations where user_id = '${HEAVY}'`)).rows[0];

/** The cursor after the `offset`-th conversation (0-based) of a listing, as next_cursor encodes it. */
async function cursorAfter(user: string, offset: number, where = "not archived"): Promise<string> {
  const { rows: [row] } = await client.query(
    `select pinned, to_json(updated_at) #>> '{}' as updated_at, id from public.conversations
     where user_id = $1 and ${where} order by pinned desc, updated_at desc, id desc offset $2 limit 1`,
    [user, offset],
  );
  return encodeCursor([row.pinned, row.updated_at, row.id]);
}

const scenarios: Array<{ name: string; call: Call }> = [
  {
    name: "ordinary user (50), first page",
    call: { function: "list-conversations", input: {}, userId: ORDINARY },
  },
  {
    name: "heavy user (5,000), first page",
    call: { function: "list-conversations", input: {}, userId: HEAVY },
  },
  {
    name: "heavy user, page 150 (after 3,000)",
    call: {
      function: "list-conversations",
      input: { cursor: await cursorAfter(HEAVY, 2999) },
      userId: HEAVY,
    },
  },
  {
    name: "heavy user, archived only, first page",
    call: { function: "list-conversations", input: { archived: "true" }, userId: HEAVY },
  },
  {
    name: "heavy user, tag work, first page",
    call: { function: "list-conversations", input: { tag: "work" }, userId: HEAVY },
  },
  {
    name: "heavy user, tag work, page 10 (after 200)",
    call: {
      function: "list-conversations",
      input: { tag: "work", cursor: await cursorAfter(HEAVY, 199, "not archived and 'work' = any (tags)") },
      userId: HEAVY,
    },
  },
  {
    name: "heavy user, tag rare",
    call: { function: "list-conversations", input: { tag: "rare" }, userId: HEAVY },
  },
];

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

const lists = [];
for (const { name, call } of scenarios) {
  const text = callSql(call);
  for (let n = 0; n < 10; n++) await client.query(text);
  const times: number[] = [];
  for (let n = 0; n < RUNS; n++) {
    const started = performance.now();
    await client.query(text);
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  lists.push({ name, median_ms: round(percentile(times, 0.5)), p95_ms: round(percentile(times, 0.95)) });
  console.log(`${name}: median ${lists.at(-1)!.median_ms} ms, p95 ${lists.at(-1)!.p95_ms} ms`);
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

function chatgptFile(conversations: number, perConversation: number, prefix: string) {
  return Array.from({ length: conversations }, (_, c) => {
    const mapping: Record<string, unknown> = { root: { parent: null, children: [`${c}-0`], message: null } };
    for (let n = 0; n < perConversation; n++) {
      mapping[`${c}-${n}`] = {
        parent: n === 0 ? "root" : `${c}-${n - 1}`,
        children: n + 1 < perConversation ? [`${c}-${n + 1}`] : [],
        message: {
          author: { role: n % 2 ? "assistant" : "user" },
          content: {
            content_type: "text",
            parts: [`Message ${n} of a benchmark conversation, with a few words.`],
          },
        },
      };
    }
    return {
      id: `${prefix}-${c}`,
      title: `Imported ${c}`,
      mapping,
      current_node: `${c}-${perConversation - 1}`,
    };
  });
}

const token = await mintToken({ role: "authenticated", userId: IMPORTER });

async function importFile(file: unknown): Promise<{ calls: number; seconds: number }> {
  const started = performance.now();
  let cursor: string | undefined;
  let calls = 0;
  do {
    const response = await importConversations(
      new Request("http://localhost/functions/v1/import-conversations", {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ file, ...(cursor ? { cursor } : {}) }),
      }),
    );
    const body = await response.json();
    if (response.status !== 200) {
      throw new Error(`import answered ${response.status}: ${JSON.stringify(body)}`);
    }
    cursor = body.next_cursor ?? undefined;
    calls++;
  } while (cursor);
  return { calls, seconds: (performance.now() - started) / 1000 };
}

const imports = [];
for (const [conversations, perConversation] of [[50, 100], [10, 1000]]) {
  const file = chatgptFile(conversations, perConversation, `bench-${perConversation}`);
  const messages = conversations * perConversation;
  const first = await importFile(file);
  const again = await importFile(file);
  imports.push({
    file: `${conversations} conversations of ${perConversation} messages`,
    messages,
    bytes: JSON.stringify(file).length,
    calls: first.calls,
    seconds: round(first.seconds),
    messages_per_second: Math.round(messages / first.seconds),
    again_seconds: round(again.seconds),
  });
  console.log(JSON.stringify(imports.at(-1)));
}
await client.end();

const results = {
  taken_at: new Date().toISOString(),
  machine: "shared 2-core machine",
  heavy_user: counts,
  lists,
  imports,
};
await Deno.writeTextFile(`${projectRoot}/bench/results/chats.json`, JSON.stringify(results, null, 2) + "\n");
await Deno.writeTextFile(
  `${projectRoot}/bench/results/chats.md`,
  [
    "# A user's own chats: list filters and import throughput",
    "",
    `Taken ${results.taken_at} by \`deno task bench:chats\` on a shared 2-core machine (other work running), PostgreSQL 15.`,
    `A modest seeded run (plain SQL, not bench/scale's shape): a heavy user with 5,000 conversations (${counts.pinned} pinned,`,
    `${counts.archived} archived, ${counts.work} tagged work, ${counts.rare} tagged rare) and an ordinary user with 50.`,
    "",
    "## list-conversations (the function's query message, 200 runs each, one connection)",
    "",
    "| page | median ms | p95 ms |",
    "| ---- | --------: | -----: |",
    ...lists.map((row) => `| ${row.name} | ${row.median_ms} | ${row.p95_ms} |`),
    "",
    "## import-conversations (ChatGPT files, through the handler, until done)",
    "",
    "| file | messages | bytes | calls | seconds | messages/s | again (stores nothing), s |",
    "| ---- | -------: | ----: | ----: | ------: | ---------: | ------------------------: |",
    ...imports.map((row) =>
      `| ${row.file} | ${row.messages} | ${row.bytes} | ${row.calls} | ${row.seconds} | ${row.messages_per_second} | ${row.again_seconds} |`
    ),
    "",
  ].join("\n"),
);
console.log("wrote bench/results/chats.{json,md}");
