/**
 * Rules written once in TypeScript and applied by SQL too, checked equal against the migrated
 * database: the part-key renames (_shared/ui_parts.ts KEYS against conversation_store.ui_part), the
 * text a model reads for a tool's result (_shared/tool_output.ts against
 * conversation_store.tool_output_text), and the limits both sides enforce (batch and part counts, the
 * inline file size, a file's token estimate, when a silent reply is stale).
 */
import assert from "node:assert/strict";
// @ts-types="npm:@types/pg@8.23.1"
import pg from "pg";
import {
  FILE_TOKEN_ESTIMATE,
  INLINE_FILE_MAX_CHARS,
  MAX_PARTS,
} from "../../functions/_shared/part_vocabulary.ts";
import { MAX_BATCH } from "../../functions/_shared/schemas.ts";
import { STALE_REPLY_SECONDS } from "../../functions/chat/stored_reply.ts";
import { DENIED_TOOL_OUTPUT, toolOutputText } from "../../functions/_shared/tool_output.ts";
import { KEYS, toStorePart } from "../../functions/_shared/ui_parts.ts";

const databaseUrl = Deno.env.get("DATABASE_URL");

/** Runs `body` in a transaction that is rolled back: nothing a check writes stays. */
async function inRolledBackTransaction<T>(body: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query("begin");
    return await body(client);
  } finally {
    await client.query("rollback").catch(() => {});
    await client.end();
  }
}

async function one<T>(client: pg.Client, sql: string, values: unknown[] = []): Promise<T> {
  return (await client.query(sql, values)).rows[0].value as T;
}

/** The error a statement raises, or undefined when it succeeds (each in a savepoint). */
async function errorOf(
  client: pg.Client,
  sql: string,
  values: unknown[],
): Promise<pg.DatabaseError | undefined> {
  await client.query("savepoint probe");
  try {
    await client.query(sql, values);
    return undefined;
  } catch (error) {
    return error as pg.DatabaseError;
  } finally {
    await client.query("rollback to savepoint probe");
  }
}

/** A UI part of every kind the key table knows, each with every key of its kind set. */
const KIND_OF_SAMPLE: Record<string, string> = {
  text: "text",
  reasoning: "reasoning",
  "step-start": "step-start",
  file: "file",
  "tool-weather": "tool",
  "dynamic-tool": "tool",
  "source-url": "source-url",
  "source-document": "source-document",
  "data-progress": "data",
  custom: "custom",
  "reasoning-file": "reasoning-file",
};

function samplePart(type: string): Record<string, unknown> {
  const part: Record<string, unknown> = { type };
  for (const uiKey of Object.keys(KEYS[KIND_OF_SAMPLE[type]])) part[uiKey] = { value: `${type}.${uiKey}` };
  if (type === "file" || type === "reasoning-file") part.url = "https://example.com/a.png";
  if (type === "reasoning-file") part.mediaType = "image/png";
  if (type === "custom") part.kind = "acme.note";
  if (type === "dynamic-tool") part.toolName = "lookup";
  return part;
}

Deno.test({
  name:
    "conversation_store.ui_part renames every store key back to the UI key of ui_parts.ts's table, and no other",
  ignore: !databaseUrl,
  async fn() {
    assert.deepEqual(
      [...new Set(Object.values(KIND_OF_SAMPLE))].sort(),
      Object.keys(KEYS).sort(),
      "a sample for every kind of the table",
    );
    const samples = [
      ...Object.keys(KIND_OF_SAMPLE).map(samplePart),
      { ...samplePart("file"), url: "storage://uploads/user/a.png" },
    ];
    await inRolledBackTransaction(async (client) => {
      for (const sample of samples) {
        const stored = toStorePart(sample as Parameters<typeof toStorePart>[0]);
        const read = await one(client, "select conversation_store.ui_part($1::jsonb) as value", [stored]);
        assert.deepEqual(read, sample, `${sample.type}: stored as ${JSON.stringify(stored)}`);
      }
    });
  },
});

Deno.test({
  name: "a tool's result reads as the same text in TypeScript and in format=openai's SQL",
  ignore: !databaseUrl,
  async fn() {
    const results: Array<[Record<string, unknown>, Record<string, unknown>]> = [
      [{ state: "output-available", output: "sunny" }, { output: "sunny" }],
      [{ state: "output-available", output: "" }, { output: "" }],
      [{ state: "output-available", output: 42 }, { output: 42 }],
      [{ state: "output-available", output: null }, { output: null }],
      [{ state: "output-available" }, {}],
      [{ state: "output-available", output: { temperature: 21, sky: ["clear"] } }, {
        output: { temperature: 21, sky: ["clear"] },
      }],
      [{ state: "output-error", errorText: "timed out" }, { error_text: "timed out" }],
      [{ state: "output-error" }, {}],
      [{ state: "output-denied", deniedReason: "not allowed" }, {
        approval: { id: "a", approved: false, reason: "not allowed" },
      }],
      [{ state: "output-denied" }, { approval: { id: "a", approved: false } }],
    ];
    await inRolledBackTransaction(async (client) => {
      for (const [call, stored] of results) {
        const part = { type: "tool-call", tool_call_id: "c", tool_name: "t", state: call.state, ...stored };
        const sql = await one<string>(
          client,
          "select conversation_store.tool_output_text($1::jsonb) as value",
          [
            part,
          ],
        );
        const typescript = toolOutputText(call as { state: string });
        // PostgreSQL writes JSON with spaces after ':' and ','; the value, not the spacing, must agree.
        if (typeof call.output === "object" && call.output !== null) {
          assert.deepEqual(JSON.parse(sql), JSON.parse(typescript!));
        } else assert.equal(sql, typescript, JSON.stringify(call));
      }
    });
    assert.equal(toolOutputText({ state: "output-denied" }), DENIED_TOOL_OUTPUT);
    assert.equal(toolOutputText({ state: "input-available" }), undefined);
  },
});

Deno.test({
  name: "the limits TypeScript enforces are the ones the migrated database enforces",
  ignore: !databaseUrl,
  async fn() {
    await inRolledBackTransaction(async (client) => {
      assert.equal(
        await one(client, "select conversation_store.file_token_estimate() as value"),
        FILE_TOKEN_ESTIMATE,
      );
      assert.equal(
        await one(client, "select conversation_store.inline_file_max_chars() as value"),
        INLINE_FILE_MAX_CHARS,
      );
      assert.equal(
        await one(client, "select extract(epoch from conversation_store.stale_reply_after())::int as value"),
        STALE_REPLY_SECONDS,
      );

      const textParts = (count: number) => Array.from({ length: count }, () => ({ type: "text", text: "x" }));
      const owner = crypto.randomUUID();
      const partList = "select conversation_store.is_part_list($1::jsonb, $2) as value";
      assert.equal(await one(client, partList, [JSON.stringify(textParts(MAX_PARTS)), owner]), true);
      assert.equal(await one(client, partList, [JSON.stringify(textParts(MAX_PARTS + 1)), owner]), false);
      const checkParts = "select conversation_store.check_parts($1::jsonb, 'user', $2)";
      assert.equal(
        await errorOf(client, checkParts, [JSON.stringify(textParts(MAX_PARTS)), owner]),
        undefined,
      );
      assert.equal(
        (await errorOf(client, checkParts, [JSON.stringify(textParts(MAX_PARTS + 1)), owner]))?.code,
        "22023",
      );

      // append_messages as the service role: a batch over the limit is refused before anything else is read.
      await client.query(
        "select set_config('role', 'service_role', true), set_config('request.jwt.claims', '{\"role\":\"service_role\"}', true)",
      );
      const batch = (count: number) =>
        JSON.stringify(Array.from({ length: count }, () => ({ role: "user", content: "x" })));
      const append = "select public.append_messages($1, $2::jsonb)";
      const tooMany = await errorOf(client, append, [crypto.randomUUID(), batch(MAX_BATCH + 1)]);
      assert.equal(tooMany?.code, "22023");
      assert.match(tooMany?.message ?? "", new RegExp(`1 to ${MAX_BATCH} messages`));
      const atTheLimit = await errorOf(client, append, [crypto.randomUUID(), batch(MAX_BATCH)]);
      assert.doesNotMatch(atTheLimit?.message ?? "", /messages, not/, "a full batch passes the size check");
    });
  },
});
