/**
 * `deno task test`: the whole suite on a real PostgreSQL.
 *
 * Without DATABASE_URL it re-runs itself inside a throwaway PostgreSQL 15 cluster with pg_cron
 * preloaded (tools/throwaway_db.ts). It installs pgTAP, pg_prove, pg_cron and Chromium from
 * Debian when they are missing, migrates with the Supabase CLI, compares supabase/schema.sql with
 * the migrated schema, runs `deno fmt --check`, `deno lint` and `deno check`, the pgTAP files, the
 * Deno tests, a check of the scheduled purge and Supabase's advisors, and ends with one line totalling every suite: `N passed, N failed`.
 */
// @ts-types="npm:@types/pg@8.23.1"
import pg from "pg";
import { migrate, projectRoot, supabaseCli, withLocalSslMode } from "./db_migrate.ts";
import { dumpSchema, SCHEMA_FILE } from "./schema_snapshot.ts";
import { libpqEnv, runInThrowawayCluster, THROWAWAY_CLUSTER, throwawayDatabaseUrl } from "./throwaway_db.ts";

interface SuiteResult {
  name: string;
  passed: number;
  failed: number;
  seconds: number;
  /** Names of the failed tests, where the suite reports them. */
  failures?: string[];
}

/** Inside pg_virtualenv the total goes to this file, so that the outer run prints it last. */
const TOTAL_FILE = "CONVERSATION_STORE_TOTAL_FILE";

async function run(command: string, args: string[], options: Deno.CommandOptions = {}) {
  const output = await new Deno.Command(command, {
    args,
    cwd: projectRoot,
    stdout: "piped",
    stderr: "piped",
    ...options,
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
}

async function commandExists(name: string): Promise<boolean> {
  return (await run("sh", ["-c", `command -v ${name}`])).code === 0;
}

async function fileExists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

/**
 * pgTAP, pg_prove, Chromium (for the browser test), PgBouncer and openssl (for the hosted-like stack)
 * come from Debian; install them once on a fresh machine.
 */
async function ensureDebianPackages(): Promise<void> {
  const needed: string[] = [];
  if (!(await commandExists("pgbouncer"))) needed.push("pgbouncer");
  if (!(await commandExists("openssl"))) needed.push("openssl");
  if (!(await fileExists("/usr/bin/chromium"))) needed.push("chromium");
  if (!(await fileExists("/usr/share/postgresql/15/extension/pgtap.control"))) {
    needed.push("postgresql-15-pgtap");
  }
  if (!(await commandExists("pg_prove"))) needed.push("libtap-parser-sourcehandler-pgtap-perl");
  if (!(await fileExists("/usr/share/postgresql/15/extension/pg_cron.control"))) {
    needed.push("postgresql-15-cron");
  }
  if (needed.length === 0) return;
  console.log(`Installing ${needed.join(", ")} from Debian…`);
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  for (const args of [["update", "-qq"], ["install", "-y", "-qq", ...needed]]) {
    const result = await run("apt-get", args, { env });
    if (result.code !== 0) throw new Error(`apt-get ${args.join(" ")} failed:\n${result.stderr}`);
  }
}

/**
 * Every npm package of the import map into node_modules: Deno fetches what it imports on its own,
 * but esbuild (the useChat page's bundle) resolves react from node_modules like any bundler.
 */
async function installNpmPackages(): Promise<void> {
  const result = await run(Deno.execPath(), ["install"]);
  if (result.code !== 0) throw new Error(`deno install failed:\n${result.stderr}`);
}

async function timed(name: string, body: () => Promise<Omit<SuiteResult, "name" | "seconds">>) {
  const started = performance.now();
  console.log(`\n== ${name}`);
  const result = { name, ...(await body()), seconds: (performance.now() - started) / 1000 };
  console.log(
    `-- ${name}: ${result.passed} passed, ${result.failed} failed (${result.seconds.toFixed(1)} s)`,
  );
  return result;
}

/** `deno fmt --check`, `deno lint` and `deno check` over the whole tree: one test each. */
async function codeChecksSuite() {
  let failed = 0;
  for (const check of [["fmt", "--check"], ["lint"], ["check"]]) {
    const result = await run(Deno.execPath(), check);
    const ok = result.code === 0;
    console.log(`${ok ? "ok" : "not ok"} - deno ${check.join(" ")}`);
    if (!ok) {
      console.log(result.stdout + result.stderr);
      failed++;
    }
  }
  return { passed: 3 - failed, failed };
}

/** supabase/schema.sql is what the migrations make: compared before any suite adds to the database. */
async function schemaSnapshotSuite(databaseUrl: string) {
  const fresh = await dumpSchema(databaseUrl);
  const stored = await Deno.readTextFile(SCHEMA_FILE).catch(() => "");
  if (fresh === stored) {
    console.log("ok - supabase/schema.sql matches the migrations");
    return { passed: 1, failed: 0 };
  }
  const [freshLines, storedLines] = [fresh.split("\n"), stored.split("\n")];
  const line = freshLines.findIndex((text, index) => text !== storedLines[index]);
  console.log(
    `not ok - supabase/schema.sql is stale: run deno task db:schema (first difference at line ${line + 1}: ` +
      `${JSON.stringify(storedLines[line] ?? "")} should be ${JSON.stringify(freshLines[line] ?? "")})`,
  );
  return {
    passed: 0,
    failed: 1,
    failures: ["supabase/schema.sql is stale: run deno task db:schema"],
  };
}

async function preparePgTap(databaseUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: withLocalSslMode(databaseUrl) });
  await client.connect();
  try {
    await client.query(`
      create schema if not exists extensions;
      create extension if not exists pgtap with schema extensions;
      grant usage on schema extensions to anon, authenticated, service_role;
    `);
    await client.query(await Deno.readTextFile(`${projectRoot}/supabase/tests/pgtap_helpers.sql`));
  } finally {
    await client.end();
  }
}

async function pgTapSuite(databaseUrl: string) {
  await preparePgTap(databaseUrl);
  const result = await run("pg_prove", ["--ext", ".sql", "-r", "supabase/tests/database"], {
    env: { ...libpqEnv(databaseUrl), PGOPTIONS: "-c search_path=public,extensions" },
  });
  console.log(result.stdout.trimEnd());
  if (result.stderr.trim()) console.log(result.stderr.trimEnd());
  const total = Number(result.stdout.match(/Tests=(\d+)/)?.[1] ?? 0);
  const failedSubtests = [...result.stdout.matchAll(/Failed (\d+)\/\d+ subtests/g)]
    .reduce((sum, match) => sum + Number(match[1]), 0);
  // A file that dies or miscounts its plan fails without a "Failed n/m" line.
  const brokenFile = result.code !== 0 && failedSubtests === 0 ? 1 : 0;
  return { passed: Math.max(total - failedSubtests, 0), failed: failedSubtests + brokenFile };
}

async function denoSuite(databaseUrl: string, testArgs: string[], env: Record<string, string>) {
  const junit = `${await Deno.makeTempDir()}/deno.xml`;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["test", "-A", "--no-check", `--junit-path=${junit}`, ...testArgs],
    cwd: projectRoot,
    env: { DATABASE_URL: databaseUrl, ...env },
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  return await junitTotals(junit, (await child.status).success);
}

/** Passed and failed tests (steps included) of a JUnit report; a run without one failed. */
async function junitTotals(junit: string, success: boolean) {
  const report = await Deno.readTextFile(junit).catch(() => "");
  const totals = report.match(/<testsuites[^>]*tests="(\d+)"[^>]*failures="(\d+)"[^>]*errors="(\d+)"/);
  if (!totals) return { passed: 0, failed: 1 };
  const failed = Number(totals[2]) + Number(totals[3]);
  // A failed case holds a <failure> or <error> element right after its opening tag.
  const failures = [
    ...report.matchAll(
      /<testcase name="([^"]*)" classname="([^"]*)"[^>]*>\s*<(?:failure|error) message="([^"]*)"/g,
    ),
  ].map(([, name, file, message]) => `${file}: ${name}: ${message}`);
  return { passed: Number(totals[1]) - failed, failed: failed || (success ? 0 : 1), failures };
}

/**
 * supabase/tests/hosted on a stack shaped like a Supabase project (TLS, PgBouncer, each function
 * deployed alone), in a throwaway cluster of its own: see supabase/tests/hosted/stack.ts.
 */
async function hostedSuite() {
  if (!(await commandExists("pg_virtualenv"))) {
    console.log("skipped: needs Debian's pg_virtualenv for a cluster of its own");
    return { passed: 0, failed: 0 };
  }
  const junit = `${await Deno.makeTempDir()}/hosted.xml`;
  const status = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "supabase/tests/hosted/stack.ts", junit],
    cwd: projectRoot,
    stdout: "inherit",
    stderr: "inherit",
  }).spawn().status;
  return await junitTotals(junit, status.success);
}

/**
 * pg_cron, preloaded in the throwaway cluster as on Supabase, so that the migrations schedule the
 * purge. Jobs run in background workers: by default pg_cron connects over TCP, which needs a
 * password this cluster's postgres role does not have ("connection failed" in job_run_details).
 */
const PG_CRON_SETTINGS = {
  shared_preload_libraries: "pg_cron",
  "cron.database_name": "postgres",
  "cron.use_background_workers": "on",
};

async function createPgCron(databaseUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: withLocalSslMode(databaseUrl) });
  await client.connect();
  try {
    // As on Supabase: pg_cron's functions live in its cron schema, the extension in pg_catalog.
    await client.query("create extension if not exists pg_cron with schema pg_catalog");
  } finally {
    await client.end();
  }
}

/**
 * The scheduled purge really purges: a conversation that has expired disappears through a run of
 * the pg_cron job purge-expired-conversations. Started after pgTAP (whose own purge test would take
 * it) and awaited after the Deno tests, it waits for pg_cron's minute while they run; no other
 * test purges committed data in that time. Gives up after three minutes.
 */
async function startCronPurgeCheck(
  databaseUrl: string,
): Promise<() => Promise<Omit<SuiteResult, "name" | "seconds">>> {
  // A client per query: the outage test restarts PostgreSQL while this waits.
  const query = async (text: string, values: unknown[] = []) => {
    const client = new pg.Client({ connectionString: withLocalSslMode(databaseUrl) });
    await client.connect();
    try {
      return (await client.query(text, values)).rows;
    } finally {
      await client.end();
    }
  };
  const [{ installed }] = await query(
    "select exists (select from pg_extension where extname = 'pg_cron') as installed",
  );
  if (!installed) {
    return () => {
      console.log("pg_cron is not installed on this database: the scheduled purge is not checked");
      return Promise.resolve({ passed: 0, failed: 0 });
    };
  }
  const [userId, conversationId] = [crypto.randomUUID(), crypto.randomUUID()];
  await query("insert into auth.users (id) values ($1)", [userId]);
  const [{ created }] = await query(
    `insert into public.conversations (id, user_id, retention_seconds, updated_at)
     values ($1, $2, 60, now() - interval '2 minutes') returning created_at as created`,
    [conversationId, userId],
  );
  return async () => {
    const deadline = Date.now() + 180_000;
    let purgedByCron = false;
    while (!purgedByCron && Date.now() < deadline) {
      const [state] = await query(
        `select not exists (select from public.conversations where id = $1)
                and exists (select from cron.job_run_details r join cron.job j using (jobid)
                            where j.jobname = 'purge-expired-conversations' and r.status = 'succeeded'
                              and r.start_time >= $2) as purged`,
        [conversationId, created],
      );
      purgedByCron = state.purged;
      if (!purgedByCron) await new Promise((resolve) => setTimeout(resolve, 500));
    }
    await query("delete from auth.users where id = $1", [userId]);
    console.log(
      purgedByCron
        ? "ok: pg_cron's purge-expired-conversations job deleted an expired conversation"
        : "not ok: the expired conversation was not purged by pg_cron within three minutes",
    );
    return { passed: purgedByCron ? 1 : 0, failed: purgedByCron ? 0 : 1 };
  };
}

/**
 * Supabase's own linter, after the other suites have used the database. Warnings fail the run; every
 * finding at any level, INFO included, must be named (by cache_key) in docs/RELIABILITY.md, where it
 * is justified.
 */
async function advisorsSuite(databaseUrl: string) {
  const args = ["db", "advisors", "--db-url", withLocalSslMode(databaseUrl), "--type", "all"];
  const warnings = await supabaseCli([...args, "--level", "warn", "--fail-on", "warn"]);
  console.log(`level warn: ${(warnings.stdout + warnings.stderr).trim()}`);
  const all = await supabaseCli([...args, "--level", "info"]);
  const findings: Array<{ cache_key: string; level: string; detail: string }> = all.stdout.trim()
    ? JSON.parse(all.stdout)
    : [];
  const justified = await Deno.readTextFile(`${projectRoot}/docs/RELIABILITY.md`);
  const unexplained = findings.filter((finding) => !justified.includes(finding.cache_key));
  if (findings.length === 0) console.log("level info: no findings");
  for (const finding of findings) {
    const verdict = justified.includes(finding.cache_key)
      ? "justified in docs/RELIABILITY.md"
      : "NOT JUSTIFIED";
    console.log(`level ${finding.level}: ${finding.detail} (${finding.cache_key}): ${verdict}`);
  }
  const results = [warnings.success, all.success && unexplained.length === 0];
  return { passed: results.filter(Boolean).length, failed: results.filter((ok) => !ok).length };
}

/** `throwawayCluster` ("15 regress") lets the outage test stop and start the server it owns. */
async function main(databaseUrl: string, throwawayCluster?: string): Promise<number> {
  const started = performance.now();
  await ensureDebianPackages();
  await installNpmPackages();
  if (throwawayCluster) await createPgCron(databaseUrl);
  console.log("Migrating…");
  await migrate(databaseUrl);

  const schemaSnapshot = await timed("Schema snapshot", () => schemaSnapshotSuite(databaseUrl));
  const codeChecks = await timed("deno fmt, lint and check", codeChecksSuite);
  const pgTap = await timed("pgTAP (supabase/tests/database)", () => pgTapSuite(databaseUrl));
  const cronPurged = await startCronPurgeCheck(databaseUrl);
  const results: SuiteResult[] = [
    schemaSnapshot,
    codeChecks,
    pgTap,
    await timed(
      "Deno tests",
      () =>
        denoSuite(
          databaseUrl,
          ["--ignore=supabase/tests/hosted/", "supabase/tests/"],
          throwawayCluster ? { THROWAWAY_CLUSTER: throwawayCluster } : {},
        ),
    ),
    await timed("Hosted-like stack (supabase/tests/hosted)", hostedSuite),
    await timed("pg_cron purges expired conversations", cronPurged),
    await timed("Supabase advisors", () => advisorsSuite(databaseUrl)),
  ];

  const passed = results.reduce((sum, suite) => sum + suite.passed, 0);
  const failed = results.reduce((sum, suite) => sum + suite.failed, 0);
  console.log(`\nAll suites in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  // Printed with the total, after pg_virtualenv's server log, so a failed run names what failed.
  const failures = results.filter((suite) => suite.failed > 0).flatMap((suite) =>
    (suite.failures?.length ? suite.failures : [`${suite.failed} failed`]).map((test) =>
      `FAILED ${suite.name}: ${test}`
    )
  );
  const total = [...failures, `${passed} passed, ${failed} failed`].join("\n");
  const totalFile = Deno.env.get(TOTAL_FILE);
  if (totalFile) await Deno.writeTextFile(totalFile, total);
  else console.log(total);
  return failed === 0 ? 0 : 1;
}

if (import.meta.main) {
  const databaseUrl = Deno.env.get("DATABASE_URL");
  const throwaway = throwawayDatabaseUrl();
  if (databaseUrl) {
    Deno.exit(await main(databaseUrl));
  } else if (throwaway) {
    Deno.exit(await main(throwaway, THROWAWAY_CLUSTER));
  } else {
    await ensureDebianPackages();
    // The cluster is dropped after the inner run; the total is printed after that, as the last line.
    const totalFile = await Deno.makeTempFile({ prefix: "conversation-store-total-" });
    const code = await runInThrowawayCluster(import.meta.url, [], {
      maxConnections: 300,
      settings: PG_CRON_SETTINGS,
      env: { [TOTAL_FILE]: totalFile },
    });
    console.log((await Deno.readTextFile(totalFile)) || "0 passed, 1 failed");
    await Deno.remove(totalFile);
    Deno.exit(code);
  }
}
