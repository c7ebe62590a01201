/**
 * `deno task token <name>`: prints a token for local user <name> (registered on first use).
 * `deno task token --service-role`: prints a service_role token.
 */
import { mintToken, tokenForUser } from "./local_tokens.ts";

const [name] = Deno.args;
if (!name) {
  console.error("usage: deno task token <user name> | --service-role");
  Deno.exit(2);
}
const secret = Deno.env.get("SUPABASE_JWT_SECRET");
if (name === "--service-role") {
  console.log(await mintToken({ role: "service_role", secret }));
} else {
  const { userId, token } = await tokenForUser(name, secret);
  console.error(`user ${name}: ${userId}`);
  console.log(token);
}
