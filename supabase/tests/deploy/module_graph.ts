/**
 * A function as `supabase functions deploy` takes it: the module graph of its index.ts, resolved
 * with the functions' own import map and no project configuration (`deno info --json`), and a copy
 * of exactly those files, served in a process of its own with only network and environment access.
 */

export const projectRoot = new URL("../../../", import.meta.url).pathname;
export const functionsDir = `${projectRoot}supabase/functions/`;
export const importMap = `${functionsDir}import_map.json`;

/** Every function: a directory of supabase/functions with an index.ts. */
export async function functionNames(): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(functionsDir)) {
    if (!entry.isDirectory || entry.name.startsWith("_")) continue;
    if (await Deno.stat(`${functionsDir}${entry.name}/index.ts`).then(() => true, () => false)) {
      names.push(entry.name);
    }
  }
  return names.sort();
}

export interface NpmPackage {
  name: string;
  version: string;
  localPath: string;
}

export interface ModuleGraph {
  entry: string;
  /** Absolute paths of the project's own modules. */
  files: string[];
  npmPackages: NpmPackage[];
  /** Node built-ins (`node:crypto`), which the Edge Runtime provides. */
  builtins: string[];
  /** Anything neither a file, npm nor a Node built-in (a remote module), by specifier. */
  remote: string[];
}

async function deno(args: string[], cwd = projectRoot): Promise<string> {
  const output = await new Deno.Command(Deno.execPath(), { args, cwd, stdout: "piped", stderr: "piped" })
    .output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  if (!output.success) throw new Error(`deno ${args.join(" ")} failed:\n${decode(output.stderr)}`);
  return decode(output.stdout);
}

/** The graph of supabase/functions/<name>/index.ts; npm packages end up in the global cache. */
export async function moduleGraph(name: string): Promise<ModuleGraph> {
  const entry = `${functionsDir}${name}/index.ts`;
  const info = JSON.parse(await deno(["info", "--json", "--no-config", "--import-map", importMap, entry]));
  const files: string[] = [];
  const remote: string[] = [];
  const builtins: string[] = [];
  for (const module of info.modules as Array<{ specifier: string; local?: string; error?: string }>) {
    if (module.error) throw new Error(`${name}: ${module.specifier}: ${module.error}`);
    if (module.specifier.startsWith("file://")) files.push(module.local!);
    else if (module.specifier.startsWith("node:")) builtins.push(module.specifier);
    else if (!module.specifier.startsWith("npm:")) remote.push(module.specifier);
  }
  return { entry, files, npmPackages: Object.values(info.npmPackages ?? {}), builtins, remote };
}

/** Where Deno keeps downloaded dependencies, for a process that runs without a HOME. */
export async function denoDir(): Promise<string> {
  return JSON.parse(await deno(["info", "--json"])).denoDir;
}

/**
 * Copies exactly the graph's files and the import map into an empty directory, under the same
 * relative paths; returns that directory.
 */
export async function stageFunction(graph: ModuleGraph): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "deployed-function-" });
  for (const file of [...graph.files, importMap]) {
    const target = `${root}/${file.slice(projectRoot.length)}`;
    await Deno.mkdir(target.slice(0, target.lastIndexOf("/")), { recursive: true });
    await Deno.copyFile(file, target);
  }
  return root;
}

export interface FunctionProcess {
  url: string;
  /** Everything it wrote, stdout and stderr. */
  output: string[];
  stop(): Promise<void>;
}

/**
 * Runs a staged function's index.ts unchanged, as its own process: no project configuration, the
 * dependency cache only (no downloads), network and environment permissions and the host's name
 * only (the `ai` package's gateway reads it at import; the Edge Runtime answers it), and no
 * environment but `env`. Deno.serve picks its address from DENO_SERVE_ADDRESS (a free loopback
 * port here) and reports it on stderr.
 */
export async function serveAlone(
  staged: string,
  name: string,
  env: Record<string, string>,
): Promise<FunctionProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-config",
      "--cached-only",
      "--no-prompt",
      "--import-map",
      `${staged}/supabase/functions/import_map.json`,
      "--allow-net",
      "--allow-env",
      "--allow-sys=hostname",
      `${staged}/supabase/functions/${name}/index.ts`,
    ],
    cwd: staged,
    clearEnv: true,
    env: { ...env, DENO_DIR: await denoDir(), DENO_SERVE_ADDRESS: "tcp:127.0.0.1:0", NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const output: string[] = [];
  child.stdout.pipeThrough(new TextDecoderStream()).pipeTo(
    new WritableStream({ write: (chunk) => void output.push(chunk) }),
  );
  const stderr = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let url: string | undefined;
  while (!url) {
    const { value, done } = await stderr.read();
    if (done) throw new Error(`${name} exited before it listened:\n${output.join("")}`);
    output.push(value);
    url = output.join("").match(/Listening on (http:\/\/127\.0\.0\.1:\d+)\//)?.[1];
  }
  (async () => {
    for (let next = await stderr.read(); !next.done; next = await stderr.read()) output.push(next.value);
  })();
  return {
    url,
    output,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}

/** `name` deployed alone: its graph staged in an empty directory and served from there, with `env`. */
export async function deployAlone(name: string, env: Record<string, string>): Promise<FunctionProcess> {
  const staged = await stageFunction(await moduleGraph(name));
  const served = await serveAlone(staged, name, env);
  return {
    ...served,
    async stop() {
      await served.stop();
      await Deno.remove(staged, { recursive: true });
    },
  };
}
