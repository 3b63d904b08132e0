import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The files `turbo boundaries` reads to build the package graph and apply the tag rules. */
const ROOT_FILES = ["package.json", "turbo.json", "pnpm-workspace.yaml", "pnpm-lock.yaml"];
const PACKAGE_FILES = ["package.json", "turbo.json"];

/** The workspace's package folders ("packages/core", ...), from pnpm-workspace.yaml's "dir/*" globs. */
export function workspacePackages(repo: string): string[] {
  const manifest = readFileSync(join(repo, "pnpm-workspace.yaml"), "utf8");
  const groups = [...manifest.matchAll(/^\s*-\s*["']?([\w.-]+)\/\*["']?\s*$/gm)].map((m) => m[1]!);
  if (groups.length === 0) throw new Error(`${join(repo, "pnpm-workspace.yaml")}: no "dir/*" package globs found`);
  return groups.flatMap((group) =>
    readdirSync(join(repo, group), { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && existsSync(join(repo, group, entry.name, "package.json")))
      .map((entry) => `${group}/${entry.name}`),
  );
}

/**
 * A copy of the repository's package graph and boundaries configuration in a new temporary
 * folder: the root manifests and turbo.json, and each package's package.json and turbo.json,
 * with no sources. Mutating it shows what `turbo boundaries` does with a dependency the
 * repository does not have.
 */
export function skeleton(repo: string): string {
  const root = mkdtempSync(join(tmpdir(), "unfold-boundaries-"));
  for (const file of ROOT_FILES) copyFileSync(join(repo, file), join(root, file));
  for (const dir of workspacePackages(repo)) {
    const [group, name] = dir.split("/") as [string, string];
    if (!existsSync(join(root, group))) mkdirSync(join(root, group));
    mkdirSync(join(root, group, name));
    for (const file of PACKAGE_FILES) {
      if (existsSync(join(repo, dir, file))) copyFileSync(join(repo, dir, file), join(root, dir, file));
    }
  }
  return root;
}

/** The folder of the package named `name` in a skeleton (or the repository). */
export function packageDir(root: string, name: string): string {
  for (const dir of workspacePackages(root)) {
    const manifest = JSON.parse(readFileSync(join(root, dir, "package.json"), "utf8")) as { name?: string };
    if (manifest.name === name) return join(root, dir);
  }
  throw new Error(`no workspace package is named '${name}' under '${root}'`);
}

/** Adds `dependency` (a workspace package) to the `field` of `name`'s package.json. */
export function addDependency(root: string, name: string, dependency: string, field: "dependencies" | "devDependencies"): void {
  const path = join(packageDir(root, name), "package.json");
  const manifest = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  const existing = (manifest[field] ?? {}) as Record<string, string>;
  manifest[field] = { ...existing, [dependency]: "workspace:*" };
  writeFileSync(path, `${JSON.stringify(manifest, null, 2)}\n`);
}

/** Writes a source file `relative` (e.g. "src/index.ts") into `name`'s folder. */
export function addSource(root: string, name: string, relative: string, text: string): void {
  const dir = packageDir(root, name);
  let at = dir;
  for (const part of relative.split("/").slice(0, -1)) {
    at = join(at, part);
    if (!existsSync(at)) mkdirSync(at);
  }
  writeFileSync(join(dir, relative), text);
}
