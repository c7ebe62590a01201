/**
 * ai@7's custom and reasoning-file parts (migration 20261207000410_ai7_parts.sql): stored and read
 * back losslessly through the API, refused when malformed, and carried by a streamed reply from
 * chunk to stored part to replayed chunk.
 */
import assert from "node:assert/strict";
import type { UIMessageChunk } from "ai";
import { ReplayCursor, ReplyParts } from "../../functions/chat/reply_parts.ts";
import { call, newUser, startConversation, test } from "./helpers.ts";

const CUSTOM_UI = { type: "custom", kind: "acme.widget", providerMetadata: { acme: { size: 2 } } };
const FILE_UI = { type: "reasoning-file", mediaType: "image/png", url: "data:image/png;base64,AA==" };

test("custom and reasoning-file parts are stored and read back through format=ui exactly as sent", async () => {
  const alice = await newUser();
  const conversationId = await startConversation(alice);
  const appended = await call("append-message", {
    token: alice.token,
    body: {
      conversation_id: conversationId,
      messages: [
        { role: "user", content: "Draw" },
        {
          role: "assistant",
          client_message_id: "a1",
          parts: [
            { type: "custom", kind: "acme.widget", provider_metadata: { acme: { size: 2 } } },
            { type: "reasoning-file", media_type: "image/png", url: "data:image/png;base64,AA==" },
            { type: "text", text: "Done." },
          ],
        },
      ],
    },
  });
  assert.equal(appended.status, 201, JSON.stringify(appended.body));
  const page = await call("get-history", {
    token: alice.token,
    query: { conversation_id: conversationId, format: "ui" },
  });
  assert.deepEqual(page.body.messages.at(-1).parts, [CUSTOM_UI, FILE_UI, { type: "text", text: "Done." }]);
});

test("a custom part without a provider in its kind, or a reasoning-file of another scheme, is refused with 400", async () => {
  const alice = await newUser();
  const conversationId = await startConversation(alice);
  for (
    const part of [{ type: "custom", kind: "widget" }, {
      type: "reasoning-file",
      media_type: "a/b",
      url: "ftp://x",
    }]
  ) {
    const reply = await call("append-message", {
      token: alice.token,
      body: { conversation_id: conversationId, message: { role: "assistant", parts: [part] } },
    });
    assert.equal(reply.status, 400, JSON.stringify(reply.body));
  }
});

test("a streamed custom or reasoning-file chunk becomes a stored part and replays as the same chunk", () => {
  const chunks: UIMessageChunk[] = [
    { type: "custom", kind: "acme.widget", providerMetadata: { acme: { size: 2 } } },
    { type: "reasoning-file", mediaType: "image/png", url: "data:image/png;base64,AA==" },
  ];
  const parts = new ReplyParts();
  for (const chunk of chunks) parts.apply(chunk);
  assert.deepEqual(parts.parts, [
    { type: "custom", kind: "acme.widget", provider_metadata: { acme: { size: 2 } } },
    { type: "reasoning-file", media_type: "image/png", url: "data:image/png;base64,AA==" },
  ]);
  assert.deepEqual(new ReplayCursor().update(parts.parts), chunks);
});

test("a resumed reply replays an answered approval as the request and then the user's answer", () => {
  const cursor = new ReplayCursor();
  const part = {
    type: "tool-call" as const,
    tool_call_id: "c1",
    tool_name: "launch",
    state: "approval-responded" as const,
    input: { name: "x" },
    approval: { id: "a1", approved: true },
  };
  assert.deepEqual(cursor.update([part]), [
    { type: "tool-input-available", toolCallId: "c1", toolName: "launch", input: { name: "x" } },
    { type: "tool-approval-request", approvalId: "a1", toolCallId: "c1" },
    { type: "tool-approval-response", approvalId: "a1", approved: true },
  ]);
  assert.deepEqual(cursor.update([{ ...part, state: "output-available", output: { ok: true } }]), [
    { type: "tool-output-available", toolCallId: "c1", output: { ok: true } },
  ]);
});
