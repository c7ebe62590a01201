/**
 * The playground in a real browser (Debian's Chromium, headless, driven by playwright-core), served
 * from another origin than the API so that every call goes through a CORS preflight. Two users in
 * two browser contexts; the second never sees the first's conversations. Then a streamed reply
 * stopped and one finished, the context panel and a summary, a fork, search and retention.
 * Screenshots are kept in test-artifacts/.
 */
import { Buffer } from "node:buffer";
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { newUser, pool, test } from "../functions/helpers.ts";
import { apiOrigin, ARTIFACTS, launch, pageOrigin, watchedPage } from "./support.ts";
import { createChatHandler } from "../../functions/chat/handler.ts";
import { toolApproval, tools } from "../../functions/chat/tools.ts";
import { demoModel } from "../../../local/mock_model.ts";
import { eventually } from "../functions/chat_support.ts";

/** Each history item as "#<sequence><role><content>", without its buttons. */
const historyTexts = (page: Page) =>
  page.$$eval(
    "#history li",
    (items) =>
      items.map((item) =>
        [".seq", ".role", ".content"].map((part) => item.querySelector(part)?.textContent ?? "").join("")
      ),
  );

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
  const browser = await launch();
  const { page: alicePage, problems } = await watchedPage(browser);
  try {
    // Alice starts a conversation about a video and talks to the assistant.
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
    const { page: bobPage, problems: bobProblems } = await watchedPage(browser);
    await bobPage.goto(site.url);
    await bobPage.selectOption("#user", "bob");
    await bobPage.waitForSelector("#no-conversations:not([hidden])");
    assert.equal(await bobPage.locator("#conversations li").count(), 0);
    await bobPage.click("#start");
    await bobPage.waitForSelector("#conversation:not([hidden])");
    await bobPage.waitForFunction(`document.querySelectorAll("#conversations li").length === 1`);
    await bobPage.screenshot({ path: `${ARTIFACTS}/playground-bob.png` });

    // Alice deletes her long conversation; her other one stays, Bob's is untouched.
    await alicePage.click("#delete");
    await alicePage.waitForSelector("#conversation", { state: "hidden" });
    await alicePage.waitForFunction(`document.querySelectorAll("#conversations li").length === 1`);
    assert.ok(api.preflights() > 0, "the browser sent CORS preflights, and they were answered");
    assert.deepEqual(problems, {
      pageErrors: [],
      consoleErrors: [],
      failedResponses: ["400 /functions/v1/start-conversation"],
    });
    assert.deepEqual(bobProblems, { pageErrors: [], consoleErrors: [], failedResponses: [] });
  } catch (error) {
    throw new Error(`${(error as Error).message}\nin the browser: ${JSON.stringify(problems, null, 2)}`);
  } finally {
    await browser.close();
    await site.close();
    await api.close();
  }
});

/** A message as the database holds it. */
async function stored(conversationId: string, sequence: number) {
  const { rows } = await pool.query(
    "select status, content from public.conversation_messages where conversation_id = $1 and sequence_order = $2",
    [conversationId, sequence],
  );
  return rows[0] as { status: string; content: string };
}

/** Waits until the history item of message `sequence` matches `selector` (within the item). */
const historyItem = (page: Page, sequence: number, selector = "") =>
  page.waitForSelector(`#history li[data-sequence="${sequence}"]${selector}`);

test("the playground streams and stops replies, budgets a context, summarizes, forks, searches and sets retention", async () => {
  const alice = await newUser();
  const api = apiOrigin();
  const site = await pageOrigin({
    apiUrl: api.url,
    anonKey: "local-anon-key",
    users: [{ name: "alice", token: alice.token }],
  });
  await Deno.mkdir(ARTIFACTS, { recursive: true });
  const browser = await launch();
  const { page, problems } = await watchedPage(browser, 1440, 900);
  try {
    await page.goto(site.url);
    await page.waitForSelector("#no-conversations:not([hidden])");
    await page.fill("#new-retention", "3600");
    await page.click("#start");
    await page.waitForSelector("#conversation:not([hidden])");
    assert.match(await page.textContent("#expires") ?? "", /^Expires .* \(3600 s after the last change/);
    const conversationId = (await page.textContent("#conversation-id"))!;
    const script = [
      ["system", "You write short video scripts."],
      ["user", "A video about a cat on a windowsill"],
      ["assistant", "A ginger cat naps in the sun until a moth drifts past."],
      ["user", "Now explain rendering the timeline <b>fast</b>"],
    ];
    for (const [index, [role, content]] of script.entries()) {
      await page.selectOption("#role", role);
      await page.fill("#content", content);
      await page.click("#send");
      await historyLength(page, index + 1);
    }

    // A reply streams in; the user stops it half-way and it keeps what was stored.
    await page.click("#stream-reply");
    await page.waitForFunction(`(() => {
      const item = document.querySelector('#history li[data-sequence="5"]');
      return item?.querySelector(".status.in_progress") && item.querySelector(".content").textContent.length > 40;
    })()`);
    await page.click("#stop-reply");
    await historyItem(page, 5, " .status.incomplete");
    await page.waitForSelector("#stream-reply:not([disabled])");
    const stopped = await stored(conversationId, 5);
    assert.equal(stopped.status, "incomplete");
    assert.ok(stopped.content.startsWith("Here is a short script."), stopped.content);
    assert.ok(stopped.content.length < 300, "stopped before the end");
    assert.equal(await page.textContent('#history li[data-sequence="5"] .content'), stopped.content);
    assert.match(
      await page.textContent("#reply-status") ?? "",
      /^Reply #5: incomplete · \d+ characters stored$/,
    );
    await page.screenshot({ path: `${ARTIFACTS}/playground-reply-stopped.png` });

    // Another one runs to the end.
    await page.click("#stream-reply");
    await page.waitForFunction(
      `document.getElementById("reply-status").textContent.startsWith("Reply #6: completed")`,
    );
    const completed = await stored(conversationId, 6);
    assert.equal(completed.status, "completed");
    assert.ok(completed.content.endsWith("Fade out on purring."));
    assert.equal(
      await page.locator('#history li[data-sequence="6"] .status').count(),
      0,
      "no badge once completed",
    );

    // The context panel: one message besides the pinned system prompt, and what was left out.
    await page.fill("#context-max-tokens", "2000");
    await page.fill("#context-max-messages", "1");
    await page.click("#show-context");
    await page.waitForFunction(
      `document.getElementById("context-left-out").textContent === "Left out: #2–#5"`,
    );
    assert.deepEqual(await page.locator("#context-rows .seq").allTextContents(), ["#1", "#6"]);
    assert.ok(
      (await page.locator("#context-rows .tokens").allTextContents()).every((text) => /^\d+ tok$/.test(text)),
    );
    const sent = JSON.parse(await page.textContent("#context-openai") ?? "");
    assert.deepEqual(sent.map((message: { role: string }) => message.role), ["system", "assistant"]);
    assert.equal(
      await page.inputValue("#summary-through"),
      "5",
      "the summary is proposed for what was left out",
    );

    // A summary of the left-out part takes its place.
    await page.fill(
      "#summary-content",
      "Alice wants a cat video; she asked how to render the timeline fast.",
    );
    await page.click("#save-summary");
    await page.waitForFunction(
      `document.getElementById("context-left-out").textContent === "Nothing left out."`,
    );
    assert.deepEqual(await page.locator("#context-rows .role").allTextContents(), [
      "system",
      "summary",
      "assistant",
    ]);
    const withSummary = JSON.parse(await page.textContent("#context-openai") ?? "");
    assert.deepEqual(withSummary[1], {
      role: "system",
      content: "Alice wants a cat video; she asked how to render the timeline fast.",
    });

    // Fork from message 2: a new conversation holding messages 1 and 2.
    await page.hover('#history li[data-sequence="2"]');
    await page.click('#history li[data-sequence="2"] .fork');
    await page.waitForFunction(
      `document.getElementById("conversation-id").textContent !== "${conversationId}"`,
    );
    await historyLength(page, 2);
    assert.equal(
      await page.textContent("#forked-from"),
      `Forked from ${conversationId.slice(0, 8)} through #2.`,
    );
    assert.deepEqual(await historyTexts(page), [
      "#1systemYou write short video scripts.",
      "#2userA video about a cat on a windowsill",
    ]);

    // Search finds the message; its markup is shown as text, the match highlighted.
    await page.fill("#search-q", "rendering timeline");
    await page.click("#search");
    await page.waitForSelector("#search-results a");
    const link = page.locator(`#search-results a[data-conversation="${conversationId}"][data-sequence="4"]`);
    assert.equal(await link.textContent(), "#4Now explain rendering the timeline <b>fast</b>");
    assert.deepEqual(await link.locator("mark").allTextContents(), ["rendering", "timeline"]);
    assert.equal(
      await page.locator("#search-results b").count(),
      0,
      "no markup from a message reaches the page",
    );
    await link.click();
    await page.waitForFunction(
      `document.getElementById("conversation-id").textContent === "${conversationId}"`,
    );
    await historyItem(page, 4, ".match");
    await page.waitForSelector("#context-rows li.summary");
    await page.click("#context-panel details summary");
    await page.screenshot({ path: `${ARTIFACTS}/playground.png` });

    // Retention is cleared: the conversation is kept until deleted.
    await page.fill("#retention", "");
    await page.click("#save-retention");
    await page.waitForFunction(
      `document.getElementById("expires").textContent.startsWith("Kept until deleted")`,
    );
    // The one refusal is the Stop at work: the writer's next delta answered 409 message_final.
    assert.deepEqual(problems, {
      pageErrors: [],
      consoleErrors: [],
      failedResponses: ["409 /functions/v1/update-message"],
    });
  } catch (error) {
    throw new Error(`${(error as Error).message}\nin the browser: ${JSON.stringify(problems, null, 2)}`);
  } finally {
    await browser.close();
    await site.close();
    await api.close();
  }
});

/** The playground for Alice (`token`), with `chat` behind its API, open in Chromium; `close` ends it all. */
async function chatPlayground(chat: (request: Request) => Promise<Response>, token: string) {
  const api = apiOrigin(chat);
  const site = await pageOrigin({
    apiUrl: api.url,
    anonKey: "local-anon-key",
    users: [{ name: "alice", token }],
  });
  const browser = await launch();
  const { page, problems } = await watchedPage(browser);
  return {
    page,
    problems,
    url: site.url,
    close: async () => {
      await browser.close();
      await site.close();
      await api.close();
    },
  };
}

/** A PNG signature: the bytes an image upload starts with (the page shows it, the model never decodes it). */
const ONE_PIXEL_PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

test("the playground chats through the chat function: reasoning collapsed, a tool with its states, stop, an image, a reload", async () => {
  const alice = await newUser();
  const { page, problems, url, close } = await chatPlayground(
    createChatHandler({ tools, model: demoModel(15) }),
    alice.token,
  );
  const assistantText = (on: Page) =>
    on.$$eval(
      "#chat-messages li[data-role=assistant]",
      (items) => items.map((item) => item.textContent ?? ""),
    );
  try {
    await page.goto(url);
    await page.waitForSelector("#no-conversations:not([hidden])");
    await page.click("#start");
    await page.waitForSelector("#conversation:not([hidden])");
    const conversationId = await page.textContent("#conversation-id");

    // A tool call: the demo model reasons, calls get_time (run by the function), then answers.
    await page.fill("#chat-input", "What time is it?");
    await page.click("#chat-send");
    await page.waitForFunction(`document.getElementById("chat-status").textContent === "ready" &&
      document.querySelectorAll("#chat-messages li").length === 2`);
    const [toolReply] = await assistantText(page);
    assert.match(toolReply, /get_time: output-available → \{"now":/);
    assert.match(toolReply, /The get_time tool answered/);
    assert.equal(await page.locator("#chat-messages details.reasoning").first().getAttribute("open"), null);
    await historyLength(page, 2);

    // Stop mid-reply: the reply is stored incomplete with what was shown.
    await page.fill("#chat-input", "Tell me a long story");
    await page.click("#chat-send");
    await page.waitForFunction(
      `(document.querySelectorAll("#chat-messages li")[3]?.textContent ?? "").includes("You said")`,
    );
    await page.click("#chat-stop");
    await page.waitForFunction(`document.getElementById("chat-status").textContent === "ready"`);
    const stopped = await eventually(
      async () =>
        (await pool.query(
          `select content, status from public.conversation_messages where conversation_id = $1 and sequence_order = 4`,
          [conversationId],
        )).rows[0],
      (row) => row.status !== "in_progress",
      "the stopped reply to be stored",
    );
    assert.equal(stopped.status, "incomplete");
    const shown = await page.$$eval(
      "#chat-messages li[data-role=assistant]:nth-of-type(4) > span:not(.role)",
      (spans) => spans.map((span) => span.textContent ?? "").join(""),
    );
    assert.ok(shown.length > 0 && stopped.content.startsWith(shown), "everything the page showed is stored");

    // An image sent with a message is stored as a file part and shown again after a reload.
    await page.fill("#chat-input", "Here is a picture");
    await page.setInputFiles("#chat-file", { name: "dot.png", mimeType: "image/png", buffer: ONE_PIXEL_PNG });
    await page.click("#chat-send");
    await page.waitForFunction(`document.getElementById("chat-status").textContent === "ready" &&
      document.querySelectorAll("#chat-messages li").length === 6`);
    await page.reload();
    await page.click(`#conversations li[data-id="${conversationId}"]`);
    await page.waitForFunction(`document.querySelectorAll("#chat-messages li").length === 6`);
    const image = page.locator("#chat-messages li[data-role=user] img");
    assert.equal(await image.getAttribute("alt"), "dot.png");
    assert.match((await image.getAttribute("src")) ?? "", /^data:image\/png;base64,/);
    const { rows: [reasoning] } = await pool.query(
      `select count(*)::int as parts from public.conversation_messages m, jsonb_array_elements(m.parts) p
       where m.conversation_id = $1 and p ->> 'type' = 'reasoning'`,
      [conversationId],
    );
    assert.ok(reasoning.parts >= 3, "each reply stored its reasoning");
    assert.equal(
      await page.locator("#chat-messages details.reasoning:not([open])").count(),
      reasoning.parts,
      "the reloaded chat shows the stored replies' reasoning, collapsed",
    );
    assert.match((await assistantText(page))[0], /get_time: output-available/, "and the tool's state");

    await page.screenshot({ path: `${ARTIFACTS}/playground-chat.png`, fullPage: true });
    assert.deepEqual(problems, { pageErrors: [], consoleErrors: [], failedResponses: [] });
  } catch (error) {
    throw new Error(
      `${(error as Error).message}\nin the browser: ${JSON.stringify(problems, null, 2)}`,
    );
  } finally {
    await close();
  }
});

test("the playground asks before a video render: Approve after a reload starts it, Deny leaves it undone", async () => {
  const alice = await newUser();
  const { page, problems, url, close } = await chatPlayground(
    createChatHandler({ tools, toolApproval, model: demoModel(5) }),
    alice.token,
  );
  const ready = (items: number) =>
    page.waitForFunction(`document.getElementById("chat-status").textContent === "ready" &&
      document.querySelectorAll("#chat-messages li").length === ${items}`);
  const lastReply = () => page.locator("#chat-messages li[data-role=assistant]").last().textContent();
  try {
    await page.goto(url);
    await page.waitForSelector("#no-conversations:not([hidden])");
    await page.click("#start");
    await page.waitForSelector("#conversation:not([hidden])");
    const conversationId = await page.textContent("#conversation-id");

    await page.fill("#chat-input", "Make a video of a cat");
    await page.click("#chat-send");
    await page.waitForSelector("#chat-messages button.approve");
    assert.match((await lastReply()) ?? "", /start_video_render: approval-requested/);

    // After a reload the request is still there, the list says the conversation waits, and Approve works.
    await page.reload();
    await page.waitForSelector(`#conversations li[data-id="${conversationId}"]`);
    assert.match(
      (await page.textContent(`#conversations li[data-id="${conversationId}"]`)) ?? "",
      /waits for you/,
    );
    await page.click(`#conversations li[data-id="${conversationId}"]`);
    await page.click("#chat-messages button.approve");
    await page.waitForFunction(
      `(document.querySelector("#chat-messages li[data-role=assistant]")?.textContent ?? "")
      .includes("video render job is recorded")`,
    );
    await ready(2);
    assert.match((await lastReply()) ?? "", /start_video_render: output-available/);
    const { rows: [approved] } = await pool.query(
      `select metadata -> 'video_render' ->> 'state' as state from public.conversations where id = $1`,
      [conversationId],
    );
    assert.equal(approved.state, "queued", "the approved render is recorded in the conversation's metadata");

    // Deny: the call ends output-denied and nothing is started again.
    await page.fill("#chat-input", "Make another video, of a dog");
    await page.click("#chat-send");
    await page.waitForSelector("#chat-messages button.deny");
    await page.click("#chat-messages button.deny");
    await page.waitForFunction(`[...document.querySelectorAll("#chat-messages li[data-role=assistant]")]
      .at(-1)?.textContent.includes("did not start it")`);
    await ready(4);
    assert.match((await lastReply()) ?? "", /start_video_render: output-denied/);
    const { rows: [after] } = await pool.query(
      `select metadata -> 'video_render' ->> 'prompt' as prompt from public.conversations where id = $1`,
      [conversationId],
    );
    assert.equal(after.prompt, "Make a video of a cat", "the denied render never ran");

    await page.screenshot({ path: `${ARTIFACTS}/playground-approvals.png`, fullPage: true });
    assert.deepEqual(problems, { pageErrors: [], consoleErrors: [], failedResponses: [] });
  } catch (error) {
    throw new Error(`${(error as Error).message}\nin the browser: ${JSON.stringify(problems, null, 2)}`);
  } finally {
    await close();
  }
});

test("the playground's memory panel shows what chat's model remembered, writes and forgets entries, and refuses to overwrite a change made meanwhile", async () => {
  const alice = await newUser();
  const bob = await newUser();
  const api = apiOrigin(createChatHandler({ tools, model: demoModel(5) }));
  const site = await pageOrigin({
    apiUrl: api.url,
    anonKey: "local-anon-key",
    users: [{ name: "alice", token: alice.token }, { name: "bob", token: bob.token }],
  });
  const browser = await launch();
  const { page, problems } = await watchedPage(browser);
  const entries = () =>
    page.$$eval("#memory-entries li", (items) => items.map((item) => item.textContent ?? ""));
  try {
    await page.goto(site.url);
    await page.waitForSelector("#memory-empty:not([hidden])");
    // The demo model keeps a message that says "remember" with the built-in memory tool.
    await page.click("#start");
    await page.waitForSelector("#conversation:not([hidden])");
    await page.fill("#chat-input", "Remember that I like tea");
    await page.click("#chat-send");
    await page.waitForFunction(`document.getElementById("chat-status").textContent === "ready" &&
      document.querySelectorAll("#chat-messages li").length === 2`);
    await page.click("#memory-refresh");
    await page.waitForSelector('#memory-entries li[data-key="note"]');
    assert.match((await entries())[0], /^note: Remember that I like tea v\d+ · \d+ tok · from [0-9a-f]{8}$/);
    await page.click('#memory-entries li[data-key="note"]');
    await page.fill("#memory-value", "");
    await page.click("#memory-save");
    await page.waitForSelector("#memory-empty:not([hidden])");

    await page.fill("#memory-key", "diet");
    await page.fill("#memory-value", "vegan");
    await page.click("#memory-save");
    await page.waitForSelector('#memory-entries li[data-key="diet"]');
    assert.match((await entries())[0], /^diet: vegan v\d+ · \d+ tok$/);

    // Chat's model (here: a direct write) changes the entry after the panel showed it.
    const { rows: [shown] } = await pool.query(
      "select version from public.memory_entries where user_id = $1 and key = 'diet'",
      [alice.id],
    );
    await pool.query(
      `select set_config('role', 'service_role', true), set_config('request.jwt.claims', '{"role": "service_role"}', true),
              public.write_memory('diet', 'vegetarian', $1, null, null, $2)`,
      [shown.version, alice.id],
    );
    await page.fill("#memory-value", "pescatarian");
    await page.click("#memory-save");
    await page.waitForFunction(
      `document.getElementById("error").textContent.startsWith("409 memory_conflict")`,
    );
    await page.click("#memory-refresh");
    await page.waitForFunction(
      `document.querySelector("#memory-entries li").textContent.startsWith("diet: vegetarian")`,
    );

    await page.click('#memory-entries li[data-key="diet"]');
    await page.fill("#memory-value", "");
    await page.click("#memory-save");
    await page.waitForSelector("#memory-empty:not([hidden])");

    await page.selectOption("#user", "bob");
    await page.waitForFunction(`document.getElementById("memory-usage").textContent.startsWith("0 of")`);
    assert.deepEqual(await entries(), []);
    assert.deepEqual(problems.pageErrors, []);
    assert.deepEqual(problems.failedResponses, ["409 /functions/v1/update-memory"], "only the refused write");
  } catch (error) {
    throw new Error(`${(error as Error).message}\nin the browser: ${JSON.stringify(problems, null, 2)}`);
  } finally {
    await browser.close();
    await site.close();
    await api.close();
  }
});
