/**
 * Files kept in Supabase Storage, as the store's formats name them (`storage://<bucket>/<path>`),
 * turned into URLs a model provider can fetch.
 */
import type { SupabaseClient } from "@supabase/supabase-js";
import { storageLocation } from "../supabase/functions/_shared/ui_parts.ts";
import { ConversationStoreError } from "./errors.ts";

/** Turns a file in Storage into a URL a model provider can fetch. */
export type ResolveStorageUrl = (bucket: string, path: string) => Promise<string>;

/**
 * Signed URLs from supabase-js, as the caller: the conversation-files policies let a user sign
 * only files in their own folder. `expiresIn` in seconds (default 600: long enough for one call).
 */
export function signedStorageUrls(supabase: SupabaseClient, expiresIn = 600): ResolveStorageUrl {
  return async (bucket, path) => {
    const { data, error } = await supabase.storage.from(bucket).createSignedUrl(path, expiresIn);
    if (error) throw new ConversationStoreError("storage_error", error.message, 0);
    return data.signedUrl;
  };
}

/** The URL itself, or for a storage:// URL what `resolve` makes of it; a TypeError without one. */
export async function fetchableUrl(url: string, resolve: ResolveStorageUrl | undefined): Promise<string> {
  const location = storageLocation(url);
  if (!location) return url;
  if (!resolve) throw new TypeError(`${url} needs a resolveStorageUrl (signedStorageUrls)`);
  return await resolve(location.bucket, location.path);
}
