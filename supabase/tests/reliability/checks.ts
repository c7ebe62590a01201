/** Shared checks of the reliability suite: what the database holds after a run. */
import assert from "node:assert/strict";
import { pool } from "../functions/helpers.ts";

/** Asserts every conversation is numbered 1..N with no gap or duplicate, and its counter says N. */
export async function assertGapFree(conversationIds: string[]): Promise<void> {
  const { rows } = await pool.query(
    `select c.id, c.last_sequence, count(m.id)::int as stored,
            coalesce(max(m.sequence_order), 0) as highest, count(distinct m.sequence_order)::int as distinct_numbers
       from public.conversations c left join public.conversation_messages m on m.conversation_id = c.id
      where c.id = any($1::uuid[]) group by c.id`,
    [conversationIds],
  );
  assert.equal(rows.length, conversationIds.length);
  for (const row of rows) {
    assert.equal(row.stored, row.highest, `conversation ${row.id} has a gap`);
    assert.equal(row.distinct_numbers, row.stored, `conversation ${row.id} repeats a number`);
    assert.equal(row.last_sequence, row.stored, `conversation ${row.id}'s counter disagrees`);
  }
}

/** How often each client_message_id is stored across the given conversations. */
export async function storedKeys(conversationIds: string[]): Promise<Map<string, number>> {
  const { rows } = await pool.query(
    `select client_message_id, count(*)::int as copies from public.conversation_messages
      where conversation_id = any($1::uuid[]) and client_message_id is not null group by client_message_id`,
    [conversationIds],
  );
  return new Map(rows.map((row) => [row.client_message_id as string, row.copies as number]));
}
