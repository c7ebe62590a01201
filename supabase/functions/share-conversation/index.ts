import { shareConversation } from "./handler.ts";

Deno.serve(shareConversation);
