/**
 * The client's one entry, client/mod.ts (deno.json "exports"), hands out what each of its modules
 * exports, the same values, so an app imports the client from one place.
 */
import assert from "node:assert/strict";
import * as client from "../../../client/mod.ts";
import * as aiSdk from "../../../client/ai_sdk.ts";
import * as chat from "../../../client/chat.ts";
import * as conversationStore from "../../../client/conversation_store.ts";
import * as errors from "../../../client/errors.ts";
import * as openai from "../../../client/openai.ts";
import * as replyWriter from "../../../client/reply_writer.ts";
import * as storageFiles from "../../../client/storage_files.ts";

const modules = { aiSdk, chat, conversationStore, errors, openai, replyWriter, storageFiles };

Deno.test("the client's entry exports every value each client module exports, as the same value", () => {
  for (const [name, module] of Object.entries(modules)) {
    for (const [exported, value] of Object.entries(module)) {
      assert.equal((client as Record<string, unknown>)[exported], value, `${name}.${exported}`);
    }
  }
});

Deno.test("deno.json names the client's entry as the package's export", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("../../../deno.json", import.meta.url)));
  assert.equal(config.exports, "./client/mod.ts");
});
