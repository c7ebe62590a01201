import { updateMemory } from "./handler.ts";

Deno.serve(updateMemory);
