/**
 * The chat tests' fixture: a local API whose `chat` runs a ScriptedModel (the AI SDK's mock model,
 * driven chunk by chunk), on the real database, and readers of the UI message stream.
 */
import { type ChatHandlerOptions, createChatHandler } from "../../functions/chat/handler.ts";
import { ScriptedModel } from "../../../local/mock_model.ts";
import { call, localApi, pool, startConversation, type TestUser } from "./helpers.ts";

export { allChunks, chunksOf, rest, streamedText, until, userMessage } from "./ui_stream.ts";

export interface ChatServer {
  url: string;
  model: ScriptedModel;
  close(): Promise<void>;
}

/** A local API of its own (another "instance") whose chat answers with a new ScriptedModel. */
export function chatServer(options: Omit<ChatHandlerOptions, "model"> = {}): ChatServer {
  const model = new ScriptedModel();
  const chat = createChatHandler({
    ...options,
    model: model.model,
    settings: { flushMs: 10, resumePollMs: 20, resumeGraceMs: 300, ...options.settings },
  });
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    localApi({ functions: { chat } }),
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}/functions/v1/chat`,
    model,
    close: () => server.shutdown(),
  };
}

export function postChat(
  url: string,
  user: TestUser,
  body: unknown,
  signal?: AbortSignal,
): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { authorization: `Bearer ${user.token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
    signal,
  });
}

/** The stored messages of a conversation, as get-history answers them. */
export async function history(user: TestUser, conversationId: string) {
  const reply = await call("get-history", { token: user.token, query: { conversation_id: conversationId } });
  if (reply.status !== 200) {
    throw new Error(`get-history answered ${reply.status}: ${JSON.stringify(reply.body)}`);
  }
  return reply.body.messages as Array<Record<string, unknown>>;
}

/** Waits until `check` holds, reading again every few milliseconds (10 s at most). */
export async function eventually<T>(
  read: () => Promise<T>,
  check: (value: T) => boolean,
  what: string,
): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * The reply of a conversation as stored (its last message), read straight from the tables: while
 * it is in progress, with its log applied (what readers see).
 */
export async function storedReply(conversationId: string) {
  const { rows } = await pool.query(
    `select m.sequence_order, m.role, m.content, m.status, m.client_message_id, m.reasoning_token_count
     from public.conversation_messages as stored
     cross join lateral (
       select (case when exists (select from conversation_store.reply_log as l where l.message_id = stored.id)
                    then conversation_store.with_parts(stored, conversation_store.logged_parts(stored))
                    else stored end).*
     ) as m
     where stored.conversation_id = $1 order by stored.sequence_order desc limit 1`,
    [conversationId],
  );
  return rows[0] as {
    sequence_order: number;
    role: string;
    content: string | null;
    status: string;
    client_message_id: string;
    reasoning_token_count: number;
  };
}

/** A new conversation of `user` with one user message and an empty reply in progress after it. */
export async function replyInProgress(user: TestUser): Promise<{ conversationId: string; sequence: number }> {
  const conversationId = await startConversation(user, { messages: [{ role: "user", content: "Go" }] });
  const started = await call("append-message", {
    token: user.token,
    body: {
      conversation_id: conversationId,
      message: { role: "assistant", content: null, status: "in_progress" },
    },
  });
  if (started.status !== 201) throw new Error(`append-message answered ${started.status}`);
  return { conversationId, sequence: started.body.messages[0].sequence_order as number };
}

/** A reply's state in its metadata: all but the model and usage it also carries (docs/CHAT.md). */
export function replyState(metadata: unknown): Record<string, unknown> {
  const { model: _model, usage: _usage, ...state } = (metadata ?? {}) as Record<string, unknown>;
  return state;
}
