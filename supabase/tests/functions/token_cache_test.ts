/** The cache of verified tokens is bounded in bytes and trusts an entry for minutes, not until `exp`. */
import assert from "node:assert/strict";
import { authenticate, type Caller, TokenCache, verifiedTokens } from "../../functions/_shared/auth.ts";
import { mintToken } from "../../../local/jwt.ts";
import { test } from "./helpers.ts";

const caller: Caller = { role: "service_role", userId: null, claims: { role: "service_role" } };
const MINUTE = 60_000;

function cacheAt(clock: { now: number }, limits: { maxBytes: number; maxTokenLength?: number }) {
  return new TokenCache({
    maxBytes: limits.maxBytes,
    maxAgeMs: 5 * MINUTE,
    maxTokenLength: limits.maxTokenLength ?? 10_000,
    now: () => clock.now,
  });
}

test("the cache never holds more bytes than its budget, and evicts the least recently used", () => {
  const clock = { now: 0 };
  const cache = cacheAt(clock, { maxBytes: 20_000 });
  const token = (n: number) => `${n}.`.padEnd(1_000, "x");
  const capacity = Math.floor(20_000 / TokenCache.entryBytes(token(0)));
  for (let n = 0; n < capacity; n++) cache.set(token(n), caller, 60 * MINUTE);
  assert.ok(cache.get(token(0)), "the oldest, now used again");
  cache.set(token(capacity), caller, 60 * MINUTE);
  assert.ok(cache.get(token(0)), "kept: it was used more recently than the next");
  assert.equal(cache.get(token(1)), undefined, "the least recently used went first");
  for (let n = capacity + 1; n < 100; n++) {
    cache.set(token(n), caller, 60 * MINUTE);
    assert.ok(cache.bytes <= 20_000, `${cache.bytes} bytes after ${n + 1} tokens`);
  }
  assert.equal(cache.size, capacity);
  assert.ok(cache.get(token(99)), "the newest stays");
});

test("a token longer than the cache takes is verified every time, never kept", () => {
  const cache = cacheAt({ now: 0 }, { maxBytes: 1_000_000, maxTokenLength: 2_000 });
  cache.set("x".repeat(2_001), caller, 60 * MINUTE);
  assert.equal(cache.size, 0);
  assert.equal(cache.bytes, 0);
});

test("an entry lives until exp or the cache's maximum age, whichever is sooner", () => {
  const clock = { now: 0 };
  const cache = cacheAt(clock, { maxBytes: 100_000 });
  cache.set("ten years", caller, 10 * 365 * 24 * 60 * MINUTE);
  cache.set("one minute", caller, MINUTE);
  clock.now = MINUTE - 1;
  assert.ok(cache.get("one minute"));
  clock.now = MINUTE;
  assert.equal(cache.get("one minute"), undefined, "gone at its exp");
  assert.ok(cache.get("ten years"));
  clock.now = 5 * MINUTE;
  assert.equal(cache.get("ten years"), undefined, "a rotated secret is honoured for minutes, not years");
  assert.equal(cache.bytes, 0);
});

test("thousands of large valid tokens keep the functions' cache within its byte budget", async () => {
  const padding = "p".repeat(11_000); // about 15 KB tokens, under the longest the cache keeps
  for (let n = 0; n < 2_000; n++) {
    const token = await mintToken({
      role: "authenticated",
      userId: crypto.randomUUID(),
      email: `${n}${padding}`,
    });
    await authenticate(new Request("http://local/", { headers: { authorization: `Bearer ${token}` } }));
    assert.ok(verifiedTokens.bytes <= verifiedTokens.options.maxBytes);
  }
  assert.ok(verifiedTokens.size < 2_000, `${verifiedTokens.size} tokens kept`);
});
