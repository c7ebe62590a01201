import { updateUsageLimits } from "./handler.ts";

Deno.serve(updateUsageLimits);
