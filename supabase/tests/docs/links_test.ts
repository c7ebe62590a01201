/**
 * Every relative link in README.md and docs/*.md reaches a file of the tree, and every #anchor a
 * heading of its target, as GitHub renders them: the reference moved into docs/ and links between
 * its files break silently otherwise.
 */
import assert from "node:assert/strict";

const root = new URL("../../../", import.meta.url);

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of outsideCode(markdown)) {
    const heading = line.match(/^#{1,6}\s+(.*?)\s*#*\s*$/);
    if (!heading) continue;
    const slug = heading[1].toLowerCase().replace(/[^\p{L}\p{N}\p{M}_\- ]/gu, "").replace(/ /g, "-");
    const repeats = seen.get(slug) ?? 0;
    seen.set(slug, repeats + 1);
    anchors.add(repeats === 0 ? slug : `${slug}-${repeats}`);
  }
  return anchors;
}

/** The lines of a document outside fenced code blocks, with inline code removed. */
function outsideCode(markdown: string): string[] {
  let fenced = false;
  return markdown.split("\n").filter((line) => {
    if (/^\s*```/.test(line)) fenced = !fenced;
    return !fenced && !/^\s*```/.test(line);
  }).map((line) => line.replace(/`[^`]*`/g, (code) => (/^#/.test(line) ? code.slice(1, -1) : "")));
}

/** The broken relative links of one document, as "target: reason". */
async function brokenLinks(document: URL): Promise<string[]> {
  const markdown = await Deno.readTextFile(document);
  const broken: string[] = [];
  for (const line of outsideCode(markdown)) {
    for (const [, target] of line.matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:: not ours to check
      const [path, anchor] = target.split("#", 2);
      const file = path ? new URL(path, document) : document;
      const stat = await Deno.stat(file).catch(() => undefined);
      if (!stat) {
        broken.push(`${target}: no such file`);
      } else if (anchor !== undefined && !anchorsOf(await Deno.readTextFile(file)).has(anchor)) {
        broken.push(`${target}: no heading with this anchor`);
      }
    }
  }
  return broken;
}

function documents(): URL[] {
  const docs = [...Deno.readDirSync(new URL("docs/", root))]
    .filter((entry) => entry.isFile && entry.name.endsWith(".md"))
    .map((entry) => new URL(`docs/${entry.name}`, root));
  return [new URL("README.md", root), ...docs];
}

Deno.test("every relative link and anchor in README.md and docs/*.md resolves", async () => {
  const broken: string[] = [];
  for (const document of documents()) {
    const relative = document.pathname.slice(root.pathname.length);
    broken.push(...(await brokenLinks(document)).map((link) => `${relative}: ${link}`));
  }
  assert.deepEqual(broken, []);
});

Deno.test("the link check finds a missing file, a missing anchor, and accepts GitHub's anchors", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/a.md`,
      [
        "# Use the local server with `supabase start`",
        "## get-history (GET, or POST)",
        "## Errors",
        "## Errors",
        "[ok](#use-the-local-server-with-supabase-start) [ok](#get-history-get-or-post) [ok](#errors-1)",
        "[ok](b.md) [ok](b.md#b) [web](https://example.com/#x) `[code](missing.md)`",
        "[gone](missing.md) [no anchor](b.md#nope) [no anchor](#errors-2)",
        "```",
        "[in a fence](missing.md)",
        "```",
      ].join("\n"),
    );
    await Deno.writeTextFile(`${dir}/b.md`, "# B\n");
    assert.deepEqual(await brokenLinks(new URL(`file://${dir}/a.md`)), [
      "missing.md: no such file",
      "b.md#nope: no heading with this anchor",
      "#errors-2: no heading with this anchor",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
