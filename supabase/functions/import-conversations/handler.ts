/**
 * POST import-conversations `{ file, cursor? }` → 200 `{ imported, total, next_cursor, done }`.
 *
 * `file` is a page of this store's export (docs/EXPORT.md) or ChatGPT's conversations.json. It is
 * read whole and turned into entries (a conversation, a page of one, or a fork); each call writes
 * entries from `cursor` on until about MESSAGES_PER_CALL messages (always at least one entry), in
 * one transaction, and says where to continue: send the same file with `next_cursor` until `done`.
 * Each entry is one call of public.import_conversation, whose ids derive from the user and the
 * source's ids: importing a file again appends nothing, and a conversation is never half-stored.
 * A file that is neither format, or holds a message the store refuses, is a 4xx before anything is
 * written.
 */
import { z } from "zod";
import { asCaller } from "../_shared/db.ts";
import { sql } from "../_shared/sql.ts";
import { decodeCursor, encodeCursor } from "../_shared/cursors.ts";
import { ApiError } from "../_shared/errors.ts";
import { defineFunction } from "../_shared/http.ts";
import { EXPORT_FORMAT, exportPage, importConversationsRequest, messageInput } from "../_shared/schemas.ts";
import { withTokenCounts } from "../_shared/token_counts.ts";
import { chatgptEntries, chatgptExport } from "./chatgpt.ts";
import type { ImportEntry } from "./entries.ts";
import { storeExportEntries } from "./store_export.ts";

/** Messages written per call: well inside the statement timeout and the Edge Runtime's limits. */
export const MESSAGES_PER_CALL = 2_000;
/** The largest file accepted; split a larger conversations.json (an array) into several. */
export const MAX_FILE_BYTES = 10 * 1_048_576;

const importCursor = z.tuple([z.number().int().min(0)]);

function parsed<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new ApiError("invalid_request", `the file is not ${what}`, result.error.issues);
  return result.data;
}

/** The file's entries, or a 400 naming what is wrong with it. */
export function entriesOf(file: unknown): ImportEntry[] {
  const entries = Array.isArray(file)
    ? chatgptEntries(parsed(chatgptExport, file, "a valid ChatGPT conversations.json"))
    : (file as { format?: unknown } | null)?.format === EXPORT_FORMAT
    ? storeExportEntries(parsed(exportPage, file, `a valid ${EXPORT_FORMAT} page`))
    : null;
  if (entries === null) {
    throw new ApiError(
      "invalid_request",
      `the file is neither an export of this store (format "${EXPORT_FORMAT}") nor ChatGPT's conversations.json (an array)`,
    );
  }
  for (const [index, entry] of entries.entries()) {
    const messages = z.array(messageInput).safeParse(entry.messages);
    if (!messages.success) {
      throw new ApiError(
        "invalid_request",
        `conversation ${entry.key} holds a message the store cannot take`,
        {
          entry: index,
          issues: messages.error.issues,
        },
      );
    }
  }
  return entries;
}

export const importConversations = defineFunction({
  name: "import-conversations",
  methods: ["POST"],
  schema: importConversationsRequest,
  maxBodyBytes: MAX_FILE_BYTES,
  async handle(request, caller) {
    if (caller.role !== "authenticated") {
      throw new ApiError("forbidden", "a signed-in user imports their own conversations");
    }
    const entries = entriesOf(request.file);
    const [start] = request.cursor === undefined ? [0] : decodeCursor(request.cursor, importCursor);
    const batch: ImportEntry[] = [];
    let messages = 0;
    for (const entry of entries.slice(start)) {
      if (batch.length > 0 && messages + entry.messages.length > MESSAGES_PER_CALL) break;
      batch.push(entry);
      messages += entry.messages.length;
    }
    const results = batch.length === 0 ? [] : await asCaller(
      caller,
      batch.map((entry) =>
        sql`select r ->> 'id' as id, (r ->> 'created')::boolean as created, (r ->> 'appended')::integer as appended
            from public.import_conversation(${entry.key}, ${entry.conversation}::jsonb,
                                            ${withTokenCounts(entry.messages)}::jsonb, ${entry.firstSequence},
                                            ${entry.fork?.key}, ${entry.fork?.through}) as r`
      ),
    );
    const next = start + batch.length;
    const done = next >= entries.length;
    return {
      status: 200,
      body: {
        imported: results.map(([row], index) => ({ key: batch[index].key, ...row })),
        total: entries.length,
        next_cursor: done ? null : encodeCursor([next]),
        done,
      },
    };
  },
});
