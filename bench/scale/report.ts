/** bench/results/scale.md from the summary main.ts writes to scale.json. */
import { type Measurement } from "../pgbench.ts";
import { type Shape } from "../seed.ts";
import { CONCURRENCY, count, FORKS, format, type Size, STATEMENT_TIMEOUT_MS } from "./config.ts";
import { errorsOf, type ScenarioResult } from "./scenarios.ts";
import { type DeleteResults, type Timed } from "./deletes.ts";
import { type Sizes } from "./sizes.ts";
import { type PartsSummary } from "./parts.ts";

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

/** The plans of each scenario, one side after the other in `order`. */
function planSections<Side extends string>(
  scenarios: Array<{ name: string; plans: Record<Side, string[]> }>,
  order: Side[],
): string[] {
  return [
    "## Plans",
    "",
    "Every statement of one call of each scenario that reads the store's tables, as auto_explain logged it " +
    "(the call rolled back), with the rows each node read.",
    "",
    ...scenarios.flatMap((r) => [
      `### ${r.name}`,
      "",
      ...order.flatMap((side) => [`${side}:`, "", "```", ...r.plans[side], "```", ""]),
    ]),
  ];
}

export function markdown(s: Summary): string {
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
      } | ${errorsOf(r.small, r.large)} |`
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
    ...planSections([
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
    ], ["large", "small"]),
  ];
  return lines.join("\n");
}

/** bench/results/scale_parts.md from the summary parts.ts writes to scale_parts.json. */
export function partsMarkdown(s: PartsSummary): string {
  const { text, parts } = s.sizes;
  return [
    `# Parts at scale, ${s.date}`,
    "",
    "`deno task bench:scale --parts`: the same " + count(s.messages) +
    " messages (the quick shape) seeded twice in one throwaway PostgreSQL 15 cluster, as text content and as " +
    "the parts an AI SDK app stores (bench/seed.ts, PARTS_SQL); " +
    `load average ${s.loadAverage.start} at the start, ${s.loadAverage.end} at the end; ` +
    `seeded in ${format(s.seedSeconds.text, 0)} s and ${format(s.seedSeconds.parts, 0)} s.`,
    "",
    `Validated: ${
      count(s.validation.sampled)
    } seeded messages with parts, ${s.validation.refusedByDatabase} ` +
    `refused by conversation_store.is_part_list, ${s.validation.refusedBySchema} by the functions' zod schema.`,
    "",
    `Content averages ${format(text.averageContentBytes, 0)} bytes per message on both sides; ` +
    `the parts JSON of a message with parts averages ${format(parts.averagePartsBytes ?? 0, 0)} bytes.`,
    "",
    "## Sizes",
    "",
    ...sizeTable(s.sizes),
    "",
    `Bytes per message: ${format(text.bytesPerMessage.total, 0)} as text, ${
      format(parts.bytesPerMessage.total, 0)
    } with parts (${format(parts.bytesPerMessage.total / text.bytesPerMessage.total, 2)}x).`,
    "",
    "## Scenarios",
    "",
    "Each side runs the same calls: SQL is pgbench sending the function's query message, HTTP the local server. " +
    `p50 in ms; ratio = parts / text; c = ${s.settings.concurrency} for ${s.settings.durationSeconds} s a side.`,
    "",
    "| scenario | SQL p50 text | SQL p50 parts | ratio | HTTP p50 text | HTTP p50 parts | ratio | parts SQL req/s | parts HTTP req/s | errors | sequential scans |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...s.scenarios.map((r) =>
      `| ${r.name} | ${format(r.text.sql.p50, 2)} | ${format(r.parts.sql.p50, 2)} | ${
        format(r.ratio.sql, 2)
      } | ${format(r.text.http.p50, 2)} | ${format(r.parts.http.p50, 2)} | ${format(r.ratio.http, 2)} | ${
        format(r.parts.sql.requestsPerSecond, 0)
      } | ${format(r.parts.http.requestsPerSecond, 0)} | ${
        errorsOf(r.text, r.parts)
      } | ${r.sequentialScans} |`
    ),
    "",
    ...planSections(s.scenarios, ["parts", "text"]),
  ].join("\n");
}
