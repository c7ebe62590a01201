/**
 * The browser tests' fixture: the API and a playground page on two origins (so every call goes
 * through a CORS preflight), Debian's Chromium under playwright-core, and pages that record what
 * went wrong.
 */
import type { Browser } from "playwright-core";
import { bundlePlayground, type PlaygroundConfig } from "../../../local/playground.ts";
import { projectRoot } from "../../../tools/db_migrate.ts";
import { localApi } from "../functions/helpers.ts";

export const ARTIFACTS = `${projectRoot}/test-artifacts`;

/** The API on its own origin, counting the preflights it answers. */
export function apiOrigin(chat?: (request: Request) => Promise<Response>) {
  const handle = localApi({ functions: chat ? { chat } : {} });
  let preflights = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    if (request.method === "OPTIONS") preflights++;
    return handle(request);
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    preflights: () => preflights,
    close: () => server.shutdown(),
  };
}

/**
 * A playground page on a second origin: `page` (a file of playground/) at `/`, `script` (its bundle)
 * at `/<scriptName>`, and config.json.
 */
export async function pageOrigin(
  config: PlaygroundConfig,
  { page = "index.html", script = bundlePlayground(), scriptName = "playground.js" } = {},
) {
  const files: Record<string, [string, string]> = {
    "/": [await Deno.readTextFile(`${projectRoot}/playground/${page}`), "text/html"],
    [`/${scriptName}`]: [await script, "text/javascript"],
    "/config.json": [JSON.stringify(config), "application/json"],
  };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const file = files[new URL(request.url).pathname];
    return file
      ? new Response(file[0], { headers: { "content-type": file[1] } })
      : new Response("", { status: 404 });
  });
  return { url: `http://127.0.0.1:${server.addr.port}/`, close: () => server.shutdown() };
}

/** Debian's Chromium, headless (chromium.ts). */
export { launchChromium as launch } from "./chromium.ts";

/**
 * A page in its own browser context that records what went wrong: uncaught errors, console errors,
 * and every answer of 400 or more ("409 /functions/v1/update-message"), from either origin. The
 * browser logs each of those answers as a console error too; they are checked here, by name.
 */
export async function watchedPage(browser: Browser, width = 1100, height = 760) {
  const page = await (await browser.newContext({ viewport: { width, height } })).newPage();
  const problems = {
    pageErrors: [] as string[],
    consoleErrors: [] as string[],
    failedResponses: [] as string[],
  };
  page.on("pageerror", (error) => problems.pageErrors.push(String(error)));
  page.on("console", (message) => {
    if (message.type() === "error" && !message.text().startsWith("Failed to load resource")) {
      problems.consoleErrors.push(message.text());
    }
  });
  page.on("response", (response) => {
    if (response.status() >= 400) {
      problems.failedResponses.push(`${response.status()} ${new URL(response.url()).pathname}`);
    }
  });
  return { page, problems };
}
