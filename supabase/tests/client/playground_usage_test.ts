/** The playground's usage display: a reply's tokens, a 429 as a sentence with the wait, the allowance. */
import assert from "node:assert/strict";
import type { UIMessage } from "ai";
import { ConversationStoreError } from "../../../client/conversation_store.ts";
import { allowanceText, limitMessage, usageLine, waitText } from "../../../playground/usage.ts";

Deno.test("a reply shows its model and tokens, and says when they are an estimate", () => {
  const reply = (metadata: unknown): UIMessage => ({ id: "r", role: "assistant", parts: [], metadata });
  assert.equal(
    usageLine(reply({ model: "gpt-x", usage: { inputTokens: 120, outputTokens: 30, reasoningTokens: 5 } })),
    "gpt-x · 120 in, 30 out (5 reasoning) tokens",
  );
  assert.equal(
    usageLine(reply({ model: "gpt-x", usage: { inputTokens: 4, outputTokens: 7, estimated: true } })),
    "gpt-x · 4 in, 7 out tokens, estimated",
  );
  assert.equal(usageLine(reply({ conversation_id: "c" })), null);
  assert.equal(usageLine({ id: "u", role: "user", parts: [], metadata: { model: "m" } }), null);
});

Deno.test("a 429 from chat or from the client reads as a sentence with the time to wait", () => {
  const body = {
    error: { code: "rate_limited", message: "…", details: { limit: "requests_per_hour", retry_after: 185 } },
  };
  assert.equal(
    limitMessage(new Error(JSON.stringify(body))),
    "You have used up your plan's request limit (requests per hour): try again in 3 min 5 s.",
  );
  assert.equal(
    limitMessage(
      new ConversationStoreError("quota_exceeded", "…", 429, { limit: "tokens_per_day", retry_after: 7300 }),
    ),
    "You have used up your plan's token budget (tokens per day): try again in 2 h 1 min.",
  );
  assert.equal(limitMessage(new Error("the model failed")), null);
  assert.equal(limitMessage(new ConversationStoreError("not_found", "…", 404)), null);
  assert.equal(waitText(45), "45 s");
});

Deno.test("the allowance lists what each limit has left, and says unlimited when none is set", () => {
  const window = { requests: 0, tokens: 0, reserved_tokens: 0, cost: 0 };
  const report = {
    user_id: "u",
    plan: "default",
    limits: { requests_per_hour: 100, requests_per_day: null, tokens_per_day: 1000, cost_per_month: null },
    remaining: { requests_per_hour: 97, requests_per_day: null, tokens_per_day: 400, cost_per_month: null },
    reset_seconds: {},
    usage: { hour: window, day: window, month: window },
    models: [],
  };
  assert.equal(allowanceText(report), "Plan default: 97/100 requests left this hour, 400/1000 tokens today");
  assert.equal(
    allowanceText({ ...report, limits: { requests_per_hour: null } }),
    "Plan default: unlimited",
  );
});
