/**
 * Files the user keeps in Supabase Storage (file parts with url storage://bucket/path), signed for
 * the model's provider with the user's own access token, so the bucket's policies (a user reads
 * only their own folder) decide, never the service role.
 *
 * The signed URL lives STORAGE_URL_SECONDS, long enough for one model call.
 */
import { publishableKey, storageSigner } from "../_shared/storage.ts";
import type { ResolveStorageUrl } from "./prompt.ts";

const STORAGE_URL_SECONDS = 600;

export function signedStorageUrls(accessToken: string): ResolveStorageUrl {
  return (bucket, path) =>
    storageSigner({ authorization: accessToken, apikey: publishableKey() }, STORAGE_URL_SECONDS)(
      bucket,
      path,
    );
}
