import { listConversations } from "./handler.ts";

Deno.serve(listConversations);
