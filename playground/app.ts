/// <reference lib="dom" />
/**
 * The playground: the typed client in a browser. It reads config.json from its own origin (the API
 * URL and tokens for the local demo users) and talks to the API, which may live on another origin.
 * Everything the API returns is put on the page as text, never as markup.
 */
import { createClient } from "@supabase/supabase-js";
import {
  type Conversation,
  type ConversationStore,
  createConversationStore,
  type Message,
} from "../client/conversation_store.ts";
import { Chat, StoreChatTransport } from "../client/chat.ts";
import { mountMemoryPanel } from "./memory.ts";
import { allowanceText } from "./usage.ts";
import { $, action, element, messageParts, showError } from "./ui.ts";
import { approvalActions, sendWhenAnswered } from "./approvals.ts";

interface PlaygroundConfig {
  apiUrl: string;
  anonKey: string;
  users: Array<{ name: string; token: string }>;
}

const PAGE = 20;
/** Stands in for a model: streamed word by word through the reply writer. */
const CANNED_REPLY = "Here is a short script. Open on a sunlit windowsill where a ginger cat is asleep. " +
  "A moth drifts past; one ear turns, then the other. The cat opens one eye, measures the distance, " +
  "and decides the moth is not worth it. Cut to the kitchen: the sound of a tin being opened. " +
  "The cat is already there, sitting very straight, as if it had been waiting for hours. " +
  "Close on its face as the bowl is set down. Fade out on purring.";
const WORD_DELAY_MS = 60;
const POLL_MS = 300;

const config: PlaygroundConfig = await (await fetch("config.json")).json();

let store: ConversationStore;
let current: Conversation | null = null;
/** The oldest and newest sequence numbers shown, for paging either way. */
let olderCursor: number | null = null;
let newestShown = 0;

/** "1–4, 9" from [1, 2, 3, 4, 9]. */
function ranges(sequences: number[]): string {
  const parts: string[] = [];
  for (let index = 0; index < sequences.length;) {
    let end = index;
    while (sequences[end + 1] === sequences[end] + 1) end++;
    parts.push(end === index ? `#${sequences[index]}` : `#${sequences[index]}–#${sequences[end]}`);
    index = end + 1;
  }
  return parts.join(", ");
}

/** A number input's value, or null when empty. */
const numberOrNull = (id: string) => {
  const value = $<HTMLInputElement>(id).value.trim();
  return value === "" ? null : Number(value);
};

let chatToken = "";

function signIn(name: string): void {
  const { token } = config.users.find((user) => user.name === name)!;
  chatToken = token;
  const supabase = createClient(config.apiUrl, config.anonKey, { accessToken: () => Promise.resolve(token) });
  store = createConversationStore(supabase);
}

async function loadConversations(): Promise<void> {
  const signedIn = store;
  const { conversations } = await signedIn.list({ limit: 100 });
  if (store !== signedIn) return; // the user changed while the list was on its way
  $("conversations").replaceChildren(...conversations.map((conversation) => {
    const item = element("li", {
      textContent: `${conversation.id.slice(0, 8)} · ${conversation.last_sequence} messages${
        (conversation as { awaiting_input?: boolean }).awaiting_input ? " · waits for you" : ""
      }`,
      onclick: action(() => open(conversation)),
    });
    item.dataset.id = conversation.id;
    item.classList.toggle("selected", conversation.id === current?.id);
    return item;
  }));
  $("no-conversations").hidden = conversations.length > 0;
}

// History

function messageItem(message: Message): HTMLLIElement {
  const item = element(
    "li",
    {},
    element("span", { className: "seq", textContent: `#${message.sequence_order}` }),
    element("span", { className: "role", textContent: message.role }),
  );
  if (message.status !== "completed") {
    item.append(element("span", { className: `status ${message.status}`, textContent: message.status }));
  }
  item.append(
    element("span", {
      className: "content",
      textContent: message.content ?? JSON.stringify(message.tool_calls ?? message.function_call),
    }),
    element("button", {
      className: "link fork",
      textContent: "Fork from here",
      title: `A new conversation with copies of messages 1–${message.sequence_order}`,
      onclick: action(() => forkFrom(message.sequence_order)),
    }),
  );
  item.dataset.sequence = String(message.sequence_order);
  return item;
}

/** Shows a message, replacing its item when it is on the page already (a reply as it streams). */
function showMessage(message: Message): void {
  const existing = $("history").querySelector(`li[data-sequence="${message.sequence_order}"]`);
  if (existing) existing.replaceWith(messageItem(message));
  else $("history").append(messageItem(message));
  newestShown = Math.max(newestShown, message.sequence_order);
}

function showConversation(conversation: Conversation): void {
  current = conversation;
  $("conversation").hidden = false;
  $("context-panel").hidden = false;
  $("conversation-id").textContent = conversation.id;
  $("last-sequence").textContent = `(last sequence ${conversation.last_sequence})`;
  $<HTMLTextAreaElement>("metadata").value = JSON.stringify(conversation.metadata, null, 2);
  $<HTMLInputElement>("retention").value = conversation.retention_seconds?.toString() ?? "";
  $("expires").textContent = conversation.expires_at
    ? `Expires ${
      new Date(conversation.expires_at).toLocaleString()
    } (${conversation.retention_seconds} s after ` +
      `the last change; any activity extends it).`
    : "Kept until deleted: no retention set.";
  const forkedFrom = conversation.forked_from_conversation_id;
  $("forked-from").hidden = forkedFrom === null && conversation.forked_from_sequence === null;
  $("forked-from").textContent = `Forked from ${forkedFrom?.slice(0, 8) ?? "a deleted conversation"} ` +
    `through #${conversation.forked_from_sequence}.`;
}

/** Opens a conversation at its newest page, or at the page holding message `at`, which is marked. */
async function open(conversation: Conversation, at?: number): Promise<void> {
  const last = conversation.last_sequence;
  const before = at === undefined ? undefined : Math.min(last, at + PAGE / 2) + 1;
  const page = await store.history(conversation.id, { order: "desc", limit: PAGE, before });
  showConversation(page.conversation);
  const messages = (page.messages as Message[]).reverse();
  $("history").replaceChildren(...messages.map(messageItem));
  olderCursor = page.next_cursor;
  newestShown = messages.at(-1)?.sequence_order ?? 0;
  $("older").hidden = olderCursor === null;
  $("newer").hidden = newestShown >= page.conversation.last_sequence;
  if (at !== undefined) {
    const match = $("history").querySelector(`li[data-sequence="${at}"]`);
    match?.classList.add("match");
    match?.scrollIntoView({ block: "center" });
  }
  await openChat(page.conversation.id);
  await Promise.all([loadConversations(), showContext()]);
}

// The chat panel: the `ai` package's own Chat and DefaultChatTransport (client/chat.ts) against the
// chat function, as useChat uses it. Opening a conversation resumes a reply still in progress.
let chat: Chat | null = null;
let chatTransport: StoreChatTransport | null = null;

/** The console's Approve and Deny under a tool call that asks first. */
const toolActions = approvalActions(() => chat, showError);

function renderChat(): void {
  if (!chat) return;
  $("chat-messages").replaceChildren(...chat.messages.map((message) => {
    const item = element("li", {}, element("span", { className: "role" }, message.role));
    item.dataset.role = message.role;
    item.append(...messageParts(message, toolActions));
    return item;
  }));
  const busy = chat.status === "submitted" || chat.status === "streaming";
  $("chat-stop").hidden = !busy;
  const forked = chatTransport?.conversationId && chatTransport.conversationId !== current?.id
    ? ` · regenerated in the fork ${chatTransport.conversationId.slice(0, 8)}`
    : "";
  $("chat-status").textContent = `${chat.status}${forked}`;
}

/**
 * The chat of a conversation: its newest page as UIMessages (format ui), as useChat({ messages })
 * takes them, then a resume that replays and follows a reply still in progress (which is why that
 * reply is left out of the loaded messages).
 */
async function openChat(conversationId: string): Promise<void> {
  if (chat?.id === conversationId) return;
  const [rows, ui] = await Promise.all([
    store.history(conversationId, { order: "desc", limit: PAGE }),
    store.uiHistory(conversationId, { order: "desc", limit: PAGE }),
  ]);
  const streaming = new Set(
    (rows.messages as Message[]).filter((m) => m.status === "in_progress").map((m) => m.client_message_id),
  );
  const transport = new StoreChatTransport({
    api: `${config.apiUrl}/functions/v1/chat`,
    token: () => chatToken,
  });
  chatTransport = transport;
  chat = new Chat({
    id: conversationId,
    messages: ui.messages.filter((message) => !streaming.has(message.id)).reverse(),
    transport,
    sendAutomaticallyWhen: sendWhenAnswered,
    onChange: renderChat,
    onError: showError,
  });
  renderChat();
  void chat.resumeStream();
  await showAllowance();
}

/** What the caller's plan has left (get-usage), under the chat. */
async function showAllowance(): Promise<void> {
  $("chat-allowance").textContent = allowanceText(await store.usage());
}

/** The history shows what the chat stored, once its request is over; the allowance what is left. */
const refreshHistory = () => Promise.all([current ? open(current) : Promise.resolve(), showAllowance()]);

$("chat-send").onclick = action(async () => {
  const input = $<HTMLInputElement>("chat-input");
  if (!chat || input.value.trim() === "") return;
  const text = input.value;
  const attached = $<HTMLInputElement>("chat-file");
  // Chromium empties the input's own FileList when the input is cleared: send a copy.
  const copy = new DataTransfer();
  for (const file of attached.files ?? []) copy.items.add(file);
  const files = copy.files.length ? copy.files : undefined;
  input.value = "";
  attached.value = "";
  await chat.sendMessage({ text, files });
  await refreshHistory();
});
$("chat-stop").onclick = () => void chat?.stop();
$("chat-regenerate").onclick = action(async () => {
  await chat?.regenerate();
  await refreshHistory();
});

$("older").onclick = action(async () => {
  const page = await store.history(current!.id, { order: "desc", limit: PAGE, before: olderCursor! });
  $("history").prepend(...(page.messages as Message[]).reverse().map(messageItem));
  olderCursor = page.next_cursor;
  $("older").hidden = olderCursor === null;
});

$("newer").onclick = action(async () => {
  const page = await store.history(current!.id, { after: newestShown, limit: PAGE });
  (page.messages as Message[]).forEach(showMessage);
  $("newer").hidden = !page.has_more;
});

$("start").onclick = action(async () => {
  const videoId = $<HTMLInputElement>("video-id").value.trim();
  const { conversation } = await store.start({
    video_id: videoId || undefined,
    metadata: JSON.parse($<HTMLTextAreaElement>("new-metadata").value || "{}"),
    retention_seconds: numberOrNull("new-retention") ?? undefined,
  });
  await open(conversation);
});

$("send").onclick = action(async () => {
  const content = $<HTMLInputElement>("content");
  const role = $<HTMLSelectElement>("role").value as "user" | "assistant" | "system";
  const { conversation, messages } = await store.append(current!.id, { role, content: content.value });
  messages.forEach(showMessage);
  $("last-sequence").textContent = `(last sequence ${conversation.last_sequence})`;
  content.value = "";
  await Promise.all([loadConversations(), showContext()]);
});

$("save-metadata").onclick = action(async () => {
  const { conversation } = await store.update(current!.id, {
    metadata: JSON.parse($<HTMLTextAreaElement>("metadata").value || "{}"),
  });
  showConversation(conversation);
});

$("save-retention").onclick = action(async () => {
  const { conversation } = await store.update(current!.id, { retention_seconds: numberOrNull("retention") });
  showConversation(conversation);
});

$("delete").onclick = action(async () => {
  await store.remove(current!.id);
  current = null;
  $("conversation").hidden = true;
  $("context-panel").hidden = true;
  await loadConversations();
});

async function forkFrom(sequence: number): Promise<void> {
  const { conversation } = await store.fork(current!.id, sequence);
  await open(conversation);
}

// A streamed reply: the canned answer goes through the client's reply writer, as a model's
// stream would; the page shows the stored reply by polling it, as a reloaded page would see it.

let replyInProgress: { conversationId: string; sequence: number } | null = null;

async function pollReply(conversationId: string, sequence: number): Promise<void> {
  const message = await store.message(conversationId, sequence);
  if (current?.id === conversationId) showMessage(message);
  $("reply-status").textContent = `Reply #${sequence}: ${message.status} · ` +
    `${Array.from(message.content ?? "").length} characters stored`;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

$("stream-reply").onclick = action(async () => {
  const conversationId = current!.id;
  const writer = await store.reply(conversationId);
  const sequence = writer.message.sequence_order;
  replyInProgress = { conversationId, sequence };
  showMessage(writer.message);
  $("last-sequence").textContent = `(last sequence ${sequence})`;
  $("stop-reply").hidden = false;
  $<HTMLButtonElement>("stream-reply").disabled = true;
  // One poll at a time, so that an answer never lands after a newer one.
  let streaming = true;
  const polling = (async () => {
    for (; streaming; await sleep(POLL_MS)) await pollReply(conversationId, sequence).catch(showError);
  })();
  try {
    for (const word of CANNED_REPLY.split(/(?<= )/)) {
      if (writer.signal.aborted) break; // Stop was pressed: the store refused the next delta
      writer.write(word);
      await sleep(WORD_DELAY_MS);
    }
    await writer.finish();
  } finally {
    streaming = false;
    await polling;
    await pollReply(conversationId, sequence).catch(showError);
    replyInProgress = null;
    $("stop-reply").hidden = true;
    $<HTMLButtonElement>("stream-reply").disabled = false;
  }
  await Promise.all([loadConversations(), showContext()]);
});

/** Stop, as any tab of the user would press it: the reply is made final, and its writer finds out. */
$("stop-reply").onclick = action(async () => {
  if (!replyInProgress) return;
  await store.updateMessage(replyInProgress.conversationId, replyInProgress.sequence, {
    status: "incomplete",
  });
});

// Context: what a model would be sent now, within a budget, and what was left out.

async function showContext(): Promise<void> {
  const conversationId = current!.id;
  const options = {
    maxTokens: numberOrNull("context-max-tokens") ?? 300,
    maxMessages: numberOrNull("context-max-messages") ?? undefined,
  };
  const [rows, window] = await Promise.all([
    store.contextRows(conversationId, options),
    store.context(conversationId, options),
  ]);
  const summary = rows.summary ?? null;
  const items = rows.messages.map((message) =>
    element(
      "li",
      {},
      element("span", { className: "seq", textContent: `#${message.sequence_order}` }),
      element("span", { className: "role", textContent: message.role }),
      element("span", { className: "tokens", textContent: `${message.token_count} tok` }),
      element("span", {
        className: "excerpt",
        textContent: message.content ?? JSON.stringify(message.tool_calls ?? message.function_call),
      }),
    )
  );
  if (summary) {
    const pinned = rows.messages.findIndex((message) => message.role !== "system");
    items.splice(
      pinned === -1 ? items.length : pinned,
      0,
      element(
        "li",
        { className: "summary" },
        element("span", { className: "seq", textContent: "" }),
        element("span", { className: "role", textContent: "summary" }),
        element("span", { className: "tokens", textContent: `${summary.token_count} tok` }),
        element("span", {
          className: "excerpt",
          textContent: `(#1–#${summary.through_sequence}) ${summary.content}`,
        }),
      ),
    );
  }
  $("context-rows").replaceChildren(...items);
  $("context-total").textContent = `${rows.token_count} of ${options.maxTokens} tokens · ` +
    `${window.messages.length} messages` + (rows.has_earlier ? " · earlier messages left out" : "");

  const included = new Set(rows.messages.map((message) => message.sequence_order));
  const summarized = summary?.through_sequence ?? 0;
  const leftOut = Array.from({ length: rows.conversation.last_sequence }, (_, index) => index + 1)
    .filter((sequence) => sequence > summarized && !included.has(sequence));
  $("context-left-out").textContent = leftOut.length === 0
    ? "Nothing left out."
    : `Left out: ${ranges(leftOut)}`;
  $("context-openai").textContent = JSON.stringify(window.messages, null, 2);
  if (rows.has_earlier && rows.first_sequence !== null) {
    $<HTMLInputElement>("summary-through").value = String(rows.first_sequence - 1);
  }
}

$("show-context").onclick = action(showContext);

$("save-summary").onclick = action(async () => {
  await store.update(current!.id, {
    summary: {
      content: $<HTMLTextAreaElement>("summary-content").value,
      through_sequence: numberOrNull("summary-through") ?? 0,
    },
  });
  $<HTMLTextAreaElement>("summary-content").value = "";
  await showContext();
});

$("clear-summary").onclick = action(async () => {
  await store.update(current!.id, { summary: null });
  await showContext();
});

// Search: results link to the conversation at the matching message.

/** A snippet with its highlights marked; ranges count code points, as the API does. */
function highlighted(snippet: string, highlights: Array<[number, number]>): Array<Node | string> {
  const characters = Array.from(snippet);
  const parts: Array<Node | string> = [];
  let position = 0;
  for (const [start, end] of highlights) {
    parts.push(characters.slice(position, start).join(""));
    parts.push(element("mark", { textContent: characters.slice(start, end).join("") }));
    position = end;
  }
  parts.push(characters.slice(position).join(""));
  return parts;
}

$("search").onclick = action(async () => {
  const { results } = await store.search($<HTMLInputElement>("search-q").value);
  $("search-results").replaceChildren(...results.map(({ conversation, matches }) =>
    element(
      "li",
      {},
      element("span", {
        className: "muted",
        textContent: `${conversation.id.slice(0, 8)} · ${new Date(conversation.updated_at).toLocaleString()}`,
      }),
      ...matches.map((match) => {
        const link = element(
          "a",
          { href: "#" },
          element("span", { className: "seq", textContent: `#${match.sequence_order}` }),
          ...highlighted(match.snippet, match.highlights),
        );
        const openAtMatch = action(() => open(conversation, match.sequence_order));
        link.onclick = (event) => {
          event.preventDefault();
          openAtMatch();
        };
        link.dataset.conversation = conversation.id;
        link.dataset.sequence = String(match.sequence_order);
        return link;
      }),
    )
  ));
  $("search-empty").hidden = results.length > 0;
});
$("search-q").onkeydown = (event) => {
  if (event.key === "Enter") $("search").click();
};

const userSelect = $<HTMLSelectElement>("user");
userSelect.replaceChildren(...config.users.map((user) => new Option(user.name, user.name)));
userSelect.onchange = action(async () => {
  signIn(userSelect.value);
  current = null;
  $("conversation").hidden = true;
  $("context-panel").hidden = true;
  $("search-results").replaceChildren();
  await loadConversations();
  await memoryPanel.refresh();
});
signIn(config.users[0].name);
action(loadConversations)();
const memoryPanel = mountMemoryPanel($("conversations").parentElement!.parentElement!, () => store, action);
action(memoryPanel.refresh)();
