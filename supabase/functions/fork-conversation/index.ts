import { forkConversation } from "./handler.ts";

Deno.serve(forkConversation);
