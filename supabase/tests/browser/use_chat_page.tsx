/** @jsxImportSource react */
/** @jsxImportSourceTypes @types/react */
/// <reference lib="dom" />
/**
 * A React page with `@ai-sdk/react`'s useChat configured exactly as the README shows it, for the
 * browser test (use_chat_test.ts). `/config.json` on the page's origin gives SUPABASE_URL and the
 * user's access token. The conversation id is `?id=` (a new chat gets a fresh UUID, put in the URL
 * so that a reload comes back to it); a reload loads the history (get-history format=ui) and
 * resumes. Everything shown is text; the test reads it through the data attributes.
 */
import { useChat } from "@ai-sdk/react";
import { DefaultChatTransport, type UIMessage } from "ai";
// @ts-types="@types/react"
import { useState } from "react";
// @ts-types="@types/react-dom/client"
import { createRoot } from "react-dom/client";

const { supabaseUrl: SUPABASE_URL, accessToken } = await (await fetch("/config.json")).json();
const session = { access_token: accessToken as string };

/** A reply that did not complete, as its metadata says (format=ui, or the stream's finish). */
function replyState(metadata: unknown): string {
  const { status, reason } = (metadata ?? {}) as { status?: string; reason?: string };
  if (status !== "incomplete") return "";
  return reason === "model_error" ? "failed, retry" : "stopped";
}

function Conversation(
  { conversationId, initialMessages }: { conversationId: string; initialMessages: UIMessage[] },
) {
  const [input, setInput] = useState("");
  // The README's snippet, unchanged.
  const { messages, sendMessage, stop, regenerate, status, error } = useChat({
    id: conversationId, // a UUID: the conversation is created on the first message
    messages: initialMessages, // get-history?format=ui
    resume: true, // a reloaded page follows a reply still streaming
    transport: new DefaultChatTransport({
      api: `${SUPABASE_URL}/functions/v1/chat`,
      headers: () => ({ Authorization: `Bearer ${session.access_token}` }),
      prepareSendMessagesRequest: ({ id, messages, trigger, messageId }) => ({
        body: { id, messages: messages.slice(-1), trigger, messageId },
      }),
    }),
  });
  return (
    <main>
      <p id="status">{status}</p>
      <p id="error">{error ? error.message : ""}</p>
      <ul id="messages">
        {messages.map((message) => (
          <li key={message.id} data-role={message.role} data-id={message.id}>
            <span className="text">
              {message.parts.map((part) => part.type === "text" ? part.text : "").join("")}
            </span>
            <em className="state">{message.role === "assistant" ? replyState(message.metadata) : ""}</em>
          </li>
        ))}
      </ul>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          sendMessage({ text: input });
          setInput("");
        }}
      >
        <input id="input" value={input} onChange={(event) => setInput(event.target.value)} />
        <button id="send" type="submit">Send</button>
      </form>
      <button id="stop" type="button" onClick={() => stop()}>Stop</button>
      <button id="retry" type="button" onClick={() => regenerate()}>Retry</button>
    </main>
  );
}

async function main() {
  const params = new URLSearchParams(location.search);
  let conversationId = params.get("id");
  let initialMessages: UIMessage[] = [];
  if (conversationId === null) {
    // A new chat: nothing to load; the conversation is created on the first message.
    conversationId = crypto.randomUUID();
    history.replaceState(null, "", `?id=${conversationId}`);
  } else {
    const page = await fetch(
      `${SUPABASE_URL}/functions/v1/get-history?conversation_id=${conversationId}&format=ui&limit=100`,
      { headers: { Authorization: `Bearer ${session.access_token}` } },
    );
    if (page.ok) initialMessages = (await page.json()).messages;
  }
  createRoot(document.getElementById("root")!).render(
    <Conversation conversationId={conversationId} initialMessages={initialMessages} />,
  );
}

main();
