/**
 * `useChat` as the README shows it, in a real browser: a React page (use_chat_page.tsx, bundled by
 * esbuild) with @ai-sdk/react's useChat configured exactly as the README's snippet, in Debian's
 * Chromium (playwright-core), against chat with its default settings and an OpenAI-compatible model
 * server (local/openai_compatible_server.ts, as OPENAI_BASE_URL would reach it). A new chat, a
 * reload mid-reply, Stop, a model failure and its reload, a second tab; no console errors.
 */
import assert from "node:assert/strict";
import { createOpenAI } from "@ai-sdk/openai";
import * as esbuild from "esbuild";
import type { Browser, Page } from "playwright-core";
import { launchChromium } from "./chromium.ts";
import { openAiCompatibleServer, type ScriptedAnswer } from "../../../local/openai_compatible_server.ts";
import { projectRoot } from "../../../tools/db_migrate.ts";
import { createChatHandler } from "../../functions/chat/handler.ts";
import { eventually, storedReply } from "../functions/chat_support.ts";
import { localApi, newUser, pool, test, type TestUser } from "../functions/helpers.ts";

/** The page and its dependencies as one browser script. */
async function bundlePage(): Promise<string> {
  const result = await esbuild.build({
    entryPoints: [`${projectRoot}/supabase/tests/browser/use_chat_page.tsx`],
    absWorkingDir: projectRoot,
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    target: "es2022",
    jsx: "automatic",
    define: { "process.env.NODE_ENV": '"production"' },
    logLevel: "silent",
  });
  await esbuild.stop();
  return result.outputFiles[0].text;
}

const pageScript = bundlePage();

/** A promise the test resolves when it chooses. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

const WORDS = Array.from({ length: 45 }, (_, index) => `w${index + 1} `);
const FULL_TEXT = WORDS.join("");

/**
 * One stack per test: the model server answering with `answer`, chat with its default settings on
 * an API origin, the page on another origin, and Chromium. Cleaned up whatever happens.
 */
async function withStack(
  answer: () => ScriptedAnswer,
  run: (stack: {
    model: ReturnType<typeof openAiCompatibleServer>;
    user: TestUser;
    browser: Browser;
    pageUrl: string;
    open: (path?: string) => Promise<WatchedPage>;
  }) => Promise<void>,
) {
  const model = openAiCompatibleServer(() => answer());
  const chat = createChatHandler({
    model: createOpenAI({ apiKey: "sk-test-key", baseURL: model.baseUrl }).chat("compatible-model"),
  });
  const api = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    localApi({ functions: { chat } }),
  );
  const user = await newUser();
  const files: Record<string, [string, string]> = {
    "/": [
      '<!doctype html><meta charset="utf-8"><div id="root"></div><script type="module" src="/page.js"></script>',
      "text/html",
    ],
    "/page.js": [await pageScript, "text/javascript"],
    "/config.json": [
      JSON.stringify({ supabaseUrl: `http://127.0.0.1:${api.addr.port}`, accessToken: user.token }),
      "application/json",
    ],
    "/favicon.ico": ["", "image/x-icon"],
  };
  const site = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const file = files[new URL(request.url).pathname];
    return new Response(file?.[0] ?? "", {
      status: file ? 200 : 404,
      headers: { "content-type": file?.[1] ?? "" },
    });
  });
  const pageUrl = `http://127.0.0.1:${site.addr.port}/`;
  const browser = await launchChromium();

  try {
    await run({ model, user, browser, pageUrl, open: (path = "") => watchedPage(browser, pageUrl + path) });
  } finally {
    await browser.close();
    await site.shutdown();
    await api.shutdown();
    await model.close();
  }
}

interface WatchedPage {
  page: Page;
  /** Console errors, uncaught errors and answers of 400 or more, as they happened. */
  problems: string[];
  /** Every resume request's status. */
  resumes: number[];
}

async function watchedPage(browser: Browser, url: string): Promise<WatchedPage> {
  const page = await (await browser.newContext()).newPage();
  const watched: WatchedPage = { page, problems: [], resumes: [] };
  page.on("pageerror", (error) => watched.problems.push(`page error: ${error}`));
  page.on("console", (message) => {
    if (message.type() === "error") watched.problems.push(`console: ${message.text()}`);
  });
  page.on("response", (response) => {
    if (response.url().endsWith("/stream")) watched.resumes.push(response.status());
    if (response.status() >= 400) watched.problems.push(`${response.status()} ${response.url()}`);
  });
  await page.goto(url);
  await page.waitForSelector("#status");
  return watched;
}

const conversationOf = (page: Page) => new URL(page.url()).searchParams.get("id")!;

/** The messages as the page shows them: role, text and the reply's state. */
const shown = (page: Page) =>
  page.$$eval("#messages li", (items) =>
    items.map((item) => ({
      role: item.getAttribute("data-role"),
      text: item.querySelector(".text")?.textContent ?? "",
      state: item.querySelector(".state")?.textContent ?? "",
    })));

const waitStatus = (page: Page, status: string) =>
  page.waitForFunction(`document.getElementById("status")?.textContent === ${JSON.stringify(status)}`);

/** Waits until the page's reply holds at least `count` words. */
const waitWords = (page: Page, count: number) =>
  page.waitForFunction(
    `(document.querySelector("#messages li[data-role=assistant] .text")?.textContent ?? "").split(" ").length > ${count}`,
  );

/** Waits until the page shows `text`'s reply whole and is ready, then checks it shows it exactly once. */
async function wholeReplyShown(page: Page, text: string) {
  await page.waitForFunction(
    `document.querySelector("#messages li[data-role=assistant] .text")?.textContent === ${
      JSON.stringify(FULL_TEXT)
    }`,
  );
  await waitStatus(page, "ready");
  assert.deepEqual(await shown(page), [
    { role: "user", text, state: "" },
    { role: "assistant", text: FULL_TEXT, state: "" },
  ], "the reply once, whole");
}

async function send(page: Page, text: string) {
  await page.fill("#input", text);
  await page.click("#send");
}

/** The reply's release marks: released since its last resume, or resumed since its last release. */
async function releaseMark(conversationId: string) {
  const { rows } = await pool.query(
    `select r.released_at is not null and (r.resumed_at is null or r.resumed_at < r.released_at) as released,
            r.resumed_at is not null and (r.released_at is null or r.resumed_at >= r.released_at) as resumed
     from conversation_store.reply_releases r
     join public.conversation_messages m on m.id = r.message_id
     where m.conversation_id = $1 and m.status = 'in_progress'`,
    [conversationId],
  );
  return rows[0] ?? { released: false, resumed: false };
}

test("useChat as the README shows it: a new chat opens without an error (resume answers 204) and its first reply streams", async () => {
  await withStack(() => ({ text: WORDS }), async ({ open }) => {
    const { page, problems, resumes } = await open();
    await eventually(
      () => Promise.resolve(resumes),
      (statuses) => statuses.length > 0,
      "useChat's resume on mount",
    );
    assert.deepEqual(resumes, [204], "the resume finds nothing, and says so with 204");
    await waitStatus(page, "ready");
    assert.equal(await page.textContent("#error"), "");
    await send(page, "Hello");
    await wholeReplyShown(page, "Hello");
    assert.deepEqual(problems, []);
  });
});

test("useChat as the README shows it: a reload mid-reply continues the reply to its end, shown once", async () => {
  const reloaded = gate();
  await withStack(
    () => ({ text: WORDS, before: (index) => index === 10 ? reloaded.opened : undefined }),
    async ({ open, model }) => {
      const { page, problems } = await open();
      await waitStatus(page, "ready");
      await send(page, "Tell me 45 words");
      await waitWords(page, 10);
      const conversationId = conversationOf(page);
      await page.reload();
      // The reloaded page loaded the history and resumed: the reply is held no more.
      await eventually(() => releaseMark(conversationId), (mark) => mark.resumed, "the reload's resume");
      reloaded.open();
      await wholeReplyShown(page, "Tell me 45 words");
      const reply = await storedReply(conversationId);
      assert.deepEqual([reply.content, reply.status], [FULL_TEXT, "completed"]);
      // The streamed reply; a new chat's title is a second, unstreamed call (docs/CHAT.md).
      const replies = model.requests.filter((request) => request.body.stream);
      assert.equal(replies.length, 1, "one model call for the reply, never restarted");
      assert.deepEqual(problems, []);
    },
  );
});

test("useChat as the README shows it: Stop ends the model call, and the store holds what the page showed", async () => {
  const released = gate();
  const never = gate();
  await withStack(
    () => ({
      text: WORDS,
      // Four words, then (once the Stop is recorded) six more at once, then nothing until the end.
      before: (index) => index === 4 ? released.opened : index === 10 ? never.opened : undefined,
    }),
    async ({ open, model }) => {
      try {
        const { page, problems } = await open();
        await waitStatus(page, "ready");
        await send(page, "Tell me 45 words");
        await waitWords(page, 4);
        await page.click("#stop");
        await waitStatus(page, "ready");
        const [, onPage] = await shown(page);
        const conversationId = conversationOf(page);
        await eventually(
          () => releaseMark(conversationId),
          (mark) => mark.released,
          "the Stop to release the reply",
        );
        released.open(); // the model goes on; nothing more may be stored
        await eventually(
          () => Promise.resolve(model.requests[0]),
          (request) => request.cancelled,
          "the model call to end",
        );
        const reply = await eventually(
          () => storedReply(conversationId),
          (r) => r.status !== "in_progress",
          "the reply to end",
        );
        assert.deepEqual(
          [reply.content, reply.status],
          [onPage.text, "incomplete"],
          "what the page showed, no more",
        );
        assert.equal(onPage.text, WORDS.slice(0, 4).join(""));

        await page.reload();
        await waitStatus(page, "ready");
        assert.deepEqual((await shown(page))[1], { role: "assistant", text: onPage.text, state: "stopped" });
        assert.deepEqual(problems, []);
      } finally {
        never.open();
      }
    },
  );
});

test("useChat as the README shows it: a model failure shows a safe error, and after a reload the reply says failed, retry", async () => {
  await withStack(
    () => ({ fail: { status: 500, message: "upstream http://10.0.0.7:8000/v1 failed (key sk-test-key)" } }),
    async ({ open, model, pageUrl }) => {
      const { page, problems } = await open();
      await waitStatus(page, "ready");
      await send(page, "Hello");
      await waitStatus(page, "error");
      const error = await page.textContent("#error");
      assert.equal(error, "model_error: the model answered HTTP 500; retrying may work");
      for (const secret of ["10.0.0.7", model.baseUrl, "sk-test", new URL(pageUrl).host]) {
        assert.ok(!(await page.content()).includes(secret), `the page shows ${secret}`);
      }
      await page.reload();
      await waitStatus(page, "ready");
      assert.deepEqual(await shown(page), [
        { role: "user", text: "Hello", state: "" },
        { role: "assistant", text: "", state: "failed, retry" },
      ]);
      assert.deepEqual(problems, []);
    },
  );
});

test("useChat as the README shows it: a second tab follows the reply the first one streams, each showing it once", async () => {
  const followed = gate();
  await withStack(
    () => ({ text: WORDS, before: (index) => index === 10 ? followed.opened : undefined }),
    async ({ open }) => {
      const first = await open();
      await waitStatus(first.page, "ready");
      await send(first.page, "Tell me 45 words");
      await waitWords(first.page, 10);
      const second = await open(`?id=${conversationOf(first.page)}`);
      await waitWords(second.page, 10);
      followed.open();
      for (const { page } of [first, second]) {
        await wholeReplyShown(page, "Tell me 45 words");
      }
      assert.deepEqual([...first.problems, ...second.problems], []);
    },
  );
});
