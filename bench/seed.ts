/**
 * Seeds a database to a given shape, set-based, for the scale benchmark and the plan tests.
 *
 * The shape is the one issue 13 measured: many ordinary users with about ten conversations of
 * 10–150 messages each, one huge conversation, ten big ones, and one heavy user with thousands of
 * conversations. Every message is written as the API would have stored it: the message shapes the
 * table checks, exact token counts (bench/corpus.ts), a client_message_id as the client library
 * sends, a status. Each conversation opens with a system prompt; one turn in ten is a tool call
 * and its result.
 *
 * Realistic heap order: every conversation lives on a timeline of 180 days, and messages are
 * inserted in time order, window by window, so that the messages of many conversations are
 * interleaved on the heap pages as appends over months would leave them, and the indexes grow by
 * inserts as they do in production (not built once over sorted data).
 *
 * Ids are numbers in uuid form, so that pgbench scripts can compute them: conversation n is
 * 00000000-0000-4000-8000-1nnnnnnnnnnn, user k 00000000-0000-4000-9000-1kkkkkkkkkkk.
 */
// @ts-types="npm:@types/pg@8.23.1"
import pg from "pg";
import { corpus, PHRASES, SYSTEM_PROMPTS, TOOL_CALLS } from "./corpus.ts";

export interface Shape {
  users: number;
  conversations: number;
  /** Messages of conversation 1. */
  hugeMessages: number;
  /** Conversations 2..1+bigConversations, bigMessages each. */
  bigConversations: number;
  bigMessages: number;
  /** Conversations of user 1, the heavy user. */
  heavyConversations: number;
}

/** Issue 13's shape: 10,000 users, 100,000 conversations, about 10 million messages. */
export const LARGE: Shape = {
  users: 10_000,
  conversations: 100_000,
  hugeMessages: 1_000_000,
  bigConversations: 10,
  bigMessages: 100_000,
  heavyConversations: 5_000,
};

/** The same shape at a hundredth: about 100,000 messages. */
export const SMALL = scaled(LARGE, 100);

/** A shape divided by `factor`, keeping its proportions (ordinary conversations keep their size). */
export function scaled(shape: Shape, factor: number): Shape {
  return {
    users: Math.round(shape.users / factor),
    conversations: Math.round(shape.conversations / factor),
    hugeMessages: Math.round(shape.hugeMessages / factor),
    bigConversations: shape.bigConversations,
    bigMessages: Math.round(shape.bigMessages / factor),
    heavyConversations: Math.round(shape.heavyConversations / factor),
  };
}

const NUMBER_BASE = 100_000_000_000;
export const conversationId = (n: number) => `00000000-0000-4000-8000-${NUMBER_BASE + n}`;
export const userId = (k: number) => `00000000-0000-4000-9000-${NUMBER_BASE + k}`;

/** Where each kind of conversation is, and who owns which (the same rules as the seed's SQL). */
export function layout(shape: Shape) {
  const firstBig = 2;
  const firstHeavy = firstBig + shape.bigConversations;
  const firstOrdinary = firstHeavy + shape.heavyConversations;
  return {
    huge: 1,
    firstBig,
    firstHeavy,
    firstOrdinary,
    heavyUser: 1,
    /** The first user who owns only ordinary conversations (users 2.. own the huge and big ones). */
    ordinaryUser: firstHeavy + 1,
    /** Everyone but the heavy user owns conversations round-robin, the huge and big ones included. */
    ownerOf: (n: number) =>
      n >= firstHeavy && n < firstOrdinary
        ? 1
        : 2 + (n < firstHeavy ? n - 1 : n - firstOrdinary) % (shape.users - 1),
    /** The owner of ordinary conversation `n` (a pgbench variable such as ":n"), as a pgbench expression. */
    pgbenchOwnerOf: (n: string) => `2 + (${n} - ${firstOrdinary}) % ${shape.users - 1}`,
  };
}

const DAYS = 180;
const TIMELINE_SECONDS = DAYS * 86_400;
const TIMELINE_START = "2026-05-01 00:00:00+00";
/** Windows of the timeline inserted one statement each: small enough to sort in memory. */
const WINDOWS_PER_MILLION = 2;

export interface SeedOptions {
  /** Called with a line of progress now and then. */
  progress?: (line: string) => void;
  /** Connections inserting at once (windows are independent). */
  jobs?: number;
  /** Store user, assistant and tool messages as parts, as an AI SDK app writes them (PARTS_SQL). */
  parts?: boolean;
}

export interface SeedResult {
  messages: number;
  conversations: number;
  seconds: number;
}

/** Runs `body` with a client of its own, closed afterwards. */
export async function withClient<T>(
  databaseUrl: string,
  body: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return await body(client);
  } finally {
    await client.end();
  }
}

/** Whether conversation_messages has `column` (the schema as it shipped first lacks later ones). */
export async function messagesHave(client: pg.Client, column: string): Promise<boolean> {
  const { rows: [row] } = await client.query(
    `select exists (select from information_schema.columns
                    where table_schema = 'public' and table_name = 'conversation_messages'
                      and column_name = $1) as found`,
    [column],
  );
  return row.found;
}

/** The plan of every conversation: owner, message count and where on the timeline it lives. */
function planSql(shape: Shape): string {
  const { firstHeavy, firstOrdinary } = layout(shape);
  return `
    create schema bench_seed;
    create table bench_seed.plan as
    select n,
           ('00000000-0000-4000-8000-' || (${NUMBER_BASE}::bigint + n))::uuid as id,
           ('00000000-0000-4000-9000-' || (${NUMBER_BASE}::bigint + owner))::uuid as user_id,
           messages, start_s, interval_s, start_s + (messages - 1) * interval_s as end_s
    from (
      select n,
             case when n >= ${firstHeavy} and n < ${firstOrdinary} then 1
                  else 2 + (case when n < ${firstHeavy} then n - 1 else n - ${firstOrdinary} end) % ${
    shape.users - 1
  } end as owner,
             messages,
             -- The huge and big conversations run the whole timeline; the others last a day or less.
             case when n < ${firstHeavy} then (n - 1) * 3600.0
                  else abs(hashint8(n * 3 + 1)::bigint) % (${TIMELINE_SECONDS} - messages * 620) end as start_s,
             case when n < ${firstHeavy} then (${TIMELINE_SECONDS} - (n - 1) * 3600.0) / messages
                  else 20 + abs(hashint8(n * 3 + 2)::bigint) % 600 end::float8 as interval_s
      from (select n, case when n = 1 then ${shape.hugeMessages}
                           when n < ${firstHeavy} then ${shape.bigMessages}
                           else 10 + abs(hashint8(n)::bigint) % 141 end as messages
            from generate_series(1, ${shape.conversations}) as n) as sized
    ) as planned;
    create index on bench_seed.plan (start_s, end_s);
    analyze bench_seed.plan;`;
}

async function loadCorpus(client: pg.Client): Promise<void> {
  const { first, second, systemPrompts, toolCalls } = corpus();
  await client.query(`
    create table bench_seed.first_phrase (i integer primary key, text text, tokens integer);
    create table bench_seed.second_phrase (i integer primary key, text text, tokens integer);
    create table bench_seed.system_prompt (i integer primary key, text text, tokens integer);
    create table bench_seed.tool_call (i integer primary key, id text, calls jsonb, call_tokens integer,
                                       result text, result_tokens integer);`);
  const phrases = (table: string, rows: Array<{ text: string; tokens: number }>) =>
    client.query(
      `insert into bench_seed.${table} select r.i, r.text, r.tokens
       from jsonb_to_recordset($1::jsonb) as r(i integer, text text, tokens integer)`,
      [JSON.stringify(rows.map((row, i) => ({ i, ...row })))],
    );
  await phrases("first_phrase", first);
  await phrases("second_phrase", second);
  await phrases("system_prompt", systemPrompts);
  await client.query(
    `insert into bench_seed.tool_call
     select r.i, r.id,
            jsonb_build_array(jsonb_build_object('id', r.id, 'type', 'function',
                              'function', jsonb_build_object('name', r.name, 'arguments', r.arguments))),
            r."callTokens", r.result, r."resultTokens"
     from jsonb_to_recordset($1::jsonb)
          as r(i integer, id text, name text, arguments text, "callTokens" integer, result text, "resultTokens" integer)`,
    [JSON.stringify(toolCalls.map((call, i) => ({ i, ...call })))],
  );
}

/**
 * The parts an AI SDK app stores for message m (docs/MESSAGE_PARTS.md), for SeedOptions.parts: a
 * user's text, with an image from the user's Storage folder one time in ten; an assistant's step,
 * reasoning with the provider's encrypted content (256 incompressible characters), its text, and a
 * source one time in three; at position 13 the step and reasoning before a tool call, at 14 the
 * tool's result. The system prompt stays plain content, as an upgraded database holds it.
 */
const PARTS_SQL = `
  case
    when m.position = -1 then null
    when m.position = 14 then jsonb_build_array(jsonb_build_object(
      'type', 'tool-result', 'tool_call_id', t.id, 'tool_name', t.calls -> 0 -> 'function' ->> 'name',
      'output', t.result::jsonb))
    when m.position % 2 = 0 then jsonb_build_array(jsonb_build_object('type', 'text', 'text', f.text || ' ' || p.text))
      || case when m.h % 10 = 0 then jsonb_build_array(jsonb_build_object(
           'type', 'file', 'media_type', 'image/png', 'filename', 'photo-' || m.i || '.png',
           'storage', jsonb_build_object('bucket', 'conversation-files',
                                         'path', m.user_id || '/' || m.conversation_id || '/' || m.i || '.png')))
         else '[]' end
    else jsonb_build_array('{"type": "step-start"}'::jsonb, jsonb_build_object(
           'type', 'reasoning', 'text', r.text, 'state', 'done',
           'provider_metadata', jsonb_build_object('openai', jsonb_build_object(
             'itemId', 'rs_' || md5(m.n || ':' || m.i),
             'reasoningEncryptedContent', translate(encode(
               sha512(m.h::text::bytea) || sha512((m.h + 1)::text::bytea) || sha512((m.h + 2)::text::bytea),
               'base64'), E'\\n', '')))))
      || case when m.position = 13 then jsonb_build_array(jsonb_build_object(
           'type', 'tool-call', 'tool_call_id', t.id, 'tool_name', t.calls -> 0 -> 'function' ->> 'name',
           'state', 'input-available', 'input', (t.calls -> 0 -> 'function' ->> 'arguments')::jsonb))
         else jsonb_build_array(jsonb_build_object('type', 'text', 'text', f.text || ' ' || p.text, 'state', 'done'))
           || case when m.h % 3 = 0 then jsonb_build_array(jsonb_build_object(
                'type', 'source', 'source_type', 'url', 'source_id', 'src_' || m.i,
                'url', 'https://docs.example.com/' || m.h % ${PHRASES}, 'title', r.text))
              else '[]' end
         end
  end`;

/**
 * The messages whose time falls in [low, high) seconds of the timeline, inserted in time order.
 * Message i of conversation n is at start_s + (i - 1) * interval_s. Seq 1 is the system prompt; after
 * it, turns cycle through 20 positions: user, assistant, …, and at positions 13 and 14 an assistant
 * tool call and the tool's result, so 10 % of messages are tool-call groups.
 *
 * With parts, a message's content, tool_calls and tool_call_id are derived from its parts as every
 * write derives them (conversation_store.with_derived_columns), and its token counts are the
 * text's exact count plus the database's estimate for the other parts.
 */
function windowSql(low: number, high: number, withStatus: boolean, withParts: boolean): string {
  const columns = withStatus ? ", token_count, status, updated_at" : "";
  const derived = (column: string, fromParts: string) =>
    withParts ? `case when m.parts is null then m.${column} else ${fromParts} end` : `m.${column}`;
  return `
    insert into public.conversation_messages
      (conversation_id, user_id, sequence_order, role, content, tool_calls, tool_call_id, client_message_id,
       created_at${columns}${withParts ? ", parts, reasoning_token_count" : ""})
    select m.conversation_id, m.user_id, m.i, m.role,
           ${derived("content", "conversation_store.parts_content(m.parts, m.role)")},
           ${derived("tool_calls", "conversation_store.parts_tool_calls(m.parts)")},
           ${derived("tool_call_id", "m.parts -> 0 ->> 'tool_call_id'")},
           m.client_message_id, m.at${
    withStatus
      ? `, m.tokens${
        withParts ? " + coalesce(conversation_store.estimate_part_tokens(m.parts), 0)" : ""
      }, 'completed', m.at`
      : ""
  }${withParts ? ", m.parts, coalesce(conversation_store.estimate_reasoning_tokens(m.parts), 0)" : ""}
    from (
      select m.*,
             case when m.position = -1 then 'system' when m.position = 14 then 'tool'
                  when m.position % 2 = 0 then 'user' else 'assistant' end as role,
             case when m.position = -1 then s.text when m.position = 13 then null when m.position = 14 then t.result
                  else f.text || ' ' || p.text end as content,
             case when m.position = 13 then t.calls end as tool_calls,
             case when m.position = 14 then t.id end as tool_call_id,
             md5(m.n || ':' || m.i)::uuid::text as client_message_id,
             3 + case when m.position = -1 then s.tokens when m.position = 13 then t.call_tokens
                      when m.position = 14 then t.result_tokens else f.tokens + p.tokens end as tokens${
    withParts
      ? `,
             ${PARTS_SQL.trim()} as parts`
      : ""
  }
      from (
        select plan.n, plan.id as conversation_id, plan.user_id, i,
               timestamptz '${TIMELINE_START}' + (plan.start_s + (i - 1) * plan.interval_s) * interval '1 second' as at,
               case when i = 1 then -1 else (i - 2) % 20 end as position,
               abs(hashint8(plan.n::bigint * 1000003 + i)::bigint) as h,
               -- A tool result uses the template of the call right before it.
               abs(hashint8(plan.n::bigint * 1000003 + i - case when i > 1 and (i - 2) % 20 = 14 then 1 else 0 end)::bigint)
                 % ${TOOL_CALLS} as call
        from bench_seed.plan as plan
        cross join lateral generate_series(
          greatest(1, ceil((${low} - plan.start_s) / plan.interval_s)::integer + 1),
          least(plan.messages, ceil((${high} - plan.start_s) / plan.interval_s)::integer)
        ) as i
        where plan.start_s < ${high} and plan.end_s >= ${low}
      ) as m
      join bench_seed.first_phrase as f on f.i = m.h % ${PHRASES}
      join bench_seed.second_phrase as p on p.i = (m.h / ${PHRASES}) % ${PHRASES}
${
    withParts
      ? `      -- The reasoning is another second phrase.
      join bench_seed.second_phrase as r on r.i = (m.h / ${PHRASES * PHRASES}) % ${PHRASES}
`
      : ""
  }      join bench_seed.system_prompt as s on s.i = m.n % ${SYSTEM_PROMPTS}
      join bench_seed.tool_call as t on t.i = m.call
    ) as m
    order by m.at`;
}

/** Creates the shape's users, conversations and messages in an empty, migrated database. */
export async function seed(
  databaseUrl: string,
  shape: Shape,
  options: SeedOptions = {},
): Promise<SeedResult> {
  const started = performance.now();
  const progress = options.progress ?? (() => {});
  const expected = await withClient(databaseUrl, async (client) => {
    await client.query(planSql(shape));
    await loadCorpus(client);
    const withStatus = await messagesHave(client, "status");
    await client.query(`
      insert into auth.users (id)
        select ('00000000-0000-4000-9000-' || (${NUMBER_BASE}::bigint + k))::uuid from generate_series(1, ${shape.users}) k;
      insert into public.conversations (id, user_id, metadata, last_sequence, created_at, updated_at)
        select p.id, p.user_id, jsonb_build_object('title', f.text, 'model', 'gpt-4o'), p.messages,
               timestamptz '${TIMELINE_START}' + p.start_s * interval '1 second',
               timestamptz '${TIMELINE_START}' + p.end_s * interval '1 second'
        from bench_seed.plan p join bench_seed.first_phrase f on f.i = p.n % ${PHRASES}
        order by p.start_s;`);
    const [{ total }] =
      (await client.query(`select sum(messages)::bigint as total from bench_seed.plan`)).rows;
    return { total: Number(total), withStatus };
  });

  const windows = Math.max(1, Math.ceil((expected.total / 1e6) * WINDOWS_PER_MILLION));
  const width = Math.ceil(TIMELINE_SECONDS / windows);
  let next = 0;
  let inserted = 0;
  const jobs = Array.from({ length: options.jobs ?? 1 }, () =>
    withClient(databaseUrl, async (client) => {
      await client.query("set work_mem = '256MB'");
      while (next < windows) {
        const window = next++;
        const result = await client.query(
          windowSql(window * width, (window + 1) * width, expected.withStatus, options.parts ?? false),
        );
        inserted += result.rowCount ?? 0;
        progress(
          `seeded ${inserted.toLocaleString("en-US")} of ${
            expected.total.toLocaleString("en-US")
          } messages ` +
            `(${((performance.now() - started) / 1000).toFixed(0)} s)`,
        );
      }
    }));
  await Promise.all(jobs);
  if (inserted !== expected.total) {
    throw new Error(`seeded ${inserted} messages, planned ${expected.total}`);
  }
  await withClient(databaseUrl, (client) => client.query("drop schema bench_seed cascade"));
  return {
    messages: inserted,
    conversations: shape.conversations,
    seconds: (performance.now() - started) / 1000,
  };
}
