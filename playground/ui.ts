/// <reference lib="dom" />
/**
 * What the playground's pages share: building elements (text always as text, never markup) and
 * drawing a UIMessage's parts (reasoning collapsed, files, tool states).
 */
import type { UIMessage } from "ai";
import { ConversationStoreError } from "../client/conversation_store.ts";
import { limitMessage, usageLine } from "./usage.ts";

export const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/** An element with properties and children; text always goes in as text. */
export function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  properties: Partial<HTMLElementTagNameMap[K]> = {},
  ...children: Array<Node | string>
): HTMLElementTagNameMap[K] {
  const node = Object.assign(document.createElement(tag), properties);
  node.append(...children);
  return node;
}

/** Shows an error in the page's #error box: an API error by its status and code. */
export function showError(error: unknown): void {
  const box = $("error");
  box.style.display = "block";
  box.textContent = limitMessage(error) ??
    (error instanceof ConversationStoreError
      ? `${error.status} ${error.code}: ${error.message}${
        error.details ? ` ${JSON.stringify(error.details)}` : ""
      }`
      : error instanceof Error
      ? error.message
      : String(error));
}

/** Runs a UI action, showing what the API answers when it fails. */
export function action(run: () => Promise<void>) {
  return async () => {
    $("error").style.display = "none";
    try {
      await run();
    } catch (error) {
      showError(error);
    }
  };
}

/** A tool part as the page reads it. */
export interface ShownTool {
  type: string;
  toolName?: string;
  state: string;
  output?: unknown;
  errorText?: string;
  approval?: { id: string };
}

/** What a page adds under a tool part (the console's Approve and Deny buttons), or null. */
export type ToolActions = (tool: ShownTool) => Node | null;

/** One part of a UIMessage as the page shows it, or null for parts it does not show. */
export function chatPart(part: UIMessage["parts"][number], toolActions?: ToolActions): Node | null {
  if (part.type === "text") return element("span", {}, part.text);
  if (part.type === "reasoning") {
    const details = element("details", { className: "reasoning" }, element("summary", {}, "Reasoning"));
    details.append(part.text);
    return details;
  }
  if (part.type === "file") {
    return part.mediaType.startsWith("image/")
      ? Object.assign(document.createElement("img"), { src: part.url, alt: part.filename ?? "image" })
      : element("a", { href: part.url }, part.filename ?? part.mediaType);
  }
  if (part.type === "dynamic-tool" || part.type.startsWith("tool-")) {
    const tool = part as ShownTool;
    const name = tool.toolName ?? tool.type.slice(5);
    const result = tool.state === "output-available"
      ? ` → ${JSON.stringify(tool.output)}`
      : tool.errorText
      ? ` → ${tool.errorText}`
      : "";
    const shown = element("div", { className: "tool" }, `${name}: ${tool.state}${result}`);
    const actions = toolActions?.(tool);
    if (actions) shown.append(actions);
    return shown;
  }
  return null;
}

/** A reply that did not complete, as its metadata tells (get-history format=ui, the stream's finish). */
export function replyState(metadata: unknown): string | null {
  const { status, reason } = (metadata ?? {}) as { status?: string; reason?: string };
  if (status !== "incomplete") return null;
  return reason === "model_error"
    ? "failed, retry"
    : reason === "time_limit"
    ? "cut at the time limit"
    : reason === "refused"
    ? "ended: the store refused more of it"
    : "stopped";
}

/** A message's parts as nodes, then the reply's model and tokens and how it ended, when known. */
export function messageParts(message: UIMessage, toolActions?: ToolActions): Node[] {
  const nodes = message.parts.map((part) => chatPart(part, toolActions)).filter((node): node is Node =>
    node !== null
  );
  const usage = usageLine(message);
  if (usage) nodes.push(element("div", { className: "usage muted" }, usage));
  const state = replyState(message.metadata);
  if (state) nodes.push(element("em", { className: "reply-state" }, state));
  return nodes;
}
