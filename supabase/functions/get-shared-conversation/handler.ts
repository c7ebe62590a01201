/**
 * GET get-shared-conversation?token=…&after=&limit= → 200 `{ conversation, messages, has_more,
 * next_cursor }`, without sign-in: a shared conversation's title and its messages through the
 * shared one, as AI SDK UIMessages, reasoning only if the owner included it, nothing naming the
 * owner. 404 alike for a token that is malformed, unknown, revoked or expired, or whose conversation
 * is gone. public.get_shared_conversation holds the rules (migration 20261207000730_share_links.sql).
 *
 * Every request runs as anon, whatever credential it carries: the token is the only key. Files in
 * Storage (storage://bucket/path) become signed URLs that live SHARED_FILE_SECONDS, signed with the
 * project's secret key, since the reader has no token of their own; only files of the shared
 * messages are signed. A file that cannot be signed keeps no url. Responses are not cached.
 */
import { asCaller } from "../_shared/db.ts";
import { sql } from "../_shared/sql.ts";
import { defineFunction, jsonResponse } from "../_shared/http.ts";
import { getSharedConversationRequest } from "../_shared/schemas.ts";
import { secretKey, type SignStorageUrl, storageSigner } from "../_shared/storage.ts";
import type { RawJson } from "../_shared/json.ts";

export const SHARED_FILE_SECONDS = 300;

const STORAGE_URL = /^storage:\/\/([^/]+)\/(.+)$/;

type UiPart = { type: string; url?: string };
type UiMessage = { parts: UiPart[] };

/** The page's storage:// urls signed, each once; a file that cannot be signed loses its url. */
async function signFiles(messages: UiMessage[], sign: SignStorageUrl): Promise<void> {
  const files = messages.flatMap((message) =>
    message.parts.filter((part) => part.type === "file" && STORAGE_URL.test(part.url ?? ""))
  );
  const signed = new Map<string, Promise<string | undefined>>();
  for (const part of files) {
    const url = part.url!;
    if (!signed.has(url)) {
      const [, bucket, path] = url.match(STORAGE_URL)!;
      signed.set(url, sign(bucket, path).catch(() => undefined));
    }
  }
  for (const part of files) {
    const url = await signed.get(part.url!);
    if (url === undefined) delete part.url;
    else part.url = url;
  }
}

/** The handler, with how Storage files are signed (tests give their own). */
export function sharedConversationHandler(
  sign: () => SignStorageUrl = () =>
    storageSigner({ authorization: secretKey(), apikey: secretKey() }, SHARED_FILE_SECONDS),
) {
  return defineFunction({
    name: "get-shared-conversation",
    methods: ["GET"],
    schema: getSharedConversationRequest,
    anonymous: true,
    async handle(request, caller) {
      const [[row]] = await asCaller(caller, [
        sql`select public.get_shared_conversation(${request.token}, ${request.after}, ${request.limit}) as page`,
      ]);
      const page = JSON.parse((row.page as RawJson).text) as { messages: UiMessage[] };
      await signFiles(page.messages, sign());
      return jsonResponse(200, page, { "cache-control": "no-store", "referrer-policy": "no-referrer" });
    },
  });
}

export const getSharedConversation = sharedConversationHandler();
