/**
 * `deno task bench:scale [--quick]`: does the store stay flat at ten million messages?
 * (`--parts` measures what message parts cost instead: bench/scale/parts.ts.)
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
import { runInThrowawayCluster, throwawayDatabaseUrl } from "../../tools/throwaway_db.ts";
import { withClient } from "../seed.ts";
import {
  CLUSTER_SETTINGS,
  CONCURRENCY,
  count,
  type Database,
  DURATION_S,
  format,
  loadAverage,
  progress,
  quick,
  SHAPES,
  type Size,
  writeResults,
} from "./config.ts";
import { openDatabase, seedDatabase } from "./databases.ts";
import { errorsOf, measure, plansOf, type ScenarioResult, SCENARIOS } from "./scenarios.ts";
import { type DeleteResults, deletes } from "./deletes.ts";
import { sizes } from "./sizes.ts";
import { appendRate } from "./index_diet.ts";
import { markdown } from "./report.ts";
import { compareParts } from "./parts.ts";

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
    databases[size] = await openDatabase(size, urls[size], SHAPES[size]);
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
        } HTTP/s; errors ${errorsOf(small, large)}`,
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
  const beforeUrl = await seedDatabase(clusterUrl, "scale_shipped", SHAPES.large, { shipped: true });
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
  await writeResults("scale", summary, markdown(summary));
  const errors = results.reduce((sum, r) => sum + errorsOf(r.small, r.large), 0);
  return errors === 0 ? 0 : 1;
}

if (import.meta.main) {
  const clusterUrl = Deno.env.get("DATABASE_URL") ?? throwawayDatabaseUrl();
  Deno.exit(
    clusterUrl
      ? await (Deno.args.includes("--parts") ? compareParts : main)(clusterUrl)
      : await runInThrowawayCluster(import.meta.url, Deno.args, {
        maxConnections: 100,
        settings: CLUSTER_SETTINGS,
      }),
  );
}
