/**
 * chat as deployed, on the hosted-like stack: its index.ts alone in a process with a project's
 * settings and the documented secrets only. The database is reached through PgBouncer in
 * transaction mode (DATABASE_URL), the model through OPENAI_BASE_URL: an OpenAI-compatible server
 * here, spoken to by @ai-sdk/openai's Chat Completions client as any such server is. One instance
 * streams the reply; a second one, another process, resumes it from the store mid-stream and
 * follows it to the end. Both browsers get the same text, and that text is what is stored.
 */
import assert from "node:assert/strict";
// @ts-types="npm:@types/pg@8.23.1"
import pg from "pg";
import type { UIMessageChunk } from "ai";
import { deployAlone } from "../deploy/module_graph.ts";
import { chunksOf, rest, streamedText, until, userMessage } from "../functions/ui_stream.ts";
import { hostedStack, newHostedUser } from "./stack.ts";
import { openAiCompatibleServer } from "../../../local/openai_compatible_server.ts";

const stack = hostedStack();

/** The reply the compatible server streams: the first word, then the rest once `release()` is called. */
const FIRST = "Hello ";
const REST = ["from ", "the ", "pooler."];

/** The compatible server streams FIRST, then the rest once `release()` is called. */
function compatibleServer() {
  let release!: () => void;
  const released = new Promise<void>((resolve) => release = resolve);
  const server = openAiCompatibleServer(() => ({
    text: [FIRST, ...REST],
    before: (index) => index === 1 ? released : undefined,
  }));
  return { ...server, release };
}

Deno.test({
  name:
    "chat deployed alone streams through the transaction pooler, and another instance resumes it from the store",
  ignore: !stack,
  async fn() {
    const model = compatibleServer();
    const env: Record<string, string> = {
      ...stack!.functionEnv,
      CHAT_MODEL: "compatible-model",
      CHAT_TITLES: "off", // one model request: the reply's
      OPENAI_API_KEY: "sk-compatible-server",
      OPENAI_BASE_URL: model.baseUrl,
    };
    assert.ok(
      env.DATABASE_URL.startsWith(stack!.poolerUrl),
      "the functions reach the database through PgBouncer",
    );
    const [writer, reader] = await Promise.all([deployAlone("chat", env), deployAlone("chat", env)]);
    const admin = new pg.Client({ connectionString: stack!.adminUrl, ssl: { ca: stack!.caCert } });
    await admin.connect();
    try {
      const user = await newHostedUser(stack!, admin);
      const headers = { authorization: `Bearer ${user.token}` };
      const conversationId = crypto.randomUUID();

      const sent = await fetch(`${writer.url}/chat`, {
        method: "POST",
        headers: { ...headers, "content-type": "application/json" },
        body: JSON.stringify({ id: conversationId, messages: [userMessage("Hello through the pooler")] }),
      });
      assert.equal(sent.status, 200);
      const written = chunksOf(sent);
      const writtenSeen: UIMessageChunk[] = [];
      // The browser is sent text once it is stored, so the reply is in the store from here on.
      await until(written, (chunk) => chunk.type === "text-delta", writtenSeen);

      const resumed = await fetch(`${reader.url}/chat?conversation_id=${conversationId}`, { headers });
      assert.equal(resumed.status, 200, "a reply is in progress");
      const followed = chunksOf(resumed);
      const followedSeen: UIMessageChunk[] = [];
      await until(followed, (chunk) => chunk.type === "text-delta", followedSeen);
      assert.equal(streamedText(followedSeen), FIRST, "the resume replays the text stored so far");

      model.release();
      const writerChunks = [...writtenSeen, ...await rest(written)];
      const readerChunks = [...followedSeen, ...await rest(followed)];
      const expected = FIRST + REST.join("");
      assert.equal(streamedText(writerChunks), expected);
      assert.equal(streamedText(readerChunks), expected, "the second instance follows the reply to its end");
      for (const chunks of [writerChunks, readerChunks]) assert.equal(chunks.at(-1)?.type, "finish");

      const { rows } = await admin.query(
        `select role, content, status from public.conversation_messages
         where conversation_id = $1 order by sequence_order`,
        [conversationId],
      );
      assert.deepEqual(rows, [
        { role: "user", content: "Hello through the pooler", status: "completed" },
        { role: "assistant", content: expected, status: "completed" },
      ]);
      assert.equal(model.requests.length, 1);
      assert.ok(
        JSON.stringify(model.requests[0].body.messages).includes("Hello through the pooler"),
        "the model was sent the window with the user's message",
      );

      const idle = await fetch(`${reader.url}/chat?conversation_id=${conversationId}`, { headers });
      assert.equal(idle.status, 204, "nothing in progress once the reply is final");
    } finally {
      await admin.end();
      await Promise.all([writer.stop(), reader.stop()]);
      await model.close();
    }
  },
});
