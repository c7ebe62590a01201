/**
 * The playground in a real browser (Debian's Chromium, headless, driven by playwright-core), served
 * from another origin than the API so that every call goes through a CORS preflight. Two users in
 * two browser contexts; the second never sees the first's conversations. Screenshots are kept in
 * test-artifacts/.
 */
import assert from "node:assert/strict";
import { chromium, type Page } from "playwright-core";
import { bundlePlayground, type PlaygroundConfig } from "../../../scripts/playground.ts";
import { projectRoot } from "../../../scripts/db_migrate.ts";
import { localApi, newUser, test } from "../functions/helpers.ts";

const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = `${projectRoot}/test-artifacts`;

/** The API on its own origin, counting the preflights it answers. */
function apiOrigin() {
  const handle = localApi();
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

/** The playground's files on a second origin. */
async function pageOrigin(config: PlaygroundConfig) {
  const files: Record<string, [string, string]> = {
    "/": [await Deno.readTextFile(`${projectRoot}/playground/index.html`), "text/html"],
    "/playground.js": [await bundlePlayground(), "text/javascript"],
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

const historyTexts = (page: Page) => page.locator("#history li").allTextContents();

/** Waits until the history shows `count` messages. */
const historyLength = (page: Page, count: number) =>
  page.waitForFunction(`document.querySelectorAll("#history li").length === ${count}`);

test("two users use the playground in a real browser, across origins, without seeing each other", async () => {
  const alice = await newUser();
  const bob = await newUser();
  const api = apiOrigin();
  const site = await pageOrigin({
    apiUrl: api.url,
    anonKey: "local-anon-key",
    users: [{ name: "alice", token: alice.token }, { name: "bob", token: bob.token }],
  });
  await Deno.mkdir(ARTIFACTS, { recursive: true });
  const browserLog: string[] = [];
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
  try {
    // Alice starts a conversation about a video and talks to the assistant.
    const alicePage = await (await browser.newContext({ viewport: { width: 1100, height: 760 } })).newPage();
    alicePage.on("console", (message) => browserLog.push(message.text()));
    alicePage.on("pageerror", (error) => browserLog.push(String(error)));
    await alicePage.goto(site.url);
    await alicePage.waitForSelector("#no-conversations:not([hidden])");
    await alicePage.fill("#video-id", "f0000000-0000-4000-8000-000000000001");
    await alicePage.fill("#new-metadata", '{"topic": "cats", "step": "script"}');
    await alicePage.click("#start");
    await alicePage.waitForSelector("#conversation:not([hidden])");
    const script = [
      ["system", "You write video scripts."],
      ["user", "A video about cats"],
      ["assistant", "Here is a script."],
    ];
    for (const [index, [role, content]] of script.entries()) {
      await alicePage.selectOption("#role", role);
      await alicePage.fill("#content", content);
      await alicePage.click("#send");
      await historyLength(alicePage, index + 1);
    }
    assert.deepEqual(await historyTexts(alicePage), [
      "#1systemYou write video scripts.",
      "#2userA video about cats",
      "#3assistantHere is a script.",
    ]);

    // Metadata is edited with a merge patch.
    await alicePage.fill("#metadata", '{"step": "render", "topic": null}');
    await alicePage.click("#save-metadata");
    await alicePage.waitForFunction(`!document.getElementById("metadata").value.includes("topic")`);
    assert.deepEqual(JSON.parse(await alicePage.inputValue("#metadata")), { step: "render" });

    // The API's errors are shown as it returns them.
    await alicePage.fill("#video-id", "not-a-uuid");
    await alicePage.click("#start");
    await alicePage.waitForSelector("#error", { state: "visible" });
    assert.match(await alicePage.textContent("#error") ?? "", /^400 invalid_request/);
    await alicePage.screenshot({ path: `${ARTIFACTS}/playground-alice.png` });

    // A long history is read newest first, and paged back through.
    await alicePage.fill("#video-id", "");
    await alicePage.click("#start");
    await historyLength(alicePage, 0);
    const longId = (await alicePage.textContent("#conversation-id"))!;
    await fetch(`${api.url}/functions/v1/append-message`, {
      method: "POST",
      headers: { authorization: `Bearer ${alice.token}`, "content-type": "application/json" },
      body: JSON.stringify({
        conversation_id: longId,
        messages: Array.from({ length: 45 }, (_, n) => ({ role: "user", content: `message ${n + 1}` })),
      }),
    }).then((response) => response.body?.cancel());
    await alicePage.click(`#conversations li[data-id="${longId}"]`);
    await historyLength(alicePage, 20);
    assert.equal((await historyTexts(alicePage))[0], "#26usermessage 26");
    await alicePage.click("#older");
    await historyLength(alicePage, 40);
    await alicePage.click("#older");
    await historyLength(alicePage, 45);
    assert.equal((await historyTexts(alicePage))[0], "#1usermessage 1");
    assert.equal(await alicePage.isHidden("#older"), true);

    // Bob, in his own browser context, sees none of it.
    const bobPage = await (await browser.newContext({ viewport: { width: 1100, height: 760 } })).newPage();
    await bobPage.goto(site.url);
    await bobPage.selectOption("#user", "bob");
    await bobPage.waitForSelector("#no-conversations:not([hidden])");
    assert.equal(await bobPage.locator("#conversations li").count(), 0);
    await bobPage.click("#start");
    await bobPage.waitForSelector("#conversation:not([hidden])");
    assert.equal(await bobPage.locator("#conversations li").count(), 1);
    await bobPage.screenshot({ path: `${ARTIFACTS}/playground-bob.png` });

    // Alice deletes her long conversation; her other one stays, Bob's is untouched.
    await alicePage.click("#delete");
    await alicePage.waitForSelector("#conversation", { state: "hidden" });
    await alicePage.waitForFunction(`document.querySelectorAll("#conversations li").length === 1`);
    assert.ok(api.preflights() > 0, "the browser sent CORS preflights, and they were answered");
  } catch (error) {
    throw new Error(`${(error as Error).message}\nbrowser console:\n${browserLog.join("\n")}`);
  } finally {
    await browser.close();
    await site.close();
    await api.close();
  }
});
