/**
 * POST update-memory `{ key, value, expected_version?, conversation_id?, user_id? }` → 200
 * `{ entry }`: creates or replaces the entry `key` with `value`, or deletes it (`value: null`),
 * when it is still at `expected_version` (omitted or null: it must not exist yet). A stale version
 * is 409 memory_conflict with `details.current_version`; a write past the bounds is 422 memory_full.
 * public.write_memory does the work; the rules are in its migration.
 */
import { refuseUserIdFromUsers } from "../_shared/auth.ts";
import { asCaller } from "../_shared/db.ts";
import { defineFunction } from "../_shared/http.ts";
import { writeMemoryStatement } from "../_shared/memory.ts";
import { updateMemoryRequest } from "../_shared/schemas.ts";

export const updateMemory = defineFunction({
  name: "update-memory",
  methods: ["POST"],
  schema: updateMemoryRequest,
  async handle(request, caller) {
    refuseUserIdFromUsers(caller, request.user_id);
    const [[{ entry }]] = await asCaller(caller, [
      writeMemoryStatement({
        key: request.key,
        value: request.value,
        expectedVersion: request.expected_version ?? null,
        conversationId: request.conversation_id,
        userId: request.user_id,
      }),
    ]);
    return { status: 200, body: { entry } };
  },
});
