/**
 * Tokens for the local server, shaped the way Supabase issues them: a user's token has `role` and
 * `aud` "authenticated", `iss` `${SUPABASE_URL}/auth/v1` and the user's id in `sub`; a service-role
 * token has neither `sub` nor `aud`. Demo users get stable ids derived from their names, so a token
 * minted tomorrow reaches the same data.
 */
import { SignJWT } from "jose";

/** Supabase's well-known JWT secret for local development (`supabase start` uses the same). */
export const LOCAL_JWT_SECRET = "super-secret-jwt-token-with-at-least-32-characters-long";

/**
 * The local project's URL, whose /auth/v1 is the issuer of its users' tokens: SUPABASE_URL when given,
 * else http://127.0.0.1:54321, the URL of `supabase start` (whose Auth issues tokens with that `iss`)
 * and of `task start` on its default port. It does not follow PORT, so that tokens minted for one
 * local server stay valid for another.
 */
export function localProjectUrl(): string {
  return Deno.env.get("SUPABASE_URL") || "http://127.0.0.1:54321";
}

async function userIdFor(name: string): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`local-user:${name}`)),
  );
  digest[6] = (digest[6] & 0x0f) | 0x50; // version 5-style, name-based
  digest[8] = (digest[8] & 0x3f) | 0x80; // RFC 4122 variant
  const hex = [...digest.slice(0, 16)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The local secret API key (`sb_secret_…`), derived from the JWT secret: stable across restarts,
 * and as private as the secret it comes from.
 */
export async function localSecretKey(jwtSecret = LOCAL_JWT_SECRET): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(jwtSecret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = new Uint8Array(
    await crypto.subtle.sign("HMAC", key, new TextEncoder().encode("local secret API key")),
  );
  const encoded = btoa(String.fromCharCode(...mac)).replace(/\+/g, "-").replace(/\//g, "_").replace(
    /=+$/,
    "",
  );
  return `sb_secret_${encoded}`;
}

export interface TokenOptions {
  role: "authenticated" | "service_role";
  userId?: string;
  email?: string;
  expiresIn?: string;
  /** HS256 with this secret (default: the local one), unless `signingKey` is given. */
  secret?: string;
  /** ES256 with this private key, published under `keyId` in the project's JWKS. */
  signingKey?: { privateKey: CryptoKey; keyId: string };
  /** Default: the local project's Auth (see localProjectUrl). */
  issuer?: string;
}

export async function mintToken(options: TokenOptions): Promise<string> {
  const user = options.role === "authenticated";
  const jwt = new SignJWT({
    role: options.role,
    ...(user ? { aud: "authenticated" } : {}),
    ...(options.email ? { email: options.email } : {}),
  })
    .setProtectedHeader(
      options.signingKey
        ? { alg: "ES256", kid: options.signingKey.keyId, typ: "JWT" }
        : { alg: "HS256", typ: "JWT" },
    )
    .setIssuer(options.issuer ?? `${localProjectUrl()}/auth/v1`)
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? "7d");
  if (options.userId) jwt.setSubject(options.userId);
  return await jwt.sign(
    options.signingKey?.privateKey ?? new TextEncoder().encode(options.secret ?? LOCAL_JWT_SECRET),
  );
}

export async function tokenForUser(
  name: string,
  secret?: string,
): Promise<{ name: string; userId: string; token: string }> {
  const userId = await userIdFor(name);
  return {
    name,
    userId,
    token: await mintToken({ role: "authenticated", userId, email: `${name}@example.com`, secret }),
  };
}
