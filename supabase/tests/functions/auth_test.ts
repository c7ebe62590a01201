/** Tokens: both kinds of Supabase signing keys are accepted; everything else is a 401 with no data. */
import assert from "node:assert/strict";
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT } from "jose";
import { LOCAL_JWT_SECRET } from "../../../local/jwt.ts";
import { call, es256Token, newUser, serviceRoleToken, startConversation, test } from "./helpers.ts";

const secret = new TextEncoder().encode(LOCAL_JWT_SECRET);

function hs256(claims: Record<string, unknown>) {
  return new SignJWT(claims).setProtectedHeader({ alg: "HS256", typ: "JWT" });
}

test("an ES256 token verified against the project's JWKS is accepted", async () => {
  const userId = crypto.randomUUID();
  const token = await es256Token({ sub: userId, role: "authenticated" });
  const reply = await call("start-conversation", { token, body: {} });
  assert.equal(reply.status, 201);
  assert.equal(reply.body.conversation.user_id, userId);
});

test("a service_role token acts on any conversation", async () => {
  const alice = await newUser();
  const id = await startConversation(alice);
  const service = await serviceRoleToken();
  const appended = await call("append-message", {
    token: service,
    body: { conversation_id: id, message: { role: "assistant", content: "from the agent" } },
  });
  assert.equal(appended.status, 201);
  const history = await call("get-history", { token: service, query: { conversation_id: id } });
  assert.equal(history.body.messages[0].content, "from the agent");
});

test("hostile and broken tokens are 401s that reveal nothing", async () => {
  const alice = await newUser();
  const id = await startConversation(alice, { metadata: { secret: true } });
  const now = Math.floor(Date.now() / 1000);
  const otherKey = await generateKeyPair("ES256", { extractable: true });
  const publicJwk = JSON.stringify(
    await exportJWK((await generateKeyPair("ES256", { extractable: true })).publicKey),
  );
  const base = { sub: alice.id, role: "authenticated" };
  const tokens: Record<string, string> = {
    "expired": await hs256(base).setIssuedAt(now - 7200).setExpirationTime(now - 3600).sign(secret),
    "not yet valid": await hs256(base).setNotBefore(now + 3600).setExpirationTime(now + 7200).sign(secret),
    "wrong secret": await hs256(base).setExpirationTime("1h").sign(new TextEncoder().encode("x".repeat(40))),
    "unknown key id": await new SignJWT(base).setProtectedHeader({ alg: "ES256", kid: "not-ours" })
      .setExpirationTime("1h").sign(otherKey.privateKey),
    "right key id, wrong key": await new SignJWT(base).setProtectedHeader({ alg: "ES256", kid: "test-es256" })
      .setExpirationTime("1h").sign(otherKey.privateKey),
    "alg none": new UnsecuredJWT(base).setExpirationTime("1h").encode(),
    "HS256 signed with a public key": await hs256(base).setExpirationTime("1h").sign(
      new TextEncoder().encode(publicJwk),
    ),
    "no sub": await hs256({ role: "authenticated" }).setExpirationTime("1h").sign(secret),
    "no expiry": await hs256(base).sign(secret),
    "sub not a uuid": await hs256({ sub: "alice", role: "authenticated" }).setExpirationTime("1h").sign(
      secret,
    ),
    "anon role": await hs256({ role: "anon" }).setExpirationTime("1h").sign(secret),
    "no role": await hs256({ sub: alice.id }).setExpirationTime("1h").sign(secret),
    "a database role": await hs256({ sub: alice.id, role: "postgres" }).setExpirationTime("1h").sign(secret),
    "publishable key": "sb_publishable_abcdefghijklmnopqrstuv_12345678",
    "secret key": "sb_secret_abcdefghijklmnopqrstuv_12345678",
    "garbage": "not.a.token",
  };
  for (const [kind, token] of Object.entries(tokens)) {
    const history = await call("get-history", { token, query: { conversation_id: id } });
    assert.equal(history.status, 401, kind);
    assert.equal(history.body.error.code, "unauthorized", kind);
    assert.ok(!JSON.stringify(history.body).includes(id), kind);
    const append = await call("append-message", {
      token,
      body: { conversation_id: id, message: { role: "user", content: "intrusion" } },
    });
    assert.equal(append.status, 401, kind);
  }
  const bare = await call("get-history", {
    query: { conversation_id: id },
    headers: { authorization: "Basic abc" },
  });
  assert.equal(bare.status, 401);
  const history = await call("get-history", { token: alice.token, query: { conversation_id: id } });
  assert.equal(history.body.messages.length, 0, "no hostile token stored anything");
});
