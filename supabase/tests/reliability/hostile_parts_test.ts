/**
 * Message parts under a hostile user (issue 26), over HTTP (append-message, delete-conversation) and
 * straight to the SQL functions as supabase.rpc() calls them: bucket ids that name another user's
 * folder, source URLs, unknown keys, nesting, file parts, sizes and per-part costs. Each answer is a
 * 4xx with its code, never a 500, and nothing is stored.
 */
import assert from "node:assert/strict";
import { guardedDownload, isPublicAddress } from "../../functions/chat/download.ts";
import { fromDatabaseError } from "../../functions/_shared/errors.ts";
import { MAX_BODY_BYTES } from "../../functions/_shared/http.ts";
import { call, newUser, startConversation, test, type TestUser } from "../functions/helpers.ts";
import { asUserDirectly } from "./checks.ts";

async function append(user: TestUser, conversationId: string, parts: unknown[]) {
  return await call("append-message", {
    token: user.token,
    body: { conversation_id: conversationId, message: { role: "user", parts } },
  });
}

const nested = (depth: number) => "[".repeat(depth) + "]".repeat(depth);

test("a bucket id with a slash or dots cannot point into another user's folder", async () => {
  const [alice, bob] = [await newUser(), await newUser()];
  const conversationId = await startConversation(alice);
  for (
    const bucket of [
      `conversation-files/${bob.id}/secret.png`,
      "..",
      "../../bucket/conversation-files",
      "Conversation-Files",
      "",
    ]
  ) {
    const reply = await append(alice, conversationId, [
      { type: "file", media_type: "image/png", storage: { bucket, path: `${alice.id}/x` } },
    ]);
    assert.equal(reply.status, 400, bucket);
    assert.equal(reply.body.error.code, "invalid_request");
  }
  const deleted = await call("delete-conversation", {
    token: alice.token,
    body: { conversation_id: conversationId },
  });
  assert.deepEqual(deleted.body.storage_objects, [], "nothing of Bob's is named for removal");
});

test("a source URL is http: or https:; javascript: and data: are refused", async () => {
  const alice = await newUser();
  const conversationId = await startConversation(alice);
  for (const url of ["javascript:alert(1)", "data:text/html,<script>", "file:///etc/passwd"]) {
    const reply = await append(alice, conversationId, [{
      type: "source",
      source_type: "url",
      source_id: "s",
      url,
    }]);
    assert.equal(reply.status, 400, url);
  }
  const ok = await append(alice, conversationId, [
    { type: "source", source_type: "url", source_id: "s", url: "https://example.com/a" },
  ]);
  assert.equal(ok.status, 201);
});

test("a part type named after an Object.prototype member, or a __proto__ key, is a 400 on append-message", async () => {
  const alice = await newUser();
  const conversationId = await startConversation(alice);
  for (const type of ["constructor", "toString", "__proto__", "hasOwnProperty", "valueOf", "isPrototypeOf"]) {
    const reply = await append(alice, conversationId, [{ type, text: "x" }]);
    assert.equal(reply.status, 400, type);
  }
  const raw = `{"conversation_id":"${conversationId}","message":{"role":"user",` +
    `"parts":[{"type":"text","text":"x","__proto__":{"admin":true}}]}}`;
  const reply = await call("append-message", {
    token: alice.token,
    rawBody: raw,
    headers: { "content-type": "application/json" },
  });
  assert.equal(reply.status, 400);
});

test("1,000 file parts are refused with the file-part limit, not a token range", async () => {
  const alice = await newUser();
  const conversationId = await startConversation(alice);
  const files = Array.from({ length: 1000 }, (_, n) => ({
    type: "file",
    media_type: "image/png",
    url: `https://example.com/${n}.png`,
  }));
  const reply = await append(alice, conversationId, files);
  assert.equal(reply.status, 400);
  assert.match(JSON.stringify(reply.body.error), /at most 100 file parts/);
  assert.equal((await append(alice, conversationId, files.slice(0, 100))).status, 201, "100 are fine");
});

test("through the RPC, a data part 5,000 deep is refused as over HTTP, and metadata 8,000 deep too", async () => {
  const alice = await newUser();
  const conversationId = await startConversation(alice);
  const deepPart = `[{"role":"user","parts":[{"type":"data","name":"d","data":${nested(5000)}}]}]`;
  const rpc = await asUserDirectly(
    alice.id,
    `select public.append_messages('${conversationId}', '${deepPart}'::jsonb)`,
  );
  assert.equal(rpc.error, "22023");
  const update = await asUserDirectly(
    alice.id,
    `update public.conversations set metadata = '{"a":${
      nested(8000)
    }}'::jsonb where id = '${conversationId}'`,
  );
  assert.equal(update.error, "23514");
});

test("through the RPC, append_messages takes no more than one HTTP body, and answers 413 for more", async () => {
  const alice = await newUser();
  const conversationId = await startConversation(alice);
  const big = JSON.stringify([{ role: "user", content: "x".repeat(3 * 1024 * 1024) }]);
  const rpc = await asUserDirectly(
    alice.id,
    `select public.append_messages('${conversationId}', '${big}'::jsonb)`,
  );
  assert.equal(rpc.error, "54000");
  assert.equal(
    fromDatabaseError({ code: "54000", message: "p_messages is larger", severity: "ERROR" }).status,
    413,
  );
  // Nine messages of 100,000 characters (content's limit): within the cap.
  const fits = JSON.stringify(
    Array.from({ length: 9 }, () => ({ role: "user", content: "x".repeat(100_000) })),
  );
  assert.ok(fits.length < MAX_BODY_BYTES);
  const ok = await asUserDirectly(
    alice.id,
    `select public.append_messages('${conversationId}', '${fits}'::jsonb)`,
  );
  assert.equal(ok.error, null, "a batch within the cap is stored");
  const stepStarts = JSON.stringify(
    Array.from({ length: 43 }, () => ({ role: "user", parts: Array(1000).fill({ type: "step-start" }) })),
  );
  const many = await asUserDirectly(
    alice.id,
    `select public.append_messages('${conversationId}', '${stepStarts}'::jsonb)`,
  );
  assert.equal(
    many.error,
    "54000",
    "43,000 step-start parts in one call are refused before they are checked",
  );
});

test("every IPv4 and IPv6 range a download must not reach is refused, mapped and NAT64 forms too", () => {
  for (
    const address of [
      "127.0.0.1",
      "10.0.0.1",
      "172.16.5.4",
      "192.168.1.1",
      "169.254.169.254",
      "100.64.0.1",
      "0.0.0.0",
      "224.0.0.1",
      "255.255.255.255",
      "::1",
      "::",
      "fe80::1",
      "fd00:ec2::254",
      "fc00::1",
      "::ffff:127.0.0.1",
      "::ffff:7f00:1",
      "::ffff:169.254.169.254",
      "64:ff9b::a9fe:a9fe",
      "2002:7f00:1::",
      "ff02::1",
      "not an address",
    ]
  ) assert.equal(isPublicAddress(address), false, address);
  for (const address of ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "::ffff:93.184.216.34"]) {
    assert.equal(isPublicAddress(address), true, address);
  }
});

test("the downloader follows a redirect only to a checked address, and never connects to a refused one", async () => {
  const fetched: string[] = [];
  const download = guardedDownload({
    resolve: (host) => Promise.resolve(host === "public.example" ? ["93.184.216.34"] : ["192.168.0.10"]),
    fetch: ((url: URL) => {
      fetched.push(String(url));
      return Promise.resolve(
        new Response(null, { status: 302, headers: { location: "https://private.example/secret" } }),
      );
    }) as typeof fetch,
  });
  await assert.rejects(
    Promise.resolve(download([{ url: new URL("https://public.example/a"), isUrlSupportedByModel: false }])),
    /private\.example is not a public address/,
  );
  assert.deepEqual(fetched, ["https://public.example/a"], "the redirect's target was checked, not fetched");
  const passed = await download([{ url: new URL("https://any.example/a"), isUrlSupportedByModel: true }]);
  assert.deepEqual(passed, [null], "a URL the model reads itself is passed on, not fetched or resolved");
});
