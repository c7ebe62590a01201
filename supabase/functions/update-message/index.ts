import { updateMessage } from "./handler.ts";

Deno.serve(updateMessage);
