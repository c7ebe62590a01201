/** share-conversation and get-shared-conversation over HTTP: links, readers without sign-in, hostile tokens. */
import assert from "node:assert/strict";
import * as api from "../../functions/_shared/schemas.ts";
import { sharedConversationHandler } from "../../functions/get-shared-conversation/handler.ts";
import {
  apiUrl,
  call,
  newUser,
  pool,
  PUBLISHABLE_KEY,
  serviceRoleToken,
  startConversation,
  test,
  type TestUser,
} from "./helpers.ts";

/** A conversation with a system prompt, a question, and a reply with reasoning. */
async function conversation(user: TestUser): Promise<string> {
  const id = await startConversation(user, {
    metadata: { owner_email: "owner@example.com" },
    messages: [
      { role: "system", content: "Internal prompt of the owner" },
      { role: "user", content: "Plan a day in Lisbon" },
      {
        role: "assistant",
        parts: [{ type: "reasoning", text: "Trams first" }, { type: "text", text: "Ride tram 28." }],
        metadata: { model: "demo" },
      },
    ],
  });
  await call("update-conversation", {
    token: user.token,
    body: { conversation_id: id, title: "Lisbon day" },
  });
  return id;
}

async function share(user: TestUser, body: Record<string, unknown>) {
  const reply = await call("share-conversation", { token: user.token, body });
  assert.equal(reply.status, 201, JSON.stringify(reply.body));
  return api.shareConversationResponse.parse(reply.body);
}

/** get-shared-conversation with no credential at all, as a browser opening the link. */
function read(
  token: string,
  query: Record<string, string | number> = {},
  headers: Record<string, string> = {},
) {
  return call("get-shared-conversation", { query: { token, ...query }, headers });
}

test("a share link shows the title and messages through the shared one to a reader without sign-in", async () => {
  const alice = await newUser();
  const id = await conversation(alice);
  const link = await share(alice, { conversation_id: id });
  assert.match(link.token, /^[A-Za-z0-9_-]{43}$/);
  assert.deepEqual([link.through_sequence, link.expires_at, link.include_reasoning], [3, null, false]);
  await call("append-message", {
    token: alice.token,
    body: { conversation_id: id, message: { role: "user", content: "A later question" } },
  });
  const reply = await read(link.token);
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
  assert.equal(reply.headers.get("cache-control"), "no-store");
  const page = api.getSharedConversationResponse.parse(reply.body);
  assert.equal(page.conversation.title, "Lisbon day");
  assert.deepEqual(
    page.messages.map((message) => [message.role, message.parts.map((part) => part.type)]),
    [["user", ["text"]], ["assistant", ["text"]]],
    "no system prompt, no reasoning, nothing after the shared message",
  );
  const text = JSON.stringify(reply.body);
  for (const secret of [alice.id, "owner@example.com", "Internal prompt", "demo", "A later question"]) {
    assert.ok(!text.includes(secret), `the page does not show ${secret}`);
  }
});

test("any credential or none reads a link the same way, as nobody in particular", async () => {
  const alice = await newUser();
  const bob = await newUser();
  const link = await share(alice, { conversation_id: await conversation(alice) });
  const expected = (await read(link.token)).body;
  const credentials: Array<Record<string, string>> = [
    { apikey: PUBLISHABLE_KEY },
    { authorization: `Bearer ${bob.token}` },
    { authorization: "Bearer not-a-jwt" },
    { authorization: `Bearer ${await serviceRoleToken()}` },
  ];
  for (const headers of credentials) {
    const reply = await read(link.token, {}, headers);
    assert.equal(reply.status, 200, JSON.stringify(headers));
    assert.deepEqual(reply.body, expected);
  }
});

test("the owner chooses reasoning and an expiry, and pages follow next_cursor", async () => {
  const alice = await newUser();
  const id = await conversation(alice);
  const link = await share(alice, { conversation_id: id, include_reasoning: true, expires_in_seconds: 3600 });
  assert.ok(link.expires_at !== null && Date.parse(link.expires_at) > Date.now());
  const first = await read(link.token, { limit: 2 });
  assert.deepEqual([first.body.messages.length, first.body.has_more, first.body.next_cursor], [1, true, 2]);
  const second = await read(link.token, { after: 2, limit: 2 });
  assert.deepEqual(
    second.body.messages[0].parts.map((part: { type: string }) => part.type),
    ["reasoning", "text"],
  );
  assert.deepEqual([second.body.has_more, second.body.next_cursor], [false, null]);
});

test("revoked, expired, unknown, malformed and deleted links are all the same 404", async () => {
  const alice = await newUser();
  const bob = await newUser();
  const id = await conversation(alice);
  const other = await conversation(alice);
  const [revoked, expired, deleted, kept] = [
    await share(alice, { conversation_id: id }),
    await share(alice, { conversation_id: id }),
    await share(alice, { conversation_id: other }),
    await share(alice, { conversation_id: id }),
  ];
  assert.equal(
    (await call("share-conversation", { token: bob.token, method: "DELETE", body: { token: revoked.token } }))
      .status,
    404,
    "another user cannot revoke the link",
  );
  const revoke = await call("share-conversation", {
    token: alice.token,
    method: "DELETE",
    body: { token: revoked.token },
  });
  assert.deepEqual([revoke.status, revoke.body], [200, { revoked: true }]);
  await pool.query(
    "update public.conversation_shares set expires_at = now() - interval '1 second' where token_hash = sha256(convert_to($1, 'UTF8'))",
    [expired.token],
  );
  await call("delete-conversation", { token: alice.token, body: { conversation_id: other } });
  const tokens = [
    revoked.token,
    expired.token,
    deleted.token,
    "A".repeat(43),
    kept.token.slice(0, 42),
    kept.token + "A",
    kept.token.replace(/^./, (c) => c === "a" ? "b" : "a"),
    "' or 1=1 --",
    "",
    "x".repeat(5000),
  ];
  const answers = await Promise.all(tokens.map((token) => read(token)));
  for (const [n, answer] of answers.entries()) {
    assert.equal(answer.status, 404, `token ${n}`);
    assert.deepEqual(answer.body, answers[0].body, "every miss answers alike");
  }
  assert.equal((await read(kept.token)).status, 200, "the links left alone still work");
  assert.equal(
    (await call("share-conversation", {
      token: alice.token,
      method: "DELETE",
      body: { token: revoked.token },
    }))
      .status,
    404,
    "a link is revoked once",
  );
});

test("only the owner shares, something must be there to share, and the methods are POST and DELETE", async () => {
  const alice = await newUser();
  const bob = await newUser();
  const id = await conversation(alice);
  assert.equal(
    (await call("share-conversation", { token: bob.token, body: { conversation_id: id } })).status,
    404,
  );
  assert.equal((await call("share-conversation", { body: { conversation_id: id } })).status, 401);
  const empty = await call("share-conversation", {
    token: alice.token,
    body: { conversation_id: await startConversation(alice) },
  });
  assert.deepEqual([empty.status, empty.body.error.code], [422, "conversation_empty"]);
  for (
    const body of [{ conversation_id: id, expires_in_seconds: 10 }, {
      conversation_id: id,
      include_reasoning: "yes",
    }, {}]
  ) {
    assert.equal(
      (await call("share-conversation", { token: alice.token, body })).status,
      400,
      JSON.stringify(body),
    );
  }
  const get = await call("share-conversation", { token: alice.token });
  assert.equal(get.status, 405);
  assert.equal(get.headers.get("allow"), "POST, DELETE, OPTIONS");
  const preflight = await fetch(`${apiUrl}/functions/v1/get-shared-conversation`, { method: "OPTIONS" });
  await preflight.body?.cancel();
  assert.equal(preflight.status, 204);
});

test("Storage files of a shared message become short-lived signed URLs; a file that cannot be signed keeps none", async () => {
  const alice = await newUser();
  const id = await startConversation(alice, {
    messages: [{
      role: "user",
      parts: [
        { type: "text", text: "Two photos" },
        {
          type: "file",
          media_type: "image/png",
          storage: { bucket: "conversation-files", path: `${alice.id}/a.png` },
        },
        {
          type: "file",
          media_type: "image/png",
          storage: { bucket: "conversation-files", path: `${alice.id}/gone.png` },
        },
        { type: "file", media_type: "image/png", url: "https://example.com/public.png" },
      ],
    }],
  });
  const link = await share(alice, { conversation_id: id });
  const signed: string[] = [];
  const handler = sharedConversationHandler(() => (bucket, path) => {
    signed.push(`${bucket}/${path}`);
    return path.endsWith("gone.png")
      ? Promise.reject(new Error("not found"))
      : Promise.resolve(`https://storage.example/signed/${bucket}/${path}?token=short`);
  });
  const response = await handler(
    new Request(`${apiUrl}/functions/v1/get-shared-conversation?token=${link.token}`),
  );
  assert.equal(response.status, 200);
  const page = await response.json();
  assert.deepEqual(
    page.messages[0].parts.filter((part: { type: string }) => part.type === "file").map((
      part: { url?: string },
    ) => part.url),
    [
      `https://storage.example/signed/conversation-files/${alice.id}/a.png?token=short`,
      undefined,
      "https://example.com/public.png",
    ],
  );
  assert.deepEqual(signed.sort(), [
    `conversation-files/${alice.id}/a.png`,
    `conversation-files/${alice.id}/gone.png`,
  ]);
});
