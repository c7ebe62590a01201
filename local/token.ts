/**
 * `deno task token <name>`: prints a token for local user <name> (registered on first use).
 * `deno task token --service-role`: prints a service_role token.
 * `deno task token --secret-key`: prints the local secret API key (the service role too).
 * Give it the SUPABASE_URL and SUPABASE_JWT_SECRET the server runs with, if any: tokens name the
 * project's Auth as their issuer and are signed with its secret.
 */
import { localSecretKey, mintToken, tokenForUser } from "./jwt.ts";

const [name] = Deno.args;
if (!name) {
  console.error("usage: deno task token <user name> | --service-role | --secret-key");
  Deno.exit(2);
}
const secret = Deno.env.get("SUPABASE_JWT_SECRET") || undefined;
if (name === "--service-role") {
  console.log(await mintToken({ role: "service_role", secret }));
} else if (name === "--secret-key") {
  console.log(await localSecretKey(secret));
} else {
  const { userId, token } = await tokenForUser(name, secret);
  console.error(`user ${name}: ${userId}`);
  console.log(token);
}
