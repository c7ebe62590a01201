/**
 * Streamed replies through the client's writer, fed by the AI SDK's streamText with its mock
 * model, on the real database: a whole stream, one the agent stops, one the user stops, and one
 * whose connection drops mid-stream. The mock's stream is driven by the test, one delta at a time,
 * and each step waits for what the database holds.
 */
import assert from "node:assert/strict";
import { streamText } from "ai";
import { MockLanguageModelV4 } from "ai/test";
import type { LanguageModelV4StreamPart } from "@ai-sdk/provider";
import { ConversationStoreError, type ReplyWriter } from "../../../client/conversation_store.ts";
import { newUser, pool, test, type TestUser } from "../functions/helpers.ts";
import { storedMessage, storeFor, waitFor } from "./fixtures.ts";

/** A mock model whose one text stream the test writes, delta by delta. */
function scriptedModel() {
  let stream!: ReadableStreamDefaultController<LanguageModelV4StreamPart>;
  const parts = new ReadableStream<LanguageModelV4StreamPart>({
    start: (controller) => void (stream = controller),
  });
  stream.enqueue({ type: "stream-start", warnings: [] });
  stream.enqueue({ type: "text-start", id: "text" });
  return {
    model: new MockLanguageModelV4({ doStream: { stream: parts } }),
    send: (delta: string) => stream.enqueue({ type: "text-delta", id: "text", delta }),
    end() {
      stream.enqueue({ type: "text-end", id: "text" });
      stream.enqueue({
        type: "finish",
        finishReason: { unified: "stop", raw: "stop" },
        usage: {
          inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 },
          outputTokens: { total: 1, text: 1, reasoning: 0 },
        },
      });
      stream.close();
    },
  };
}

/** A conversation with a question, and a reply to it being streamed by the writer from the model. */
async function streamingReply(user: TestUser, writer: (conversationId: string) => Promise<ReplyWriter>) {
  const store = storeFor(user);
  const { conversation } = await store.start({
    messages: [{ role: "user", content: "Tell me about cats." }],
  });
  const reply = await writer(conversation.id);
  const scripted = scriptedModel();
  const agent = new AbortController();
  const result = streamText({
    model: scripted.model,
    prompt: "Tell me about cats.",
    abortSignal: AbortSignal.any([reply.signal, agent.signal]),
  });
  const streamed: string[] = [];
  const consumed = (async () => {
    for await (const delta of result.textStream) {
      reply.write(delta);
      streamed.push(delta);
    }
  })();
  const stored = () => storedMessage(conversation.id, reply.message.sequence_order);
  return {
    conversationId: conversation.id,
    reply,
    scripted,
    consumed,
    stored,
    /** The agent stops generating (its own reason, not a Stop from the user). */
    stopGenerating: () => agent.abort(),
    /** Sends a delta and waits until the database holds `text` as the reply's content. */
    async sendAndWait(delta: string, text: string) {
      scripted.send(delta);
      await waitFor(`the reply to hold ${JSON.stringify(text)}`, stored, (row) => row.content === text);
    },
    streamedText: () => streamed.join(""),
  };
}

test("a whole stream is stored as a completed reply, offsets counted in code points", async () => {
  const alice = await newUser();
  const store = storeFor(alice);
  const run = await streamingReply(alice, (id) => store.reply(id, { flushMs: 5 }));
  assert.equal(run.reply.message.status, "in_progress");
  const second = await store.reply(run.conversationId).catch((error) => error);
  assert.equal(second.code, "reply_in_progress", "one reply at a time");

  // Each delta is its own request; the emoji is one character to PostgreSQL and two UTF-16 units.
  await run.sendAndWait("Cats 🐈 ", "Cats 🐈 ");
  await run.sendAndWait("purr ", "Cats 🐈 purr ");
  await run.sendAndWait("and 😺 nap.", "Cats 🐈 purr and 😺 nap.");
  run.scripted.end();
  await run.consumed;
  const final = await run.reply.finish();
  assert.equal(final.status, "completed");
  assert.equal(final.content, "Cats 🐈 purr and 😺 nap.");
  assert.equal(final.content, run.streamedText());
  assert.equal(run.reply.signal.aborted, false);
  assert.deepEqual(await store.message(run.conversationId, 2), final);
});

test("a stream the agent stops half-way is stored as incomplete with exactly the text streamed", async () => {
  const alice = await newUser();
  const store = storeFor(alice);
  // flushMs is long: the second delta is still buffered when stop() is called.
  const run = await streamingReply(alice, (id) => store.reply(id, { flushMs: 60_000 }));
  run.scripted.send("First part, ");
  run.scripted.send("second part");
  await waitFor(
    "two deltas streamed",
    () => Promise.resolve(run.streamedText()),
    (text) => text.length === 23,
  );
  run.stopGenerating();
  await run.consumed;
  const final = await run.reply.stop();
  assert.equal(final.status, "incomplete");
  assert.equal(final.content, "First part, second part");
  assert.throws(() => run.reply.write("more"), /after finish\(\) or stop\(\)/);
  assert.deepEqual(await run.stored().then(({ status, content }) => ({ status, content })), {
    status: "incomplete",
    content: "First part, second part",
  });
});

test("Stop pressed by the user ends the writer's stream; the reply keeps what was stored before it", async () => {
  const alice = await newUser();
  const run = await streamingReply(alice, (id) => storeFor(alice).reply(id, { flushMs: 5 }));
  await run.sendAndWait("Cats sleep ", "Cats sleep ");

  // The user, in another tab, presses Stop.
  const stopped = await storeFor(alice).updateMessage(run.conversationId, 2, { status: "incomplete" });
  assert.equal(stopped.status, "incomplete");

  run.scripted.send("sixteen hours a day.");
  await run.consumed; // ends because the writer's signal aborted the model call
  assert.equal(run.reply.signal.aborted, true);
  assert.ok(run.reply.signal.reason instanceof ConversationStoreError);
  assert.equal(run.reply.signal.reason.code, "message_final");
  const final = await run.reply.finish();
  assert.equal(final.status, "incomplete");
  assert.equal(final.content, "Cats sleep ");
});

/**
 * supabase-js's fetch, letting every request reach the server but losing some answers: the reply's
 * start and its second delta as dropped connections, its finish as a 503 from a gateway.
 */
function losingAnswers() {
  const seen = { appends: 0, deltas: 0, finishes: 0 };
  const lossy: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    const name = new URL(input instanceof Request ? input.url : input).pathname.split("/").at(-1);
    const body = JSON.parse(String(init?.body ?? "{}"));
    let lose: "drop" | "503" | null = null;
    if (name === "append-message" && body.messages?.[0]?.status === "in_progress") {
      lose = seen.appends++ === 0 ? "drop" : null;
    } else if (name === "update-message" && body.status === "completed") {
      lose = seen.finishes++ === 0 ? "503" : null;
    } else if (name === "update-message") {
      lose = seen.deltas++ === 1 ? "drop" : null;
    }
    if (lose === null) return response;
    await response.body?.cancel();
    if (lose === "drop") throw new TypeError("connection reset by peer");
    return Response.json({ error: { code: "service_unavailable", message: "upstream timed out" } }, {
      status: 503,
    });
  };
  return { fetch: lossy, seen };
}

test("answers lost mid-stream (dropped connections, a 503) are retried and store nothing twice", async () => {
  const alice = await newUser();
  const lossy = losingAnswers();
  const run = await streamingReply(
    alice,
    (id) => storeFor(alice, { fetch: lossy.fetch }).reply(id, { flushMs: 5 }),
  );
  await run.sendAndWait("One, ", "One, ");
  await run.sendAndWait("two, ", "One, two, ");
  await run.sendAndWait("three.", "One, two, three.");
  run.scripted.end();
  await run.consumed;
  const final = await run.reply.finish();

  assert.deepEqual(lossy.seen, { appends: 2, deltas: 4, finishes: 2 }, "each lost answer was retried once");
  assert.equal(final.status, "completed");
  assert.equal(final.content, "One, two, three.");
  const { rows } = await pool.query(
    "select count(*)::int as replies from public.conversation_messages where conversation_id = $1 and role = 'assistant'",
    [run.conversationId],
  );
  assert.equal(rows[0].replies, 1, "the retried start stored one reply");
});

test("an idle writer's heartbeat keeps its reply fresh, and a finish can carry tool calls", async () => {
  const alice = await newUser();
  const store = storeFor(alice);
  const { conversation } = await store.start({ messages: [{ role: "user", content: "Weather?" }] });
  const reply = await store.reply(conversation.id, { heartbeatMs: 20 });
  const startedAt = (await storedMessage(conversation.id, 2)).updated_at;
  await waitFor(
    "a heartbeat to move updated_at",
    () => storedMessage(conversation.id, 2),
    (row) => row.updated_at > startedAt,
  );
  const toolCalls = [{
    id: "call_1",
    type: "function" as const,
    function: { name: "weather", arguments: "{}" },
  }];
  const final = await reply.finish({ toolCalls });
  assert.equal(final.status, "completed");
  assert.deepEqual(final.tool_calls, toolCalls);
  assert.equal(final.content, "", "heartbeats add no text");
});
