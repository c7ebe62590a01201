import { deleteAllConversations } from "./handler.ts";

Deno.serve(deleteAllConversations);
