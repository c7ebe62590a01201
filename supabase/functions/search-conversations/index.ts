import { searchConversations } from "./handler.ts";

Deno.serve(searchConversations);
