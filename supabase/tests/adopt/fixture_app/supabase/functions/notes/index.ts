// The app's own function: counts the notes, through the app's import map's "pg".
// @ts-types="npm:@types/pg@8.23.1"
import pg from "pg";

const pool = new pg.Pool({ connectionString: Deno.env.get("DATABASE_URL"), max: 1 });

Deno.serve(async () => {
  const { rows } = await pool.query("select count(*)::int as notes from public.notes");
  return Response.json(rows[0]);
});
