/** What every function shares: CORS, methods, media types, body limits and the error shape. */
import assert from "node:assert/strict";
import * as api from "../../functions/_shared/schemas.ts";
import { apiUrl, call, newUser, startConversation, test } from "./helpers.ts";

const FUNCTIONS = [
  "start-conversation",
  "append-message",
  "get-history",
  "list-conversations",
  "update-conversation",
  "delete-conversation",
];

test("every function answers a CORS preflight with 204 and the headers supabase-js sends", async () => {
  for (const name of FUNCTIONS) {
    const response = await fetch(`${apiUrl}/functions/v1/${name}`, {
      method: "OPTIONS",
      headers: {
        origin: "http://localhost:3000",
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type, x-client-info, apikey",
      },
    });
    await response.body?.cancel();
    assert.equal(response.status, 204, name);
    assert.equal(response.headers.get("access-control-allow-origin"), "*");
    assert.equal(
      response.headers.get("access-control-allow-headers"),
      "authorization, x-client-info, apikey, content-type",
    );
  }
});

test("errors carry CORS headers and the one error shape", async () => {
  for (const name of FUNCTIONS) {
    const reply = await call(name, { method: "POST", body: {} });
    assert.equal(reply.status, 401, name);
    assert.equal(reply.headers.get("access-control-allow-origin"), "*");
    assert.equal(api.errorBody.parse(reply.body).error.code, "unauthorized");
  }
});

test("a method a function does not serve is a 405 with Allow", async () => {
  const alice = await newUser();
  const cases = [["start-conversation", "GET", "POST, OPTIONS"], ["append-message", "PUT", "POST, OPTIONS"], [
    "get-history",
    "DELETE",
    "GET, POST, OPTIONS",
  ], ["delete-conversation", "PATCH", "POST, DELETE, OPTIONS"]] as const;
  for (const [name, method, allow] of cases) {
    const reply = await call(name, { token: alice.token, method });
    assert.equal(reply.status, 405, name);
    assert.equal(reply.headers.get("allow"), allow);
    assert.equal(reply.body.error.code, "method_not_allowed");
  }
});

test("the token is checked before the body is read", async () => {
  const reply = await call("append-message", {
    rawBody: "{not json",
    headers: { "content-type": "application/json" },
  });
  assert.equal(reply.status, 401);
});

test("a body that is not JSON is a 415, and JSON that does not parse is a 400", async () => {
  const alice = await newUser();
  const textBody = await call("start-conversation", {
    token: alice.token,
    rawBody: "{}",
    headers: { "content-type": "text/plain" },
  });
  assert.equal(textBody.status, 415);
  assert.equal(textBody.body.error.code, "unsupported_media_type");
  const broken = await call("start-conversation", {
    token: alice.token,
    rawBody: '{"metadata": {',
    headers: { "content-type": "application/json" },
  });
  assert.equal(broken.status, 400);
  assert.equal(broken.body.error.message, "the body is not valid JSON");
  const notUtf8 = await call("start-conversation", {
    token: alice.token,
    rawBody: new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
    headers: { "content-type": "application/json" },
  });
  assert.equal(notUtf8.status, 400);
  assert.equal(notUtf8.body.error.message, "the body is not valid UTF-8");
});

test("a body over 1 MiB is a 413, whether or not it declares its length", async () => {
  const alice = await newUser();
  const id = await startConversation(alice);
  const big = JSON.stringify({
    conversation_id: id,
    message: { role: "user", content: "x".repeat(1_100_000) },
  });
  const declared = await call("append-message", {
    token: alice.token,
    rawBody: big,
    headers: { "content-type": "application/json" },
  });
  assert.equal(declared.status, 413);
  const streamed = await call("append-message", {
    token: alice.token,
    rawBody: ReadableStream.from([new TextEncoder().encode(big)]),
    headers: { "content-type": "application/json" },
  });
  assert.equal(streamed.status, 413);
  assert.equal(streamed.body.error.code, "payload_too_large");
});

test("unknown fields, NUL characters and lone surrogates are 400s with zod's issues", async () => {
  const alice = await newUser();
  const id = await startConversation(alice);
  const bodies = [
    { conversation_id: id, message: { role: "user", content: "hi", sequence_order: 1 } },
    { conversation_id: id, message: { role: "user", content: "a\u0000b" } },
    { conversation_id: id, message: { role: "user", content: "\ud800" } },
    { conversation_id: id, message: { role: "wizard", content: "x" } },
    { conversation_id: id, message: { role: "user", content: "x" }, user_id: alice.id },
  ];
  for (const body of bodies) {
    const reply = await call("append-message", { token: alice.token, body });
    assert.equal(reply.status, 400, JSON.stringify(body));
    assert.equal(reply.body.error.code, "invalid_request");
    assert.ok(Array.isArray(reply.body.error.details) && reply.body.error.details.length > 0);
  }
});

test("an unknown function is a 404 in the error shape", async () => {
  const reply = await call("no-such-function", { method: "POST", body: {} });
  assert.equal(reply.status, 404);
  assert.equal(reply.body.error.code, "not_found");
});

test("every response names its request id", async () => {
  const alice = await newUser();
  const reply = await call("list-conversations", { token: alice.token });
  assert.match(reply.headers.get("x-request-id") ?? "", /^[0-9a-f-]{36}$/);
});
