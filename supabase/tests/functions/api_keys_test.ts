/** Supabase's API keys: a secret key is the service role, a publishable key alone is nobody. */
import assert from "node:assert/strict";
import { createClient } from "@supabase/supabase-js";
import { authenticate } from "../../functions/_shared/auth.ts";
import { apiUrl, call, newUser, PUBLISHABLE_KEY, SECRET_KEY, startConversation, test } from "./helpers.ts";

test("a secret key in Authorization: Bearer acts as the service role", async () => {
  const alice = await newUser();
  await call("list-conversations", { token: alice.token }); // registers alice locally
  const started = await call("start-conversation", { token: SECRET_KEY, body: { user_id: alice.id } });
  assert.equal(started.status, 201);
  assert.equal(started.body.conversation.user_id, alice.id);
});

test("a secret key in apikey, with no bearer JWT, acts as the service role", async () => {
  const alice = await newUser();
  const id = await startConversation(alice);
  const reply = await call("append-message", {
    headers: { apikey: SECRET_KEY },
    body: { conversation_id: id, message: { role: "assistant", content: "from the agent" } },
  });
  assert.equal(reply.status, 201);
  const history = await call("get-history", { token: alice.token, query: { conversation_id: id } });
  assert.equal(history.body.messages[0].content, "from the agent");
});

test("a secret key is the service role with claims that say only that", async () => {
  const caller = await authenticate(
    new Request("http://local/", { headers: { apikey: SECRET_KEY } }),
  );
  assert.deepEqual(caller, { role: "service_role", userId: null, claims: { role: "service_role" } });
});

test("a bearer JWT decides who calls, whatever apikey says", async () => {
  const alice = await newUser();
  const asAlice = await call("start-conversation", {
    token: alice.token,
    headers: { apikey: SECRET_KEY },
    body: {},
  });
  assert.equal(asAlice.status, 201);
  assert.equal(asAlice.body.conversation.user_id, alice.id);
  const forged = await call("list-conversations", {
    token: `${alice.token.slice(0, -4)}AAAA`,
    headers: { apikey: SECRET_KEY },
  });
  assert.equal(forged.status, 401);
});

test("a publishable key alone, or a key that is almost a secret key, is a 401", async () => {
  const nearMiss = SECRET_KEY.slice(0, -1) + (SECRET_KEY.endsWith("a") ? "b" : "a");
  const attempts: Array<[string, Record<string, string>]> = [
    ["publishable key as bearer", { authorization: `Bearer ${PUBLISHABLE_KEY}` }],
    ["publishable key as apikey", { apikey: PUBLISHABLE_KEY }],
    ["secret key with one character changed", { authorization: `Bearer ${nearMiss}` }],
    ["secret key with one character changed, as apikey", { apikey: nearMiss }],
    ["a prefix of the secret key", { apikey: SECRET_KEY.slice(0, 20) }],
  ];
  for (const [kind, headers] of attempts) {
    const reply = await call("list-conversations", { headers });
    assert.equal(reply.status, 401, kind);
    assert.equal(reply.body.error.code, "unauthorized", kind);
  }
  const publishable = await call("list-conversations", { headers: { apikey: PUBLISHABLE_KEY } });
  assert.match(publishable.body.error.message, /publishable key/);
});

test("supabase-js createClient(url, secretKey), unchanged, works as the service role", async () => {
  const alice = await newUser();
  await call("list-conversations", { token: alice.token }); // registers alice locally
  const supabase = createClient(apiUrl, SECRET_KEY);
  const started = await supabase.functions.invoke("start-conversation", {
    body: { user_id: alice.id, messages: [{ role: "system", content: "Be brief." }] },
  });
  assert.equal(started.error, null);
  assert.equal(started.data.conversation.user_id, alice.id);
  const history = await supabase.functions.invoke(
    `get-history?conversation_id=${started.data.conversation.id}&format=openai`,
    { method: "GET" },
  );
  assert.equal(history.error, null);
  assert.deepEqual(history.data.messages, [{ role: "system", content: "Be brief." }]);
});
