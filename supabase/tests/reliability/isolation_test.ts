/**
 * Isolation: two users, anon, no token and service_role against every function, and a user going
 * straight at the database the way supabase-js does through the Data API. Nobody but the owner and
 * service_role reads, changes, appends to, or learns the existence of a conversation.
 */
import assert from "node:assert/strict";
import { SignJWT } from "jose";
import { LOCAL_JWT_SECRET } from "../../../scripts/local_tokens.ts";
import { call, newUser, pool, serviceRoleToken, startConversation, test } from "../functions/helpers.ts";

type Subject = "owner" | "other user" | "anon" | "no token" | "service_role";

/** What each subject gets from each operation on the owner's conversation. */
const EXPECTED: Record<string, Record<Subject, number>> = {
  "get-history": { owner: 200, "other user": 404, anon: 401, "no token": 401, service_role: 200 },
  "append-message": { owner: 201, "other user": 404, anon: 401, "no token": 401, service_role: 201 },
  "update-conversation": { owner: 200, "other user": 404, anon: 401, "no token": 401, service_role: 200 },
  "list-conversations": { owner: 200, "other user": 200, anon: 401, "no token": 401, service_role: 200 },
  "start-conversation (same id)": {
    owner: 200,
    "other user": 409,
    anon: 401,
    "no token": 401,
    service_role: 200,
  },
  "delete-conversation": { owner: 200, "other user": 404, anon: 401, "no token": 401, service_role: 200 },
};

async function ownerState(conversationId: string) {
  const { rows: [row] } = await pool.query(
    `select (select to_jsonb(c) from public.conversations c where c.id = $1) as conversation,
            (select count(*)::int from public.conversation_messages where conversation_id = $1) as messages`,
    [conversationId],
  );
  return row;
}

test("every function answers each kind of caller as documented, and only the owner's data changes", async () => {
  const owner = await newUser();
  const other = await newUser();
  const tokens: Record<Subject, string | undefined> = {
    owner: owner.token,
    "other user": other.token,
    anon: await new SignJWT({ role: "anon" }).setProtectedHeader({ alg: "HS256" }).setExpirationTime("1h")
      .sign(new TextEncoder().encode(LOCAL_JWT_SECRET)),
    "no token": undefined,
    service_role: await serviceRoleToken(),
  };

  for (const subject of Object.keys(tokens) as Subject[]) {
    const id = await startConversation(owner, {
      metadata: { owner: "secret" },
      messages: [{ role: "user", content: "mine" }],
    });
    const token = tokens[subject];
    const operations: Record<string, () => ReturnType<typeof call>> = {
      "get-history": () => call("get-history", { token, query: { conversation_id: id } }),
      "append-message": () =>
        call("append-message", {
          token,
          body: { conversation_id: id, message: { role: "assistant", content: "x" } },
        }),
      "update-conversation": () =>
        call("update-conversation", { token, body: { conversation_id: id, metadata: { x: 1 } } }),
      "list-conversations": () => call("list-conversations", { token }),
      "start-conversation (same id)": () =>
        call("start-conversation", {
          token,
          body: subject === "service_role" ? { id, user_id: owner.id } : { id },
        }),
      "delete-conversation": () => call("delete-conversation", { token, body: { conversation_id: id } }),
    };
    for (const [operation, run] of Object.entries(operations)) {
      const before = await ownerState(id);
      const reply = await run();
      assert.equal(reply.status, EXPECTED[operation][subject], `${subject} → ${operation}`);
      const text = JSON.stringify(reply.body);
      if (subject !== "owner" && subject !== "service_role") {
        assert.ok(
          !text.includes("secret") && !text.includes("mine"),
          `${subject} → ${operation} leaks nothing`,
        );
        assert.deepEqual(await ownerState(id), before, `${subject} → ${operation} changes nothing`);
      }
    }
  }
});

/** Runs `statement` as `user` the way PostgREST does, and rolls everything back. */
async function asUserDirectly(userId: string, statement: string) {
  const client = await pool.connect();
  try {
    await client.query("begin");
    await client.query(
      "select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)",
      [JSON.stringify({ sub: userId, role: "authenticated" })],
    );
    const result = await client.query(statement);
    return { rows: result.rows, rowCount: result.rowCount ?? 0, error: null as string | null };
  } catch (error) {
    return { rows: [], rowCount: 0, error: (error as { code?: string }).code ?? "unknown" };
  } finally {
    await client.query("rollback");
    client.release();
  }
}

test("through the Data API a user neither reads nor writes another user's rows", async () => {
  const owner = await newUser();
  const other = await newUser();
  const id = await startConversation(owner, {
    metadata: { owner: "secret" },
    messages: [{ role: "user", content: "mine" }],
  });
  await call("list-conversations", { token: other.token }); // registers the other user
  const attempts: Array<[string, "nothing" | string]> = [
    [`select * from public.conversations where id = '${id}'`, "nothing"],
    [`select * from public.conversation_messages where conversation_id = '${id}'`, "nothing"],
    [`select * from public.conversation_messages`, "nothing"],
    [`update public.conversations set metadata = '{"x":1}' where id = '${id}'`, "nothing"],
    [`delete from public.conversations where id = '${id}'`, "nothing"],
    [`update public.conversations set user_id = '${other.id}' where id = '${id}'`, "42501"],
    [`insert into public.conversations (id, user_id) values (gen_random_uuid(), '${owner.id}')`, "42501"],
    [`insert into public.conversations (id) values ('${id}')`, "23505"],
    [
      `insert into public.conversation_messages (conversation_id, user_id, sequence_order, role, content)
      values ('${id}', '${owner.id}', 2, 'user', 'forged')`,
      "42501",
    ],
    [`update public.conversation_messages set content = 'x' where conversation_id = '${id}'`, "42501"],
    [`delete from public.conversation_messages where conversation_id = '${id}'`, "42501"],
    [`select * from public.append_messages('${id}', '[{"role":"user","content":"x"}]')`, "PT404"],
    [`select * from public.update_conversation_metadata('${id}', '{"x":1}')`, "PT404"],
    [`select * from public.start_conversation(p_id => '${id}')`, "23505"],
    [`select * from public.start_conversation(p_user_id => '${owner.id}')`, "42501"],
  ];
  for (const [statement, expected] of attempts) {
    const result = await asUserDirectly(other.id, statement);
    if (expected === "nothing") {
      assert.equal(result.error, null, statement);
      assert.equal(result.rowCount, 0, `${statement} reaches nothing`);
    } else {
      assert.equal(result.error, expected, statement);
    }
  }
  const mine = await asUserDirectly(owner.id, `select content from public.conversation_messages`);
  assert.deepEqual(mine.rows, [{ content: "mine" }], "the owner still sees exactly their message");
});
