/// <reference lib="dom" />
/**
 * The playground's tools that ask first (docs/CHAT.md): Approve and Deny buttons on a tool call that
 * waits for the user's approval, answered with the `ai` Chat's own addToolApprovalResponse; the
 * Chat sends the reply back by itself once every request of it is answered.
 */
import { lastAssistantMessageIsCompleteWithApprovalResponses } from "ai";
import type { Chat } from "../client/chat.ts";
import type { ShownTool } from "./ui.ts";

/** The Chat's sendAutomaticallyWhen: the reply goes back once its approvals are all answered. */
export const sendWhenAnswered = lastAssistantMessageIsCompleteWithApprovalResponses;

/** Approve and Deny for the approval request `approvalId`; each click answers it once. */
export function approvalButtons(
  chat: Chat,
  approvalId: string,
  onError: (error: unknown) => void,
): HTMLElement {
  const buttons = document.createElement("span");
  buttons.className = "approval";
  for (const approved of [true, false]) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = approved ? "approve" : "deny";
    button.textContent = approved ? "Approve" : "Deny";
    button.onclick = () => {
      for (const each of buttons.querySelectorAll("button")) each.disabled = true;
      Promise.resolve(chat.addToolApprovalResponse({
        id: approvalId,
        approved,
        reason: approved ? undefined : "denied in the playground",
      })).catch(onError);
    };
    buttons.append(button);
  }
  return buttons;
}

/** messageParts' tool actions for a page's chat: Approve and Deny under a call that asks first. */
export function approvalActions(chatNow: () => Chat | null, onError: (error: unknown) => void) {
  return (tool: ShownTool): Node | null => {
    const chat = chatNow();
    return tool.state === "approval-requested" && tool.approval && chat
      ? approvalButtons(chat, tool.approval.id, onError)
      : null;
  };
}
