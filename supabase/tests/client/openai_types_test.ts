/** The context's OpenAI format type-checks as the `openai` package's chat messages (see openai_types.ts). */
import assert from "node:assert/strict";
import { projectRoot } from "../../../tools/db_migrate.ts";

Deno.test("the context type-checks as the openai package's ChatCompletionMessageParam[]", async () => {
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["check", "supabase/tests/client/openai_types.ts"],
    cwd: projectRoot,
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
});
