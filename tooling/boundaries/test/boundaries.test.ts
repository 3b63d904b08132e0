import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { addDependency, addSource, skeleton, workspacePackages } from "./skeleton.js";
import { squashed, turboBoundaries } from "./turbo-boundaries.js";

const REPO = join(dirname(fileURLToPath(import.meta.url)), "../../..");

/** The tags that give a package its place in the dependency rules; every package carries one. */
const ROLES = ["core", "library", "backend", "app", "bundle", "tooling"];

const made: string[] = [];
afterAll(() => {
  for (const root of made) rmSync(root, { recursive: true, force: true });
});
function freshSkeleton(): string {
  const root = skeleton(REPO);
  made.push(root);
  return root;
}

/** Whether `findings` holds `headline`, however turbo wrapped it. */
function holds(findings: readonly string[], headline: string): boolean {
  return findings.some((finding) => squashed(finding) === squashed(headline));
}

describe("the repository", () => {
  it("passes turbo boundaries: every import declared, no tag rule broken", async () => {
    const run = await turboBoundaries(REPO);
    expect(run.findings, run.output).toEqual([]);
    expect(run.code, run.output).toBe(0);
  });

  it("tags every workspace package with its role, so that no package escapes the rules", () => {
    const untagged = workspacePackages(REPO).filter((dir) => {
      let config: { tags?: unknown };
      try {
        config = JSON.parse(readFileSync(join(REPO, dir, "turbo.json"), "utf8")) as { tags?: unknown };
      } catch {
        return true;
      }
      return !Array.isArray(config.tags) || !config.tags.some((tag) => ROLES.includes(tag as string));
    });
    expect(untagged, `packages whose turbo.json has none of the tags ${ROLES.join(", ")}`).toEqual([]);
  });
});

describe("turbo boundaries on a copy of the package graph", () => {
  it("finds nothing in the copy as it is", async () => {
    const run = await turboBoundaries(freshSkeleton());
    expect(run.findings, run.output).toEqual([]);
    expect(run.code, run.output).toBe(0);
  });

  // [what the rule says, the package, the workspace package it must not depend on, where it is
  // listed, the finding turbo must report]
  const forbidden: readonly [string, string, string, "dependencies" | "devDependencies", string][] = [
    ["core depends on no workspace package", "@unfold/core", "@unfold/datasets", "dependencies",
      "Package `@unfold/datasets` found without any tag listed in allowlist for `@unfold/core`"],
    ["a library never depends on a backend", "@unfold/hessian", "@unfold/backend-tfjs", "dependencies",
      "Package `@unfold/backend-tfjs` found without any tag listed in allowlist for `@unfold/hessian`"],
    ["a backend never depends on another backend", "@unfold/backend-webgpu", "@unfold/backend-cpu", "dependencies",
      "Package `@unfold/backend-cpu` found with tag listed in denylist for `@unfold/backend-webgpu`: `backend`"],
    ["a backend's tests never use another backend", "@unfold/backend-onnx", "@unfold/backend-tfjs", "devDependencies",
      "Package `@unfold/backend-tfjs` found with tag listed in denylist for `@unfold/backend-onnx`: `backend`"],
    ["an app never depends on another app", "@unfold/verify", "@unfold/trainer", "dependencies",
      "Package `@unfold/trainer` found with tag listed in denylist for `@unfold/verify`: `app`"],
    ["only the bundle depends on an app", "@unfold/nn", "@unfold/hessian-cli", "devDependencies",
      "Package `@unfold/nn` found without any tag listed in allowlist for `@unfold/hessian-cli`"],
    ["nothing depends on the bundle", "@unfold/webgpu-browser", "@unfold/commands", "dependencies",
      "Package `@unfold/webgpu-browser` found without any tag listed in allowlist for `@unfold/commands`"],
    ["tooling depends on no framework package", "@unfold/plot", "@unfold/core", "dependencies",
      "Package `@unfold/core` found without any tag listed in allowlist for `@unfold/plot`"],
    ["a published package depends on no private run-time tooling", "@unfold/nn", "@unfold/files", "dependencies",
      "Package `@unfold/files` found without any tag listed in allowlist for `@unfold/nn`"],
  ];
  it.each(forbidden)("%s: %s listing %s in %s is refused", async (_rule, from, to, field, headline) => {
    const root = freshSkeleton();
    addDependency(root, from, to, field);
    const run = await turboBoundaries(root);
    expect(run.code, run.output).not.toBe(0);
    expect(holds(run.findings, headline), `expected the finding "${headline}" among:\n${run.findings.join("\n")}`).toBe(true);
  });

  it("refuses a published package's run-time dependency on private tooling even when its role would allow it", async () => {
    // The "published" rule alone: a package tagged only "published" (no role).
    const root = freshSkeleton();
    addDependency(root, "@unfold/core", "@unfold/files", "dependencies");
    const config = join(root, "packages/core/turbo.json");
    writeFileSync(config, readFileSync(config, "utf8").replace(/"tags": \[[^\]]*\]/, '"tags": ["published"]'));
    const run = await turboBoundaries(root);
    expect(holds(run.findings, "Package `@unfold/files` found without any tag listed in allowlist for `@unfold/core`"), run.output).toBe(true);
  });

  it("lets a package list the dev-only tooling (build configs, test helpers)", async () => {
    const root = freshSkeleton();
    addDependency(root, "@unfold/core", "@unfold/testing", "devDependencies");
    const run = await turboBoundaries(root);
    expect(run.findings, run.output).toEqual([]);
  });

  it("refuses an import of a workspace package the importer does not declare", async () => {
    const root = freshSkeleton();
    addSource(root, "@unfold/backend-webgpu", "src/index.ts", 'import { CpuBackend } from "@unfold/backend-cpu";\nexport const other = CpuBackend;\n');
    const run = await turboBoundaries(root);
    expect(run.code, run.output).not.toBe(0);
    expect(holds(run.findings, "cannot import package `@unfold/backend-cpu` because it is not a dependency"), run.output).toBe(true);
  });
});
