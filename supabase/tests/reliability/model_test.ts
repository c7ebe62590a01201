/**
 * Model-based testing with fast-check: random sequences of start / append (batches, retries,
 * expected-sequence checks) / get-history (random pages and orders) / update / list / delete by two
 * users, each checked against a plain in-memory model of what every user should see.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { call, newUser, type Reply, test, type TestUser } from "../functions/helpers.ts";

interface ModelMessage {
  content: string;
  key: string | null;
}

interface ModelConversation {
  id: string;
  owner: number;
  metadata: Record<string, unknown>;
  messages: ModelMessage[];
  deleted: boolean;
  /** The last keyed append request, to replay. */
  lastKeyedRequest?: { body: unknown; sequences: number[] };
}

interface Model {
  conversations: ModelConversation[];
}

interface Real {
  users: TestUser[];
  nextKey: () => string;
}

type Command = fc.AsyncCommand<Model, Real>;

function pick(model: Model, index: number): ModelConversation | undefined {
  return model.conversations.length === 0
    ? undefined
    : model.conversations[index % model.conversations.length];
}

const visibleTo = (conversation: ModelConversation, user: number) =>
  !conversation.deleted && conversation.owner === user;

class Start implements Command {
  constructor(
    readonly user: number,
    readonly firstMessages: number,
    readonly metadata: Record<string, number>,
  ) {}
  check = () => true;
  async run(model: Model, real: Real) {
    const messages = Array.from(
      { length: this.firstMessages },
      (_, n) => ({ role: "system", content: `first ${n}` }),
    );
    const reply = await call("start-conversation", {
      token: real.users[this.user].token,
      body: { metadata: this.metadata, ...(messages.length ? { messages } : {}) },
    });
    assert.equal(reply.status, 201);
    assert.deepEqual(
      reply.body.messages.map((m: { sequence_order: number }) => m.sequence_order),
      messages.map((_, n) => n + 1),
    );
    model.conversations.push({
      id: reply.body.conversation.id,
      owner: this.user,
      metadata: { ...this.metadata },
      messages: messages.map((message) => ({ content: message.content, key: null })),
      deleted: false,
    });
  }
  toString = () => `start(user ${this.user}, ${this.firstMessages} messages)`;
}

class Append implements Command {
  constructor(
    readonly user: number,
    readonly target: number,
    readonly size: number,
    readonly keyed: boolean,
    readonly replay: boolean,
    readonly expectation: "none" | "current" | "stale",
  ) {}
  check = (model: Model) => model.conversations.length > 0;
  async run(model: Model, real: Real) {
    const conversation = pick(model, this.target)!;
    const token = real.users[this.user].token;
    const visible = visibleTo(conversation, this.user);

    if (this.replay && visible && conversation.lastKeyedRequest) {
      const { body, sequences } = conversation.lastKeyedRequest;
      const reply = await call("append-message", { token, body });
      assert.equal(reply.status, 200, "a replay stores nothing");
      assert.deepEqual(
        reply.body.messages.map((m: { sequence_order: number }) => m.sequence_order),
        sequences,
      );
      return;
    }

    const batch = Array.from({ length: this.size }, () => {
      const key = this.keyed ? real.nextKey() : null;
      return {
        role: "user",
        content: `c-${crypto.randomUUID().slice(0, 8)}`,
        ...(key ? { client_message_id: key } : {}),
      };
    });
    const last = conversation.messages.length;
    const stale = this.expectation === "stale" && last > 0;
    const expected = this.expectation === "current" ? last : stale ? last - 1 : undefined;
    const body = { conversation_id: conversation.id, messages: batch, expected_last_sequence: expected };
    const reply = await call("append-message", { token, body });

    if (!visible) return assert.equal(reply.status, 404);
    if (stale) {
      assert.equal(reply.status, 409);
      return assert.deepEqual(reply.body.error.details, { last_sequence: last });
    }
    assert.equal(reply.status, 201);
    const sequences = batch.map((_, n) => last + n + 1);
    assert.deepEqual(reply.body.messages.map((m: { sequence_order: number }) => m.sequence_order), sequences);
    assert.equal(reply.body.conversation.last_sequence, last + batch.length);
    for (const message of batch) {
      conversation.messages.push({ content: message.content, key: message.client_message_id ?? null });
    }
    if (this.keyed) {
      conversation.lastKeyedRequest = { body: { ...body, expected_last_sequence: undefined }, sequences };
    }
  }
  toString = () =>
    `append(user ${this.user}, #${this.target}, ${this.size}, keyed ${this.keyed}, replay ${this.replay}, ${this.expectation})`;
}

class History implements Command {
  constructor(
    readonly user: number,
    readonly target: number,
    readonly order: "asc" | "desc",
    readonly limit: number,
  ) {}
  check = (model: Model) => model.conversations.length > 0;
  async run(model: Model, real: Real) {
    const conversation = pick(model, this.target)!;
    const token = real.users[this.user].token;
    const seen: string[] = [];
    let cursor: number | null = null;
    do {
      const query: Record<string, string | number> = {
        conversation_id: conversation.id,
        order: this.order,
        limit: this.limit,
      };
      if (cursor !== null) query[this.order === "asc" ? "after" : "before"] = cursor;
      const reply = await call("get-history", { token, query });
      if (!visibleTo(conversation, this.user)) return assert.equal(reply.status, 404);
      assert.equal(reply.status, 200);
      assert.ok(reply.body.messages.length <= this.limit);
      seen.push(...reply.body.messages.map((m: { content: string }) => m.content));
      cursor = reply.body.next_cursor;
    } while (cursor !== null);
    const expected = conversation.messages.map((message) => message.content);
    assert.deepEqual(seen, this.order === "asc" ? expected : expected.reverse());
  }
  toString = () => `history(user ${this.user}, #${this.target}, ${this.order}, limit ${this.limit})`;
}

class Update implements Command {
  constructor(
    readonly user: number,
    readonly target: number,
    readonly patch: Record<string, number | null>,
  ) {}
  check = (model: Model) => model.conversations.length > 0;
  async run(model: Model, real: Real) {
    const conversation = pick(model, this.target)!;
    const reply = await call("update-conversation", {
      token: real.users[this.user].token,
      body: { conversation_id: conversation.id, metadata: this.patch },
    });
    if (!visibleTo(conversation, this.user)) return assert.equal(reply.status, 404);
    assert.equal(reply.status, 200);
    for (const [key, value] of Object.entries(this.patch)) {
      if (value === null) delete conversation.metadata[key];
      else conversation.metadata[key] = value;
    }
    assert.deepEqual(reply.body.conversation.metadata, conversation.metadata);
  }
  toString = () => `update(user ${this.user}, #${this.target}, ${JSON.stringify(this.patch)})`;
}

class Delete implements Command {
  constructor(readonly user: number, readonly target: number) {}
  check = (model: Model) => model.conversations.length > 0;
  async run(model: Model, real: Real) {
    const conversation = pick(model, this.target)!;
    const reply = await call("delete-conversation", {
      token: real.users[this.user].token,
      body: { conversation_id: conversation.id },
    });
    if (!visibleTo(conversation, this.user)) return assert.equal(reply.status, 404);
    assert.equal(reply.status, 200);
    assert.equal(reply.body.deleted_messages, conversation.messages.length);
    conversation.deleted = true;
  }
  toString = () => `delete(user ${this.user}, #${this.target})`;
}

class List implements Command {
  constructor(readonly user: number, readonly limit: number) {}
  check = () => true;
  async run(model: Model, real: Real) {
    const seen: Array<{ id: string; updated_at: string }> = [];
    let cursor: string | null = null;
    do {
      const reply: Reply = await call("list-conversations", {
        token: real.users[this.user].token,
        query: { limit: this.limit, ...(cursor ? { cursor } : {}) },
      });
      assert.equal(reply.status, 200);
      seen.push(...reply.body.conversations);
      cursor = reply.body.next_cursor;
    } while (cursor);
    const expected = model.conversations.filter((c) => visibleTo(c, this.user)).map((c) => c.id).sort();
    assert.deepEqual(seen.map((c) => c.id).sort(), expected);
    for (let n = 1; n < seen.length; n++) {
      assert.ok(seen[n - 1].updated_at >= seen[n].updated_at, "newest first");
    }
  }
  toString = () => `list(user ${this.user}, limit ${this.limit})`;
}

const user = fc.integer({ min: 0, max: 1 });
const target = fc.nat(20);
const commands = [
  fc.tuple(user, fc.integer({ min: 0, max: 3 }), fc.dictionary(fc.constantFrom("a", "b", "c"), fc.integer()))
    .map(([u, n, metadata]) => new Start(u, n, metadata)),
  fc.tuple(
    user,
    target,
    fc.integer({ min: 1, max: 4 }),
    fc.boolean(),
    fc.boolean(),
    fc.constantFrom("none", "current", "stale"),
  )
    .map(([u, t, size, keyed, replay, expectation]) =>
      new Append(u, t, size, keyed, replay, expectation as "none" | "current" | "stale")
    ),
  fc.tuple(user, target, fc.constantFrom("asc", "desc"), fc.integer({ min: 1, max: 4 }))
    .map(([u, t, order, limit]) => new History(u, t, order as "asc" | "desc", limit)),
  fc.tuple(
    user,
    target,
    fc.dictionary(fc.constantFrom("a", "b", "c", "d"), fc.option(fc.integer(), { nil: null })),
  )
    .map(([u, t, patch]) => new Update(u, t, patch)),
  fc.tuple(user, target).map(([u, t]) => new Delete(u, t)),
  fc.tuple(user, fc.integer({ min: 1, max: 3 })).map(([u, limit]) => new List(u, limit)),
];

test("random sequences of calls by two users always match the model", async () => {
  let keys = 0;
  await fc.assert(
    fc.asyncProperty(fc.commands(commands, { maxCommands: 40, size: "max" }), async (sequence) => {
      const real: Real = { users: [await newUser(), await newUser()], nextKey: () => `key-${keys++}` };
      await fc.asyncModelRun(() => ({ model: { conversations: [] }, real }), sequence);
    }),
    { numRuns: 20, seed: Number(Deno.env.get("MODEL_SEED") ?? Date.now() % 2 ** 31) },
  );
});
