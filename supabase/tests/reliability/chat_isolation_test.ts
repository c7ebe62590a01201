/**
 * Isolation of `chat`, the twelfth function: another user, anon, no token and the service role
 * against the owner's conversation, by sending a message (POST) and by resuming its reply (GET).
 * Only the owner is answered; nobody else reads the conversation or changes it.
 */
import assert from "node:assert/strict";
import { SignJWT } from "jose";
import { finishPart, textParts } from "../../../local/mock_model.ts";
import { LOCAL_JWT_SECRET } from "../../../local/jwt.ts";
import { allChunks, chatServer, history, streamedText, userMessage } from "../functions/chat_support.ts";
import { newUser, serviceRoleToken, test } from "../functions/helpers.ts";

const server = chatServer();
addEventListener("unload", () => server.close());

const send = (token: string | undefined, body: unknown) =>
  fetch(server.url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });

const resume = (token: string | undefined, conversationId: string) =>
  fetch(
    `${server.url}/${conversationId}/stream`,
    token ? { headers: { authorization: `Bearer ${token}` } } : {},
  );

test("chat answers only the owner: another user gets 409 sending and 404 resuming, anon and no token 401, the service role 403, and the conversation is unchanged", async () => {
  const owner = await newUser();
  const other = await newUser();
  const conversationId = crypto.randomUUID();
  const first = send(owner.token, { id: conversationId, messages: [userMessage("zanzibar is mine")] });
  const model = await server.model.nextCall();
  model.send(...textParts(["Noted."]), finishPart());
  model.end();
  const answer = await first;
  assert.equal(answer.status, 200);
  assert.equal(streamedText(await allChunks(answer)), "Noted.");
  const before = await history(owner, conversationId);

  const tokens: Record<string, string | undefined> = {
    "another user": other.token,
    anon: await new SignJWT({ role: "anon" }).setProtectedHeader({ alg: "HS256" }).setExpirationTime("1h")
      .sign(new TextEncoder().encode(LOCAL_JWT_SECRET)),
    "no token": undefined,
    service_role: await serviceRoleToken(),
  };
  // Sending to a taken id is start-conversation's 409 conversation_exists (ids are the client's to choose);
  // resuming another user's conversation is a 404, as every read.
  const expected: Record<string, [number, number]> = {
    "another user": [409, 204],
    anon: [401, 401],
    "no token": [401, 401],
    service_role: [403, 403],
  };
  for (const [who, token] of Object.entries(tokens)) {
    const posted = await send(token, { id: conversationId, messages: [userMessage("tell me its secrets")] });
    const postedBody = await posted.text();
    assert.equal(posted.status, expected[who][0], `${who} sending: ${postedBody}`);
    assert.doesNotMatch(postedBody, /zanzibar|Noted/, `${who} sending`);
    const followed = await resume(token, conversationId);
    const followedBody = await followed.text();
    assert.equal(followed.status, expected[who][1], `${who} resuming: ${followedBody}`);
    assert.doesNotMatch(followedBody, /zanzibar|Noted/, `${who} resuming`);
  }
  assert.deepEqual(await history(owner, conversationId), before);
});
