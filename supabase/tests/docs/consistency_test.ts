/**
 * The tree deploys as documented: every function folder under supabase/functions has its
 * `[functions.<name>]` entry in config.toml (verify_jwt = false, the shared import map: without it
 * `supabase functions deploy` turns the gateway's JWT check on, which rejects tokens signed with
 * asymmetric keys), a route in the local server, a row in README's API table, a section in
 * docs/API.md and a mention in docs/ARCHITECTURE.md; and every source file the functions, the client,
 * the local server and the tools are made of is named in docs/ARCHITECTURE.md. The lists are read
 * from the tree at run time, so a function or a file added later is checked too.
 */
import assert from "node:assert/strict";

const root = new URL("../../../", import.meta.url);
const read = (path: string) => Deno.readTextFileSync(new URL(path, root));

/** The functions: folders of supabase/functions with an index.ts (not _shared). */
export function functionFolders(functionsDir: URL): string[] {
  return [...Deno.readDirSync(functionsDir)]
    .filter((entry) => entry.isDirectory && !entry.name.startsWith("_"))
    .filter((entry) => Deno.statSync(new URL(`${entry.name}/index.ts`, functionsDir)).isFile)
    .map((entry) => entry.name)
    .sort();
}

/** The `[functions.<name>]` tables of a config.toml, each as its `key = value` lines. */
export function configFunctions(toml: string): Map<string, Map<string, string>> {
  const tables = new Map<string, Map<string, string>>();
  let current: Map<string, string> | undefined;
  for (const line of toml.split("\n").map((text) => text.replace(/#.*$/, "").trim())) {
    const header = line.match(/^\[(.+)\]$/);
    if (header) {
      const name = header[1].match(/^functions\.("?)([^"\]]+)\1$/)?.[2];
      current = name === undefined ? undefined : new Map();
      if (name !== undefined && current) tables.set(name, current);
      continue;
    }
    const setting = line.match(/^([\w-]+)\s*=\s*(.+)$/);
    if (setting && current) current.set(setting[1], setting[2].trim());
  }
  return tables;
}

/** The function names in the first column of README's API table. */
function readmeFunctions(readme: string): string[] {
  const section = readme.split(/^## /m).find((part) => part.startsWith("The API in one screen")) ?? "";
  return [...section.matchAll(/^\|\s*\[([a-z][a-z-]*)\]\(/gm)].map((match) => match[1]).sort();
}

/** The function names that head a `## <name> (…)` section of docs/API.md. */
function apiSections(api: string): string[] {
  return [...api.matchAll(/^## ([a-z]+(?:-[a-z]+)*)(?: \(.*\))?\s*$/gm)].map((match) => match[1])
    .filter((name) => name !== "errors" && name !== "retention" && name !== "shapes" && name !== "examples")
    .sort();
}

function difference(a: string[], b: string[]): string[] {
  return a.filter((item) => !b.includes(item));
}

const functions = functionFolders(new URL("supabase/functions/", root));

Deno.test("every function folder has a config.toml entry with verify_jwt off and the shared import map, and no entry lacks a folder", () => {
  const config = configFunctions(read("supabase/config.toml"));
  assert.deepEqual(
    difference(functions, [...config.keys()]),
    [],
    "folders without a [functions.<name>] entry",
  );
  assert.deepEqual(difference([...config.keys()], functions), [], "entries without a folder");
  for (const [name, settings] of config) {
    assert.equal(settings.get("verify_jwt"), "false", `[functions.${name}] verify_jwt`);
    assert.equal(
      settings.get("import_map"),
      '"./functions/import_map.json"',
      `[functions.${name}] import_map`,
    );
  }
});

Deno.test("README's API table has a row for exactly the functions there are", () => {
  assert.deepEqual(readmeFunctions(read("README.md")), functions);
});

Deno.test("docs/API.md has a section for exactly the functions there are", () => {
  assert.deepEqual(apiSections(read("docs/API.md")), functions);
});

Deno.test("docs/ARCHITECTURE.md names every function", () => {
  const architecture = read("docs/ARCHITECTURE.md");
  assert.deepEqual(
    functions.filter((name) => !new RegExp(`(^|[^\\w-])${name}([^\\w-]|$)`).test(architecture)),
    [],
  );
});

Deno.test("the local server routes every function to its handler", () => {
  const api = read("local/api.ts");
  assert.deepEqual(functions.filter((name) => !api.includes(`../supabase/functions/${name}/handler.ts`)), []);
});

Deno.test("docs/ARCHITECTURE.md names every source file of the functions, the client, the local server and the tools", () => {
  const architecture = read("docs/ARCHITECTURE.md");
  const unnamed: string[] = [];
  const visit = (dir: string, generic: Set<string>) => {
    for (const entry of Deno.readDirSync(new URL(dir, root))) {
      const path = `${dir}${entry.name}`;
      if (entry.isDirectory) visit(`${path}/`, generic);
      else if (
        /\.(ts|sql)$/.test(entry.name) && !generic.has(entry.name) && !architecture.includes(entry.name)
      ) {
        unnamed.push(path);
      }
    }
  };
  // A function's index.ts and handler.ts are described once, as <name>/index.ts and <name>/handler.ts.
  visit("supabase/functions/", new Set(["index.ts", "handler.ts"]));
  for (const dir of ["client/", "local/", "tools/"]) visit(dir, new Set());
  assert.deepEqual(unnamed, []);
});

Deno.test("the config reader sees quoted names, ignores comments and other tables", () => {
  const tables = configFunctions(
    '[api]\nport = 1\n# [functions.commented]\n[functions."quoted-name"]\nverify_jwt = false # off\n[functions.plain]\n',
  );
  assert.deepEqual([...tables.keys()], ["quoted-name", "plain"]);
  assert.equal(tables.get("quoted-name")?.get("verify_jwt"), "false");
  assert.equal(tables.get("plain")?.size, 0);
});
