/// <reference lib="dom" />
/**
 * The playground's memory panel: what the assistant remembers about the signed-in user (get-memory),
 * edited the way an app's settings page would (update-memory, each write naming the version shown, so
 * a change chat's model made meanwhile is a 409 memory_conflict instead of being overwritten). It
 * builds its own section; app.ts only mounts it and tells it when the user changes.
 */
import type { ConversationStore, MemoryResponse } from "../client/conversation_store.ts";
import { element } from "./ui.ts";

export interface MemoryPanel {
  /** Reads the memory again (after signing in as another user, or after a chat turn). */
  refresh(): Promise<void>;
}

export function mountMemoryPanel(
  parent: HTMLElement,
  store: () => ConversationStore,
  run: (work: () => Promise<void>) => () => Promise<void>,
): MemoryPanel {
  const list = element("ul", { id: "memory-entries" });
  const empty = element("p", {
    className: "muted",
    id: "memory-empty",
    textContent: "Nothing remembered yet.",
  });
  const usage = element("p", { className: "muted", id: "memory-usage" });
  const key = element("input", { id: "memory-key", placeholder: "key, e.g. diet" });
  const value = element("input", { id: "memory-value", placeholder: "value (empty: forget)" });
  const save = element("button", { id: "memory-save", textContent: "Remember" });
  const refreshButton = element("button", {
    className: "secondary",
    id: "memory-refresh",
    textContent: "Refresh",
  });
  let shown: MemoryResponse | null = null;

  async function refresh(): Promise<void> {
    const signedIn = store();
    const memory = await signedIn.memory();
    if (store() !== signedIn) return; // the user changed while the answer was on its way
    shown = memory;
    list.replaceChildren(...memory.entries.map((entry) => {
      const item = element(
        "li",
        {},
        element("strong", { textContent: entry.key }),
        `: ${entry.value ?? ""} `,
        element("span", {
          className: "muted",
          textContent: `v${entry.version} · ${entry.token_count} tok${
            entry.conversation_id ? ` · from ${entry.conversation_id.slice(0, 8)}` : ""
          }`,
        }),
      );
      item.onclick = () => {
        key.value = entry.key;
        value.value = entry.value ?? "";
      };
      item.dataset.key = entry.key;
      return item;
    }));
    empty.hidden = memory.entries.length > 0;
    usage.textContent = `${memory.entries.length} of ${memory.max_entries} entries · ` +
      `${memory.total_tokens} of ${memory.max_tokens} tokens`;
  }

  save.onclick = run(async () => {
    const current = shown?.entries.find((entry) => entry.key === key.value);
    // The version shown: if chat changed the entry since, the write is refused, not lost.
    await store().remember(key.value, value.value === "" ? null : value.value, {
      expected_version: current?.version ?? null,
    });
    await refresh();
  });
  refreshButton.onclick = run(refresh);

  parent.append(element(
    "section",
    { id: "memory-panel" },
    element("h2", { textContent: "Memory" }),
    usage,
    list,
    empty,
    element("div", { className: "row" }, key, value),
    save,
    refreshButton,
  ));
  return { refresh };
}
