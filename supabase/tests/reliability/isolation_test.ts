/**
 * Isolation: two users, anon, no token and service_role against every function, and a user going
 * straight at the database the way supabase-js does through the Data API (with an honest token, and
 * with a forged role claim). Nobody but the owner and service_role reads, changes, appends to,
 * forks, searches, erases, or learns the existence of a conversation.
 */
import assert from "node:assert/strict";
import { SignJWT } from "jose";
import { LOCAL_JWT_SECRET } from "../../../local/jwt.ts";
import {
  call,
  newUser,
  pool,
  type Reply,
  serviceRoleToken,
  startConversation,
  test,
  type TestUser,
} from "../functions/helpers.ts";
import { asUserDirectly } from "./checks.ts";

type Subject = "owner" | "other user" | "anon" | "no token" | "service_role";

/** Words only the owner's conversation holds: the leak check looks for them in every answer. */
const SECRET_WORDS = ["secret", "mine", "zanzibar"];

/** The owner's conversation as each operation finds it: one message, and for some a reply in progress. */
interface Target {
  id: string;
  owner: TestUser;
  /** The sequence number of the reply in progress, when the operation asked for one. */
  reply?: number;
}

interface Operation {
  /** What each subject gets. */
  expected: Record<Subject, number>;
  /** Whether the conversation holds a reply in progress after its first message. */
  withReply?: boolean;
  run(target: Target, token: string | undefined, subject: Subject): Promise<Reply>;
  /** More checks of a successful answer. */
  check?(reply: Reply, target: Target, subject: Subject): void;
}

const readers = { owner: 200, "other user": 404, anon: 401, "no token": 401, service_role: 200 };

const OPERATIONS: Record<string, Operation> = {
  "get-history": {
    expected: readers,
    run: ({ id }, token) => call("get-history", { token, query: { conversation_id: id } }),
  },
  "get-context": {
    expected: readers,
    run: ({ id }, token) => call("get-context", { token, query: { conversation_id: id, max_tokens: 1000 } }),
    check: (reply) => assert.match(JSON.stringify(reply.body.messages), /zanzibar/),
  },
  "append-message": {
    expected: { owner: 201, "other user": 404, anon: 401, "no token": 401, service_role: 201 },
    run: ({ id }, token) =>
      call("append-message", {
        token,
        body: { conversation_id: id, message: { role: "assistant", content: "x" } },
      }),
  },
  "update-conversation": {
    expected: readers,
    run: ({ id }, token) =>
      call("update-conversation", { token, body: { conversation_id: id, metadata: { x: 1 } } }),
  },
  "update-message (a delta)": {
    expected: readers,
    withReply: true,
    run: ({ id, reply }, token) =>
      call("update-message", {
        token,
        body: { conversation_id: id, sequence_order: reply, append_content: " more", content_offset: 12 },
      }),
  },
  "update-message (stop)": {
    expected: readers,
    withReply: true,
    run: ({ id, reply }, token) =>
      call("update-message", {
        token,
        body: { conversation_id: id, sequence_order: reply, status: "incomplete" },
      }),
  },
  "fork-conversation": {
    expected: { owner: 201, "other user": 404, anon: 401, "no token": 401, service_role: 201 },
    run: ({ id }, token) =>
      call("fork-conversation", { token, body: { conversation_id: id, through_sequence: 1 } }),
    check: (reply, { owner }) =>
      assert.equal(reply.body.conversation.user_id, owner.id, "a fork has the same owner"),
  },
  "update-conversation (labels)": {
    expected: readers,
    run: ({ id }, token) =>
      call("update-conversation", {
        token,
        body: { conversation_id: id, title: "taken", pinned: true, archived: true, tags: ["taken"] },
      }),
  },
  "share-conversation": {
    expected: { owner: 201, "other user": 404, anon: 401, "no token": 401, service_role: 201 },
    run: ({ id }, token) => call("share-conversation", { token, body: { conversation_id: id } }),
  },
  "export-conversations": {
    expected: { owner: 200, "other user": 200, anon: 401, "no token": 401, service_role: 200 },
    run: ({ owner }, token, subject) =>
      call("export-conversations", { token, query: subject === "service_role" ? { user_id: owner.id } : {} }),
    check: (reply, { id }, subject) =>
      assert.equal(
        reply.body.conversations.some((entry: { conversation: { id: string } }) =>
          entry.conversation.id === id
        ),
        subject === "owner" || subject === "service_role",
        "only the owner and the service role export the conversation",
      ),
  },
  "rate-message (a user message)": {
    expected: { owner: 422, "other user": 404, anon: 401, "no token": 401, service_role: 422 },
    run: ({ id }, token) =>
      call("rate-message", { token, body: { conversation_id: id, sequence_order: 1, rating: "down" } }),
  },
  "list-conversations": {
    expected: { owner: 200, "other user": 200, anon: 401, "no token": 401, service_role: 200 },
    run: (_, token) => call("list-conversations", { token }),
  },
  "search-conversations": {
    expected: { owner: 200, "other user": 200, anon: 401, "no token": 401, service_role: 200 },
    run: ({ owner }, token, subject) =>
      call("search-conversations", {
        token,
        query: { q: "zanzibar", ...(subject === "service_role" ? { user_id: owner.id } : {}) },
      }),
    check: (reply, { id }, subject) =>
      assert.equal(
        reply.body.results.some((result: { conversation: { id: string } }) => result.conversation.id === id),
        subject === "owner" || subject === "service_role",
        "only the owner and the service role find the conversation",
      ),
  },
  "start-conversation (same id)": {
    expected: { owner: 200, "other user": 409, anon: 401, "no token": 401, service_role: 200 },
    run: ({ id, owner }, token, subject) =>
      call("start-conversation", {
        token,
        body: subject === "service_role" ? { id, user_id: owner.id } : { id },
      }),
  },
  "delete-conversation": {
    expected: readers,
    run: ({ id }, token) => call("delete-conversation", { token, body: { conversation_id: id } }),
  },
  "delete-all-conversations": {
    expected: { owner: 200, "other user": 200, anon: 401, "no token": 401, service_role: 200 },
    run: ({ owner }, token, subject) =>
      call("delete-all-conversations", {
        token,
        body: subject === "service_role" ? { user_id: owner.id } : {},
      }),
    check: (reply, _, subject) =>
      assert.equal(
        reply.body.deleted_conversations > 0,
        subject !== "other user",
        "a user erases only their own",
      ),
  },
  "delete-all-conversations (naming the owner)": {
    expected: { owner: 403, "other user": 403, anon: 401, "no token": 401, service_role: 200 },
    run: ({ owner }, token) => call("delete-all-conversations", { token, body: { user_id: owner.id } }),
  },
};

/** Everything the owner has: their conversations and messages, as stored. */
async function ownerState(ownerId: string) {
  const { rows: [row] } = await pool.query(
    `select (select jsonb_agg(to_jsonb(c) order by c.id) from public.conversations c where c.user_id = $1) as conversations,
            (select jsonb_agg(to_jsonb(m) order by m.id) from public.conversation_messages m where m.user_id = $1) as messages`,
    [ownerId],
  );
  return row;
}

async function ownersConversation(owner: TestUser, withReply: boolean): Promise<Target> {
  const id = await startConversation(owner, {
    metadata: { owner: "secret" },
    messages: [
      { role: "user", content: "mine: the zanzibar plan" },
      ...(withReply ? [{ role: "assistant", content: "secret reply", status: "in_progress" }] : []),
    ],
  });
  return { id, owner, reply: withReply ? 2 : undefined };
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
    for (const [name, operation] of Object.entries(OPERATIONS)) {
      const target = await ownersConversation(owner, operation.withReply ?? false);
      const before = await ownerState(owner.id);
      const reply = await operation.run(target, tokens[subject], subject);
      assert.equal(
        reply.status,
        operation.expected[subject],
        `${subject} → ${name}: ${JSON.stringify(reply.body)}`,
      );
      if (reply.status < 300) operation.check?.(reply, target, subject);
      if (subject !== "owner" && subject !== "service_role") {
        const text = JSON.stringify(reply.body);
        assert.ok(!SECRET_WORDS.some((word) => text.includes(word)), `${subject} → ${name} leaks nothing`);
        assert.deepEqual(await ownerState(owner.id), before, `${subject} → ${name} changes nothing`);
      }
    }
  }
});

type Expectation = "nothing" | string | Record<string, unknown>[];

/** Runs each statement as `userId` and checks it reached nothing, failed with the SQLSTATE, or returned the rows. */
async function assertDirectly(
  userId: string,
  attempts: Array<[string, Expectation]>,
  claims?: Record<string, unknown>,
): Promise<void> {
  for (const [statement, expected] of attempts) {
    const result = await asUserDirectly(userId, statement, claims);
    if (expected === "nothing") {
      assert.equal(result.error, null, statement);
      assert.equal(result.rowCount, 0, `${statement} reaches nothing`);
    } else if (Array.isArray(expected)) {
      assert.equal(result.error, null, statement);
      assert.deepEqual(result.rows, expected, statement);
    } else {
      assert.equal(result.error, expected, statement);
    }
  }
}

test("through the Data API a user neither reads nor writes another user's rows", async () => {
  const owner = await newUser();
  const other = await newUser();
  const { id } = await ownersConversation(owner, true);
  const { rows: [reply] } = await pool.query(
    "select id from public.conversation_messages where conversation_id = $1 and sequence_order = 2",
    [id],
  );
  await call("list-conversations", { token: other.token }); // registers the other user
  await assertDirectly(other.id, [
    [`select * from public.conversations where id = '${id}'`, "nothing"],
    [`select * from public.conversation_messages where conversation_id = '${id}'`, "nothing"],
    [`select * from public.conversation_messages`, "nothing"],
    [`update public.conversations set metadata = '{"x":1}' where id = '${id}'`, "nothing"],
    [`delete from public.conversations where id = '${id}'`, "nothing"],
    [`update public.conversations set user_id = '${other.id}' where id = '${id}'`, "42501"],
    [`update public.conversations set summary = 'x' where id = '${id}'`, "42501"],
    [`update public.conversations set expires_at = null, deleted_at = null where id = '${id}'`, "42501"],
    [`update public.conversations set forked_from_conversation_id = null where id = '${id}'`, "42501"],
    [`insert into public.conversations (id, user_id) values (gen_random_uuid(), '${owner.id}')`, "42501"],
    [
      `insert into public.conversations (id, forked_from_conversation_id) values (gen_random_uuid(), '${id}')`,
      "42501",
    ],
    [`insert into public.conversations (id) values ('${id}')`, "23505"],
    [
      `insert into public.conversation_messages (conversation_id, user_id, sequence_order, role, content)
      values ('${id}', '${owner.id}', 3, 'user', 'forged')`,
      "42501",
    ],
    [`update public.conversation_messages set content = 'x' where conversation_id = '${id}'`, "42501"],
    [`update public.conversation_messages set status = 'completed' where conversation_id = '${id}'`, "42501"],
    [`delete from public.conversation_messages where conversation_id = '${id}'`, "42501"],
    [`select * from public.append_messages('${id}', '[{"role":"user","content":"x"}]')`, "PT404"],
    [`select * from public.update_conversation_metadata('${id}', '{"x":1}')`, "PT404"],
    [`select * from public.start_conversation(p_id => '${id}')`, "23505"],
    [`select * from public.start_conversation(p_user_id => '${owner.id}')`, "42501"],
    [`select public.get_context('${id}', 1000)`, "PT404"],
    [
      `select * from public.update_message('${id}', 2, p_append_content => 'x', p_content_offset => 12)`,
      "PT404",
    ],
    [`select * from public.update_message('${id}', 2, p_status => 'incomplete')`, "PT404"],
    [`select * from public.fork_conversation('${id}', 1)`, "PT404"],
    [`select * from public.set_conversation_summary('${id}', 'x', 1)`, "PT404"],
    [`select public.delete_conversation('${id}')`, "PT404"],
    [`select * from public.delete_all_conversations('${owner.id}')`, "42501"],
    [`select * from public.delete_all_conversations()`, [{
      deleted_conversations: 0,
      deleted_messages: "0",
      done: true,
    }]],
    [`select public.search_conversations('zanzibar') as page`, [{
      page: { results: [], has_more: false, next_cursor: null },
    }]],
    [`select public.search_conversations('zanzibar', p_user_id => '${owner.id}')`, "42501"],
    [`select public.purge_expired_conversations()`, "42501"],
    [`select conversation_store.set_exact_token_count('${reply.id}', 1) as changed`, [{ changed: false }]],
  ]);
  const mine = await asUserDirectly(
    owner.id,
    `select content from public.conversation_messages order by sequence_order`,
  );
  assert.deepEqual(
    mine.rows,
    [{ content: "mine: the zanzibar plan" }, { content: "secret reply" }],
    "the owner still sees exactly their messages",
  );
});

test("a role claim of service_role in a user's session reaches nobody else's rows", async () => {
  const owner = await newUser();
  const other = await newUser();
  const { id } = await ownersConversation(owner, true);
  await call("list-conversations", { token: other.token }); // registers the other user
  // The database role is authenticated, as for every Data API request of a user; only the claim lies.
  await assertDirectly(other.id, [
    [`select * from public.conversations where id = '${id}'`, "nothing"],
    [`select * from public.append_messages('${id}', '[{"role":"user","content":"x"}]')`, "PT404"],
    [`select * from public.update_message('${id}', 2, p_status => 'incomplete')`, "PT404"],
    [`select * from public.fork_conversation('${id}', 1)`, "PT404"],
    [`select public.get_context('${id}', 1000)`, "PT404"],
    [`select * from public.set_conversation_summary('${id}', 'x', 1)`, "PT404"],
    [`select public.delete_conversation('${id}')`, "PT404"],
    [`select * from public.delete_all_conversations('${owner.id}')`, "42501"],
    [`select public.search_conversations('zanzibar', p_user_id => '${owner.id}')`, "42501"],
    [`select * from public.start_conversation(p_user_id => '${owner.id}')`, "42501"],
    [`select public.purge_expired_conversations()`, "42501"],
  ], { sub: other.id, role: "service_role" });
});
