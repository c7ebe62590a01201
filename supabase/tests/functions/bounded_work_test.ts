/**
 * Bounded work per request: merge patches refused by size before merging, pages bounded in bytes
 * that still reach every message exactly once, cursors parsed strictly (400, never 500 or 503).
 */
import assert from "node:assert/strict";
import { encodeCursor } from "../../functions/_shared/cursors.ts";
import * as api from "../../functions/_shared/schemas.ts";
import { apiUrl, call, newUser, pool, startConversation, test, type TestUser } from "./helpers.ts";

const PAGE_MAX_BYTES = 4_194_304;

/** A conversation of `count` messages of `content`, written as the table owner (no body limit). */
async function conversationOf(
  user: TestUser,
  count: number,
  content: (n: number) => string,
): Promise<string> {
  const id = await startConversation(user);
  await pool.query(
    `insert into public.conversation_messages (conversation_id, user_id, sequence_order, role, content, token_count)
     select $1, $2, n, 'user', ($3::text[])[n], 100000 from generate_series(1, $4) as n`,
    [id, user.id, Array.from({ length: count }, (_, n) => content(n + 1)), count],
  );
  await pool.query("update public.conversations set last_sequence = $2 where id = $1", [id, count]);
  return id;
}

test("a metadata patch over 64 KiB is refused before any merging; a large one under it merges whole", async () => {
  const alice = await newUser();
  const id = await startConversation(alice, { metadata: { kept: true } });
  const huge = Object.fromEntries(Array.from({ length: 20_000 }, (_, n) => [`key${n}`, n]));
  const refused = await call("update-conversation", {
    token: alice.token,
    body: { conversation_id: id, metadata: huge },
  });
  assert.equal(refused.status, 413);
  assert.deepEqual(refused.body.error.details, { constraint: "conversations_metadata_patch_max_size" });

  const large = Object.fromEntries(Array.from({ length: 4_000 }, (_, n) => [`k${n}`, n]));
  const merged = await call("update-conversation", {
    token: alice.token,
    body: { conversation_id: id, metadata: large },
  });
  assert.equal(merged.status, 200);
  assert.equal(Object.keys(merged.body.conversation.metadata).length, 4_001);
  assert.equal(merged.body.conversation.metadata.k3999, 3999);
});

test("history pages stop at the byte budget and paging still reaches every message exactly once", async () => {
  const alice = await newUser();
  const id = await conversationOf(alice, 60, (n) => `${n} `.padEnd(100_000, "x"));
  for (const format of ["rows", "openai"]) {
    const seen: number[] = [];
    let after = 0;
    let pages = 0;
    for (let more = true; more; pages++) {
      const response = await fetch(
        `${apiUrl}/functions/v1/get-history?conversation_id=${id}&limit=1000&after=${after}&format=${format}`,
        { headers: { authorization: `Bearer ${alice.token}` } },
      );
      const text = await response.text();
      assert.equal(response.status, 200);
      assert.ok(text.length < PAGE_MAX_BYTES + 200_000, `a page of ${text.length} bytes`);
      const page = api.getHistoryResponse.parse(JSON.parse(text));
      // Rows and openai messages of user text: both carry content.
      const messages = page.messages as Array<{ content: string }>;
      seen.push(...messages.map((message) => Number(message.content.split(" ")[0])));
      more = page.has_more;
      if (more) after = page.next_cursor!;
    }
    assert.ok(pages > 1, `${format}: more than one page`);
    assert.deepEqual(
      seen,
      Array.from({ length: 60 }, (_, n) => n + 1),
      `${format}: every message once, in order`,
    );
  }
});

test("text that JSON escapes sixfold is measured as sent: pages of control characters stay bounded", async () => {
  const alice = await newUser();
  const id = await conversationOf(alice, 12, () => "\u0001".repeat(100_000));
  const first = await call("get-history", {
    token: alice.token,
    query: { conversation_id: id, limit: 1000 },
  });
  assert.equal(first.status, 200);
  assert.ok(JSON.stringify(first.body).length <= PAGE_MAX_BYTES + 700_000);
  assert.ok(first.body.messages.length < 12 && first.body.has_more);
  const descending = await call("get-history", {
    token: alice.token,
    query: { conversation_id: id, limit: 1000, order: "desc" },
  });
  assert.equal(descending.body.messages[0].sequence_order, 12);
  assert.equal(descending.body.next_cursor, descending.body.messages.at(-1).sequence_order);
});

test("a context window stops at the byte budget too, and says what it left out", async () => {
  const alice = await newUser();
  const id = await conversationOf(alice, 60, (n) => `${n} `.padEnd(100_000, "y"));
  const reply = await call("get-context", {
    token: alice.token,
    query: { conversation_id: id, max_tokens: 2_000_000 },
  });
  assert.equal(reply.status, 200);
  const context = api.getContextResponse.parse(reply.body);
  assert.ok(JSON.stringify(reply.body).length <= PAGE_MAX_BYTES + 10_000);
  assert.ok(context.messages.length < 60);
  assert.equal(context.has_earlier, true);
  assert.equal(context.first_sequence, 60 - context.messages.length + 1);
});

test("a cursor that is not one the API emitted is a 400, never a 500 or 503", async () => {
  const alice = await newUser();
  await startConversation(alice);
  const uuid = crypto.randomUUID();
  const cursors = [
    encodeCursor(["Jan 1 2020 (x)", uuid]),
    encodeCursor(["2026-01-01T00:00:00+00:00\u0000", uuid]),
    encodeCursor(["2026-13-45T99:99:99+00:00", uuid]),
    encodeCursor(["2026-01-01T00:00:00+00:00", "'; drop table x; --"]),
    encodeCursor(["2026-01-01T00:00:00+00:00"]),
    "\u0000",
    "%%%",
  ];
  for (const cursor of cursors) {
    const reply = await call("list-conversations", { token: alice.token, body: { cursor } });
    assert.equal(reply.status, 400, cursor);
    assert.equal(reply.body.error.code, "invalid_request");
  }
});
