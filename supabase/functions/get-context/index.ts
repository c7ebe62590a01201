import { getContext } from "./handler.ts";

Deno.serve(getContext);
