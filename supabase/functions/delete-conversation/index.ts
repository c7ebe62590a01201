import { deleteConversation } from "./handler.ts";

Deno.serve(deleteConversation);
