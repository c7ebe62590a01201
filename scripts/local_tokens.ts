/**
 * Tokens for the local server, signed with the local JWT secret the way Supabase Auth signs them.
 * Demo users get stable ids derived from their names, so a token minted tomorrow reaches the same data.
 */
import { SignJWT } from "jose";

/** Supabase's well-known JWT secret for local development (`supabase start` uses the same). */
export const LOCAL_JWT_SECRET = "super-secret-jwt-token-with-at-least-32-characters-long";

export async function userIdFor(name: string): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`local-user:${name}`)),
  );
  digest[6] = (digest[6] & 0x0f) | 0x50; // version 5-style, name-based
  digest[8] = (digest[8] & 0x3f) | 0x80; // RFC 4122 variant
  const hex = [...digest.slice(0, 16)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export interface TokenOptions {
  role: "authenticated" | "service_role";
  userId?: string;
  email?: string;
  expiresIn?: string;
  secret?: string;
}

export async function mintToken(options: TokenOptions): Promise<string> {
  const jwt = new SignJWT({
    role: options.role,
    aud: options.role,
    ...(options.email ? { email: options.email } : {}),
  })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuer("http://127.0.0.1:54321/auth/v1")
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? "7d");
  if (options.userId) jwt.setSubject(options.userId);
  return await jwt.sign(new TextEncoder().encode(options.secret ?? LOCAL_JWT_SECRET));
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
