/**
 * Files the user keeps in Supabase Storage (file parts with url storage://bucket/path), signed for
 * the model's provider: Storage's sign endpoint called with the user's own access token, so the
 * bucket's policies (a user reads only their own folder) decide, never the service role.
 *
 * The signed URL lives STORAGE_URL_SECONDS, long enough for one model call.
 */
import { ConfigurationError, namedKeys, setting } from "../config.ts";
import { ApiError } from "../errors.ts";
import type { ResolveStorageUrl } from "./prompt.ts";

const STORAGE_URL_SECONDS = 600;

export function signedStorageUrls(accessToken: string): ResolveStorageUrl {
  return async (bucket, path) => {
    const project = setting("SUPABASE_URL");
    const apikey = namedKeys("SUPABASE_PUBLISHABLE_KEYS")[0] ?? setting("SUPABASE_ANON_KEY");
    if (!project || !apikey) {
      throw new ConfigurationError("Storage files need SUPABASE_URL and a publishable key to be signed");
    }
    const object = [bucket, ...path.split("/")].map(encodeURIComponent).join("/");
    const response = await fetch(`${project}/storage/v1/object/sign/${object}`, {
      method: "POST",
      headers: { authorization: `Bearer ${accessToken}`, apikey, "content-type": "application/json" },
      body: JSON.stringify({ expiresIn: STORAGE_URL_SECONDS }),
    });
    const body = await response.json().catch(() => null) as { signedURL?: string } | null;
    if (!response.ok || !body?.signedURL) {
      throw new ApiError(
        "invalid_request",
        `the file storage://${bucket}/${path} cannot be read (${response.status})`,
      );
    }
    return `${project}/storage/v1${body.signedURL}`;
  };
}
