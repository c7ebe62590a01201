/** export-conversations and import-conversations over HTTP: the export format, ChatGPT's, idempotency, broken files. */
import assert from "node:assert/strict";
import * as api from "../../functions/_shared/schemas.ts";
import { MESSAGES_PER_CALL } from "../../functions/import-conversations/handler.ts";
import { call, newUser, pool, startConversation, test, type TestUser } from "./helpers.ts";

interface Node {
  id: string;
  parent: string | null;
  children: string[];
  message: {
    author: { role: string };
    content: { content_type: string; parts: unknown[] };
    metadata?: object;
  } | null;
}

/** A ChatGPT conversation from a list of [node id, parent id, role, text]; the root has no message. */
function chatgptConversation(
  id: string,
  title: string,
  nodes: Array<[string, string, string, string]>,
  current: string,
) {
  const mapping: Record<string, Node> = { root: { id: "root", parent: null, children: [], message: null } };
  for (const [nodeId, parent, role, text] of nodes) {
    mapping[nodeId] = {
      id: nodeId,
      parent,
      children: [],
      message: { author: { role }, content: { content_type: "text", parts: [text] } },
    };
    mapping[parent].children.push(nodeId);
  }
  return {
    id,
    conversation_id: id,
    title,
    create_time: 1_700_000_000,
    update_time: 1_700_000_100,
    mapping,
    current_node: current,
  };
}

async function importAll(user: TestUser, file: unknown) {
  const calls = [];
  let cursor: string | undefined;
  do {
    const reply = await call("import-conversations", {
      token: user.token,
      body: { file, ...(cursor ? { cursor } : {}) },
    });
    assert.equal(reply.status, 200, JSON.stringify(reply.body).slice(0, 500));
    const body = api.importConversationsResponse.parse(reply.body);
    calls.push(body);
    cursor = body.next_cursor ?? undefined;
  } while (cursor);
  return calls;
}

async function history(user: TestUser, id: string) {
  const reply = await call("get-history", { token: user.token, query: { conversation_id: id, limit: 1000 } });
  assert.equal(reply.status, 200);
  return reply.body;
}

async function countMessages(userId: string): Promise<number> {
  const { rows } = await pool.query(
    "select count(*)::int as n from public.conversation_messages where user_id = $1",
    [
      userId,
    ],
  );
  return rows[0].n;
}

test("a ChatGPT export becomes the shown branch as a conversation and every other branch as a fork of it", async () => {
  const alice = await newUser();
  const file = [chatgptConversation("cg-1", "Trip to Lisbon", [
    ["sys", "root", "system", ""],
    ["u1", "sys", "user", "Plan Lisbon"],
    ["a1", "u1", "assistant", "Day one: Alfama"],
    ["u2", "a1", "user", "Cheaper please"],
    ["a2", "u2", "assistant", "Take tram 28"],
    ["a2b", "u2", "assistant", "Walk everywhere"],
    ["u2c", "a1", "user", "More museums"],
    ["t1", "u2c", "tool", "browsing output"],
    ["a2c", "t1", "assistant", "Gulbenkian"],
  ], "a2")];
  const [result] = await importAll(alice, file);
  assert.deepEqual([result.total, result.done], [3, true]);
  const [main, ...forks] = result.imported;
  const shown = await history(alice, main.id);
  assert.equal(shown.conversation.title, "Trip to Lisbon");
  assert.deepEqual(
    shown.messages.map((m: api.Message) => [m.role, m.content, m.client_message_id]),
    [
      ["user", "Plan Lisbon", "chatgpt:u1"],
      ["assistant", "Day one: Alfama", "chatgpt:a1"],
      ["user", "Cheaper please", "chatgpt:u2"],
      ["assistant", "Take tram 28", "chatgpt:a2"],
    ],
    "the branch to current_node, without the empty system node",
  );
  const branches = await Promise.all(forks.map(({ id }) => history(alice, id)));
  assert.deepEqual(
    branches.map((
      b,
    ) => [
      b.conversation.forked_from_conversation_id,
      b.conversation.forked_from_sequence,
      b.messages.map((m: api.Message) => m.content),
    ]),
    [
      [main.id, 3, ["Plan Lisbon", "Day one: Alfama", "Cheaper please", "Walk everywhere"]],
      [main.id, 2, ["Plan Lisbon", "Day one: Alfama", "More museums", "Gulbenkian"]],
    ],
    "each other leaf is a fork through the messages it shares, without tool messages",
  );
});

test("a ChatGPT export of 5,000 messages goes in over several calls, and importing it again stores nothing new", async () => {
  const alice = await newUser();
  const file = Array.from({ length: 50 }, (_, c) => {
    const nodes: Array<[string, string, string, string]> = [];
    for (let n = 0; n < 100; n++) {
      nodes.push([
        `c${c}-n${n}`,
        n === 0 ? "root" : `c${c}-n${n - 1}`,
        n % 2 === 0 ? "user" : "assistant",
        `message ${n} of ${c}`,
      ]);
    }
    return chatgptConversation(`bulk-${c}`, `Bulk ${c}`, nodes, `c${c}-n99`);
  });
  const calls = await importAll(alice, file);
  assert.ok(calls.length >= 5000 / MESSAGES_PER_CALL, `${calls.length} calls`);
  assert.equal(calls.flatMap((c) => c.imported).length, 50);
  assert.equal(await countMessages(alice.id), 5000);
  const again = await importAll(alice, file);
  assert.deepEqual(
    again.flatMap((c) => c.imported).map(({ created, appended }) => [created, appended]),
    Array(50).fill([false, 0]),
  );
  assert.equal(await countMessages(alice.id), 5000, "nothing new");
});

test("broken files are a 4xx and store nothing", async () => {
  const alice = await newUser();
  const good = chatgptConversation("ok-1", "Fine", [["u1", "root", "user", "hello"]], "u1");
  const broken: Array<[unknown, number]> = [
    [{ hello: "world" }, 400],
    ["conversations", 400],
    [[], 400],
    [[{ title: "no mapping", id: "x" }], 400],
    [[{ ...good, id: undefined, conversation_id: undefined }], 400],
    [[good, { ...good, id: "ok-2", conversation_id: "ok-2", mapping: "not a tree" }], 400],
    [{ format: api.EXPORT_FORMAT, version: 99, conversations: [] }, 400],
    [[chatgptConversation("big", "Too long", [["u1", "root", "user", "x".repeat(100_001)]], "u1")], 413],
  ];
  for (const [file, status] of broken) {
    const reply = await call("import-conversations", { token: alice.token, body: { file } });
    assert.equal(reply.status, status, JSON.stringify(file).slice(0, 100));
  }
  const notJson = await call("import-conversations", {
    token: alice.token,
    rawBody: "[{",
    headers: { "content-type": "application/json" },
  });
  assert.equal(notJson.status, 400);
  const { rows } = await pool.query(
    "select count(*)::int as n from public.conversations where user_id = $1",
    [alice.id],
  );
  assert.equal(rows[0].n, 0);
});

test("an export imported into another account brings back messages, parts, labels and ratings", async () => {
  const alice = await newUser();
  const bob = await newUser();
  const id = await startConversation(alice, {
    messages: [
      { role: "user", content: "What is 2+2?", client_message_id: "q1" },
      {
        role: "assistant",
        parts: [{ type: "reasoning", text: "Add them" }, { type: "text", text: "4" }],
        metadata: { model: "m" },
      },
    ],
  });
  await call("update-conversation", {
    token: alice.token,
    body: { conversation_id: id, title: "Arithmetic", pinned: true, tags: ["math"] },
  });
  await call("rate-message", {
    token: alice.token,
    body: { conversation_id: id, sequence_order: 2, rating: "up", reason: "correct" },
  });
  await startConversation(alice, { messages: [{ role: "user", content: "second" }] });

  const pages: api.ExportPage[] = [];
  let cursor: string | undefined;
  do {
    const reply = await call("export-conversations", {
      token: alice.token,
      query: { max_messages: 1, ...(cursor ? { cursor } : {}) },
    });
    assert.equal(reply.status, 200);
    pages.push(api.exportPage.parse(reply.body));
    cursor = pages.at(-1)!.next_cursor ?? undefined;
  } while (cursor);
  assert.equal(pages.length, 3, "one message a page: the first conversation spans two pages");
  assert.deepEqual(pages.map((page) => page.conversations.map((c) => [c.first_sequence, c.complete])), [
    [[1, false]],
    [[2, true]],
    [[1, true]],
  ]);

  for (const page of pages) await importAll(bob, page);
  const listed = await call("list-conversations", { token: bob.token });
  assert.equal(listed.body.conversations.length, 2);
  const copy = listed.body.conversations.find((c: api.Conversation) => c.title === "Arithmetic");
  assert.deepEqual([copy.pinned, copy.tags, copy.user_id], [true, ["math"], bob.id]);
  const copied = await history(bob, copy.id);
  assert.deepEqual(
    copied.messages.map((m: api.Message) => [m.role, m.content, m.client_message_id]).slice(0, 1),
    [["user", "What is 2+2?", "q1"]],
  );
  assert.deepEqual(copied.messages[1].parts, [{ type: "reasoning", text: "Add them" }, {
    type: "text",
    text: "4",
  }]);
  assert.deepEqual(copied.messages[1].metadata, { model: "m" });
  assert.deepEqual(copied.ratings.map((r: api.Rating) => [r.sequence_order, r.rating, r.reason]), [[
    2,
    "up",
    "correct",
  ]]);
  for (const page of pages) {
    const again = await importAll(bob, page);
    assert.ok(again.flatMap((c) => c.imported).every((entry) => entry.appended === 0));
  }
  assert.equal(await countMessages(bob.id), 3);
});

test("export and import answer only their own caller", async () => {
  const alice = await newUser();
  const bob = await newUser();
  await startConversation(alice, { messages: [{ role: "user", content: "alice only" }] });
  const bobs = await call("export-conversations", { token: bob.token });
  assert.deepEqual(bobs.body.conversations, []);
  const named = await call("export-conversations", { token: bob.token, query: { user_id: alice.id } });
  assert.equal(named.status, 403);
  assert.equal(
    (await call("export-conversations", { token: alice.token, query: { cursor: "garbage" } })).status,
    400,
  );
  assert.equal((await call("export-conversations")).status, 401);
  assert.equal((await call("import-conversations", { body: { file: [] } })).status, 401);
});
