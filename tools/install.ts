/**
 * `deno task install --into ../my-app/supabase`: adds the conversation store to another project's
 * supabase/ folder: the migrations, every function folder and the shared code under functions/, the
 * import-map entries those functions use, and a `[functions.<name>]` entry per function in config.toml.
 *
 * Nothing of the app's is overwritten. Before writing anything it looks for every clash (a function,
 * shared file or migration of the app's with a store's name, a migration with a store migration's
 * version, an import-map entry pinned to another version, a `conversations` table or the
 * `conversation_store` schema in the app's migrations, an installed file the app has since edited) and,
 * if it finds any, names them all and stops with exit status 1. Otherwise it installs and exits 0.
 *
 * Run again to upgrade: conversation-store.json (beside config.toml) records every file it installed
 * with its SHA-256, the import-map entries it added and the functions it configured, so it adds new
 * migrations, replaces only files it installed and the app left as they were, and says what changed
 * ("Nothing to do" when nothing did).
 *
 * Options: --into <the app's supabase folder> (required); --from <a store's supabase folder> (default:
 * this checkout's); --dry-run (report, write nothing).
 */
import { projectRoot } from "./db_migrate.ts";

export const MANIFEST = "conversation-store.json";
const IMPORT_MAP = "functions/import_map.json";
const CONFIG = "config.toml";

interface Manifest {
  /** Installed files, by path relative to the app's supabase folder, with their SHA-256. */
  files: Record<string, string>;
  /** Import-map entries this installer added, with the value it gave them. */
  import_map: Record<string, string>;
  /** Functions whose config.toml entry this installer added. */
  functions: string[];
}

export interface InstallOptions {
  /** The app's supabase folder. */
  into: string;
  /** The store's supabase folder. */
  from?: string;
  dryRun?: boolean;
}

export interface InstallResult {
  /** Why it stopped; nothing was written when there is any. */
  clashes: string[];
  /** What it changed (or would change, with dryRun), one line each. */
  changes: string[];
}

/** The store's side: every file to install, the functions and the import-map entries they use. */
interface Store {
  files: Map<string, string>;
  functions: string[];
  imports: Map<string, string>;
}

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

/** Every file below `dir`, as paths relative to `base`. */
async function filesBelow(base: string, dir: string): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(`${base}/${dir}`)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) found.push(...await filesBelow(base, path));
    else if (entry.isFile) found.push(path);
  }
  return found;
}

/** Bare specifiers a module imports (`from "zod"`, `import("ai")`), not relative, npm: or node: ones. */
export function bareImports(source: string): string[] {
  return [...source.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)["']([^"']+)["']/g)]
    .map((match) => match[1])
    .filter((specifier) => !/^(\.|\/|[a-z]+:)/.test(specifier));
}

/** The import-map key that resolves `specifier`: itself, or the longest "prefix/" key. */
function importKey(imports: Record<string, string>, specifier: string): string | undefined {
  if (specifier in imports) return specifier;
  return Object.keys(imports).filter((key) => key.endsWith("/") && specifier.startsWith(key))
    .sort((a, b) => b.length - a.length)[0];
}

async function readStore(from: string): Promise<Store> {
  const files = new Map<string, string>();
  const functions: string[] = [];
  for await (const entry of Deno.readDir(`${from}/migrations`)) {
    if (entry.isFile && entry.name.endsWith(".sql")) {
      files.set(`migrations/${entry.name}`, await Deno.readTextFile(`${from}/migrations/${entry.name}`));
    }
  }
  for await (const entry of Deno.readDir(`${from}/functions`)) {
    if (!entry.isDirectory) continue;
    if (!entry.name.startsWith("_")) {
      if (!(await exists(`${from}/functions/${entry.name}/index.ts`))) continue;
      functions.push(entry.name);
    }
    for (const path of await filesBelow(from, `functions/${entry.name}`)) {
      files.set(path, await Deno.readTextFile(`${from}/${path}`));
    }
  }
  const storeImports: Record<string, string> = JSON.parse(await Deno.readTextFile(`${from}/${IMPORT_MAP}`))
    .imports;
  const imports = new Map<string, string>();
  for (const [path, text] of files) {
    if (!path.endsWith(".ts")) continue;
    for (const specifier of bareImports(text)) {
      const key = importKey(storeImports, specifier);
      if (key === undefined) {
        throw new Error(`${path} imports "${specifier}", which the store's import map lacks`);
      }
      imports.set(key, storeImports[key]);
    }
  }
  const sorted = new Map([...files].sort(([a], [b]) => a < b ? -1 : 1));
  return { files: sorted, functions: functions.sort(), imports };
}

/** The `[functions.<name>]` tables of a config.toml. */
function configuredFunctions(toml: string): Set<string> {
  return new Set(
    [...toml.matchAll(/^\s*\[functions\.("?)([^"\]]+)\1\]/gm)].map((match) => match[2]),
  );
}

/** What an app migration (outside the store's) creates that the store creates too. */
function overlappingObjects(sql: string): string[] {
  const found = [
    ...sql.matchAll(
      /create\s+table\s+(?:if\s+not\s+exists\s+)?(?:"?public"?\s*\.\s*)?"?(conversations|conversation_messages)"?[\s(]/gi,
    ),
  ].map((match) => `a \`${match[1].toLowerCase()}\` table`);
  if (/create\s+schema\s+(?:if\s+not\s+exists\s+)?"?conversation_store"?/i.test(sql)) {
    found.push("the `conversation_store` schema");
  }
  return [...new Set(found)];
}

const version = (migration: string) => migration.slice("migrations/".length).split("_")[0];

/** Installs (or, with clashes, does nothing and says why). */
export async function install(options: InstallOptions): Promise<InstallResult> {
  const into = options.into.replace(/\/+$/, "");
  const from = (options.from ?? `${projectRoot}supabase`).replace(/\/+$/, "");
  const clashes: string[] = [];
  const changes: string[] = [];

  const config = await readText(`${into}/${CONFIG}`);
  if (config === undefined) {
    return {
      clashes: [`${into}/${CONFIG} not found: --into takes a Supabase project's supabase folder`],
      changes,
    };
  }
  const store = await readStore(from);
  const manifestText = await readText(`${into}/${MANIFEST}`);
  const previous: Manifest = manifestText === undefined
    ? { files: {}, import_map: {}, functions: [] }
    : JSON.parse(manifestText);
  const next: Manifest = { files: {}, import_map: {}, functions: [] };
  const writes = new Map<string, string>();
  const removals: string[] = [];

  // The app's own migrations: none may share a store migration's name or version, or create its objects.
  const appMigrations = (await exists(`${into}/migrations`))
    ? (await filesBelow(into, "migrations")).filter((path) => !(path in previous.files))
    : [];
  for (const path of appMigrations) {
    for (const what of overlappingObjects(await Deno.readTextFile(`${into}/${path}`))) {
      clashes.push(`${path} creates ${what}, which the store's migrations create`);
    }
  }
  const appVersions = new Map(appMigrations.map((path) => [version(path), path]));

  // Function folders the app already has under a store function's name.
  for (const name of store.functions) {
    if (!previous.functions.includes(name) && (await exists(`${into}/functions/${name}`))) {
      clashes.push(`functions/${name}/: the app has a function of this name`);
    }
  }
  const appConfigured = configuredFunctions(config);
  for (const name of store.functions) {
    if (!previous.functions.includes(name) && appConfigured.has(name)) {
      clashes.push(`${CONFIG}: the app already configures [functions.${name}]`);
    }
  }

  for (const [path, text] of store.files) {
    const hash = await sha256(text);
    next.files[path] = hash;
    const current = await readText(`${into}/${path}`);
    const folderClash = /^functions\/[^_/][^/]*\//.test(path) &&
      !previous.functions.includes(path.split("/")[1]);
    if (current === undefined) {
      const sameVersion = path.startsWith("migrations/") ? appVersions.get(version(path)) : undefined;
      if (sameVersion) clashes.push(`${sameVersion} has the version of the store's ${path}`);
      writes.set(path, text);
      changes.push(`added ${path}`);
    } else if (current === text) {
      continue; // already as the store has it (installed before, or the same file)
    } else if (!(path in previous.files)) {
      if (!folderClash) clashes.push(`${path}: the app has its own file of this name`);
    } else if ((await sha256(current)) !== previous.files[path]) {
      clashes.push(`${path}: changed since it was installed; move the change out of it, or delete it`);
    } else {
      writes.set(path, text);
      changes.push(`updated ${path}`);
    }
  }
  for (const path of Object.keys(previous.files)) {
    if (store.files.has(path) || path.startsWith("migrations/")) continue;
    const current = await readText(`${into}/${path}`);
    if (current !== undefined && (await sha256(current)) === previous.files[path]) {
      removals.push(path);
      changes.push(`removed ${path} (no longer part of the store)`);
    }
  }

  // The import map: the app's entries stay; the store's are added, or updated where it added them.
  const importMapText = await readText(`${into}/${IMPORT_MAP}`);
  const importMap = importMapText === undefined ? { imports: {} } : JSON.parse(importMapText);
  importMap.imports ??= {};
  for (const [key, value] of store.imports) {
    next.import_map[key] = value;
    const current = importMap.imports[key];
    if (current === value) continue;
    if (current === undefined) {
      changes.push(`added "${key}": "${value}" to ${IMPORT_MAP}`);
    } else if (previous.import_map[key] === current) {
      changes.push(`updated "${key}" in ${IMPORT_MAP}: ${current} → ${value}`);
    } else {
      clashes.push(`${IMPORT_MAP}: "${key}" is pinned to ${current}; the store's functions need ${value}`);
      continue;
    }
    importMap.imports[key] = value;
  }

  // config.toml: an entry per new function, as the store's own config has them.
  next.functions = store.functions;
  const entries = store.functions.filter((name) => !appConfigured.has(name)).map((name) =>
    `[functions.${name}]\nverify_jwt = false\nimport_map = "./${IMPORT_MAP}"\n`
  );
  for (const name of store.functions.filter((name) => !appConfigured.has(name))) {
    changes.push(`added [functions.${name}] to ${CONFIG}`);
  }

  if (clashes.length > 0 || options.dryRun) return { clashes, changes };
  for (const [path, text] of writes) {
    await Deno.mkdir(`${into}/${path.slice(0, path.lastIndexOf("/"))}`, { recursive: true });
    await Deno.writeTextFile(`${into}/${path}`, text);
  }
  for (const path of removals) await Deno.remove(`${into}/${path}`);
  if (changes.some((change) => change.includes(IMPORT_MAP))) {
    await Deno.writeTextFile(`${into}/${IMPORT_MAP}`, JSON.stringify(importMap, null, 2) + "\n");
  }
  if (entries.length > 0) {
    const header =
      "\n# The conversation store's functions (tools/install.ts): they verify tokens themselves.\n";
    await Deno.writeTextFile(`${into}/${CONFIG}`, `${config.trimEnd()}\n${header}${entries.join("\n")}`);
  }
  const manifest = JSON.stringify(next, null, 2) + "\n";
  if (manifest !== manifestText) await Deno.writeTextFile(`${into}/${MANIFEST}`, manifest);
  return { clashes, changes };
}

function usage(): never {
  console.error("usage: deno task install --into <your app's supabase folder> [--from <store>] [--dry-run]");
  Deno.exit(2);
}

if (import.meta.main) {
  const args = [...Deno.args];
  const options: Partial<InstallOptions> = {};
  while (args.length > 0) {
    const arg = args.shift()!;
    const [flag, inline] = arg.split("=", 2);
    if (flag === "--dry-run") options.dryRun = true;
    else if (flag === "--into" || flag === "--from") {
      const value = inline ?? args.shift();
      if (!value) usage();
      options[flag === "--into" ? "into" : "from"] = value;
    } else usage();
  }
  if (!options.into) usage();
  // `deno task` runs in this checkout's root; INIT_CWD is where the command was typed.
  const typedIn = Deno.env.get("INIT_CWD") ?? Deno.cwd();
  const resolve = (path: string) => path.startsWith("/") ? path : `${typedIn}/${path}`;
  options.into = resolve(options.into);
  if (options.from) options.from = resolve(options.from);
  const { clashes, changes } = await install(options as InstallOptions);
  if (clashes.length > 0) {
    console.error(`Stopped: nothing was written. ${clashes.length} clash(es) with ${options.into}:`);
    for (const clash of clashes) console.error(`  - ${clash}`);
    Deno.exit(1);
  }
  if (changes.length === 0) {
    console.log(`Nothing to do: the conversation store in ${options.into} is up to date.`);
  } else {
    for (const change of changes) console.log(`${options.dryRun ? "(dry run) " : ""}${change}`);
    if (changes.some((change) => change.includes("migrations/"))) {
      console.log(
        "New migrations: apply them with `supabase migration up` locally, `supabase db push` to deploy.",
      );
    }
  }
}
