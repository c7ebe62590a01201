/**
 * Signed URLs for objects in Supabase Storage: Storage's sign endpoint, called with the credential
 * given, so that Storage's own policies decide what that credential may sign (a user's access
 * token: the user's files; the project's secret key: any file, for a function that has already
 * decided which ones a reader may see).
 */
import { ConfigurationError, namedKeys, setting } from "./config.ts";
import { ApiError } from "./errors.ts";

/** A signed URL for storage://bucket/path, or an error when it cannot be signed. */
export type SignStorageUrl = (bucket: string, path: string) => Promise<string>;

export interface StorageCredential {
  /** The bearer token Storage checks. */
  authorization: string;
  /** The project key the API gateway checks. */
  apikey: string;
}

export function storageSigner(credential: StorageCredential, expiresInSeconds: number): SignStorageUrl {
  return async (bucket, path) => {
    const project = setting("SUPABASE_URL");
    if (!project) throw new ConfigurationError("Storage files need SUPABASE_URL to be signed");
    const object = [bucket, ...path.split("/")].map(encodeURIComponent).join("/");
    const response = await fetch(`${project}/storage/v1/object/sign/${object}`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${credential.authorization}`,
        apikey: credential.apikey,
        "content-type": "application/json",
      },
      body: JSON.stringify({ expiresIn: expiresInSeconds }),
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

/** The project's publishable key (or legacy anon key), which a user's token is sent with. */
export function publishableKey(): string {
  const key = namedKeys("SUPABASE_PUBLISHABLE_KEYS")[0] ?? setting("SUPABASE_ANON_KEY");
  if (!key) throw new ConfigurationError("Storage files need a publishable key to be signed");
  return key;
}

/** The project's secret key (or legacy service role key): Storage as the service role. */
export function secretKey(): string {
  const key = namedKeys("SUPABASE_SECRET_KEYS")[0] ?? setting("SUPABASE_SERVICE_ROLE_KEY");
  if (!key) throw new ConfigurationError("shared Storage files need a secret key to be signed");
  return key;
}
