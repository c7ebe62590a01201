/**
 * Usage and limits over HTTP: chat records each reply's model and reported usage (summed over
 * steps), get-history and get-usage return it, a plan's limits answer 429 with Retry-After and
 * store nothing, a token budget caps the reply, every chat response (a 429 too) carries RateLimit fields, and
 * only the service role manages plans.
 */
import assert from "node:assert/strict";
import type { LanguageModelV4StreamPart } from "@ai-sdk/provider";
import { finishPart, textParts, toolCallParts } from "../../../local/mock_model.ts";
import { tools } from "../../functions/chat/tools.ts";
import { allChunks, chatServer, history, postChat, userMessage } from "./chat_support.ts";
import { call, es256Token, newUser, serviceRoleToken, test, type TestUser } from "./helpers.ts";
import { onPlan } from "./usage_support.ts";

const server = chatServer({ tools });
addEventListener("unload", () => server.close());

/** A finish part reporting usage as a provider does, cached input and reasoning included. */
function finishWith(
  input: number,
  cached: number,
  output: number,
  reasoning: number,
): LanguageModelV4StreamPart {
  return {
    type: "finish",
    finishReason: { unified: "stop", raw: "stop" },
    usage: {
      inputTokens: { total: input, noCache: input - cached, cacheRead: cached, cacheWrite: undefined },
      outputTokens: { total: output, text: output - reasoning, reasoning },
    },
  };
}

/** One chat turn answered with `text` by a model reporting 10 input and 10 output tokens. */
async function turn(user: TestUser, conversationId: string, text = "Fine.") {
  // The response starts once the turn is stored, before the model is called: a refusal never waits for it.
  const answer = await postChat(server.url, user, { id: conversationId, messages: [userMessage("Hi")] });
  assert.equal(answer.status, 200, `chat answered ${answer.status}`);
  const model = await server.model.nextCall();
  model.send(...textParts([text]), finishPart());
  model.end();
  await allChunks(answer);
  return { answer, model };
}

test("a reply's model and usage summed over its steps are stored and returned by get-history in every format", async () => {
  const alice = await newUser();
  const conversationId = crypto.randomUUID();
  const response = postChat(server.url, alice, {
    id: conversationId,
    messages: [userMessage("What time is it?")],
  });
  const step1 = await server.model.nextCall();
  const [toolCall] = toolCallParts("get_time", {});
  step1.send(toolCall, finishWith(100, 40, 20, 5));
  step1.end();
  const step2 = await server.model.nextCall();
  step2.send(...textParts(["It is late."]), finishWith(150, 100, 10, 0));
  step2.end();
  const chunks = await allChunks(await response);
  const usage = {
    inputTokens: 250,
    outputTokens: 30,
    totalTokens: 280,
    reasoningTokens: 5,
    cachedInputTokens: 140,
  };
  const finish = chunks.at(-1)!;
  assert.deepEqual(
    finish.type === "finish" && (finish.messageMetadata as Record<string, unknown>).usage,
    usage,
  );

  const ui = (await call("get-history", {
    token: alice.token,
    query: { conversation_id: conversationId, format: "ui" },
  }))
    .body.messages;
  assert.deepEqual(ui.at(-1).metadata, { status: "completed", model: "mock-model-id", usage });
  assert.equal(ui[0].metadata, undefined, "the user's message carries no usage");
  const rows = await history(alice, conversationId);
  assert.deepEqual([rows.at(-1)!.model, rows.at(-1)!.usage], ["mock-model-id", usage]);
  const openai = (await call("get-history", {
    token: alice.token,
    query: { conversation_id: conversationId, format: "openai" },
  })).body.messages as Array<Record<string, unknown>>;
  assert.deepEqual(openai.filter((m) => m.usage).map((m) => [m.role, m.model]), [[
    "assistant",
    "mock-model-id",
  ]]);

  const mine = await call("get-usage", { token: alice.token });
  assert.equal(mine.status, 200);
  assert.equal(mine.body.plan, "default");
  assert.deepEqual(mine.body.usage.day, { requests: 1, tokens: 280, reserved_tokens: 0, cost: 0 });
  assert.deepEqual(
    mine.body.models.map((m: Record<string, unknown>) => [m.model, m.total_tokens, m.priced]),
    [
      ["mock-model-id", 280, false],
    ],
  );
});

test("over the hourly limit chat answers 429 rate_limited with Retry-After, and stores nothing", async () => {
  const alice = await newUser();
  await onPlan(alice, { requests_per_hour: 1 });
  const conversationId = crypto.randomUUID();
  const { answer } = await turn(alice, conversationId);
  assert.equal(answer.status, 200);

  const refused = await postChat(server.url, alice, { id: conversationId, messages: [userMessage("Again")] });
  assert.equal(refused.status, 429);
  const retryAfter = Number(refused.headers.get("retry-after"));
  assert.ok(
    Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 3600,
    `Retry-After ${retryAfter}`,
  );
  const body = await refused.json();
  assert.equal(body.error.code, "rate_limited");
  assert.deepEqual([body.error.details.limit, body.error.details.retry_after], [
    "requests_per_hour",
    retryAfter,
  ]);
  assert.equal((await history(alice, conversationId)).length, 2, "neither the message nor a reply is stored");
});

test("every chat response carries the RateLimit fields of what is left", async () => {
  const alice = await newUser();
  await onPlan(alice, { requests_per_hour: 5, requests_per_day: null, tokens_per_day: 100000 });
  const { answer } = await turn(alice, crypto.randomUUID());
  assert.equal(
    answer.headers.get("ratelimit-policy"),
    `"requests_per_hour";q=5;w=3600, "tokens_per_day";q=100000;w=86400;qu="tokens"`,
  );
  assert.match(
    answer.headers.get("ratelimit")!,
    /^"requests_per_hour";r=4;t=\d+, "tokens_per_day";r=\d+;t=\d+$/,
  );
  const resumed = await fetch(`${server.url}/${crypto.randomUUID()}/stream`, {
    headers: { authorization: `Bearer ${alice.token}` },
  });
  assert.equal(resumed.status, 204, "a resume of an unknown conversation has nothing to follow");
  await resumed.body?.cancel();
});

test("a 429 carries the RateLimit fields too: the limit it hit has nothing left until its reset", async () => {
  const alice = await newUser();
  await onPlan(alice, { requests_per_hour: 1, requests_per_day: null, tokens_per_day: 100000 });
  const conversationId = crypto.randomUUID();
  await turn(alice, conversationId);

  const refused = await postChat(server.url, alice, { id: conversationId, messages: [userMessage("Again")] });
  assert.equal(refused.status, 429);
  assert.equal((await refused.json()).error.code, "rate_limited");
  assert.equal(
    refused.headers.get("ratelimit-policy"),
    `"requests_per_hour";q=1;w=3600, "tokens_per_day";q=100000;w=86400;qu="tokens"`,
  );
  const fields = refused.headers.get("ratelimit")!.match(
    /^"requests_per_hour";r=0;t=(\d+), "tokens_per_day";r=(\d+);t=\d+$/,
  );
  assert.ok(fields, `RateLimit: ${refused.headers.get("ratelimit")}`);
  const [reset, tokensLeft] = [Number(fields[1]), Number(fields[2])];
  // Read after the refusal, the reset is at most the Retry-After the refusal computed.
  assert.ok(reset >= 1 && reset <= Number(refused.headers.get("retry-after")), `t=${reset}`);
  assert.equal(tokensLeft, 100000 - 20, "the refused request reserved nothing; the reply used 20 tokens");
});

test("a token budget caps the reply's maxOutputTokens at what is left, and then answers quota_exceeded", async () => {
  const alice = await newUser();
  await onPlan(alice, { tokens_per_day: 60 });
  const conversationId = crypto.randomUUID();
  const { model } = await turn(alice, conversationId);
  assert.equal(model.options.maxOutputTokens, 60, "the reservation grants what is left, not 1024");
  // The reply used 20 tokens: 40 are left.
  const { model: next } = await turn(alice, crypto.randomUUID());
  assert.equal(next.options.maxOutputTokens, 40);
  await turn(alice, crypto.randomUUID()); // 60 used
  const refused = await postChat(server.url, alice, {
    id: crypto.randomUUID(),
    messages: [userMessage("More")],
  });
  assert.equal(refused.status, 429);
  assert.equal((await refused.json()).error.code, "quota_exceeded");
  assert.match(refused.headers.get("ratelimit")!, /"tokens_per_day";r=0;t=\d+/);
});

test("an anonymous user is on the guest plan", async () => {
  const id = crypto.randomUUID();
  const token = await es256Token({ role: "authenticated", sub: id, is_anonymous: true });
  const { answer } = await turn({ id, token }, crypto.randomUUID());
  assert.equal(answer.status, 200);
  const usage = await call("get-usage", { token });
  assert.equal(usage.body.plan, "guest");
  assert.deepEqual(usage.body.limits, {
    requests_per_hour: 10,
    requests_per_day: 30,
    tokens_per_day: 30000,
    cost_per_month: null,
  });
  assert.equal(usage.body.remaining.requests_per_hour, 9);
});

test("get-usage: a user reads their own; the service role any user's and the totals per day and model", async () => {
  const alice = await newUser();
  await turn(alice, crypto.randomUUID());
  assert.equal((await call("get-usage", { token: alice.token, query: { user_id: alice.id } })).status, 403);
  const service = await serviceRoleToken();
  const hers = await call("get-usage", { token: service, query: { user_id: alice.id } });
  assert.deepEqual([hers.status, hers.body.user_id, hers.body.usage.day.requests], [200, alice.id, 1]);
  const totals = await call("get-usage", { token: service, query: { days: 1 } });
  assert.equal(totals.status, 200);
  assert.ok(totals.body.days.some((day: Record<string, unknown>) => day.model === "mock-model-id"));
  assert.equal((await call("get-usage", { token: service, query: { days: 0 } })).status, 400);
});

test("update-usage-limits is the service role's: a user gets 403; prices make replies cost", async () => {
  const alice = await newUser();
  const refused = await call("update-usage-limits", {
    token: alice.token,
    body: { user_id: alice.id, plan: "unlimited" },
  });
  assert.equal(refused.status, 403);
  const service = await serviceRoleToken();
  assert.equal(
    (await call("update-usage-limits", { token: service, body: { plan: "default", limits: { bogus: 1 } } }))
      .status,
    400,
  );
  assert.equal(
    (await call("update-usage-limits", { token: service, body: { user_id: alice.id, plan: "no-such-plan" } }))
      .status,
    404,
  );
  const price = await call("update-usage-limits", {
    token: service,
    body: { model: "mock-model-id", prices: { input_per_million: 1000, output_per_million: 3000 } },
  });
  assert.equal(price.status, 200);
  try {
    await turn(alice, crypto.randomUUID());
    const usage = await call("get-usage", { token: alice.token });
    // 10 input tokens at 1000 per million and 10 output tokens at 3000 per million.
    assert.deepEqual([usage.body.usage.day.cost, usage.body.models[0].priced], [0.04, true]);
  } finally {
    await call("update-usage-limits", { token: service, body: { model: "mock-model-id", prices: null } });
  }
});
