import { startConversation } from "./handler.ts";

Deno.serve(startConversation);
