/**
 * Model-based testing with fast-check: random sequences of calls by two users and the service role,
 * each checked against a plain in-memory model of what every caller should see:
 * - start / append (batches, retries, expected-sequence checks) / get-history (random pages and
 *   orders) / update / list / delete;
 * - replies: start one in progress, deltas at offsets counted in code points (next, retried, at a
 *   wrong offset, or replacing the text), finish or stop, a writer gone quiet (its updated_at
 *   moved back in SQL) taken over by the next append;
 * - forks: through a random sequence (or beyond the last, or through a reply in progress), replayed
 *   with the same id, listed by source; each fork then evolves on its own.
 * MODEL_SEED replays a run.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { call, newUser, type Reply, serviceRoleToken, test, type TestUser } from "../functions/helpers.ts";
import { backdateReply } from "./checks.ts";

type Status = "in_progress" | "completed" | "incomplete";

interface ModelMessage {
  role: "system" | "user" | "assistant";
  content: string | null;
  key: string | null;
  status: Status;
  /** Whether it carries tool_calls (then its content may be null once final). */
  calls: boolean;
}

interface ModelConversation {
  id: string;
  owner: number;
  metadata: Record<string, unknown>;
  messages: ModelMessage[];
  deleted: boolean;
  forkedFrom: string | null;
  forkedFromSequence: number | null;
  /** The last keyed append request, to replay. */
  lastKeyedRequest?: { body: unknown; sequences: number[] };
  /** The last fork request made with an id, to replay. */
  lastFork?: { body: Record<string, unknown>; id: string };
  /** The deltas sent to the reply in progress, to retry. */
  deltas: Array<{ offset: number; text: string }>;
  /** Whether the reply in progress has been silent for longer than the stale limit. */
  replyStale: boolean;
}

interface Model {
  conversations: ModelConversation[];
}

/** Callers: 0 and 1 are users, 2 is the service role. */
const SERVICE_ROLE = 2;

/** Who makes a call on a conversation, resolved against its owner when the call runs. */
type Who = "owner" | "other user" | "service_role";
const callerFor = (who: Who, conversation: ModelConversation) =>
  who === "service_role" ? SERVICE_ROLE : who === "owner" ? conversation.owner : 1 - conversation.owner;

interface Real {
  users: TestUser[];
  serviceToken: string;
  nextKey: () => string;
}

type Command = fc.AsyncCommand<Model, Real>;

const tokenOf = (real: Real, caller: number) =>
  caller === SERVICE_ROLE ? real.serviceToken : real.users[caller].token;

/** A conversation of the model: mostly a live one, when there is one. */
function pick(model: Model, index: number): ModelConversation | undefined {
  const live = model.conversations.filter((conversation) => !conversation.deleted);
  const among = index % 10 !== 0 && live.length > 0 ? live : model.conversations;
  return among.length === 0 ? undefined : among[index % among.length];
}

const reaches = (conversation: ModelConversation, caller: number) =>
  !conversation.deleted && (caller === SERVICE_ROLE || conversation.owner === caller);

/** The sequence number of the conversation's reply in progress, or 0. */
const replyInProgress = (conversation: ModelConversation) =>
  conversation.messages.findIndex((message) => message.status === "in_progress") + 1;

/** A conversation whose reply is in progress three times out of four, when there is one. */
function pickReply(model: Model, index: number): ModelConversation | undefined {
  const replying = model.conversations.filter((conversation) =>
    !conversation.deleted && replyInProgress(conversation)
  );
  return index % 4 !== 0 && replying.length > 0 ? replying[index % replying.length] : pick(model, index);
}

const codePoints = (text: string | null) => [...(text ?? "")].length;

/** What a reply in progress becomes when the next append takes it over: incomplete, with what it has. */
function takeOver(message: ModelMessage): ModelMessage {
  return {
    ...message,
    status: "incomplete",
    content: message.calls ? message.content : message.content ?? "",
  };
}

function mergePatch(
  target: Record<string, unknown>,
  patch: Record<string, unknown>,
): Record<string, unknown> {
  const merged = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete merged[key];
    else merged[key] = value;
  }
  return merged;
}

const sequencesOf = (reply: Reply) =>
  reply.body.messages.map((m: { sequence_order: number }) => m.sequence_order);
const shapeOf = (message: { role: string; content: string | null; status: string }) => ({
  role: message.role,
  content: message.content,
  status: message.status,
});

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
      (_, n) => ({ role: "system" as const, content: `first ${n}` }),
    );
    const reply = await call("start-conversation", {
      token: real.users[this.user].token,
      body: { metadata: this.metadata, ...(messages.length ? { messages } : {}) },
    });
    assert.equal(reply.status, 201);
    assert.deepEqual(sequencesOf(reply), messages.map((_, n) => n + 1));
    model.conversations.push({
      id: reply.body.conversation.id,
      owner: this.user,
      metadata: { ...this.metadata },
      messages: messages.map((message) => ({ ...message, key: null, status: "completed", calls: false })),
      deleted: false,
      forkedFrom: null,
      forkedFromSequence: null,
      deltas: [],
      replyStale: false,
    });
  }
  toString = () => `start(user ${this.user}, ${this.firstMessages} messages)`;
}

class Append implements Command {
  constructor(
    readonly who: Who,
    readonly target: number,
    readonly size: number,
    readonly keyed: boolean,
    readonly replay: boolean,
    readonly expectation: "none" | "current" | "stale",
    /** Ends the batch with an assistant reply in progress holding this text (or none). */
    readonly startsReply: { content: string | null } | null,
  ) {}
  check = (model: Model) => model.conversations.length > 0;
  async run(model: Model, real: Real) {
    // Half of the appends go to a conversation with a reply in progress, when there is one.
    const conversation = (this.target % 2 ? pick : pickReply)(model, this.target)!;
    const caller = callerFor(this.who, conversation);
    const token = tokenOf(real, caller);
    const reachable = reaches(conversation, caller);

    if (this.replay && reachable && conversation.lastKeyedRequest) {
      const { body, sequences } = conversation.lastKeyedRequest;
      const reply = await call("append-message", { token, body });
      assert.equal(reply.status, 200, "a replay stores nothing, whatever the conversation holds now");
      assert.deepEqual(sequencesOf(reply), sequences);
      assert.deepEqual(
        reply.body.messages.map(shapeOf),
        sequences.map((sequence) => shapeOf(conversation.messages[sequence - 1])),
        "a replay returns the rows as they are now",
      );
      return;
    }

    const batch: Array<Record<string, unknown>> = Array.from({ length: this.size }, () => ({
      role: "user",
      content: `c-${crypto.randomUUID().slice(0, 8)}`,
    }));
    if (this.startsReply) batch.push({ role: "assistant", status: "in_progress", ...this.startsReply });
    if (this.keyed) {
      for (const message of batch) message.client_message_id = real.nextKey();
    }
    const last = conversation.messages.length;
    const stale = this.expectation === "stale" && last > 0;
    const expected = this.expectation === "current" ? last : stale ? last - 1 : undefined;
    const body = { conversation_id: conversation.id, messages: batch, expected_last_sequence: expected };
    const reply = await call("append-message", { token, body });

    if (!reachable) return assert.equal(reply.status, 404);
    const inProgress = replyInProgress(conversation);
    if (inProgress && !conversation.replyStale) {
      assert.equal(reply.status, 409, "one reply at a time");
      assert.equal(reply.body.error.code, "reply_in_progress");
      return assert.deepEqual(reply.body.error.details, { sequence_order: inProgress });
    }
    if (stale) {
      // Refused as a whole: a stale reply stays as it was, to be taken over by a later append.
      assert.equal(reply.status, 409);
      assert.equal(reply.body.error.code, "sequence_conflict");
      return assert.deepEqual(reply.body.error.details, { last_sequence: last });
    }
    assert.equal(reply.status, 201, JSON.stringify(reply.body));
    if (inProgress) {
      conversation.messages[inProgress - 1] = takeOver(conversation.messages[inProgress - 1]);
      conversation.deltas = [];
      conversation.replyStale = false;
      const taken = await call("get-history", {
        token,
        query: { conversation_id: conversation.id, after: inProgress - 1, limit: 1 },
      });
      assert.deepEqual(
        shapeOf(taken.body.messages[0]),
        shapeOf(conversation.messages[inProgress - 1]),
        "the append took the quiet reply over",
      );
    }
    const sequences = batch.map((_, n) => last + n + 1);
    assert.deepEqual(sequencesOf(reply), sequences);
    assert.equal(reply.body.conversation.last_sequence, last + batch.length);
    for (const message of batch) {
      conversation.messages.push({
        role: message.role as ModelMessage["role"],
        content: (message.content ?? null) as string | null,
        key: (message.client_message_id ?? null) as string | null,
        status: (message.status ?? "completed") as Status,
        calls: false,
      });
    }
    assert.deepEqual(reply.body.messages.map(shapeOf), conversation.messages.slice(last).map(shapeOf));
    if (this.keyed) {
      conversation.lastKeyedRequest = { body: { ...body, expected_last_sequence: undefined }, sequences };
    }
  }
  toString = () =>
    `append(${this.who}, #${this.target}, ${this.size}, keyed ${this.keyed}, replay ${this.replay}, ${this.expectation}, reply ${
      JSON.stringify(this.startsReply)
    })`;
}

/** The message update-message is aimed at: the reply in progress, else the last message (final). */
const replyTarget = (conversation: ModelConversation) =>
  replyInProgress(conversation) || conversation.messages.length;

/**
 * Checks the answers every update-message gets before its own rules apply, and returns the
 * message it may change (undefined when the answer was one of those).
 */
function assertReachesReply(
  conversation: ModelConversation,
  caller: number,
  sequence: number,
  reply: Reply,
): ModelMessage | undefined {
  if (!reaches(conversation, caller) || sequence === 0) {
    assert.equal(reply.status, 404, JSON.stringify(reply.body));
    return undefined;
  }
  const message = conversation.messages[sequence - 1];
  if (message.status !== "in_progress") {
    assert.equal(reply.status, 409, JSON.stringify(reply.body));
    assert.equal(reply.body.error.code, "message_final", "a final message never changes again");
    return undefined;
  }
  return message;
}

class Delta implements Command {
  constructor(
    readonly who: Who,
    readonly target: number,
    readonly kind: "next" | "retry" | "wrong offset" | "replace",
    readonly text: string,
    readonly choice: number,
  ) {}
  check = (model: Model) => model.conversations.length > 0;
  async run(model: Model, real: Real) {
    const conversation = pickReply(model, this.target)!;
    const caller = callerFor(this.who, conversation);
    const sequence = replyTarget(conversation);
    const stored = conversation.messages[sequence - 1]?.content ?? null;
    const length = codePoints(stored);
    const sent = conversation.deltas;
    // A retry sends again the last delta, or an older one (which the stored text has outgrown).
    const delta = this.kind === "retry" && sent.length > 0
      ? sent[Math.max(0, sent.length - 1 - this.choice)]
      : { offset: this.kind === "wrong offset" ? length + 1 + this.choice % 3 : length, text: this.text };
    const change = this.kind === "replace"
      ? { content: this.text }
      : { append_content: delta.text, content_offset: delta.offset };
    const reply = await call("update-message", {
      token: tokenOf(real, caller),
      body: { conversation_id: conversation.id, sequence_order: Math.max(sequence, 1), ...change },
    });
    const message = assertReachesReply(conversation, caller, sequence, reply);
    if (!message) return;

    let content: string;
    let signOfLife = true;
    if (this.kind === "replace") {
      content = this.text;
    } else if (length === delta.offset) {
      content = (stored ?? "") + delta.text;
      sent.push(delta);
    } else if (length === delta.offset + codePoints(delta.text) && (stored ?? "").endsWith(delta.text)) {
      content = stored!; // a retry: stored once, and the reply stays exactly as it was
      signOfLife = false;
    } else {
      assert.equal(reply.status, 409, JSON.stringify(reply.body));
      assert.equal(reply.body.error.code, "content_offset_mismatch");
      return assert.deepEqual(reply.body.error.details, { content_length: length });
    }
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    message.content = content;
    if (signOfLife) conversation.replyStale = false;
    assert.deepEqual(shapeOf(reply.body.message), shapeOf(message));
  }
  toString = () =>
    `delta(${this.who}, #${this.target}, ${this.kind}, ${JSON.stringify(this.text)}, ${this.choice})`;
}

class Finish implements Command {
  constructor(
    readonly who: Who,
    readonly target: number,
    readonly status: "completed" | "incomplete",
    readonly withCalls: boolean,
  ) {}
  check = (model: Model) => model.conversations.length > 0;
  async run(model: Model, real: Real) {
    const conversation = pickReply(model, this.target)!;
    const caller = callerFor(this.who, conversation);
    const sequence = replyTarget(conversation);
    const calls = [{ id: "call_1", type: "function", function: { name: "lookup", arguments: "{}" } }];
    const reply = await call("update-message", {
      token: tokenOf(real, caller),
      body: {
        conversation_id: conversation.id,
        sequence_order: Math.max(sequence, 1),
        status: this.status,
        ...(this.withCalls ? { tool_calls: calls } : {}),
      },
    });
    const message = assertReachesReply(conversation, caller, sequence, reply);
    if (!message) return;
    if (message.content === null && !this.withCalls && !message.calls) {
      if (this.status === "completed") {
        // A completed message obeys the ordinary rules: text, or calls.
        assert.equal(reply.status, 400, JSON.stringify(reply.body));
        return assert.equal(reply.body.error.code, "invalid_request");
      }
      message.content = ""; // stopped before its first delta: final, with empty text
    }
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    message.status = this.status;
    message.calls ||= this.withCalls;
    conversation.deltas = [];
    conversation.replyStale = false;
    assert.deepEqual(shapeOf(reply.body.message), shapeOf(message));
  }
  toString = () => `finish(${this.who}, #${this.target}, ${this.status}, calls ${this.withCalls})`;
}

/** The writer of the reply goes quiet: its updated_at is moved back past the stale limit. */
class WriterGoesQuiet implements Command {
  constructor(readonly target: number) {}
  check = (model: Model) => model.conversations.length > 0;
  async run(model: Model) {
    const conversation = pickReply(model, this.target)!;
    const sequence = replyInProgress(conversation);
    if (conversation.deleted || !sequence) return;
    await backdateReply(conversation.id, sequence);
    conversation.replyStale = true;
  }
  toString = () => `writer goes quiet(#${this.target})`;
}

class History implements Command {
  constructor(
    readonly who: Who,
    readonly target: number,
    readonly order: "asc" | "desc",
    readonly limit: number,
  ) {}
  check = (model: Model) => model.conversations.length > 0;
  async run(model: Model, real: Real) {
    const conversation = pick(model, this.target)!;
    const caller = callerFor(this.who, conversation);
    const seen: Array<ReturnType<typeof shapeOf>> = [];
    let cursor: number | null = null;
    do {
      const query: Record<string, string | number> = {
        conversation_id: conversation.id,
        order: this.order,
        limit: this.limit,
      };
      if (cursor !== null) query[this.order === "asc" ? "after" : "before"] = cursor;
      const reply = await call("get-history", { token: tokenOf(real, caller), query });
      if (!reaches(conversation, caller)) return assert.equal(reply.status, 404);
      assert.equal(reply.status, 200);
      assert.ok(reply.body.messages.length <= this.limit);
      seen.push(...reply.body.messages.map(shapeOf));
      cursor = reply.body.next_cursor;
    } while (cursor !== null);
    const expected = conversation.messages.map(shapeOf);
    assert.deepEqual(seen, this.order === "asc" ? expected : expected.reverse());
  }
  toString = () => `history(${this.who}, #${this.target}, ${this.order}, limit ${this.limit})`;
}

class Update implements Command {
  constructor(
    readonly who: Who,
    readonly target: number,
    readonly patch: Record<string, number | null>,
  ) {}
  check = (model: Model) => model.conversations.length > 0;
  async run(model: Model, real: Real) {
    const conversation = pick(model, this.target)!;
    const caller = callerFor(this.who, conversation);
    const reply = await call("update-conversation", {
      token: tokenOf(real, caller),
      body: { conversation_id: conversation.id, metadata: this.patch },
    });
    if (!reaches(conversation, caller)) return assert.equal(reply.status, 404);
    assert.equal(reply.status, 200);
    conversation.metadata = mergePatch(conversation.metadata, this.patch);
    assert.deepEqual(reply.body.conversation.metadata, conversation.metadata);
  }
  toString = () => `update(${this.who}, #${this.target}, ${JSON.stringify(this.patch)})`;
}

class Fork implements Command {
  constructor(
    readonly who: Who,
    readonly target: number,
    readonly through: number | "beyond the last",
    readonly patch: Record<string, number | null>,
    readonly withId: boolean,
  ) {}
  check = (model: Model) => model.conversations.length > 0;
  async run(model: Model, real: Real) {
    const source = pick(model, this.target)!;
    const caller = callerFor(this.who, source);
    const last = source.messages.length;
    const through = this.through === "beyond the last" || last === 0 ? last + 1 : 1 + this.through % last;
    const id = this.withId ? crypto.randomUUID() : undefined;
    const body = { conversation_id: source.id, through_sequence: through, metadata: this.patch, id };
    const reply = await call("fork-conversation", { token: tokenOf(real, caller), body });
    if (!reaches(source, caller)) return assert.equal(reply.status, 404);
    if (through > last) {
      assert.equal(reply.status, 422, JSON.stringify(reply.body));
      assert.equal(reply.body.error.code, "beyond_last_sequence");
      return assert.deepEqual(reply.body.error.details, { last_sequence: last });
    }
    const inProgress = replyInProgress(source);
    if (inProgress && inProgress <= through) {
      assert.equal(reply.status, 409, JSON.stringify(reply.body));
      assert.equal(reply.body.error.code, "reply_in_progress");
      return assert.deepEqual(reply.body.error.details, { sequence_order: inProgress });
    }
    assert.equal(reply.status, 201, JSON.stringify(reply.body));
    if (id) source.lastFork = { body, id };
    assertIsForkOf(reply, forkOf(model, source, reply.body.conversation.id, through, this.patch));
  }
  toString = () =>
    `fork(${this.who}, #${this.target}, through ${this.through}, ${
      JSON.stringify(this.patch)
    }, id ${this.withId})`;
}

/** Adds to the model a fork of `source` through `through`, as the database makes one. */
function forkOf(
  model: Model,
  source: ModelConversation,
  id: string,
  through: number,
  patch: Record<string, number | null>,
): ModelConversation {
  const fork: ModelConversation = {
    id,
    owner: source.owner,
    metadata: mergePatch(source.metadata, patch),
    messages: source.messages.slice(0, through).map((message) => ({ ...message })),
    deleted: false,
    forkedFrom: source.id,
    forkedFromSequence: through,
    deltas: [],
    replyStale: false,
  };
  model.conversations.push(fork);
  return fork;
}

function assertIsForkOf(reply: Reply, fork: ModelConversation): void {
  assert.equal(reply.body.conversation.id, fork.id);
  assert.equal(reply.body.copied_messages, fork.forkedFromSequence);
  assert.equal(reply.body.conversation.last_sequence, fork.messages.length);
  assert.equal(reply.body.conversation.forked_from_conversation_id, fork.forkedFrom);
  assert.equal(reply.body.conversation.forked_from_sequence, fork.forkedFromSequence);
  assert.deepEqual(reply.body.conversation.metadata, fork.metadata);
}

class ForkAgain implements Command {
  constructor(readonly who: Who, readonly target: number) {}
  check = (model: Model) => model.conversations.length > 0;
  async run(model: Model, real: Real) {
    const source = pick(model, this.target)!;
    const caller = callerFor(this.who, source);
    if (!source.lastFork) return;
    const { body, id } = source.lastFork;
    const reply = await call("fork-conversation", { token: tokenOf(real, caller), body });
    if (!reaches(source, caller)) return assert.equal(reply.status, 404);
    const stored = model.conversations.findLast((conversation) => conversation.id === id)!;
    if (!stored.deleted) {
      assert.equal(reply.status, 200, "the same fork id again returns the stored fork");
      return assertIsForkOf(reply, stored);
    }
    // The fork was deleted, so its id is free again: this is a new fork, which the id now names.
    assert.equal(reply.status, 201, JSON.stringify(reply.body));
    model.conversations.splice(model.conversations.indexOf(stored), 1);
    const through = body.through_sequence as number;
    assertIsForkOf(reply, forkOf(model, source, id, through, body.metadata as Record<string, number | null>));
  }
  toString = () => `fork again(${this.who}, #${this.target})`;
}

class Delete implements Command {
  constructor(readonly who: Who, readonly target: number) {}
  check = (model: Model) => model.conversations.length > 0;
  async run(model: Model, real: Real) {
    const conversation = pick(model, this.target)!;
    const caller = callerFor(this.who, conversation);
    const reply = await call("delete-conversation", {
      token: tokenOf(real, caller),
      body: { conversation_id: conversation.id },
    });
    if (!reaches(conversation, caller)) return assert.equal(reply.status, 404);
    assert.equal(reply.status, 200);
    assert.equal(reply.body.deleted_messages, conversation.messages.length);
    conversation.deleted = true;
    for (const fork of model.conversations) {
      if (fork.forkedFrom === conversation.id) fork.forkedFrom = null;
    }
  }
  toString = () => `delete(${this.who}, #${this.target})`;
}

/** Lists a user's conversations, all of them or the forks of one, and checks every field the model knows. */
class List implements Command {
  constructor(readonly user: number, readonly limit: number, readonly forksOf: number | null) {}
  check = () => true;
  async run(model: Model, real: Real) {
    const source = this.forksOf === null ? undefined : pick(model, this.forksOf);
    const seen: Array<Record<string, unknown> & { id: string; updated_at: string }> = [];
    let cursor: string | null = null;
    do {
      const reply: Reply = await call("list-conversations", {
        token: real.users[this.user].token,
        query: {
          limit: this.limit,
          ...(cursor ? { cursor } : {}),
          ...(source ? { forked_from_conversation_id: source.id } : {}),
        },
      });
      assert.equal(reply.status, 200);
      seen.push(...reply.body.conversations);
      cursor = reply.body.next_cursor;
    } while (cursor);
    const expected = model.conversations
      .filter((c) => reaches(c, this.user) && (!source || c.forkedFrom === source.id))
      .sort((a, b) => a.id < b.id ? -1 : 1);
    const describe = (c: ModelConversation) => ({
      id: c.id,
      last_sequence: c.messages.length,
      metadata: c.metadata,
      forked_from_conversation_id: c.forkedFrom,
      forked_from_sequence: c.forkedFromSequence,
    });
    assert.deepEqual(
      seen.map((c) => ({
        id: c.id,
        last_sequence: c.last_sequence,
        metadata: c.metadata,
        forked_from_conversation_id: c.forked_from_conversation_id,
        forked_from_sequence: c.forked_from_sequence,
      })).sort((a, b) => a.id < b.id ? -1 : 1),
      expected.map(describe),
    );
    for (let n = 1; n < seen.length; n++) {
      assert.ok(seen[n - 1].updated_at >= seen[n].updated_at, "newest first");
    }
  }
  toString = () =>
    `list(user ${this.user}, limit ${this.limit}${
      this.forksOf === null ? "" : `, forks of #${this.forksOf}`
    })`;
}

const user = fc.integer({ min: 0, max: 1 });
/** Mostly the owner, as in real use; the others to check that they reach nothing, or everything. */
const who = fc.constantFrom<Who>("owner", "owner", "owner", "other user", "service_role");
const target = fc.nat(20);
const patch = fc.dictionary(fc.constantFrom("a", "b", "c", "d"), fc.option(fc.integer(), { nil: null }));
/** Deltas in several scripts, with emoji outside the BMP (two UTF-16 units, one code point each), and none. */
const delta = fc.constantFrom("Hel", "lo", " 🙂", "é", "数据", "", "👩‍💻 ok");

const start = fc.tuple(
  user,
  fc.integer({ min: 0, max: 3 }),
  fc.dictionary(fc.constantFrom("a", "b", "c"), fc.integer()),
)
  .map(([u, n, metadata]) => new Start(u, n, metadata));
const append = fc.tuple(
  who,
  target,
  fc.integer({ min: 0, max: 3 }),
  fc.boolean(),
  fc.boolean(),
  fc.constantFrom("none", "none", "current", "stale"),
  fc.oneof(fc.constant(null), fc.record({ content: fc.option(delta, { nil: null, freq: 2 }) })),
).map(([w, t, size, keyed, replay, expectation, startsReply]) =>
  new Append(
    w,
    t,
    startsReply ? size : size + 1,
    keyed,
    replay,
    expectation as Append["expectation"],
    startsReply,
  )
);
const replyDelta = fc.tuple(
  who,
  target,
  fc.constantFrom("next", "next", "next", "retry", "retry", "wrong offset", "replace"),
  delta,
  fc.nat(3),
)
  .map(([w, t, kind, text, choice]) => new Delta(w, t, kind as Delta["kind"], text, choice));
const finish = fc.tuple(who, target, fc.constantFrom("completed", "incomplete"), fc.boolean())
  .map(([w, t, status, withCalls]) => new Finish(w, t, status as Finish["status"], withCalls));
const quiet = target.map((t) => new WriterGoesQuiet(t));
const history = fc.tuple(who, target, fc.constantFrom("asc", "desc"), fc.integer({ min: 1, max: 4 }))
  .map(([w, t, order, limit]) => new History(w, t, order as History["order"], limit));
const update = fc.tuple(who, target, patch).map(([w, t, p]) => new Update(w, t, p));
const fork = fc.tuple(
  who,
  target,
  fc.oneof(fc.nat(), fc.constant("beyond the last" as const)),
  patch,
  fc.boolean(),
)
  .map(([w, t, through, p, withId]) => new Fork(w, t, through, p, withId));
const forkAgain = fc.tuple(who, target).map(([w, t]) => new ForkAgain(w, t));
const remove = fc.tuple(who, target).map(([w, t]) => new Delete(w, t));
const list = fc.tuple(user, fc.integer({ min: 1, max: 3 }), fc.option(target, { nil: null }))
  .map(([u, limit, forksOf]) => new List(u, limit, forksOf));

/** fast-check picks each arbitrary equally often: the ones listed several times come more often. */
const commands = [
  ...[start, start],
  ...[append, append, append],
  ...[replyDelta, replyDelta, replyDelta, replyDelta],
  finish,
  ...[quiet, quiet],
  history,
  update,
  ...[fork, fork],
  forkAgain,
  remove,
  list,
];

test("random sequences of calls by two users and the service role always match the model", async () => {
  let keys = 0;
  // The same two users for every sequence (and every shrinking step), erased before each: a run
  // starts from nothing without registering ever more users.
  const real: Real = {
    users: [await newUser(), await newUser()],
    serviceToken: await serviceRoleToken(),
    nextKey: () => `key-${keys++}`,
  };
  const eraseEverything = async () => {
    for (const user of real.users) {
      // As the contract says: call again while done is false.
      for (let done = false, calls = 0; !done; calls++) {
        assert.ok(calls < 3, "a few dozen conversations are erased in a call or two");
        const erased = await call("delete-all-conversations", { token: user.token, body: {} });
        assert.equal(erased.status, 200);
        done = erased.body.done;
      }
    }
  };
  await fc.assert(
    fc.asyncProperty(fc.commands(commands, { maxCommands: 80, size: "max" }), async (sequence) => {
      await eraseEverything();
      await fc.asyncModelRun(() => ({ model: { conversations: [] }, real }), sequence);
    }),
    { numRuns: 100, seed: Number(Deno.env.get("MODEL_SEED") ?? Date.now() % 2 ** 31) },
  );
});
