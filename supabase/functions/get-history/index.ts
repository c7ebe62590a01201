import { getHistory } from "./handler.ts";

Deno.serve(getHistory);
