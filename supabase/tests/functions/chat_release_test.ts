/**
 * Reload or Stop (issue 25): a closed request releases its reply; a resume within the grace period
 * keeps it going, else it ends as a Stop; a new message ends a released reply at once. Resume
 * answers 204 whenever the caller has no reply in progress. A reply's outcome (status, reason, a
 * safe error) is in the stream's finish and in get-history format=ui.
 */
import assert from "node:assert/strict";
import { createOpenAI } from "@ai-sdk/openai";
import { finishPart } from "../../../local/mock_model.ts";
import { openAiCompatibleServer } from "../../../local/openai_compatible_server.ts";
import { createChatHandler } from "../../functions/chat/handler.ts";
import {
  allChunks,
  chatServer,
  chunksOf,
  eventually,
  postChat,
  replyState,
  storedReply,
  streamedText,
  until,
  userMessage,
} from "./chat_support.ts";
import { call, freePort, localApi, newUser, pool, test, type TestUser } from "./helpers.ts";

const server = chatServer();
const otherInstance = chatServer();
// A grace period no test waits out: only a new message ends the released reply.
const patient = chatServer({ settings: { resumeGraceMs: 60_000 } });
const timed = chatServer({ settings: { maxDurationMs: 1_000 } });
addEventListener("unload", () => {
  for (const each of [server, otherInstance, patient, timed]) each.close();
});

const resume = (url: string, user: TestUser, conversationId: string, signal?: AbortSignal) =>
  fetch(`${url}/${conversationId}/stream`, { headers: { authorization: `Bearer ${user.token}` }, signal });

/** The reply's release marks, straight from the table. */
async function marks(conversationId: string) {
  const { rows } = await pool.query(
    `select r.released_at, r.resumed_at
     from conversation_store.reply_releases r
     join public.conversation_messages m on m.id = r.message_id
     where m.conversation_id = $1 and m.status = 'in_progress'`,
    [conversationId],
  );
  return rows[0] as { released_at: Date | null; resumed_at: Date | null } | undefined;
}

const releasedSinceResume = (mark: Awaited<ReturnType<typeof marks>>) =>
  mark?.released_at != null && (mark.resumed_at === null || mark.resumed_at < mark.released_at);

const waitReleased = (conversationId: string) =>
  eventually(() => marks(conversationId), releasedSinceResume, "the reply to be released");

/** The last message of a conversation as get-history format=ui answers it. */
async function lastUiMessage(user: TestUser, conversationId: string) {
  const ui = await call("get-history", {
    token: user.token,
    query: { conversation_id: conversationId, format: "ui" },
  });
  assert.equal(ui.status, 200, JSON.stringify(ui.body));
  return ui.body.messages.at(-1);
}

/** A message whose reply streams "So far" and is stored, its request closed by `abort`. */
async function replyStreaming(
  url: string,
  model: typeof server.model,
  user: TestUser,
  conversationId: string,
) {
  const abort = new AbortController();
  const response = await postChat(
    url,
    user,
    { id: conversationId, messages: [userMessage("Go")] },
    abort.signal,
  );
  const call = await model.nextCall();
  call.send({ type: "text-start", id: "t" }, { type: "text-delta", id: "t", delta: "So far" });
  await until(chunksOf(response), (chunk) => chunk.type === "text-delta");
  return { call, abort };
}

test("a closed request that a page resumes within the grace period goes on to its end, replayed once, stored completed", async () => {
  const alice = await newUser();
  const conversationId = crypto.randomUUID();
  const { call: model, abort } = await replyStreaming(server.url, server.model, alice, conversationId);
  abort.abort();
  await waitReleased(conversationId);
  const resumed = await resume(otherInstance.url, alice, conversationId);
  assert.equal(resumed.status, 200);
  await eventually(
    () => marks(conversationId),
    (mark) => !releasedSinceResume(mark),
    "the resume to be recorded",
  );
  model.send(
    { type: "text-delta", id: "t", delta: " and the rest." },
    { type: "text-end", id: "t" },
    finishPart(),
  );
  model.end();
  const chunks = await allChunks(resumed);
  assert.equal(streamedText(chunks), "So far and the rest.", "the stored text replayed once, then the rest");
  const finish = chunks.at(-1)!;
  assert.deepEqual(finish.type === "finish" && replyState(finish.messageMetadata), {
    conversation_id: conversationId,
    status: "completed",
  });
  const reply = await storedReply(conversationId);
  assert.deepEqual([reply.content, reply.status], ["So far and the rest.", "completed"]);
  assert.deepEqual(replyState((await lastUiMessage(alice, conversationId)).metadata), {
    status: "completed",
  });
});

test("a closed request that no page resumes ends as a Stop after the grace period: the model call is aborted and nothing it sent after the close is stored", async () => {
  const alice = await newUser();
  const conversationId = crypto.randomUUID();
  const { call: model, abort } = await replyStreaming(server.url, server.model, alice, conversationId);
  abort.abort();
  await waitReleased(conversationId);
  model.send({ type: "text-delta", id: "t", delta: " and more the page never showed" });
  await model.aborted;
  const reply = await eventually(
    () => storedReply(conversationId),
    (r) => r.status !== "in_progress",
    "the reply to end",
  );
  assert.deepEqual([reply.content, reply.status], ["So far", "incomplete"]);
  assert.deepEqual(replyState((await lastUiMessage(alice, conversationId)).metadata), {
    status: "incomplete",
    reason: "stopped",
  });
});

test("a new message right after a Stop ends the stopped reply and is answered, without reply_in_progress", async () => {
  const alice = await newUser();
  const conversationId = crypto.randomUUID();
  const { call: first, abort } = await replyStreaming(patient.url, patient.model, alice, conversationId);
  abort.abort();
  await waitReleased(conversationId);
  const next = postChat(patient.url, alice, { id: conversationId, messages: [userMessage("Another")] });
  await first.aborted;
  const second = await patient.model.nextCall();
  second.send({ type: "text-start", id: "t" }, { type: "text-delta", id: "t", delta: "Answered." }, {
    type: "text-end",
    id: "t",
  }, finishPart());
  second.end();
  const response = await next;
  assert.equal(response.status, 200);
  assert.equal(streamedText(await allChunks(response)), "Answered.");
  const { rows } = await pool.query(
    `select content, status, reply_outcome from public.conversation_messages
     where conversation_id = $1 and role = 'assistant' order by sequence_order`,
    [conversationId],
  );
  assert.deepEqual(rows, [
    { content: "So far", status: "incomplete", reply_outcome: { reason: "stopped" } },
    { content: "Answered.", status: "completed", reply_outcome: {} },
  ]);
});

test("a page that resumed a reply and then closes releases it again; not resumed, it ends as a Stop", async () => {
  const alice = await newUser();
  const conversationId = crypto.randomUUID();
  const { call: model, abort } = await replyStreaming(server.url, server.model, alice, conversationId);
  abort.abort();
  await waitReleased(conversationId);
  const closeResumed = new AbortController();
  const resumed = await resume(otherInstance.url, alice, conversationId, closeResumed.signal);
  await until(chunksOf(resumed), (chunk) => chunk.type === "text-delta");
  await eventually(
    () => marks(conversationId),
    (mark) => !releasedSinceResume(mark),
    "the resume to be recorded",
  );
  closeResumed.abort();
  await waitReleased(conversationId);
  await model.aborted;
  const reply = await eventually(
    () => storedReply(conversationId),
    (r) => r.status !== "in_progress",
    "the end",
  );
  assert.deepEqual([reply.content, reply.status], ["So far", "incomplete"]);
});

test("resume answers 204 for a conversation not stored yet, another user's and one without a reply in progress alike, and records nothing; a malformed id is refused with 400", async () => {
  const [alice, bob] = [await newUser(), await newUser()];
  const conversationId = crypto.randomUUID();
  const { call: model } = await replyStreaming(server.url, server.model, alice, conversationId);
  for (
    const [user, id, what] of [
      [bob, crypto.randomUUID(), "a conversation not stored yet"],
      [bob, conversationId, "another user's conversation with a reply in progress"],
    ] as const
  ) {
    const answer = await resume(otherInstance.url, user, id);
    assert.equal(answer.status, 204, what);
    assert.equal(await answer.text(), "");
  }
  assert.equal(await marks(conversationId), undefined, "another user's resume records nothing");
  model.send({ type: "text-end", id: "t" }, finishPart());
  model.end();
  await eventually(() => storedReply(conversationId), (r) => r.status === "completed", "the reply to end");
  const finished = await resume(otherInstance.url, alice, conversationId);
  assert.equal(finished.status, 204, "a conversation without a reply in progress");
  for (const path of ["%E0%A4%A/stream", "%/stream", "not-a-uuid/stream"]) {
    const answer = await fetch(`${otherInstance.url}/${path}`, {
      headers: { authorization: `Bearer ${alice.token}` },
    });
    assert.equal(answer.status, 400, path);
    assert.equal((await answer.json()).error.code, "invalid_request");
  }
});

test("a reply that runs past CHAT_MAX_DURATION_MS ends incomplete with the reason time_limit", async () => {
  const alice = await newUser();
  const conversationId = crypto.randomUUID();
  const response = postChat(timed.url, alice, { id: conversationId, messages: [userMessage("Slow")] });
  const model = await timed.model.nextCall();
  model.send({ type: "text-start", id: "t" }, { type: "text-delta", id: "t", delta: "Thinking" });
  await model.aborted;
  const chunks = await allChunks(await response);
  const finish = chunks.at(-1)!;
  assert.deepEqual(finish.type === "finish" && replyState(finish.messageMetadata), {
    conversation_id: conversationId,
    status: "incomplete",
    reason: "time_limit",
  });
  assert.deepEqual(replyState((await lastUiMessage(alice, conversationId)).metadata), {
    status: "incomplete",
    reason: "time_limit",
  });
});

/** chat with an OpenAI-compatible model at `baseURL`, as OPENAI_BASE_URL configures it. */
function compatibleChat(baseURL: string) {
  const chat = createChatHandler({
    model: createOpenAI({ apiKey: "sk-test-secret", baseURL }).chat("compatible-model"),
    settings: { flushMs: 10, resumePollMs: 20 },
  });
  const api = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    localApi({ functions: { chat } }),
  );
  return { url: `http://127.0.0.1:${api.addr.port}/functions/v1/chat`, close: () => api.shutdown() };
}

for (
  const [what, failing, expected] of [
    [
      "a model that refuses the request (HTTP 400)",
      true,
      {
        code: "model_error",
        message: "the model answered HTTP 400; retrying will not help",
        provider_status: 400,
        rate_limited: false,
        retryable: false,
      },
    ],
    [
      "a model that cannot be reached",
      false,
      {
        code: "model_error",
        message: "the model could not be reached; retrying may work",
        rate_limited: false,
        retryable: true,
      },
    ],
  ] as const
) {
  test(`${what}: the browser gets a code, the provider's status and whether to retry, never a URL or key; the reply keeps it`, async () => {
    const model = openAiCompatibleServer(() => ({
      fail: {
        status: 400,
        message: "bad request to https://internal.model.example/v1 with key sk-test-secret",
      },
    }));
    const baseURL = failing ? model.baseUrl : `http://127.0.0.1:${freePort()}/v1`;
    const chat = compatibleChat(baseURL);
    try {
      const alice = await newUser();
      const conversationId = crypto.randomUUID();
      const response = await postChat(chat.url, alice, { id: conversationId, messages: [userMessage("Hi")] });
      const chunks = await allChunks(response);
      const errors = chunks.flatMap((chunk) => chunk.type === "error" ? [chunk.errorText] : []);
      assert.deepEqual(errors, [`model_error: ${expected.message}`]);
      const everything = JSON.stringify(chunks);
      for (const secret of ["127.0.0.1", "internal.model", "sk-test", "/v1", "at "]) {
        assert.ok(!everything.includes(secret), `the stream names ${secret}: ${everything}`);
      }
      const finish = chunks.at(-1)!;
      assert.deepEqual(finish.type === "finish" && replyState(finish.messageMetadata), {
        conversation_id: conversationId,
        status: "incomplete",
        reason: "model_error",
        error: expected,
      });
      assert.deepEqual(replyState((await lastUiMessage(alice, conversationId)).metadata), {
        status: "incomplete",
        reason: "model_error",
        error: expected,
      });
    } finally {
      await chat.close();
      await model.close();
    }
  });
}
