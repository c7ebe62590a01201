/**
 * Keyset cursors: the sort key of a page's last row, as base64url-encoded JSON. Opaque to clients,
 * and parsed strictly on the way back: exactly the shape this module emits, or a 400. Nothing a
 * client sends as a cursor reaches SQL unless it is a well-formed timestamp, uuid or number.
 */
import { z } from "zod";
import { ApiError } from "./errors.ts";

/** A timestamp as PostgreSQL writes one in JSON: 2026-11-25T01:02:03.123456+00:00. */
const timestamp = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}(:\d{2}){0,2}$/);
const uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

/**
 * list-conversations: [pinned, updated_at, id]. A cursor of an earlier release, [updated_at, id],
 * came from a list without pins, so it continues among the unpinned conversations.
 */
export const listCursor = z.union([
  z.tuple([z.boolean(), timestamp, uuid]),
  z.tuple([timestamp, uuid]).transform(([updatedAt, id]) => [false, updatedAt, id] as const),
]);
/** search-conversations: [rank, updated_at, id]. */
export const searchCursor = z.tuple([z.number().finite(), timestamp, uuid]);

export function encodeCursor(key: unknown[]): string {
  return btoa(JSON.stringify(key)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

export function decodeCursor<Key>(cursor: string, shape: z.ZodType<Key>): Key {
  try {
    const parsed = shape.safeParse(JSON.parse(atob(cursor.replaceAll("-", "+").replaceAll("_", "/"))));
    if (parsed.success) return parsed.data;
  } catch {
    // not base64 or not JSON: the same answer as any other cursor we did not emit
  }
  throw new ApiError("invalid_request", "cursor is not a value returned as next_cursor");
}
