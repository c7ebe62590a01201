/**
 * `deno task install --into <app>/supabase` (tools/install.ts) on an app that has its own Supabase
 * project (fixture_app/: a migration with its own table, its own function, config.toml and an import
 * map): the store is added without touching the app's files, the real Supabase CLI applies the
 * combined migrations to a new database, the app's table and function still work and the store's
 * functions, run from the app's tree with the app's import map, keep their contract. Clashes stop it
 * with every one named and nothing written; a second run upgrades, replacing only what it installed.
 */
import assert from "node:assert/strict";
import { bareImports, install, MANIFEST } from "../../../tools/install.ts";
import { projectRoot, supabaseCli } from "../../../tools/db_migrate.ts";
import { databaseUrl, withNewDatabase } from "../database/upgrade_support.ts";
import { LOCAL_JWT_SECRET, mintToken } from "../../../local/jwt.ts";
import { type FunctionProcess, serveAlone } from "../deploy/module_graph.ts";

const fixture = new URL("./fixture_app/", import.meta.url).pathname;
const storeFunctions = [...Deno.readDirSync(`${projectRoot}supabase/functions`)]
  .filter((entry) => entry.isDirectory && !entry.name.startsWith("_")).map((entry) => entry.name).sort();

/** A fresh copy of a tree (the fixture app by default) in a temporary directory. */
async function copyTree(source = fixture): Promise<string> {
  const target = await Deno.makeTempDir({ prefix: "app-" });
  const copy = async (from: string, to: string) => {
    for await (const entry of Deno.readDir(from)) {
      if (entry.isDirectory) {
        await Deno.mkdir(`${to}/${entry.name}`, { recursive: true });
        await copy(`${from}/${entry.name}`, `${to}/${entry.name}`);
      } else await Deno.copyFile(`${from}/${entry.name}`, `${to}/${entry.name}`);
    }
  };
  await copy(source.replace(/\/$/, ""), target);
  return target;
}

/** Every file below `dir` with its text, by relative path. */
async function snapshot(dir: string, below = ""): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for await (const entry of Deno.readDir(`${dir}/${below}`)) {
    const path = below ? `${below}/${entry.name}` : entry.name;
    if (entry.isDirectory) Object.assign(files, await snapshot(dir, path));
    else files[path] = await Deno.readTextFile(`${dir}/${path}`);
  }
  return files;
}

/** Runs tools/install.ts as the task does; its exit status and output. */
async function installCommand(into: string) {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-check", `${projectRoot}tools/install.ts`, "--into", into],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: output.code, out: decode(output.stdout) + decode(output.stderr) };
}

Deno.test({
  name:
    "an app's supabase folder receives the store, migrates with the Supabase CLI, and both the app and the store work",
  ignore: databaseUrl === "",
  async fn() {
    const app = await copyTree();
    const before = await snapshot(`${app}/supabase`);
    try {
      const first = await installCommand(`${app}/supabase`);
      assert.equal(first.code, 0, first.out);
      for (const name of storeFunctions) {
        assert.match(first.out, new RegExp(`added \\[functions\\.${name}\\]`));
      }
      const after = await snapshot(`${app}/supabase`);
      for (const [path, text] of Object.entries(before)) {
        if (path === "config.toml") {
          assert.ok(after[path].startsWith(text.trimEnd()), "the app's config kept");
        } else if (path !== "functions/import_map.json") assert.equal(after[path], text, `${path} unchanged`);
      }
      const imports = JSON.parse(after["functions/import_map.json"]).imports;
      assert.equal(imports["fast-check"], "npm:fast-check@4.10.2", "the app's own entry kept");
      assert.ok(imports.zod && imports.jose && imports.pg, "the entries the store's functions import added");

      const again = await installCommand(`${app}/supabase`);
      assert.equal(again.code, 0, again.out);
      assert.match(again.out, /Nothing to do/);

      await withNewDatabase(async (client, url) => {
        const migrated = await supabaseCli(["migration", "up", "--db-url", url, "--workdir", app]);
        assert.ok(migrated.success, migrated.stdout + migrated.stderr);
        const { rows: versions } = await client.query(
          "select count(*)::int as n from supabase_migrations.schema_migrations",
        );
        const migrations = Object.keys(after).filter((path) => path.startsWith("migrations/"));
        assert.equal(
          versions[0].n,
          migrations.length,
          "the app's migration and every store migration applied",
        );

        const userId = crypto.randomUUID();
        await client.query("insert into auth.users (id) values ($1)", [userId]);
        await client.query("insert into public.notes (user_id, body) values ($1, 'buy milk')", [userId]);
        const env = {
          DATABASE_URL: url,
          SUPABASE_URL: "http://127.0.0.1:54321",
          SUPABASE_JWT_SECRET: LOCAL_JWT_SECRET,
        };
        const served: Record<string, FunctionProcess> = {};
        try {
          for (const name of ["notes", "start-conversation", "append-message", "get-history", "chat"]) {
            served[name] = await serveAlone(app, name, env);
          }
          const notes = await fetch(served.notes.url);
          assert.deepEqual(await notes.json(), { notes: 1 }, "the app's function reads the app's table");

          const token = await mintToken({
            role: "authenticated",
            userId,
            issuer: `${env.SUPABASE_URL}/auth/v1`,
          });
          const strangerId = crypto.randomUUID();
          await client.query("insert into auth.users (id) values ($1)", [strangerId]);
          const stranger = await mintToken({
            role: "authenticated",
            userId: strangerId,
            issuer: `${env.SUPABASE_URL}/auth/v1`,
          });
          const post = async (name: string, body: unknown, bearer = token) => {
            const response = await fetch(served[name].url, {
              method: "POST",
              headers: { authorization: `Bearer ${bearer}`, "content-type": "application/json" },
              body: JSON.stringify(body),
            });
            return { status: response.status, body: await response.json() };
          };
          const started = await post("start-conversation", {
            messages: [{ role: "user", content: "Hello from my app" }],
          });
          assert.equal(started.status, 201, JSON.stringify(started.body));
          const id = started.body.conversation.id;
          const appended = await post("append-message", {
            conversation_id: id,
            message: { role: "assistant", content: "Hi!" },
          });
          assert.equal(appended.status, 201, JSON.stringify(appended.body));
          const history = await post("get-history", { conversation_id: id, format: "openai" });
          assert.deepEqual(history.body.messages, [
            { role: "user", content: "Hello from my app" },
            { role: "assistant", content: "Hi!" },
          ]);
          const hidden = await post("get-history", { conversation_id: id }, stranger);
          assert.equal(hidden.status, 404);
          assert.equal(hidden.body.error.code, "not_found");
          const chat = await post("chat", {
            id,
            messages: [{ id: crypto.randomUUID(), role: "user", parts: [{ type: "text", text: "Hi" }] }],
          });
          assert.equal(chat.status, 503, "chat deployed without a model says so");
          assert.equal(chat.body.error.code, "model_not_configured");
          const { rows } = await client.query("select count(*)::int as n from public.notes");
          assert.equal(rows[0].n, 1, "the app's table keeps its row");
        } finally {
          await Promise.all(Object.values(served).map((process) => process.stop()));
        }
      }, "adopt");
    } finally {
      await Deno.remove(app, { recursive: true });
    }
  },
});

Deno.test("every clash is named and nothing is written: a function, a migration version, a conversations table, an import pinned elsewhere", async () => {
  const app = await copyTree();
  try {
    const supabase = `${app}/supabase`;
    await Deno.mkdir(`${supabase}/functions/chat`);
    await Deno.writeTextFile(
      `${supabase}/functions/chat/index.ts`,
      'Deno.serve(() => new Response("mine"));\n',
    );
    await Deno.writeTextFile(
      `${supabase}/migrations/20261124000100_my_conversations.sql`,
      "create table if not exists public.conversations (id uuid primary key);\n",
    );
    const map = JSON.parse(await Deno.readTextFile(`${supabase}/functions/import_map.json`));
    map.imports.zod = "npm:zod@3.25.76";
    await Deno.writeTextFile(`${supabase}/functions/import_map.json`, JSON.stringify(map));
    const before = await snapshot(supabase);

    const { code, out } = await installCommand(supabase);
    assert.equal(code, 1, out);
    for (
      const expected of [
        "functions/chat/: the app has a function of this name",
        "migrations/20261124000100_my_conversations.sql creates a `conversations` table",
        "migrations/20261124000100_my_conversations.sql has the version of the store's migrations/20261124000100_",
        'functions/import_map.json: "zod" is pinned to npm:zod@3.25.76',
      ]
    ) assert.ok(out.includes(expected), `${expected}\nin:\n${out}`);
    assert.deepEqual(await snapshot(supabase), before, "nothing written");
  } finally {
    await Deno.remove(app, { recursive: true });
  }
});

Deno.test("a second run upgrades: adds the new migration, replaces and removes only unchanged files it installed, and refuses a file the app edited", async () => {
  const app = await copyTree();
  const olderStore = await copyTree(`${projectRoot}supabase`);
  try {
    const supabase = `${app}/supabase`;
    const migrations = [...Deno.readDirSync(`${olderStore}/migrations`)].map((entry) => entry.name).sort();
    const newest = migrations.at(-1)!;
    await Deno.remove(`${olderStore}/migrations/${newest}`);
    await Deno.writeTextFile(`${olderStore}/functions/_shared/retired.ts`, "export const retired = true;\n");
    const json = `${olderStore}/functions/_shared/json.ts`;
    await Deno.writeTextFile(json, `// an older version\n${await Deno.readTextFile(json)}`);
    assert.deepEqual((await install({ into: supabase, from: olderStore })).clashes, []);

    const upgrade = await install({ into: supabase, dryRun: true });
    assert.deepEqual(upgrade, {
      clashes: [],
      changes: [
        `updated functions/_shared/json.ts`,
        `added migrations/${newest}`,
        "removed functions/_shared/retired.ts (no longer part of the store)",
      ],
    });
    const edited = `${supabase}/functions/get-history/handler.ts`;
    await Deno.writeTextFile(edited, `// my fix\n${await Deno.readTextFile(edited)}`);
    const refused = await install({ into: supabase });
    assert.deepEqual(refused.clashes, [
      "functions/get-history/handler.ts: changed since it was installed; move the change out of it, or delete it",
    ]);
    await Deno.remove(edited);
    const applied = await install({ into: supabase });
    assert.deepEqual(applied.clashes, []);
    assert.ok(applied.changes.includes("added functions/get-history/handler.ts"));
    assert.deepEqual(await install({ into: supabase }), { clashes: [], changes: [] });
    const manifest = JSON.parse(await Deno.readTextFile(`${supabase}/${MANIFEST}`));
    assert.ok(`migrations/${newest}` in manifest.files);
    assert.ok(!("functions/_shared/retired.ts" in manifest.files));
    await assert.rejects(Deno.stat(`${supabase}/functions/_shared/retired.ts`), Deno.errors.NotFound);
  } finally {
    await Deno.remove(app, { recursive: true });
    await Deno.remove(olderStore, { recursive: true });
  }
});

Deno.test("the import scan finds static, type-only, re-exported and dynamic bare imports, and nothing else", () => {
  const source = [
    'import { z } from "zod";',
    'import type { UIMessage } from "ai";',
    'export { encode } from "gpt-tokenizer/encoding/o200k_base";',
    'const pg = await import("pg");',
    'import { x } from "./local.ts";',
    'import process from "node:process";',
    'import y from "npm:left-pad@1";',
    '// "not-an-import"',
  ].join("\n");
  assert.deepEqual(bareImports(source), ["zod", "ai", "gpt-tokenizer/encoding/o200k_base", "pg"]);
});
