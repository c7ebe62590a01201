import { getMemory } from "./handler.ts";

Deno.serve(getMemory);
