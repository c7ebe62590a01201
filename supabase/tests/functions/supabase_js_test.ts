/** The path web clients take: supabase-js `functions.invoke` against the local API. */
import assert from "node:assert/strict";
import { createClient, FunctionsHttpError } from "@supabase/supabase-js";
import { apiUrl, newUser, test } from "./helpers.ts";

test("supabase-js functions.invoke starts, appends and reads a conversation", async () => {
  const alice = await newUser();
  const supabase = createClient(apiUrl, "local-anon-key", {
    accessToken: () => Promise.resolve(alice.token),
  });
  const started = await supabase.functions.invoke("start-conversation", {
    body: { metadata: { step: "script" }, messages: [{ role: "system", content: "Be brief." }] },
  });
  assert.equal(started.error, null);
  const id = started.data.conversation.id;

  const appended = await supabase.functions.invoke("append-message", {
    body: { conversation_id: id, message: { role: "user", content: "Hello", client_message_id: "m-1" } },
  });
  assert.equal(appended.error, null);
  assert.equal(appended.data.messages[0].sequence_order, 2);

  const history = await supabase.functions.invoke(`get-history?conversation_id=${id}&format=openai`, {
    method: "GET",
  });
  assert.equal(history.error, null);
  assert.deepEqual(history.data.messages, [{ role: "system", content: "Be brief." }, {
    role: "user",
    content: "Hello",
  }]);

  const conflict = await supabase.functions.invoke("append-message", {
    body: { conversation_id: id, message: { role: "user", content: "Hi" }, expected_last_sequence: 1 },
  });
  assert.ok(conflict.error instanceof FunctionsHttpError);
  assert.equal(conflict.error.context.status, 409);
  assert.deepEqual((await conflict.error.context.json()).error.details, { last_sequence: 2 });
});
