import { updateConversation } from "./handler.ts";

Deno.serve(updateConversation);
