import { getUsage } from "./handler.ts";

Deno.serve(getUsage);
