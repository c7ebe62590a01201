/**
 * Trying to dodge the limits: simultaneous requests, simultaneous regenerates, replays of one
 * message, a forged token or claims, settling chat's reservation oneself, and stopping a reply
 * before the provider reports. Each is counted, refused, or charged an estimate.
 */
import assert from "node:assert/strict";
import { SignJWT } from "jose";
import { finishPart, textParts } from "../../../local/mock_model.ts";
import {
  allChunks,
  chatServer,
  chunksOf,
  eventually,
  postChat,
  storedReply,
  until,
  userMessage,
} from "../functions/chat_support.ts";
import { newUser, pool, test } from "../functions/helpers.ts";
import { onPlan } from "../functions/usage_support.ts";
import { asUserDirectly } from "./checks.ts";

const server = chatServer();
addEventListener("unload", () => server.close());

const PARALLEL = 20;

async function ledgerOf(userId: string) {
  const { rows } = await pool.query(
    `select status, estimated, output_tokens, service_records from public.usage_ledger where user_id = $1`,
    [userId],
  );
  return rows;
}

/** Answers every response that started a reply (each has a model call waiting); returns the statuses. */
async function answerAll(responses: Response[]): Promise<number[]> {
  for (const response of responses) {
    if (response.status !== 200) {
      await response.body?.cancel();
      continue;
    }
    const model = await server.model.nextCall();
    model.send(...textParts(["ok"]), finishPart());
    model.end();
  }
  await Promise.all(responses.filter((response) => response.status === 200).map(allChunks));
  return responses.map((response) => response.status).sort();
}

test("20 simultaneous chat requests with 3 requests left start exactly 3 replies", async () => {
  const alice = await newUser();
  await onPlan(alice, { requests_per_hour: 3 }, "hostile");
  const responses = await Promise.all(
    Array.from(
      { length: PARALLEL },
      () => postChat(server.url, alice, { id: crypto.randomUUID(), messages: [userMessage("Go")] }),
    ),
  );
  const statuses = await answerAll(responses);
  assert.deepEqual(statuses, [...Array(3).fill(200), ...Array(PARALLEL - 3).fill(429)]);
  assert.equal((await ledgerOf(alice.id)).length, 3);
  const { rows: [{ messages }] } = await pool.query(
    "select count(*)::int as messages from public.conversation_messages where user_id = $1",
    [alice.id],
  );
  assert.equal(messages, 6, "three turns of two messages; the refused ones stored nothing");
});

test("regenerates cannot pass the limit: 20 at once make one fork (the rest 409), one after another stop at 3", async () => {
  const alice = await newUser();
  await onPlan(alice, { requests_per_hour: 4 }, "hostile");
  const conversationId = crypto.randomUUID();
  const sent = userMessage("Pick one");
  const regenerate = () =>
    postChat(server.url, alice, { id: conversationId, messages: [sent], trigger: "regenerate-message" });
  await answerAll([await postChat(server.url, alice, { id: conversationId, messages: [sent] })]);
  const burst = await answerAll(await Promise.all(Array.from({ length: PARALLEL }, regenerate)));
  assert.deepEqual(burst, [200, ...Array(PARALLEL - 1).fill(409)], "one regeneration at a time");
  const after = [];
  for (let attempt = 0; attempt < 3; attempt++) after.push(...await answerAll([await regenerate()]));
  assert.deepEqual(after, [200, 200, 429], "the plan's fourth request is the last");
  const { rows: [{ forks }] } = await pool.query(
    "select count(*)::int as forks from public.conversations where forked_from_conversation_id = $1",
    [conversationId],
  );
  assert.equal(forks, 3, "a refused regenerate leaves no fork");
});

test("the same message sent again is replayed, never charged again, even with no request left", async () => {
  const alice = await newUser();
  await onPlan(alice, { requests_per_hour: 1 }, "hostile");
  const conversationId = crypto.randomUUID();
  const sent = userMessage("Once");
  await answerAll([await postChat(server.url, alice, { id: conversationId, messages: [sent] })]);
  for (let replay = 0; replay < 3; replay++) {
    const again = await postChat(server.url, alice, { id: conversationId, messages: [sent] });
    assert.equal(again.status, 200, "a replay of an answered message is served from the store");
    await allChunks(again);
  }
  assert.equal((await ledgerOf(alice.id)).length, 1);
  const other = await postChat(server.url, alice, { id: conversationId, messages: [userMessage("New")] });
  assert.equal(other.status, 429, "a new message is a new request");
  await other.body?.cancel();
});

test("a token not signed by the project, or a body naming a plan, is refused and charges nothing", async () => {
  const alice = await newUser();
  const forged = await new SignJWT({ role: "authenticated", sub: alice.id, is_anonymous: false })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setExpirationTime("1h")
    .sign(new TextEncoder().encode("not-the-project-secret-not-the-project-secret"));
  const refused = await postChat(server.url, { id: alice.id, token: forged }, {
    id: crypto.randomUUID(),
    messages: [userMessage("Hi")],
  });
  assert.equal(refused.status, 401);
  await refused.body?.cancel();
  const named = await postChat(server.url, alice, {
    id: crypto.randomUUID(),
    messages: [userMessage("Hi")],
    plan: "unlimited",
    is_anonymous: false,
  });
  assert.equal(named.status, 400);
  await named.body?.cancel();
  assert.deepEqual(await ledgerOf(alice.id), []);
});

test("through the Data API a guest is held to guest limits and cannot settle chat's reply or widen a plan", async () => {
  const guest = await newUser();
  await pool.query("insert into auth.users (id) values ($1)", [guest.id]);
  const claims = { sub: guest.id, role: "authenticated", is_anonymous: true };
  // Thirty requests in a day fill guest's daily limit, whatever the hour allows.
  await pool.query(
    `insert into public.usage_ledger (user_id, reserved_tokens, status, total_tokens, settled_at, created_at)
     select $1, 10, 'settled', 10, now(), date_trunc('day', now(), 'UTC') from generate_series(1, 30)`,
    [guest.id],
  );
  const reserve = await asUserDirectly(guest.id, "select public.reserve_usage(10)", claims);
  assert.equal(reserve.error, "PT429");
  const widen = await asUserDirectly(
    guest.id,
    `select public.set_usage_plan('guest', '{"requests_per_day": null}')`,
    claims,
  );
  assert.equal(widen.error, "42501");
  const asService = await asUserDirectly(
    guest.id,
    `select public.assign_usage_plan('${guest.id}', 'default')`,
    { ...claims, role: "service_role" },
  );
  assert.equal(asService.error, "42501", "a service_role claim in a user's session is not the service role");

  const { rows: [{ id }] } = await pool.query(
    `insert into public.usage_ledger (user_id, reserved_tokens, service_records) values ($1, 1000, true) returning id`,
    [guest.id],
  );
  const settle = await asUserDirectly(
    guest.id,
    `select public.record_usage('${id}', '{"outputTokens": 0}')`,
    claims,
  );
  assert.equal(settle.error, "PT404", "chat's reservation is settled by the service role only");
});

test("a reply stopped before the provider reports is charged an estimate, marked estimated", async () => {
  const alice = await newUser();
  const conversationId = crypto.randomUUID();
  const abort = new AbortController();
  const response = await postChat(
    server.url,
    alice,
    { id: conversationId, messages: [userMessage("Go")] },
    abort.signal,
  );
  const model = await server.model.nextCall();
  model.send({ type: "text-start", id: "t" }, {
    type: "text-delta",
    id: "t",
    delta: "A long answer cut short",
  });
  await until(chunksOf(response), (chunk) => chunk.type === "text-delta");
  abort.abort();
  await model.aborted;
  await eventually(() => storedReply(conversationId), (reply) => reply.status === "incomplete", "the stop");
  const [entry] = await eventually(
    () => ledgerOf(alice.id),
    (rows) => rows[0]?.status === "settled",
    "the reservation to settle",
  );
  assert.equal(entry.estimated, true);
  assert.ok(entry.output_tokens > 0, "the text the reply had is charged");
});
