/** A user's token must be one this project's Supabase Auth issued; service-role JWTs keep their own shape. */
import assert from "node:assert/strict";
import { SignJWT } from "jose";
import { LOCAL_JWT_SECRET, mintToken } from "../../../local/jwt.ts";
import { call, es256Token, newUser, startConversation, test } from "./helpers.ts";

const issuer = () => `${Deno.env.get("SUPABASE_URL")}/auth/v1`;

function hs256(claims: Record<string, unknown>) {
  return new SignJWT(claims).setProtectedHeader({ alg: "HS256", typ: "JWT" }).setExpirationTime("1h")
    .sign(new TextEncoder().encode(LOCAL_JWT_SECRET));
}

test("a user's token with Supabase Auth's iss and aud, in either signature, is accepted", async () => {
  for (
    const token of [
      await newUser().then((user) => user.token),
      await es256Token({
        sub: crypto.randomUUID(),
        role: "authenticated",
      }),
    ]
  ) {
    const reply = await call("list-conversations", { token });
    assert.equal(reply.status, 200);
  }
});

test("a user's token for another audience or from another issuer is a 401", async () => {
  const sub = crypto.randomUUID();
  const tokens: Record<string, string> = {
    "no aud": await hs256({ sub, role: "authenticated", iss: issuer() }),
    "aud anon": await hs256({ sub, role: "authenticated", iss: issuer(), aud: "anon" }),
    "aud of another service": await es256Token({ sub, role: "authenticated", aud: "storage" }),
    "no iss": await hs256({ sub, role: "authenticated", aud: "authenticated" }),
    "another project's iss": await es256Token({
      sub,
      role: "authenticated",
      iss: "https://another-project.supabase.co/auth/v1",
    }),
    "iss without /auth/v1": await hs256({
      sub,
      role: "authenticated",
      aud: "authenticated",
      iss: Deno.env.get("SUPABASE_URL"),
    }),
  };
  for (const [kind, token] of Object.entries(tokens)) {
    const reply = await call("list-conversations", { token });
    assert.equal(reply.status, 401, kind);
    assert.equal(reply.body.error.code, "unauthorized", kind);
  }
});

test("an aud list that includes authenticated is accepted", async () => {
  const token = await es256Token({
    sub: crypto.randomUUID(),
    role: "authenticated",
    aud: ["authenticated", "https://example.com"],
  });
  assert.equal((await call("list-conversations", { token })).status, 200);
});

test("service-role JWTs as Supabase issues them, with no sub and no aud, act on any conversation", async () => {
  const alice = await newUser();
  const id = await startConversation(alice);
  const legacyServiceKey = await hs256({
    iss: "supabase",
    ref: "abcdefghijklmnopqrst",
    role: "service_role",
  });
  const asymmetric = await es256Token({ role: "service_role" });
  const minted = await mintToken({ role: "service_role" });
  for (const token of [legacyServiceKey, asymmetric, minted]) {
    const reply = await call("get-history", { token, query: { conversation_id: id } });
    assert.equal(reply.status, 200);
  }
});
