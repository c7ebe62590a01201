/** The context's OpenAI format and client/openai.ts type-check as the `openai` package's types (see openai_types.ts). */
import assert from "node:assert/strict";
import { projectRoot } from "../../../tools/db_migrate.ts";

Deno.test("the context, toChatMessages and toResponsesInput type-check as the openai package's ChatCompletionMessageParam[] and ResponseInputItem[]", async () => {
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["check", "supabase/tests/client/openai_types.ts"],
    cwd: projectRoot,
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
});
