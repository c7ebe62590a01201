import { recallPassages } from "./handler.ts";

Deno.serve(recallPassages);
