import { exportConversations } from "./handler.ts";

Deno.serve(exportConversations);
