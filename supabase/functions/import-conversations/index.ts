import { importConversations } from "./handler.ts";

Deno.serve(importConversations);
