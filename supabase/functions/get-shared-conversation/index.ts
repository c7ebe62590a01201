import { getSharedConversation } from "./handler.ts";

Deno.serve(getSharedConversation);
