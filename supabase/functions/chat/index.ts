import { chat } from "./handler.ts";

Deno.serve(chat);
