/** The one map from failures to answers: nothing unknown leaks, and each SQLSTATE gets its status. */
import assert from "node:assert/strict";
import { ApiError, type DatabaseError, fromDatabaseError } from "../../functions/_shared/errors.ts";
import { errorResponse } from "../../functions/_shared/http.ts";

function databaseError(code: string, fields: Partial<DatabaseError> = {}): DatabaseError {
  return Object.assign(new Error(fields.message ?? "from the server"), {
    code,
    severity: "ERROR",
    ...fields,
  });
}

Deno.test("an unexpected failure is a 500 that says nothing about its cause", async () => {
  const originalError = console.error;
  const logged: string[] = [];
  console.error = (line: string) => logged.push(line);
  try {
    const response = errorResponse(
      new TypeError("secret internals at /srv/app.ts:42"),
      "append-message",
      "req-1",
    );
    assert.equal(response.status, 500);
    const text = await response.text();
    assert.deepEqual(JSON.parse(text), { error: { code: "internal_error", message: "internal error" } });
    assert.ok(!text.includes("secret"));
    assert.match(
      logged.join("\n"),
      /"request_id":"req-1".*secret internals/,
      "the cause is logged with the request id",
    );
  } finally {
    console.error = originalError;
  }
});

Deno.test("each database error maps to its documented status and code", () => {
  const cases: Array<[DatabaseError, number, string]> = [
    [databaseError("PT404"), 404, "not_found"],
    [databaseError("PT409", { detail: '{"last_sequence": 7}' }), 409, "sequence_conflict"],
    [databaseError("PT422"), 422, "idempotency_conflict"],
    [databaseError("23505"), 409, "conversation_exists"],
    [
      databaseError("23514", { constraint: "conversation_messages_content_max_size" }),
      413,
      "payload_too_large",
    ],
    [databaseError("23514", { constraint: "conversation_messages_role_known" }), 400, "invalid_request"],
    [databaseError("22023"), 400, "invalid_request"],
    [databaseError("42501"), 403, "forbidden"],
    [databaseError("57014"), 503, "service_unavailable"],
    [databaseError("57P01"), 503, "service_unavailable"],
    [databaseError("08006"), 503, "service_unavailable"],
    [databaseError("53300"), 503, "service_unavailable"],
    [databaseError("XX000"), 500, "internal_error"],
  ];
  for (const [error, status, code] of cases) {
    const mapped = fromDatabaseError(error);
    assert.ok(mapped instanceof ApiError);
    assert.deepEqual([mapped.status, mapped.code], [status, code], error.code);
  }
  assert.deepEqual(fromDatabaseError(databaseError("PT409", { detail: '{"last_sequence": 7}' })).details, {
    last_sequence: 7,
  });
});
