/**
 * GET get-memory (or POST `{}`) → 200 `{ entries, total_tokens, max_entries, max_tokens }`: what
 * the assistant remembers about the caller (the service role: about `user_id`), in key order, with
 * the bounds the database holds it to. public.get_memory does the work.
 */
import { refuseUserIdFromUsers } from "../_shared/auth.ts";
import { asCaller } from "../_shared/db.ts";
import { defineFunction } from "../_shared/http.ts";
import { readMemoryStatement } from "../_shared/memory.ts";
import { getMemoryRequest } from "../_shared/schemas.ts";

export const getMemory = defineFunction({
  name: "get-memory",
  methods: ["GET", "POST"],
  schema: getMemoryRequest,
  async handle(request, caller) {
    refuseUserIdFromUsers(caller, request.user_id);
    const [[{ memory }]] = await asCaller(caller, [readMemoryStatement(request.user_id)]);
    return { status: 200, body: memory };
  },
});
