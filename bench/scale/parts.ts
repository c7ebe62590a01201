/**
 * `deno task bench:scale --parts`: what storing messages as parts costs at a million messages.
 *
 * Two databases of the quick shape (about 1,000,000 messages) in the one throwaway cluster: one
 * seeded as the plain benchmark seeds it (text content, tool_calls), one with the same messages as
 * an AI SDK app stores them (bench/seed.ts, PARTS_SQL: reasoning with encrypted provider metadata,
 * images from the user's Storage folder, sources, tool calls and results). It checks a sample of the
 * seeded parts against both validators (the database's is_part_list and the functions' zod schema),
 * then records bytes per message and measures reads and appends on both, text then parts for each
 * scenario, and keeps every plan. Results: bench/results/scale_parts.json and scale_parts.md.
 *
 * It takes about 20 minutes and most of the machine; it is not part of the tests.
 */
import { parts as partsSchema, roleProblem } from "../../supabase/functions/_shared/part_vocabulary.ts";
import { partsMessage } from "../parts_message.ts";
import { type Call } from "../calls.ts";
import { LARGE, scaled, withClient } from "../seed.ts";
import {
  CONCURRENCY,
  type Database,
  DURATION_S,
  format,
  loadAverage,
  progress,
  writeResults,
} from "./config.ts";
import { openDatabase, seedDatabase } from "./databases.ts";
import {
  append,
  errorsOf,
  history,
  measure,
  NEWEST,
  onOrdinaryConversation,
  plansOf,
  type Scenario,
  SCENARIOS,
  type Side,
} from "./scenarios.ts";
import { type Sizes, sizes } from "./sizes.ts";
import { partsMarkdown } from "./report.ts";

const SHAPE = scaled(LARGE, 10);
const SAMPLE = 5000;
type Kind = "text" | "parts";
const KINDS = ["text", "parts"] as const;

/** The same append on both sides: a short text message, or the benchmark's parts-heavy message. */
const appendOf = (kind: Kind) => (conversation: string, user: string): Call =>
  kind === "text" ? append(conversation, user) : {
    function: "append-message",
    input: { conversation_id: conversation, message: partsMessage(1) },
    userId: user,
  };

const kindOf = (db: Database) => db.name as Kind;

const MEASURED: Scenario[] = [
  ...SCENARIOS.filter((scenario) =>
    scenario.name.startsWith("history") || scenario.name.startsWith("context") ||
    scenario.name === "search, a common word, an ordinary user"
  ),
  {
    name: "history, newest 50 of an ordinary conversation as UIMessages (format=ui)",
    load: (db) => onOrdinaryConversation(db, (c, u) => history(c, u, { ...NEWEST, format: "ui" })),
  },
  {
    name: "append to an ordinary conversation: text on the text side, the parts-heavy message on the other",
    load: (db) => onOrdinaryConversation(db, appendOf(kindOf(db))),
  },
];

export interface PartsScenarioResult {
  name: string;
  text: Side;
  parts: Side;
  /** Parts p50 over text p50. */
  ratio: { sql: number; http: number };
  plans: Record<Kind, string[]>;
  /** Sequential scans of conversation_messages in the parts side's plans: none is the rule. */
  sequentialScans: number;
}

export interface PartsSummary {
  date: string;
  settings: { durationSeconds: number; concurrency: number };
  loadAverage: { start: string; end: string };
  messages: number;
  seedSeconds: Record<Kind, number>;
  validation: { sampled: number; refusedByDatabase: number; refusedBySchema: number };
  sizes: Record<Kind, Sizes>;
  scenarios: PartsScenarioResult[];
  seconds: number;
}

/** Seeded parts as both validators see them: a random sample of the rows that have parts. */
async function validate(url: string): Promise<PartsSummary["validation"]> {
  return await withClient(url, async (client) => {
    const { rows } = await client.query(
      `select role, parts, conversation_store.is_part_list(parts, user_id) as valid
       from public.conversation_messages tablesample system (1)
       where parts is not null limit ${SAMPLE}`,
    );
    return {
      sampled: rows.length,
      refusedByDatabase: rows.filter((row) => !row.valid).length,
      refusedBySchema: rows.filter((row) => {
        const parsed = partsSchema.safeParse(row.parts);
        return !parsed.success || roleProblem(row.role, parsed.data) !== null;
      }).length,
    };
  });
}

const countSequentialScans = (plans: string[]) =>
  plans.join("\n").match(/Seq Scan on conversation_messages/g)?.length ?? 0;

export async function compareParts(clusterUrl: string): Promise<number> {
  const started = performance.now();
  const loadAtStart = await loadAverage();
  progress(
    `Parts at scale: two databases of ${SHAPE.conversations} conversations; load average ${loadAtStart}`,
  );
  const urls = {} as Record<Kind, string>;
  const seedSeconds = {} as Record<Kind, number>;
  for (const kind of KINDS) {
    const seedStarted = performance.now();
    urls[kind] = await seedDatabase(clusterUrl, `scale_${kind}`, SHAPE, { parts: kind === "parts" });
    seedSeconds[kind] = (performance.now() - seedStarted) / 1000;
  }
  const validation = await validate(urls.parts);
  progress(
    `validated ${validation.sampled} seeded messages with parts: ${validation.refusedByDatabase} refused by ` +
      `is_part_list, ${validation.refusedBySchema} by the zod schema`,
  );
  const measuredSizes = { text: await sizes(urls.text), parts: await sizes(urls.parts) };
  for (const kind of KINDS) {
    const b = measuredSizes[kind].bytesPerMessage;
    progress(
      `${kind}: ${format(b.total, 0)} bytes per message (heap and TOAST ${format(b.heap, 0)}, indexes ${
        format(b.indexes, 0)
      })`,
    );
  }

  const databases = {} as Record<Kind, Database>;
  for (const kind of KINDS) databases[kind] = await openDatabase(kind, urls[kind], SHAPE);
  const results: PartsScenarioResult[] = [];
  try {
    for (const [index, scenario] of MEASURED.entries()) {
      const text = await measure(databases.text, scenario);
      const parts = await measure(databases.parts, scenario);
      const plans = {
        text: await plansOf(databases.text, scenario.load(databases.text).example),
        parts: await plansOf(databases.parts, scenario.load(databases.parts).example),
      };
      const result = {
        name: scenario.name,
        text,
        parts,
        ratio: { sql: parts.sql.p50 / text.sql.p50, http: parts.http.p50 / text.http.p50 },
        plans,
        sequentialScans: countSequentialScans(plans.parts),
      };
      results.push(result);
      progress(
        `[${index + 1}/${MEASURED.length}] ${scenario.name}: SQL p50 ${format(text.sql.p50, 2)} → ${
          format(parts.sql.p50, 2)
        } ms (${format(result.ratio.sql, 2)}x), HTTP p50 ${format(text.http.p50, 2)} → ${
          format(parts.http.p50, 2)
        } ms (${format(result.ratio.http, 2)}x); errors ${
          errorsOf(text, parts)
        }; sequential scans ${result.sequentialScans}`,
      );
    }
  } finally {
    for (const db of Object.values(databases)) await db.server.stop();
  }

  const summary: PartsSummary = {
    date: new Date().toISOString(),
    settings: { durationSeconds: DURATION_S, concurrency: CONCURRENCY },
    loadAverage: { start: loadAtStart, end: await loadAverage() },
    messages: measuredSizes.parts.messages,
    seedSeconds,
    validation,
    sizes: measuredSizes,
    scenarios: results,
    seconds: (performance.now() - started) / 1000,
  };
  await writeResults("scale_parts", summary, partsMarkdown(summary));
  const failures = results.reduce(
    (sum, r) => sum + errorsOf(r.text, r.parts) + r.sequentialScans,
    validation.refusedByDatabase + validation.refusedBySchema,
  );
  return failures === 0 ? 0 : 1;
}
