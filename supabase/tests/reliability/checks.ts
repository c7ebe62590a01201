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

/**
 * Makes a reply in progress look abandoned by its writer: its updated_at moved back an hour, past
 * conversation_store.stale_reply_after(). The trigger that keeps updated_at current is off for this
 * one update only, inside its transaction.
 */
export async function backdateReply(conversationId: string, sequenceOrder: number): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query("begin");
    await client.query(
      "alter table public.conversation_messages disable trigger conversation_messages_touch_updated_at",
    );
    const { rowCount } = await client.query(
      `update public.conversation_messages set updated_at = now() - interval '1 hour'
        where conversation_id = $1 and sequence_order = $2 and status = 'in_progress'`,
      [conversationId, sequenceOrder],
    );
    assert.equal(rowCount, 1, "there is a reply in progress to backdate");
    await client.query(
      "alter table public.conversation_messages enable trigger conversation_messages_touch_updated_at",
    );
    await client.query("commit");
  } catch (error) {
    await client.query("rollback");
    throw error;
  } finally {
    client.release();
  }
}

export interface DirectResult {
  rows: Record<string, unknown>[];
  rowCount: number;
  /** The SQLSTATE of the error, or null. */
  error: string | null;
}

/**
 * Runs `statement` the way PostgREST runs a request of a user's (role authenticated, the JWT's
 * claims in request.jwt.claims, in one transaction), and rolls everything back. `claims` replaces
 * the claims of an honest token, e.g. to forge a role claim.
 */
export async function asUserDirectly(
  userId: string,
  statement: string,
  claims: Record<string, unknown> = { sub: userId, role: "authenticated" },
): Promise<DirectResult> {
  const client = await pool.connect();
  try {
    await client.query("begin");
    await client.query(
      "select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)",
      [JSON.stringify(claims)],
    );
    const result = await client.query(statement);
    return { rows: result.rows, rowCount: result.rowCount ?? 0, error: null };
  } catch (error) {
    return { rows: [], rowCount: 0, error: (error as { code?: string }).code ?? "unknown" };
  } finally {
    await client.query("rollback");
    client.release();
  }
}
