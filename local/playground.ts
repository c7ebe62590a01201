/**
 * The playground page, served by the local server at `/`: the typed client in a browser, bundled from
 * playground/app.ts on first use. Local only: config.json hands out tokens for the demo users.
 */
import { projectRoot } from "../tools/db_migrate.ts";
import type { Route } from "./api.ts";

export interface PlaygroundConfig {
  apiUrl: string;
  anonKey: string;
  users: Array<{ name: string; token: string }>;
}

let bundle: Promise<string> | undefined;

/** playground/app.ts and its dependencies as one browser script. */
export function bundlePlayground(): Promise<string> {
  bundle ??= (async () => {
    const output = `${await Deno.makeTempDir({ prefix: "playground-" })}/playground.js`;
    const result = await new Deno.Command(Deno.execPath(), {
      args: [
        "bundle",
        "--platform",
        "browser",
        "--format",
        "esm",
        "--minify",
        "-o",
        output,
        "playground/app.ts",
      ],
      cwd: projectRoot,
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!result.success) {
      throw new Error(`bundling the playground failed:\n${new TextDecoder().decode(result.stderr)}`);
    }
    return await Deno.readTextFile(output);
  })();
  return bundle;
}

/** Answers `/`, `/playground.js` and `/config.json`; anything else is left to other routes. */
export function playgroundRoute(config: PlaygroundConfig): Route {
  return async (request, url) => {
    if (request.method !== "GET") return null;
    switch (url.pathname) {
      case "/":
      case "/index.html":
        return new Response(await Deno.readTextFile(`${projectRoot}/playground/index.html`), {
          headers: { "content-type": "text/html; charset=utf-8" },
        });
      case "/playground.js":
        return new Response(await bundlePlayground(), {
          headers: { "content-type": "text/javascript; charset=utf-8" },
        });
      case "/config.json":
        return Response.json(config);
      default:
        return null;
    }
  };
}
