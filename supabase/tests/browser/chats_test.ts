/**
 * The chat product page in a real browser (Chromium, two origins): a user chats, sees the title chat
 * wrote, rates the reply, pins and renames the chat, shares it; then a signed-out browser opens the link and reads the
 * conversation, and nothing else. Screenshots are kept in test-artifacts/.
 */
import assert from "node:assert/strict";
import { bundleChats } from "../../../local/playground.ts";
import { demoModel } from "../../../local/mock_model.ts";
import { createChatHandler } from "../../functions/chat/handler.ts";
import { toolApproval, tools } from "../../functions/chat/tools.ts";
import { newUser, pool, test } from "../functions/helpers.ts";
import { apiOrigin, ARTIFACTS, launch, pageOrigin, watchedPage } from "./support.ts";

test("a user chats, rates, pins, renames and shares a chat, and a signed-out browser opens the link", async () => {
  const alice = await newUser();
  const api = apiOrigin(createChatHandler({ tools, model: demoModel(5) }));
  const site = await pageOrigin(
    { apiUrl: api.url, anonKey: "local-anon-key", users: [{ name: "alice", token: alice.token }] },
    { page: "chats.html", script: bundleChats(), scriptName: "chats.js" },
  );
  await Deno.mkdir(ARTIFACTS, { recursive: true });
  const browser = await launch();
  const { page, problems } = await watchedPage(browser);
  const { page: reader, problems: readerProblems } = await watchedPage(browser);
  try {
    await page.goto(site.url);
    await page.fill("#input", "Hello from the sidebar");
    await page.click("#send");
    await page.waitForSelector('#messages li[data-role="assistant"] .thumbs');
    assert.match(await page.textContent('#messages li[data-role="assistant"]') ?? "", /local demo model/);
    // The title chat wrote after the first reply (the demo model names a chat by its first words).
    await page.waitForFunction(
      `document.querySelector("#chats li .title")?.textContent === "Demo: Hello from the sidebar"`,
    );
    assert.equal(await page.textContent("#title"), "Demo: Hello from the sidebar");
    assert.equal(await page.locator("#chats li").count(), 1);

    await page.click('#messages li[data-role="assistant"] button[title="Rate up"]');
    await page.waitForSelector(
      '#messages li[data-role="assistant"] button[title="Rate up"][aria-pressed="true"]',
    );
    const { rows: ratings } = await pool.query(
      "select rating from public.message_ratings where user_id = $1",
      [
        alice.id,
      ],
    );
    assert.deepEqual(ratings, [{ rating: "up" }]);

    await page.click('#chats li button[title="Pin"]');
    await page.waitForSelector('#chats li button[title="Unpin"][aria-pressed="true"]');
    page.once("dialog", (dialog) => dialog.accept("Greetings"));
    await page.click("#rename");
    await page.waitForFunction(`document.querySelector("#chats li .title")?.textContent === "Greetings"`);

    await page.click("#share");
    const link = await (await page.waitForSelector("#share-url")).getAttribute("href");
    assert.ok(link?.includes("?share="), String(link));
    await page.screenshot({ path: `${ARTIFACTS}/chats-owner.png` });

    // Another browser context: no token, no storage, nothing but the link.
    await reader.goto(link!);
    await reader.waitForFunction(`document.querySelectorAll("#messages li").length === 2`);
    assert.equal(await reader.textContent("#title"), "Greetings");
    const shown = await reader.textContent("#messages") ?? "";
    assert.match(shown, /Hello from the sidebar/);
    assert.match(shown, /local demo model/);
    assert.ok(!(await reader.content()).includes(alice.id), "nothing names the owner");
    assert.equal(await reader.isVisible("#sidebar"), false);
    assert.equal(await reader.isVisible("#composer"), false);
    await reader.screenshot({ path: `${ARTIFACTS}/chats-shared.png` });

    const revoked = new URL(link!);
    revoked.search = "?share=" + "A".repeat(43);
    await reader.goto(revoked.toString());
    await reader.waitForFunction(
      `document.querySelector("#title")?.textContent?.includes("does not open a chat")`,
    );

    assert.deepEqual(problems.pageErrors, []);
    assert.deepEqual(readerProblems.pageErrors, []);
    assert.deepEqual(readerProblems.failedResponses, ["404 /functions/v1/get-shared-conversation"]);
  } finally {
    await browser.close();
    await site.close();
    await api.close();
  }
});

test("the chat page asks before the demo model's video render, and Approve runs it once in the same reply", async () => {
  const alice = await newUser();
  const api = apiOrigin(createChatHandler({ tools, toolApproval, model: demoModel(5) }));
  const site = await pageOrigin(
    { apiUrl: api.url, anonKey: "local-anon-key", users: [{ name: "alice", token: alice.token }] },
    { page: "chats.html", script: bundleChats(), scriptName: "chats.js" },
  );
  const browser = await launch();
  const { page, problems } = await watchedPage(browser);
  try {
    await page.goto(site.url);
    await page.fill("#input", "Please make a video of a cat surfing");
    await page.click("#send");
    await page.click('#messages li[data-role="assistant"] button.approve');
    await page.waitForFunction(
      `document.querySelector('#messages li[data-role="assistant"]')?.textContent?.includes("recorded in this conversation's metadata")`,
    );
    const { rows } = await pool.query(
      `select c.metadata -> 'video_render' ->> 'state' as state,
              (select count(*)::int from public.conversation_messages m
               where m.conversation_id = c.id and m.role = 'assistant') as replies
       from public.conversations c where c.user_id = $1`,
      [alice.id],
    );
    assert.deepEqual(rows, [{ state: "queued", replies: 1 }], "the render ran once, in the same reply");
    assert.deepEqual(problems.pageErrors, []);
    assert.deepEqual(problems.consoleErrors, []);
  } finally {
    await browser.close();
    await site.close();
    await api.close();
  }
});
