import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

export interface WorkspacePackage {
  readonly name: string;
  readonly version: string;
  readonly dir: string;
}

/** The folders pnpm-workspace.yaml lists as `- <dir>/*`: this repository's layout. */
const PACKAGE_GLOBS = ["packages", "apps", "tooling"];

/** The workspace's published packages: every package whose manifest is not `private`, by name. */
export function publishedPackages(repo: string): WorkspacePackage[] {
  const found: WorkspacePackage[] = [];
  for (const parent of PACKAGE_GLOBS) {
    for (const entry of readdirSync(join(repo, parent), { withFileTypes: true })) {
      const manifestPath = join(repo, parent, entry.name, "package.json");
      if (!entry.isDirectory() || !existsSync(manifestPath)) continue;
      const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as { name: string; version: string; private?: boolean };
      if (manifest.private !== true) found.push({ name: manifest.name, version: manifest.version, dir: join(repo, parent, entry.name) });
    }
  }
  return found.sort((a, b) => a.name.localeCompare(b.name));
}
