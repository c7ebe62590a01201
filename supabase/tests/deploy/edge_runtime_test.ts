/**
 * Everything each function reaches uses only what Supabase's Edge Runtime offers, and type-checks
 * the way `supabase functions deploy` resolves it (the functions' import map, no deno.json).
 *
 * The project's own modules are read whole, comments aside. npm packages are compiled code that a
 * text scan reads imprecisely, so they are held to what no Edge Runtime function can do at all
 * (subprocesses, workers, exiting the process), and every file of theirs that touches the file
 * system must be named below with the reason it is never reached.
 */
import assert from "node:assert/strict";
import { functionNames, importMap, moduleGraph, type NpmPackage, projectRoot } from "./module_graph.ts";

const names = await functionNames();

/** An import or require of a Node module that starts processes or threads. */
const NODE_PROCESS_MODULES =
  /(\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*)["'](node:)?(child_process|worker_threads|cluster)["']/;

/**
 * The Node built-ins the functions import, each supported by the Edge Runtime's Node compatibility:
 * chat's HMAC of tool results (crypto) and its downloader's address checks (dns, net).
 */
const NODE_BUILTINS = ["node:crypto", "node:dns/promises", "node:net"];

/** What a module of the project may not use, by what it is. */
const FORBIDDEN_IN_PROJECT: Array<[string, RegExp]> = [
  ["a subprocess (Deno.Command, Deno.run)", /\bDeno\s*\.\s*(Command|run)\b/],
  ["a Worker", /\bnew\s+Worker\s*\(/],
  ["Deno KV (Deno.openKv)", /\bDeno\s*\.\s*openKv\b/],
  ["Deno.cron", /\bDeno\s*\.\s*cron\b/],
  ["Deno.exit", /\bDeno\s*\.\s*exit\b/],
  [
    "Node's child_process, worker_threads or cluster",
    /["'](node:)?(child_process|worker_threads|cluster)["']/,
  ],
  [
    "a synchronous file read",
    /\bDeno\s*\.\s*(readFileSync|readTextFileSync|openSync|readDirSync|statSync|lstatSync)\b|\breadFileSync\b/,
  ],
  [
    "a file write outside /tmp",
    /\bDeno\s*\.\s*(writeFile|writeTextFile|mkdir|create|remove|rename|copyFile|truncate|symlink|link|chmod|chown|open|utime)(Sync)?\s*\(\s*(?!["'`]\/tmp\/)|\b(writeFileSync|appendFileSync|writeFile|appendFile|createWriteStream)\s*\(/,
  ],
];

/** What no file of an npm package a function loads may contain. */
const FORBIDDEN_IN_PACKAGES: Array<[string, RegExp]> = [
  ["a subprocess, worker or cluster", NODE_PROCESS_MODULES],
  ["a Deno API the Edge Runtime lacks", /\bDeno\s*\.\s*(Command|run|openKv|cron|exit)\b/],
  ["a Worker", /\bnew\s+Worker\s*\(/],
  ["exiting the process", /\bprocess\s*\.\s*exit\s*\(/],
];
const FILE_SYSTEM = /(\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*)["'](node:)?fs(\/promises)?["']/;
/** Test files a package ships, which nothing imports. */
const PACKAGED_TEST = /(^|\/)(tests?|__tests__)\/|\.(test|spec)\.(m|c)?js$/;

/** Files of npm packages that use the file system, by package and path, and why that never happens. */
const FILE_SYSTEM_EXCEPTIONS: Record<string, string> = {
  "pg-connection-string/index.js":
    "reads the files that sslcert, sslkey and sslrootcert name; db.ts refuses those parameters before node-postgres parses the URL",
  "pgpass/lib/index.js":
    "reads ~/.pgpass when a connection has no password; Supabase's connection strings always carry one",
  "split2/bench.js": "the package's benchmark script, which nothing imports",
  ...Object.fromEntries(
    ["token-util", "token-io", "auth-config"].map((file) => [
      `@vercel/oidc/dist/${file}.js`,
      "Vercel's OIDC token files, read by the AI Gateway provider (`ai`'s default for a model named by a string); chat always passes a provider's model object",
    ]),
  ),
};

function withoutComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1");
}

async function* packageFiles(directory: string, relative = ""): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(`${directory}/${relative}`)) {
    const path = relative ? `${relative}/${entry.name}` : entry.name;
    if (entry.isDirectory && entry.name !== "node_modules") yield* packageFiles(directory, path);
    else if (entry.isFile && /\.(m|c)?js$/.test(entry.name)) yield path;
  }
}

async function packageFindings(npm: NpmPackage): Promise<string[]> {
  const findings: string[] = [];
  for await (const path of packageFiles(npm.localPath)) {
    if (PACKAGED_TEST.test(path)) continue;
    const source = await Deno.readTextFile(`${npm.localPath}/${path}`);
    for (const [what, pattern] of FORBIDDEN_IN_PACKAGES) {
      if (pattern.test(source)) findings.push(`${npm.name}@${npm.version}/${path}: ${what}`);
    }
    if (FILE_SYSTEM.test(source) && !FILE_SYSTEM_EXCEPTIONS[`${npm.name}/${path}`]) {
      findings.push(`${npm.name}@${npm.version}/${path}: file system access, not justified in this test`);
    }
  }
  return findings;
}

Deno.test("every function's own modules use only what the Edge Runtime offers, and deploy from supabase/functions", async () => {
  const findings: string[] = [];
  for (const name of names) {
    const graph = await moduleGraph(name);
    for (const file of graph.files) {
      const shown = file.slice(projectRoot.length);
      if (!file.startsWith(`${projectRoot}supabase/functions/`)) {
        findings.push(`${name}: ${shown} lies outside supabase/functions, which deploy does not bundle`);
      }
      const source = withoutComments(await Deno.readTextFile(file));
      for (const [what, pattern] of FORBIDDEN_IN_PROJECT) {
        if (pattern.test(source)) findings.push(`${name}: ${shown} uses ${what}`);
      }
    }
    for (const specifier of graph.remote) findings.push(`${name}: ${specifier} is neither a file nor npm`);
    for (const specifier of graph.builtins) {
      if (!NODE_BUILTINS.includes(specifier)) {
        findings.push(`${name}: ${specifier} is not a Node built-in used on purpose`);
      }
    }
  }
  assert.deepEqual(findings, []);
});

Deno.test("the npm packages the functions load spawn nothing, and touch files only where justified", async () => {
  const packages = new Map<string, NpmPackage>();
  for (const name of names) {
    for (const npm of (await moduleGraph(name)).npmPackages) {
      if (!npm.name.startsWith("@types/")) packages.set(`${npm.name}@${npm.version}`, npm);
    }
  }
  assert.ok([...packages.keys()].some((key) => key.startsWith("pg@")), "the scan sees node-postgres");
  const findings = (await Promise.all([...packages.values()].map(packageFindings))).flat();
  assert.deepEqual(findings, []);
});

Deno.test("the scan finds what it looks for", () => {
  const samples: Record<string, string> = {
    "a subprocess (Deno.Command, Deno.run)": "new Deno.Command('ls')",
    "a Worker": "const w = new Worker(url)",
    "Deno KV (Deno.openKv)": "await Deno.openKv()",
    "Deno.cron": "Deno.cron('x', '* * * * *', f)",
    "Deno.exit": "Deno.exit(1)",
    "Node's child_process, worker_threads or cluster": 'import { spawn } from "node:child_process"',
    "a synchronous file read": "Deno.readTextFileSync('./config.json')",
    "a file write outside /tmp": "await Deno.writeTextFile('./cache.json', data)",
  };
  for (const [what, pattern] of FORBIDDEN_IN_PROJECT) {
    assert.ok(pattern.test(withoutComments(samples[what])), what);
    assert.ok(
      !pattern.test(withoutComments(`// ${samples[what]}\n/* ${samples[what]} */`)),
      `${what} in comments`,
    );
  }
  const tmpWrite = FORBIDDEN_IN_PROJECT.find(([what]) => what.includes("write"))![1];
  assert.ok(!tmpWrite.test("await Deno.writeTextFile('/tmp/scratch.json', data)"));
});

for (const name of names) {
  Deno.test(`${name} type-checks with the functions' import map and no deno.json`, async () => {
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["check", "--no-config", "--import-map", importMap, `supabase/functions/${name}/index.ts`],
      cwd: projectRoot,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(output.success, new TextDecoder().decode(output.stderr));
  });
}
