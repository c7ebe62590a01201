/**
 * The HTTP contract on the hosted-like stack (stack.ts), every function deployed alone: a copy of
 * exactly its module graph in an empty directory, its index.ts run unchanged in a process of its
 * own with network and environment permissions only and nothing but a Supabase project's settings.
 * Each function answers a user (an ES256 token as Supabase Auth issues it), the service role (an
 * ES256 JWT without sub or aud, and a secret key in apikey as supabase-js sends it), and an error.
 * Users exist in auth.users, created there as Supabase Auth would; nothing registers them here.
 */
import assert from "node:assert/strict";
// @ts-types="npm:@types/pg@8.23.1"
import pg from "pg";
import { mintToken } from "../../../local/jwt.ts";
import { deployAlone, functionNames, type FunctionProcess } from "../deploy/module_graph.ts";
import { type HostedStack, hostedStack, newHostedUser, signingKey } from "./stack.ts";

const stack = hostedStack();

interface Credentials {
  authorization?: string;
  apikey?: string;
}

interface Call {
  method?: string;
  body?: unknown;
  query?: Record<string, string | number>;
}

/** The stack's callers and a way to call a deployed function as any of them. */
async function clients(stack: HostedStack, deployed: Record<string, FunctionProcess>) {
  const key = await signingKey(stack);
  const admin = new pg.Client({ connectionString: stack.adminUrl, ssl: { ca: stack.caCert } });
  await admin.connect();

  async function newUser(): Promise<{ id: string; credentials: Credentials }> {
    const { id, token } = await newHostedUser(stack, admin);
    return { id, credentials: { authorization: `Bearer ${token}` } };
  }
  const serviceToken = await mintToken({
    role: "service_role",
    signingKey: key,
    issuer: "supabase",
    expiresIn: "1h",
  });
  const keys = (name: string) => Object.values(JSON.parse(stack.functionEnv[name])) as string[];

  async function call(name: string, credentials: Credentials, request: Call = {}) {
    const url = new URL(`${deployed[name].url}/${name}`);
    for (const [key, value] of Object.entries(request.query ?? {})) url.searchParams.set(key, String(value));
    const response = await fetch(url, {
      method: request.method ?? (request.body === undefined ? "GET" : "POST"),
      headers: {
        ...credentials,
        ...(request.body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: request.body === undefined ? undefined : JSON.stringify(request.body),
    });
    // deno-lint-ignore no-explicit-any -- the body is checked field by field below
    return { status: response.status, body: response.status === 204 ? null : await response.json() as any };
  }

  /** Calls and asserts the status (and the error code, for an error). */
  async function expect(
    name: string,
    credentials: Credentials,
    request: Call,
    status: number,
    code?: string,
  ) {
    const reply = await call(name, credentials, request);
    assert.equal(reply.status, status, `${name}: ${JSON.stringify(reply.body)}`);
    if (code) assert.equal(reply.body.error.code, code, name);
    return reply.body;
  }

  return {
    newUser,
    call,
    expect,
    service: { authorization: `Bearer ${serviceToken}` },
    secret: { apikey: keys("SUPABASE_SECRET_KEYS")[0] },
    publishable: { apikey: keys("SUPABASE_PUBLISHABLE_KEYS")[0] },
    close: () => admin.end(),
  };
}

Deno.test({
  name: "every function, deployed alone on a hosted-like stack, keeps its HTTP contract",
  ignore: !stack,
  async fn(t) {
    const names = await functionNames();
    const deployed: Record<string, FunctionProcess> = Object.fromEntries(
      await Promise.all(names.map(async (name) => [name, await deployAlone(name, stack!.functionEnv)])),
    );
    const api = await clients(stack!, deployed);
    const { expect, service, secret } = api;
    try {
      const ana = await api.newUser();
      const ben = await api.newUser();
      const as = { ana: ana.credentials, ben: ben.credentials, service, secret };
      const conversation = async (messages: unknown[] = [{ role: "user", content: "Hello, hosted stack" }]) =>
        (await expect("start-conversation", as.ana, { body: { messages } }, 201)).conversation.id as string;
      const message = (content: string) => ({ role: "user", content });

      const contract: Record<string, () => Promise<void>> = {
        "start-conversation": async () => {
          await expect("start-conversation", as.ana, { body: {} }, 201);
          await expect("start-conversation", as.service, { body: { user_id: ana.id } }, 201);
          await expect("start-conversation", as.secret, { body: { user_id: ana.id } }, 201);
          await expect("start-conversation", as.service, { body: {} }, 400, "invalid_request");
          await expect("start-conversation", as.ana, { body: { user_id: ben.id } }, 403, "forbidden");
        },
        "append-message": async () => {
          const id = await conversation();
          for (const who of [as.ana, as.service, as.secret]) {
            await expect(
              "append-message",
              who,
              { body: { conversation_id: id, message: message("more") } },
              201,
            );
          }
          const stale = { conversation_id: id, message: message("late"), expected_last_sequence: 1 };
          await expect("append-message", as.ana, { body: stale }, 409, "sequence_conflict");
          await expect(
            "append-message",
            as.ben,
            { body: { conversation_id: id, message: message("x") } },
            404,
          );
        },
        "get-history": async () => {
          const id = await conversation();
          for (const who of [as.ana, as.service, as.secret]) {
            const page = await expect("get-history", who, {
              query: { conversation_id: id, format: "openai" },
            }, 200);
            assert.deepEqual(page.messages, [{ role: "user", content: "Hello, hosted stack" }]);
          }
          await expect("get-history", as.ben, { query: { conversation_id: id } }, 404, "not_found");
        },
        "list-conversations": async () => {
          const id = await conversation();
          const mine = await expect("list-conversations", as.ana, {}, 200);
          assert.ok(mine.conversations.some((listed: { id: string }) => listed.id === id));
          await expect("list-conversations", as.service, { query: { user_id: ana.id } }, 200);
          await expect("list-conversations", as.secret, { query: { user_id: ana.id } }, 200);
          await expect(
            "list-conversations",
            as.ana,
            { query: { cursor: "not a cursor" } },
            400,
            "invalid_request",
          );
          await expect("list-conversations", api.publishable, {}, 401, "unauthorized");
        },
        "update-conversation": async () => {
          const id = await conversation();
          for (const [step, who] of [as.ana, as.service, as.secret].entries()) {
            await expect(
              "update-conversation",
              who,
              { body: { conversation_id: id, metadata: { step } } },
              200,
            );
          }
          await expect("update-conversation", as.ben, { body: { conversation_id: id, metadata: {} } }, 404);
        },
        "delete-conversation": async () => {
          for (const who of [as.ana, as.service, as.secret]) {
            const id = await conversation();
            await expect("delete-conversation", who, { body: { conversation_id: id } }, 200);
            await expect("delete-conversation", who, { body: { conversation_id: id } }, 404, "not_found");
          }
        },
        "get-context": async () => {
          const id = await conversation();
          for (const who of [as.ana, as.service, as.secret]) {
            const context = await expect("get-context", who, {
              query: { conversation_id: id, max_tokens: 1000 },
            }, 200);
            assert.equal(context.messages.length, 1);
          }
          await expect("get-context", as.ana, { query: { conversation_id: id, max_tokens: 0 } }, 400);
        },
        "update-message": async () => {
          const id = await conversation();
          const reply = { role: "assistant", content: "", status: "in_progress" };
          const [{ sequence_order }] =
            (await expect("append-message", as.ana, { body: { conversation_id: id, message: reply } }, 201))
              .messages;
          const update = (fields: Record<string, unknown>) => ({
            body: { conversation_id: id, sequence_order, ...fields },
          });
          await expect("update-message", as.ana, update({ append_content: "Hel", content_offset: 0 }), 200);
          await expect(
            "update-message",
            as.service,
            update({ append_content: "lo", content_offset: 3 }),
            200,
          );
          const final = await expect("update-message", as.secret, update({ status: "completed" }), 200);
          assert.equal(final.message.content, "Hello");
          await expect("update-message", as.ana, update({ content: "Bye" }), 409, "message_final");
        },
        "fork-conversation": async () => {
          const id = await conversation();
          for (const who of [as.ana, as.service, as.secret]) {
            await expect(
              "fork-conversation",
              who,
              { body: { conversation_id: id, through_sequence: 1 } },
              201,
            );
          }
          await expect(
            "fork-conversation",
            as.ana,
            { body: { conversation_id: id, through_sequence: 5 } },
            422,
            "beyond_last_sequence",
          );
        },
        "delete-all-conversations": async () => {
          const [carol, dave, erin] = [await api.newUser(), await api.newUser(), await api.newUser()];
          await expect("delete-all-conversations", carol.credentials, { body: {} }, 200);
          await expect("delete-all-conversations", as.service, { body: { user_id: dave.id } }, 200);
          await expect("delete-all-conversations", as.secret, { body: { user_id: erin.id } }, 200);
          await expect("delete-all-conversations", carol.credentials, { body: { user_id: dave.id } }, 403);
        },
        "search-conversations": async () => {
          await conversation([message("Render the whale documentary in 4K")]);
          const found = await expect(
            "search-conversations",
            as.ana,
            { query: { q: "whale documentary" } },
            200,
          );
          assert.equal(found.results.length, 1);
          await expect("search-conversations", as.service, { query: { q: "whale", user_id: ana.id } }, 200);
          await expect("search-conversations", as.secret, { query: { q: "whale", user_id: ana.id } }, 200);
          await expect(
            "search-conversations",
            as.ana,
            { query: { q: "whale", user_id: ben.id } },
            403,
            "forbidden",
          );
        },
        "update-memory": async () => {
          const created = await expect(
            "update-memory",
            as.ana,
            { body: { key: "city", value: "Lyon" } },
            200,
          );
          const version = created.entry.version;
          await expect(
            "update-memory",
            as.ana,
            { body: { key: "city", value: "Oslo" } },
            409,
            "memory_conflict",
          );
          await expect(
            "update-memory",
            as.service,
            { body: { key: "city", value: "Paris", expected_version: version, user_id: ana.id } },
            200,
          );
          await expect(
            "update-memory",
            as.ana,
            { body: { key: "x", value: "y", user_id: ben.id } },
            403,
            "forbidden",
          );
        },
        "get-memory": async () => {
          await expect("update-memory", as.ben, { body: { key: "diet", value: "vegan" } }, 200);
          const own = await expect("get-memory", as.ben, {}, 200);
          assert.deepEqual(own.entries.map((entry: { key: string }) => entry.key), ["diet"]);
          await expect("get-memory", as.secret, { query: { user_id: ben.id } }, 200);
          await expect("get-memory", as.ana, { query: { user_id: ben.id } }, 403, "forbidden");
        },
        recall: async () => {
          await conversation([message("The lighthouse keeper's name is Odile")]);
          const found = await expect("recall", as.ana, { body: { query: "lighthouse keeper" } }, 200);
          assert.equal(found.mode, "full_text");
          assert.ok(found.passages.length >= 1);
          const none = await expect("recall", as.ben, { body: { query: "lighthouse keeper" } }, 200);
          assert.deepEqual(none.passages, []);
          await expect("recall", as.service, { body: { query: "lighthouse", user_id: ana.id } }, 200);
          await expect(
            "recall",
            as.ana,
            { body: { query: "lighthouse", user_id: ben.id } },
            403,
            "forbidden",
          );
        },
        "get-usage": async () => {
          const mine = await expect("get-usage", as.ana, {}, 200);
          assert.equal(mine.plan, "default");
          await expect("get-usage", as.service, { query: { user_id: ana.id } }, 200);
          await expect("get-usage", as.secret, { query: { days: 1 } }, 200);
          await expect("get-usage", as.ana, { query: { user_id: ben.id } }, 403, "forbidden");
        },
        "update-usage-limits": async () => {
          const limits = { requests_per_hour: 50, tokens_per_day: null };
          await expect("update-usage-limits", as.service, { body: { plan: "hosted", limits } }, 200);
          await expect("update-usage-limits", as.secret, { body: { user_id: ben.id, plan: "hosted" } }, 200);
          await expect(
            "update-usage-limits",
            as.ana,
            { body: { user_id: ana.id, plan: "hosted" } },
            403,
            "forbidden",
          );
          await expect(
            "update-usage-limits",
            as.service,
            { body: { plan: "hosted" } },
            400,
            "invalid_request",
          );
        },
        "share-conversation": async () => {
          const id = await conversation();
          const link = await expect("share-conversation", as.ana, { body: { conversation_id: id } }, 201);
          await expect("share-conversation", as.ben, { body: { conversation_id: id } }, 404, "not_found");
          await expect("share-conversation", as.service, { body: { conversation_id: id } }, 201);
          await expect("share-conversation", as.ana, { method: "DELETE", body: { token: link.token } }, 200);
          await expect("share-conversation", as.ana, { method: "DELETE", body: { token: link.token } }, 404);
        },
        "get-shared-conversation": async () => {
          const id = await conversation([message("Shared on the hosted stack")]);
          const link = await expect("share-conversation", as.ana, { body: { conversation_id: id } }, 201);
          const page = await expect("get-shared-conversation", {}, { query: { token: link.token } }, 200);
          assert.equal(page.messages.length, 1);
          await expect("get-shared-conversation", as.ben, { query: { token: link.token } }, 200);
          await expect("get-shared-conversation", {}, { query: { token: "A".repeat(43) } }, 404, "not_found");
        },
        "export-conversations": async () => {
          await conversation([message("Exported from the hosted stack")]);
          const page = await expect("export-conversations", as.ana, {}, 200);
          assert.equal(page.format, "conversation-store/export");
          assert.ok(page.conversations.length > 0);
          await expect("export-conversations", as.service, { query: { user_id: ana.id } }, 200);
          await expect("export-conversations", as.ana, { query: { user_id: ben.id } }, 403, "forbidden");
        },
        "import-conversations": async () => {
          const file = [{
            id: "hosted-import",
            title: "Imported",
            mapping: {
              root: { parent: null, children: ["u"], message: null },
              u: {
                parent: "root",
                children: [],
                message: { author: { role: "user" }, content: { parts: ["hi"] } },
              },
            },
            current_node: "u",
          }];
          const first = await expect("import-conversations", as.ben, { body: { file } }, 200);
          assert.deepEqual([first.done, first.imported[0].appended], [true, 1]);
          const again = await expect("import-conversations", as.ben, { body: { file } }, 200);
          assert.equal(again.imported[0].appended, 0);
          await expect(
            "import-conversations",
            as.ben,
            { body: { file: { not: "a file" } } },
            400,
            "invalid_request",
          );
          await expect("import-conversations", as.service, { body: { file } }, 403, "forbidden");
        },
        "rate-message": async () => {
          const id = await conversation([message("Hi"), { role: "assistant", content: "Hello" }]);
          const rate = (sequence_order: number, rating: string | null) => ({
            body: { conversation_id: id, sequence_order, rating },
          });
          assert.equal((await expect("rate-message", as.ana, rate(2, "up"), 200)).rating.rating, "up");
          await expect("rate-message", as.service, rate(2, null), 200);
          await expect("rate-message", as.ben, rate(2, "down"), 404, "not_found");
          await expect("rate-message", as.ana, rate(1, "down"), 422, "message_not_rateable");
          await expect(
            "rate-message",
            as.ana,
            { body: { conversation_id: id, rating: "up" } },
            400,
            "invalid_request",
          );
        },
        chat: async () => {
          // Deployed without CHAT_MODEL: the store side of chat answers, the model side says so.
          const id = await conversation();
          const sent = {
            id,
            messages: [{ id: crypto.randomUUID(), role: "user", parts: [{ type: "text", text: "Hi" }] }],
          };
          await expect("chat", as.ana, { body: sent }, 503, "model_not_configured");
          await expect("chat", as.ana, { query: { conversation_id: id } }, 204);
          // Another user's conversation answers as one without a reply in progress: no oracle.
          await expect("chat", as.ben, { query: { conversation_id: id } }, 204);
          await expect("chat", as.service, { body: sent }, 403, "forbidden");
          await expect("chat", as.ana, { body: { id, messages: [] } }, 400, "invalid_request");
        },
      };
      assert.deepEqual(Object.keys(contract).sort(), names, "every function has its contract here");
      for (const name of names) await t.step(name, contract[name]);
    } finally {
      await api.close();
      await Promise.all(Object.values(deployed).map((process) => process.stop()));
    }
    const logs = Object.values(deployed).flatMap((process) => process.output).join("");
    assert.ok(!logs.includes(new URL(stack!.poolerUrl).password), "no log line holds the database password");
  },
});
