/**
 * Who is calling. Checked here rather than by the gateway (verify_jwt = false), so that every
 * credential a Supabase project hands out works:
 * - a user's access token from Supabase Auth, signed with the legacy HS256 secret or an ES256/RS256
 *   key published as a JWKS: `role` and `aud` "authenticated", `iss` `${SUPABASE_URL}/auth/v1`,
 *   `sub` the user's id;
 * - a service-role JWT, as Supabase issues it (the legacy service_role key: no `sub`, no `aud`);
 * - a secret API key (`sb_secret_…`, not a JWT), in `Authorization: Bearer` or, as supabase-js sends
 *   it, in `apikey`: the service role.
 * A publishable key (`sb_publishable_…`) names the project, not a caller: alone it is a 401.
 *
 * Configuration: SUPABASE_JWT_SECRET (or JWT_SECRET) for HS256; SUPABASE_JWKS (`{"keys": […]}` or
 * an array of keys) or else SUPABASE_URL's /auth/v1/.well-known/jwks.json for ES256/RS256;
 * SUPABASE_SECRET_KEYS and SUPABASE_PUBLISHABLE_KEYS (JSON objects of name → key).
 */
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeProtectedHeader,
  type JSONWebKeySet,
  type JWTPayload,
  jwtVerify,
  type JWTVerifyGetKey,
} from "jose";
import { ConfigurationError, namedKeys, setting } from "./config.ts";
import { ApiError } from "./errors.ts";

export type CallerRole = "authenticated" | "service_role" | "anon";

/**
 * Who is calling, from a verified credential. `userId` is null for service_role and for anon, the
 * caller of a function defined `anonymous` (get-shared-conversation), whatever it sent.
 */
export interface Caller {
  role: CallerRole;
  userId: string | null;
  claims: JWTPayload;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ASYMMETRIC_ALGORITHMS = ["ES256", "RS256"];
/** The audience Supabase Auth gives signed-in users' tokens. */
const USER_AUDIENCE = "authenticated";

let hmacKey: Promise<CryptoKey | null> | undefined;
let keySet: JWTVerifyGetKey | ConfigurationError | null | undefined;
let secretKeys: Promise<KeyDigests> | undefined;
let publishableKeys: Promise<KeyDigests> | undefined;

function hs256Key(): Promise<CryptoKey | null> {
  hmacKey ??= (async () => {
    const secret = setting("SUPABASE_JWT_SECRET") ?? setting("JWT_SECRET");
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

/** SUPABASE_JWKS in either shape Supabase's own libraries take: `{"keys": […]}` or a bare array of keys. */
export function parseJwks(text: string): JSONWebKeySet {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ConfigurationError("SUPABASE_JWKS is not JSON");
  }
  const keys = Array.isArray(parsed) ? parsed : (parsed as { keys?: unknown } | null)?.keys;
  const isKey = (key: unknown) => typeof (key as { kty?: unknown } | null)?.kty === "string";
  if (!Array.isArray(keys) || !keys.every(isKey)) {
    throw new ConfigurationError('SUPABASE_JWKS must be {"keys": [...]} or an array of JSON Web Keys');
  }
  return { keys };
}

function publicKeys(): JWTVerifyGetKey | null {
  if (keySet === undefined) {
    const jwks = setting("SUPABASE_JWKS");
    const projectUrl = setting("SUPABASE_URL");
    try {
      if (jwks) keySet = createLocalJWKSet(parseJwks(jwks));
      else if (projectUrl) keySet = createRemoteJWKSet(new URL("/auth/v1/.well-known/jwks.json", projectUrl));
      else keySet = null;
    } catch (error) {
      keySet = error instanceof ConfigurationError
        ? error
        : new ConfigurationError(`SUPABASE_JWKS or SUPABASE_URL cannot be used: ${(error as Error).message}`);
    }
  }
  if (keySet instanceof ConfigurationError) throw keySet;
  return keySet;
}

/** What Supabase Auth writes in `iss`; unchecked only where SUPABASE_URL is not set. */
function userTokenIssuer(): string | undefined {
  const projectUrl = setting("SUPABASE_URL");
  return projectUrl && `${projectUrl.replace(/\/+$/, "")}/auth/v1`;
}

const sha256 = async (text: string) =>
  new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));

/** A setting's keys as digests, or why they cannot be read: a value, since a cached rejected promise could go unhandled. */
type KeyDigests = Uint8Array[] | ConfigurationError;

async function keyDigests(name: string): Promise<KeyDigests> {
  try {
    return await Promise.all(namedKeys(name).map(sha256));
  } catch (error) {
    return error as ConfigurationError;
  }
}

/**
 * Whether `candidate` is one of `keys`, in constant time: digests have one length whatever the
 * key's, every byte of every key is compared, and nothing branches on where they differ.
 */
async function isOneOf(candidate: string, digests: Promise<KeyDigests>): Promise<boolean> {
  const keys = await digests;
  if (keys instanceof ConfigurationError) throw keys;
  const presented = await sha256(candidate);
  let matches = 0;
  for (const key of keys) {
    let difference = 0;
    for (let index = 0; index < key.length; index++) difference |= key[index] ^ presented[index];
    matches |= Number(difference === 0);
  }
  return matches === 1;
}

const unauthorized = (message: string) => new ApiError("unauthorized", message);

/** The service role, as a secret key acts (also what chat settles a reply's usage as). */
export const SECRET_KEY_CALLER: Caller = Object.freeze({
  role: "service_role",
  userId: null,
  claims: Object.freeze({ role: "service_role" }),
});

/** The caller of an anonymous function: PostgreSQL's anon role, no claims of a user. */
export const ANONYMOUS_CALLER: Caller = Object.freeze({
  role: "anon",
  userId: null,
  claims: Object.freeze({ role: "anon" }),
});

interface TokenCacheOptions {
  /** The estimated memory all entries may take together. */
  maxBytes: number;
  /** How long a verified token is trusted without a new check, at most (its `exp` may end it sooner). */
  maxAgeMs: number;
  /** Longer tokens are verified on every request rather than kept. */
  maxTokenLength: number;
  now?: () => number;
}

/**
 * Tokens already verified. A client sends the same access token for its whole lifetime (an hour by
 * default), and a signature check is the costliest step of a small request. The key is the whole
 * token, so a changed byte is a different token, verified afresh. Bounded in bytes, not entries, so
 * that large tokens cannot grow it; an entry lives a few minutes at most, so that a rotated signing
 * key or secret stops being honoured soon even for a token whose `exp` is years away.
 */
export class TokenCache {
  readonly #entries = new Map<string, { caller: Caller; expiresAt: number; bytes: number }>();
  #bytes = 0;
  readonly #now: () => number;

  constructor(readonly options: TokenCacheOptions) {
    this.#now = options.now ?? Date.now;
  }

  /** The estimated memory the entries take: the token, the claims decoded from it, the entry. */
  static entryBytes(token: string): number {
    return 3 * token.length + 256;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(token: string): Caller | undefined {
    const entry = this.#entries.get(token);
    if (!entry) return undefined;
    this.#remove(token);
    if (entry.expiresAt <= this.#now()) return undefined;
    this.#add(token, entry); // now the most recently used, the last to be evicted
    return entry.caller;
  }

  set(token: string, caller: Caller, expiresAt: number): void {
    if (token.length > this.options.maxTokenLength) return;
    this.#remove(token);
    const bytes = TokenCache.entryBytes(token);
    for (const oldest of this.#entries.keys()) {
      if (this.#bytes + bytes <= this.options.maxBytes) break;
      this.#remove(oldest);
    }
    this.#add(token, { caller, bytes, expiresAt: Math.min(expiresAt, this.#now() + this.options.maxAgeMs) });
  }

  #add(token: string, entry: { caller: Caller; expiresAt: number; bytes: number }): void {
    this.#entries.set(token, entry);
    this.#bytes += entry.bytes;
  }

  #remove(token: string): void {
    const entry = this.#entries.get(token);
    if (!entry) return;
    this.#entries.delete(token);
    this.#bytes -= entry.bytes;
  }
}

/** A few thousand ordinary tokens (about 1 KB each) per isolate; entries trusted for five minutes. */
export const verifiedTokens = new TokenCache({
  maxBytes: 8 * 1024 * 1024,
  maxAgeMs: 5 * 60 * 1000,
  maxTokenLength: 16 * 1024,
});

function isJwt(value: string): boolean {
  try {
    decodeProtectedHeader(value);
    return true;
  } catch {
    return false;
  }
}

/** `user_id` in a request names the user a call acts for, which only the service role may choose. */
export function refuseUserIdFromUsers(caller: Caller, userId: string | undefined): void {
  if (caller.role !== "service_role" && userId !== undefined) {
    throw new ApiError("forbidden", "user_id is only accepted with a service_role token");
  }
}

export async function authenticate(request: Request): Promise<Caller> {
  const bearer = request.headers.get("authorization")?.match(/^Bearer\s+(\S+)$/i)?.[1];
  if (bearer && isJwt(bearer)) {
    const known = verifiedTokens.get(bearer);
    if (known) return known;
    const caller = await verify(bearer);
    verifiedTokens.set(bearer, caller, caller.claims.exp! * 1000);
    return caller;
  }

  // Not a JWT: an API key, in the bearer or (as supabase-js sends sb_… keys) in apikey.
  const presented = [bearer, request.headers.get("apikey")?.trim()].filter((key): key is string => !!key);
  secretKeys ??= keyDigests("SUPABASE_SECRET_KEYS");
  for (const key of presented) {
    if (await isOneOf(key, secretKeys)) return SECRET_KEY_CALLER;
  }
  publishableKeys ??= keyDigests("SUPABASE_PUBLISHABLE_KEYS");
  for (const key of presented) {
    if (await isOneOf(key, publishableKeys)) {
      throw unauthorized("a publishable key names the project, not a caller: send a user's access token");
    }
  }
  if (bearer) throw unauthorized("the bearer token is neither a JWT nor a secret key of this project");
  throw unauthorized("an Authorization: Bearer <access token> header is required");
}

async function verify(token: string): Promise<Caller> {
  const algorithm = decodeProtectedHeader(token).alg;
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
    if (error instanceof ApiError || error instanceof ConfigurationError) throw error;
    throw unauthorized("the bearer token is invalid or expired");
  }

  if (payload.role === "service_role") return { role: "service_role", userId: null, claims: payload };
  if (payload.role !== "authenticated") throw unauthorized("the token does not belong to a signed-in user");
  if (![payload.aud].flat().includes(USER_AUDIENCE)) {
    throw unauthorized(`a user's token must have aud "${USER_AUDIENCE}"`);
  }
  const issuer = userTokenIssuer();
  if (issuer && payload.iss !== issuer) {
    throw unauthorized("the token was not issued by this project's Supabase Auth (iss)");
  }
  if (typeof payload.sub !== "string" || !UUID.test(payload.sub)) {
    throw unauthorized("the token has no valid user id (sub)");
  }
  return { role: "authenticated", userId: payload.sub.toLowerCase(), claims: payload };
}
