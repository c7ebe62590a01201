/** What the client tests share: a store acting as a test user, over the local API or a stand-in for the network. */
import { createClient } from "@supabase/supabase-js";
import { createConversationStore } from "../../../client/conversation_store.ts";
import { apiUrl, pool, type TestUser } from "../functions/helpers.ts";

export interface StoreFixtureOptions {
  /** Another origin in front of the API (a proxy). */
  url?: string;
  /** The fetch supabase-js uses, to meddle with requests on their way. */
  fetch?: typeof fetch;
}

/** A store as `user`, retrying quickly. */
export function storeFor(user: TestUser, options: StoreFixtureOptions = {}) {
  const supabase = createClient(options.url ?? apiUrl, "local-anon-key", {
    accessToken: () => Promise.resolve(user.token),
    global: options.fetch ? { fetch: options.fetch } : {},
  });
  return createConversationStore(supabase, { backoffMs: 20 });
}

/** A message straight from the database, bypassing the API and its caches. */
export async function storedMessage(conversationId: string, sequenceOrder: number) {
  const { rows } = await pool.query(
    `select content, status, token_count, updated_at from public.conversation_messages
     where conversation_id = $1 and sequence_order = $2`,
    [conversationId, sequenceOrder],
  );
  return rows[0] as { content: string | null; status: string; token_count: number; updated_at: Date };
}

/** Polls until `check` holds: tests wait for conditions, never for a fixed time. */
export async function waitFor<T>(what: string, probe: () => Promise<T>, check: (value: T) => boolean) {
  for (let attempt = 0;; attempt++) {
    const value = await probe();
    if (check(value)) return value;
    if (attempt === 1000) throw new Error(`gave up waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
