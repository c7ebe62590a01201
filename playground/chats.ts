/// <reference lib="dom" />
/**
 * The playground as a chat product: a sidebar of the user's conversations by title (pinned first,
 * archived apart, tags, search), one conversation with one message box on the `chat` function
 * (files, Stop, Regenerate, reasoning collapsed, tool states), thumbs on replies, a share button,
 * export and import. `?share=<token>` is the page a share link opens, signed out. The developer
 * console is one click away (/console). Everything the API returns goes on the page as text.
 */
import type { UIMessage } from "ai";
import { Chat, StoreChatTransport } from "../client/chat.ts";
import { $, action, element, messageParts, showError } from "./ui.ts";
import { approvalActions, sendWhenAnswered } from "./approvals.ts";

interface Config {
  apiUrl: string;
  users: Array<{ name: string; token: string }>;
}
interface Conversation {
  id: string;
  title: string | null;
  pinned: boolean;
  archived: boolean;
  tags: string[];
}
interface Rating {
  message_id: string;
  client_message_id: string | null;
  rating: "up" | "down";
  sequence_order: number;
}

const config: Config = await (await fetch("config.json")).json();
let token = "";
let chat: Chat | null = null;
let open: Conversation | null = null;
/** UIMessage id → [sequence_order, the user's rating], for the thumbs. */
let rated = new Map<string, [number, "up" | "down" | null]>();

/** A function of the API, as the signed-in user (or signed out for a share link). */
async function api<T = Record<string, unknown>>(
  name: string,
  { method = "GET", query = {}, body, signedOut = false }: {
    method?: string;
    query?: Record<string, string | number | boolean>;
    body?: unknown;
    signedOut?: boolean;
  } = {},
): Promise<T> {
  const url = new URL(`${config.apiUrl}/functions/v1/${name}`);
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, String(value));
  const response = await fetch(url, {
    method,
    headers: {
      ...(signedOut ? {} : { authorization: `Bearer ${token}` }),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = await response.json();
  if (!response.ok) throw new Error(`${response.status} ${answer.error?.code}: ${answer.error?.message}`);
  return answer as T;
}

// ---------------------------------------------------------------- the sidebar

async function refreshSidebar(): Promise<void> {
  const q = $<HTMLInputElement>("search").value.trim();
  const tag = $<HTMLInputElement>("tag-filter").value.trim();
  const archived = $<HTMLInputElement>("show-archived").checked;
  const filters = { archived, ...(tag ? { tag } : {}) };
  const conversations: Conversation[] = q
    ? (await api<{ results: Array<{ conversation: Conversation }> }>("search-conversations", {
      query: { q, ...filters },
    })).results.map((result) => result.conversation)
    : (await api<{ conversations: Conversation[] }>("list-conversations", {
      query: { limit: 100, ...filters },
    }))
      .conversations;
  $("chats").replaceChildren(...conversations.map(sidebarItem));
}

function sidebarItem(conversation: Conversation): HTMLLIElement {
  const pin = element("button", {
    className: "quiet",
    title: conversation.pinned ? "Unpin" : "Pin",
    textContent: "★",
  });
  pin.setAttribute("aria-pressed", String(conversation.pinned));
  pin.onclick = action(async () => {
    await api("update-conversation", {
      method: "POST",
      body: { conversation_id: conversation.id, pinned: !conversation.pinned },
    });
    await refreshSidebar();
  });
  const archive = element("button", {
    className: "quiet",
    title: conversation.archived ? "Unarchive" : "Archive",
    textContent: conversation.archived ? "⤒" : "⤓",
  });
  archive.onclick = action(async () => {
    await api("update-conversation", {
      method: "POST",
      body: { conversation_id: conversation.id, archived: !conversation.archived },
    });
    await refreshSidebar();
  });
  for (const button of [pin, archive]) button.addEventListener("click", (event) => event.stopPropagation());
  const item = element(
    "li",
    { className: open?.id === conversation.id ? "open" : "" },
    element("span", { className: "title" }, conversation.title ?? "New chat"),
    element("span", { className: "tags" }, conversation.tags.join(", ")),
    pin,
    archive,
  );
  item.dataset.id = conversation.id;
  item.onclick = action(() => openConversation(conversation.id));
  return item;
}

// ---------------------------------------------------------------- one conversation

/** Approve and Deny under a tool call that asks first (the video render of the demo model). */
const toolActions = approvalActions(() => chat, showError);

function renderMessages(): void {
  if (!chat) return;
  $("messages").replaceChildren(...chat.messages.map((message) => {
    const item = element("li", {}, ...messageParts(message, toolActions));
    item.dataset.role = message.role;
    const known = rated.get(message.id);
    if (message.role === "assistant" && known) item.append(thumbs(message, known));
    return item;
  }));
  const busy = chat.status === "submitted" || chat.status === "streaming";
  $("stop").hidden = !busy;
  $("status").textContent = busy ? "…" : "";
}

function thumbs(message: UIMessage, [sequence, current]: [number, "up" | "down" | null]): HTMLElement {
  const button = (rating: "up" | "down", label: string) => {
    const node = element("button", { className: "quiet", title: `Rate ${rating}`, textContent: label });
    node.setAttribute("aria-pressed", String(current === rating));
    node.onclick = action(async () => {
      const next = current === rating ? null : rating;
      await api("rate-message", {
        method: "POST",
        body: { conversation_id: open!.id, sequence_order: sequence, rating: next },
      });
      rated.set(message.id, [sequence, next]);
      renderMessages();
    });
    return node;
  };
  return element("span", { className: "thumbs" }, button("up", "▲"), button("down", "▼"));
}

/** The reply ids of the stored page and the user's ratings of them, for the thumbs. */
async function loadRatings(conversationId: string): Promise<void> {
  const rows = await api<
    {
      messages: Array<
        { id: string; client_message_id: string | null; sequence_order: number; role: string; status: string }
      >;
      ratings: Rating[];
    }
  >(
    "get-history",
    { query: { conversation_id: conversationId, order: "desc", limit: 100 } },
  );
  rated = new Map(
    rows.messages.filter((m) => m.role === "assistant" && m.status !== "in_progress")
      .map((m) => [m.client_message_id ?? m.id, [m.sequence_order, null]]),
  );
  for (const rating of rows.ratings) {
    rated.set(rating.client_message_id ?? rating.message_id, [rating.sequence_order, rating.rating]);
  }
}

async function openConversation(id: string | null): Promise<void> {
  $("share-link").hidden = true;
  const conversationId = id ?? crypto.randomUUID();
  let messages: UIMessage[] = [];
  open = null;
  if (id) {
    const page = await api<{ conversation: Conversation; messages: UIMessage[] }>("get-history", {
      query: { conversation_id: id, format: "ui", order: "desc", limit: 100 },
    });
    open = page.conversation;
    messages = page.messages.reverse();
    await loadRatings(id);
  }
  showTitle();
  chat = new Chat({
    id: conversationId,
    messages,
    transport: new StoreChatTransport({ api: `${config.apiUrl}/functions/v1/chat`, token: () => token }),
    sendAutomaticallyWhen: sendWhenAnswered,
    onChange: renderMessages,
    onError: showError,
    onData: (part) => {
      if (part.type === "data-conversation-title" && open) {
        open.title = (part.data as { title: string }).title;
        showTitle();
      }
    },
    onFinish: () => void afterReply(conversationId),
  });
  renderMessages();
  if (id) void chat.resumeStream();
  await refreshSidebar();
}

/** Once a reply is stored: the conversation as stored (it exists now), its thumbs, the sidebar. */
async function afterReply(conversationId: string): Promise<void> {
  const page = await api<{ conversation: Conversation }>("get-history", {
    query: { conversation_id: conversationId, limit: 1 },
  });
  open = page.conversation;
  await loadRatings(conversationId);
  showTitle();
  renderMessages();
  await refreshSidebar();
}

function showTitle(): void {
  $("title").textContent = open?.title ?? "New chat";
  for (const id of ["rename", "tags", "share"]) $(id).hidden = open === null;
}

$("new-chat").onclick = action(() => openConversation(null));
$("send").onclick = action(async () => {
  const input = $<HTMLInputElement>("input");
  if (!chat || input.value.trim() === "") return;
  const attached = $<HTMLInputElement>("file");
  const copy = new DataTransfer();
  for (const file of attached.files ?? []) copy.items.add(file);
  const text = input.value;
  input.value = "";
  attached.value = "";
  await chat.sendMessage({ text, files: copy.files.length ? copy.files : undefined });
});
$("input").onkeydown = (event) => {
  if (event.key === "Enter") $("send").click();
};
$("stop").onclick = () => void chat?.stop();
$("regenerate").onclick = action(async () => {
  await chat?.regenerate();
});
$("rename").onclick = action(async () => {
  const title = prompt("Title", open?.title ?? "");
  if (title === null || !open) return;
  open = (await api<{ conversation: Conversation }>("update-conversation", {
    method: "POST",
    body: { conversation_id: open.id, title: title.trim() === "" ? null : title },
  })).conversation;
  showTitle();
  await refreshSidebar();
});
$("tags").onclick = action(async () => {
  const tags = prompt("Tags, separated by commas", open?.tags.join(", ") ?? "");
  if (tags === null || !open) return;
  open = (await api<{ conversation: Conversation }>("update-conversation", {
    method: "POST",
    body: { conversation_id: open.id, tags: tags.split(",").map((tag) => tag.trim()).filter(Boolean) },
  })).conversation;
  await refreshSidebar();
});
$("share").onclick = action(async () => {
  const link = await api<{ token: string; through_sequence: number }>("share-conversation", {
    method: "POST",
    body: { conversation_id: open!.id },
  });
  const url = new URL(location.href);
  url.search = `?share=${link.token}`;
  const box = $("share-link");
  box.hidden = false;
  box.replaceChildren(
    `Anyone with this link reads the chat through message ${link.through_sequence}, signed out: `,
    element("a", { href: url.toString(), id: "share-url" }, url.toString()),
  );
});

// ---------------------------------------------------------------- export and import

$("export").onclick = action(async () => {
  let cursor: string | null = null;
  let n = 0;
  do {
    const page: { next_cursor: string | null } = await api("export-conversations", {
      query: cursor ? { cursor } : {},
    });
    const download = element("a", {
      href: URL.createObjectURL(new Blob([JSON.stringify(page)], { type: "application/json" })),
      download: `conversations-${++n}.json`,
    });
    download.click();
    cursor = page.next_cursor;
  } while (cursor);
});
$<HTMLInputElement>("import").onchange = action(async () => {
  const input = $<HTMLInputElement>("import");
  const file = JSON.parse(await input.files![0].text());
  input.value = "";
  let cursor: string | null = null;
  let imported = 0;
  do {
    const answer: { next_cursor: string | null; imported: unknown[]; total: number } = await api(
      "import-conversations",
      { method: "POST", body: { file, ...(cursor ? { cursor } : {}) } },
    );
    imported += answer.imported.length;
    $("status").textContent = `Imported ${imported} of ${answer.total}`;
    cursor = answer.next_cursor;
  } while (cursor);
  await refreshSidebar();
});

// ---------------------------------------------------------------- the page a share link opens

async function showShared(shareToken: string): Promise<void> {
  $("sidebar").hidden = true;
  $("composer").hidden = true;
  try {
    const messages: UIMessage[] = [];
    let after = 0;
    let page: { conversation: { title: string | null }; messages: UIMessage[]; next_cursor: number | null };
    do {
      page = await api("get-shared-conversation", { query: { token: shareToken, after }, signedOut: true });
      messages.push(...page.messages);
      after = page.next_cursor ?? 0;
    } while (page.next_cursor !== null);
    $("title").textContent = page.conversation.title ?? "Shared chat";
    $("messages").replaceChildren(...messages.map((message) => {
      const item = element("li", {}, ...messageParts(message));
      item.dataset.role = message.role;
      return item;
    }));
    $("status").textContent = "A shared chat, read-only.";
  } catch {
    $("title").textContent = "This link does not open a chat (it may have been revoked or have expired).";
  }
}

const shareToken = new URLSearchParams(location.search).get("share");
if (shareToken !== null) {
  await showShared(shareToken);
} else {
  const users = $<HTMLSelectElement>("user");
  users.replaceChildren(...config.users.map((user) => new Option(user.name, user.name)));
  users.onchange = action(async () => {
    token = config.users.find((user) => user.name === users.value)!.token;
    await openConversation(null);
  });
  token = config.users[0].token;
  await openConversation(null);
}
