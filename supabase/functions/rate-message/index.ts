import { rateMessage } from "./handler.ts";

Deno.serve(rateMessage);
