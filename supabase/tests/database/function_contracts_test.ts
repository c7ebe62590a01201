/**
 * Every function of the public schema (the Data API's, callable with supabase.rpc()) carries its
 * contract as its comment, where supabase/schema.sql, Supabase Studio and the API's OpenAPI show it:
 * what it takes (Input), what it promises (Guarantees) and how it fails (Errors).
 */
import assert from "node:assert/strict";
// @ts-types="npm:@types/pg@8.23.1"
import pg from "pg";

const databaseUrl = Deno.env.get("DATABASE_URL");

async function query<Row extends Record<string, unknown>>(sql: string): Promise<Row[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query<Row>(sql)).rows;
  } finally {
    await client.end();
  }
}

Deno.test({
  name: "every public function states its Input, Guarantees and Errors in its comment",
  ignore: !databaseUrl,
  async fn() {
    const rows = await query<{ name: string; comment: string | null }>(
      `select p.oid::regprocedure::text as name, obj_description(p.oid, 'pg_proc') as comment
       from pg_proc p where p.pronamespace = 'public'::regnamespace order by 1`,
    );
    assert.ok(rows.length > 0, "the migrated database has public functions");
    const contract = /^Input: [^]*\nGuarantees[^]*\nErrors: /;
    const missing = rows.filter(({ comment }) => !contract.test(comment ?? "")).map(({ name }) => name);
    assert.deepEqual(missing, [], "public functions without an Input/Guarantees/Errors comment");
  },
});

Deno.test({
  name: "no internal helper is left in public: the JSON merge patch lives in conversation_store",
  ignore: !databaseUrl,
  async fn() {
    const rows = await query(
      `select to_regprocedure('public.jsonb_merge_patch(jsonb, jsonb)') is null as gone,
              conversation_store.jsonb_merge_patch('{"a": {"b": 1, "c": 2}}', '{"a": {"b": null}}') as merged`,
    );
    assert.deepEqual(rows[0], { gone: true, merged: { a: { c: 2 } } });
  },
});
