/**
 * The playground, served by the local server: at `/` the chat product (playground/chats.ts: a
 * sidebar, one conversation, share links at `/?share=<token>`), at `/console` the developer console
 * (playground/app.ts: the typed client in a browser), each bundled on first use. Local only:
 * config.json hands out tokens for the demo users.
 */
import { projectRoot } from "../tools/db_migrate.ts";
import type { Route } from "./api.ts";

export interface PlaygroundConfig {
  apiUrl: string;
  anonKey: string;
  users: Array<{ name: string; token: string }>;
}

const bundles = new Map<string, Promise<string>>();

/** A playground script and its dependencies as one browser script. */
function bundle(entry: string): Promise<string> {
  let built = bundles.get(entry);
  if (!built) {
    built = (async () => {
      const output = `${await Deno.makeTempDir({ prefix: "playground-" })}/bundle.js`;
      const result = await new Deno.Command(Deno.execPath(), {
        args: ["bundle", "--platform", "browser", "--format", "esm", "--minify", "-o", output, entry],
        cwd: projectRoot,
        stdout: "piped",
        stderr: "piped",
      }).output();
      if (!result.success) {
        throw new Error(`bundling ${entry} failed:\n${new TextDecoder().decode(result.stderr)}`);
      }
      return await Deno.readTextFile(output);
    })();
    bundles.set(entry, built);
  }
  return built;
}

/** playground/app.ts (the developer console) as one browser script. */
export const bundlePlayground = (): Promise<string> => bundle("playground/app.ts");
/** playground/chats.ts (the chat product) as one browser script. */
export const bundleChats = (): Promise<string> => bundle("playground/chats.ts");

/** Answers `/`, `/console`, their scripts and `/config.json`; anything else is left to other routes. */
export function playgroundRoute(config: PlaygroundConfig): Route {
  const page = async (file: string) =>
    new Response(await Deno.readTextFile(`${projectRoot}/playground/${file}`), {
      headers: { "content-type": "text/html; charset=utf-8" },
    });
  const script = async (built: Promise<string>) =>
    new Response(await built, { headers: { "content-type": "text/javascript; charset=utf-8" } });
  return async (request, url) => {
    if (request.method !== "GET") return null;
    switch (url.pathname) {
      case "/":
      case "/index.html":
        return await page("chats.html");
      case "/console":
        return await page("index.html");
      case "/chats.js":
        return await script(bundleChats());
      case "/playground.js":
        return await script(bundlePlayground());
      case "/config.json":
        return Response.json(config);
      default:
        return null;
    }
  };
}
