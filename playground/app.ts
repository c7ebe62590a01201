/// <reference lib="dom" />
/**
 * The playground: the typed client in a browser. It reads config.json from its own origin (the API
 * URL and tokens for the local demo users) and talks to the API, which may live on another origin.
 */
import { createClient } from "@supabase/supabase-js";
import {
  type Conversation,
  type ConversationStore,
  ConversationStoreError,
  createConversationStore,
  type Message,
} from "../client/conversation_store.ts";

interface PlaygroundConfig {
  apiUrl: string;
  anonKey: string;
  users: Array<{ name: string; token: string }>;
}

const PAGE = 20;
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const config: PlaygroundConfig = await (await fetch("config.json")).json();

let store: ConversationStore;
let current: Conversation | null = null;
let olderCursor: number | null = null;

function showError(error: unknown): void {
  const box = $("error");
  box.style.display = "block";
  box.textContent = error instanceof ConversationStoreError
    ? `${error.status} ${error.code}: ${error.message}${
      error.details ? ` ${JSON.stringify(error.details)}` : ""
    }`
    : String(error);
}

/** Runs a UI action, showing what the API answers when it fails. */
function action(run: () => Promise<void>) {
  return async () => {
    $("error").style.display = "none";
    try {
      await run();
    } catch (error) {
      showError(error);
    }
  };
}

function signIn(name: string): void {
  const { token } = config.users.find((user) => user.name === name)!;
  const supabase = createClient(config.apiUrl, config.anonKey, { accessToken: () => Promise.resolve(token) });
  store = createConversationStore(supabase);
}

async function loadConversations(): Promise<void> {
  const asked = store;
  const { conversations } = await asked.list({ limit: 100 });
  if (asked !== store) return; // the user changed while this list was loading: it is not theirs to show
  const list = $("conversations");
  list.replaceChildren(...conversations.map((conversation) => {
    const item = document.createElement("li");
    item.textContent = `${conversation.id.slice(0, 8)} · ${conversation.last_sequence} messages`;
    item.dataset.id = conversation.id;
    item.classList.toggle("selected", conversation.id === current?.id);
    item.onclick = action(() => open(conversation));
    return item;
  }));
  $("no-conversations").hidden = conversations.length > 0;
}

function messageItem(message: Message): HTMLLIElement {
  const item = document.createElement("li");
  const sequence = Object.assign(document.createElement("span"), {
    className: "seq",
    textContent: `#${message.sequence_order}`,
  });
  const role = Object.assign(document.createElement("span"), {
    className: "role",
    textContent: message.role,
  });
  item.append(sequence, role, message.content ?? JSON.stringify(message.tool_calls ?? message.function_call));
  return item;
}

function showConversation(conversation: Conversation): void {
  current = conversation;
  $("conversation").hidden = false;
  $("conversation-id").textContent = conversation.id;
  $("last-sequence").textContent = `(last sequence ${conversation.last_sequence})`;
  $<HTMLTextAreaElement>("metadata").value = JSON.stringify(conversation.metadata, null, 2);
}

/** Opens a conversation at its newest page; older pages are prepended on demand. */
async function open(conversation: Conversation): Promise<void> {
  const page = await store.history(conversation.id, { order: "desc", limit: PAGE });
  showConversation(page.conversation);
  $("history").replaceChildren(...(page.messages as Message[]).reverse().map(messageItem));
  olderCursor = page.next_cursor;
  $("older").hidden = olderCursor === null;
  await loadConversations();
}

$("older").onclick = action(async () => {
  const page = await store.history(current!.id, { order: "desc", limit: PAGE, before: olderCursor! });
  $("history").prepend(...(page.messages as Message[]).reverse().map(messageItem));
  olderCursor = page.next_cursor;
  $("older").hidden = olderCursor === null;
});

$("start").onclick = action(async () => {
  const videoId = $<HTMLInputElement>("video-id").value.trim();
  const { conversation } = await store.start({
    video_id: videoId || undefined,
    metadata: JSON.parse($<HTMLTextAreaElement>("new-metadata").value || "{}"),
  });
  await open(conversation);
});

$("send").onclick = action(async () => {
  const content = $<HTMLInputElement>("content");
  const role = $<HTMLSelectElement>("role").value as "user" | "assistant" | "system";
  const { conversation, messages } = await store.append(current!.id, { role, content: content.value });
  $("history").append(...messages.map(messageItem));
  $("last-sequence").textContent = `(last sequence ${conversation.last_sequence})`;
  content.value = "";
  await loadConversations();
});

$("save-metadata").onclick = action(async () => {
  const { conversation } = await store.update(current!.id, {
    metadata: JSON.parse($<HTMLTextAreaElement>("metadata").value || "{}"),
  });
  showConversation(conversation);
});

$("delete").onclick = action(async () => {
  await store.remove(current!.id);
  current = null;
  $("conversation").hidden = true;
  await loadConversations();
});

const userSelect = $<HTMLSelectElement>("user");
userSelect.replaceChildren(...config.users.map((user) => new Option(user.name, user.name)));
userSelect.onchange = action(async () => {
  signIn(userSelect.value);
  current = null;
  $("conversation").hidden = true;
  await loadConversations();
});
signIn(config.users[0].name);
action(loadConversations)();
