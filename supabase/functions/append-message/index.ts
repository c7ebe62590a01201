import { appendMessage } from "./handler.ts";

Deno.serve(appendMessage);
