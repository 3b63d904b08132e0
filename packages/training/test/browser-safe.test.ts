import { existsSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

// The package runs in a browser page: nothing it loads, its own files or the workspace packages
// they import, may reach for Node (a node: or builtin import, process, Buffer, require, __dirname).
// The walk follows every import and re-export from src/index.ts through the @unfold packages'
// sources; third-party packages end the walk (their names must not be Node builtins).

const here = dirname(fileURLToPath(import.meta.url));
const packagesDir = resolve(here, "..", "..");
const entry = resolve(here, "..", "src", "index.ts");

const IMPORT = /(?:^|[\s;])(?:import|export)\s+(?:type\s+)?(?:[\w*{}\s,$]+?\s+from\s+)?["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;
const NODE_GLOBALS = /(?<![\w.$])(process\s*\.|Buffer\s*[.(]|require\s*\(|__dirname|__filename)/;
const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/** The source entry of a published workspace package (its "@unfold/source" export); null for private tooling, undefined for a third-party package. */
function workspaceEntry(specifier: string): string | null | undefined {
  if (!specifier.startsWith("@unfold/")) return undefined;
  const [scope, name, ...rest] = specifier.split("/");
  const manifestPath = join(packagesDir, name!, "package.json");
  if (!existsSync(manifestPath)) return null;
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as { name: string; exports: Record<string, { "@unfold/source"?: string }> };
  expect(manifest.name).toBe(`${scope}/${name}`);
  const subpath = rest.length ? `./${rest.join("/")}` : ".";
  const source = manifest.exports[subpath]?.["@unfold/source"];
  if (!source) throw new Error(`${specifier}: no "@unfold/source" export for ${subpath}`);
  return join(packagesDir, name!, source);
}

/** Strips comments, so a doc comment that mentions process or require is not a use of it. */
const code = (text: string): string => text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");

interface Problem {
  readonly file: string;
  readonly what: string;
}

/** Every file the entry loads, and each use of Node found in them. */
function walk(start: string): { files: string[]; thirdParty: Set<string>; problems: Problem[] } {
  const seen = new Set<string>();
  const thirdParty = new Set<string>();
  const problems: Problem[] = [];
  const queue = [start];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = code(readFileSync(file, "utf8"));
    const global = NODE_GLOBALS.exec(text);
    if (global) problems.push({ file, what: `uses ${global[1]!.replace(/\s/g, "")}` });
    for (const match of text.matchAll(IMPORT)) {
      const specifier = (match[1] ?? match[2])!;
      if (specifier.startsWith(".")) {
        queue.push(resolve(dirname(file), specifier.replace(/\.js$/, ".ts")));
      } else if (builtins.has(specifier) || specifier.startsWith("node:")) {
        problems.push({ file, what: `imports ${specifier}` });
      } else {
        const source = workspaceEntry(specifier);
        if (source === null) problems.push({ file, what: `imports ${specifier}, private Node tooling` });
        else if (source) queue.push(source);
        else thirdParty.add(specifier);
      }
    }
  }
  return { files: [...seen], thirdParty, problems };
}

describe("@unfold/training in a browser", () => {
  it("loads nothing from Node, through its own files and the workspace packages it imports", () => {
    const { files, thirdParty, problems } = walk(entry);
    // The walk did reach the package's files and its dependencies' (not an empty pass).
    expect(files.some((f) => f.endsWith(join("training", "src", "loop", "session.ts")))).toBe(true);
    expect(files.some((f) => f.includes(join("packages", "core", "src")))).toBe(true);
    expect(files.some((f) => f.includes(join("packages", "nn", "src")))).toBe(true);
    expect(problems.map((p) => `${relative(packagesDir, p.file)}: ${p.what}`)).toEqual([]);
    expect([...thirdParty].sort()).toEqual(["zod"]);
  });

  it("finds a node: import, a Node global and a package that reads files when a module has them", () => {
    // The walk's own check, on a fixture that has one of each.
    const found = walk(join(here, "fixtures", "node-user", "index.ts")).problems.map((p) => `${relative(packagesDir, p.file)}: ${p.what}`);
    expect(found).toEqual(
      expect.arrayContaining(["training/test/fixtures/node-user/index.ts: uses process.", "training/test/fixtures/node-user/index.ts: imports node:fs", "datasets/src/mnist.ts: imports node:fs"]),
    );
  });
});
