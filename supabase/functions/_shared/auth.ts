/**
 * Bearer token verification, done here rather than by the gateway (verify_jwt = false) so that both
 * kinds of Supabase signing keys work: the legacy HS256 secret and asymmetric ES256/RS256 keys
 * published as a JWKS.
 *
 * Configuration: SUPABASE_JWT_SECRET (or JWT_SECRET) for HS256; SUPABASE_JWKS (a JSON key set) or
 * else SUPABASE_URL's /auth/v1/.well-known/jwks.json (fetched once and cached) for ES256/RS256.
 */
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeProtectedHeader,
  type JWTPayload,
  jwtVerify,
  type JWTVerifyGetKey,
} from "jose";
import { ApiError } from "./errors.ts";

export type CallerRole = "authenticated" | "service_role";

/** Who is calling, from a verified token. `userId` is null only for service_role. */
export interface Caller {
  role: CallerRole;
  userId: string | null;
  claims: JWTPayload;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ASYMMETRIC_ALGORITHMS = ["ES256", "RS256"];

let hmacKey: Promise<CryptoKey | null> | undefined;
let keySet: JWTVerifyGetKey | null | undefined;

function hs256Key(): Promise<CryptoKey | null> {
  hmacKey ??= (async () => {
    const secret = Deno.env.get("SUPABASE_JWT_SECRET") ?? Deno.env.get("JWT_SECRET");
    if (!secret) return null;
    return await crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode(secret),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["verify"],
    );
  })();
  return hmacKey;
}

function publicKeys(): JWTVerifyGetKey | null {
  if (keySet === undefined) {
    const jwks = Deno.env.get("SUPABASE_JWKS");
    const projectUrl = Deno.env.get("SUPABASE_URL");
    if (jwks) keySet = createLocalJWKSet(JSON.parse(jwks));
    else if (projectUrl) keySet = createRemoteJWKSet(new URL("/auth/v1/.well-known/jwks.json", projectUrl));
    else keySet = null;
  }
  return keySet;
}

const unauthorized = (message: string) => new ApiError("unauthorized", message);

/**
 * Tokens already verified, until they expire. A client sends the same access token for its whole
 * lifetime (an hour by default), and a signature check is the costliest step of a small request.
 * The key is the whole token, so a changed byte is a different token, verified afresh.
 */
const verified = new Map<string, { caller: Caller; expiresAt: number }>();
const MAX_VERIFIED = 10_000;

export async function authenticate(request: Request): Promise<Caller> {
  const header = request.headers.get("authorization") ?? "";
  const token = header.match(/^Bearer\s+(\S+)$/i)?.[1];
  if (!token) throw unauthorized("an Authorization: Bearer <access token> header is required");

  const known = verified.get(token);
  if (known && known.expiresAt > Date.now()) return known.caller;
  verified.delete(token);
  const caller = await verify(token);
  if (verified.size >= MAX_VERIFIED) verified.delete(verified.keys().next().value!);
  verified.set(token, { caller, expiresAt: caller.claims.exp! * 1000 });
  return caller;
}

async function verify(token: string): Promise<Caller> {
  let algorithm: string | undefined;
  try {
    algorithm = decodeProtectedHeader(token).alg;
  } catch {
    throw unauthorized("the bearer token is not a JWT");
  }

  let payload: JWTPayload;
  try {
    if (algorithm === "HS256") {
      const key = await hs256Key();
      if (!key) throw unauthorized("HS256 tokens are not accepted: no JWT secret is configured");
      ({ payload } = await jwtVerify(token, key, { algorithms: ["HS256"], requiredClaims: ["exp"] }));
    } else if (algorithm && ASYMMETRIC_ALGORITHMS.includes(algorithm)) {
      const keys = publicKeys();
      if (!keys) throw unauthorized(`${algorithm} tokens are not accepted: no JWKS is configured`);
      ({ payload } = await jwtVerify(token, keys, {
        algorithms: ASYMMETRIC_ALGORITHMS,
        requiredClaims: ["exp"],
      }));
    } else {
      throw unauthorized(`tokens signed with ${algorithm ?? "no algorithm"} are not accepted`);
    }
  } catch (error) {
    if (error instanceof ApiError) throw error;
    throw unauthorized("the bearer token is invalid or expired");
  }

  if (payload.role === "service_role") return { role: "service_role", userId: null, claims: payload };
  if (payload.role !== "authenticated") throw unauthorized("the token does not belong to a signed-in user");
  if (typeof payload.sub !== "string" || !UUID.test(payload.sub)) {
    throw unauthorized("the token has no valid user id (sub)");
  }
  return { role: "authenticated", userId: payload.sub.toLowerCase(), claims: payload };
}
