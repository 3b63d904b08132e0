import { existsSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { runExample } from "./run-example.js";

// Every published library package (not private, with a source entry point) has a README whose
// examples run as written. A block opened with exactly ```ts runs; one with more after the
// language (```ts browser, ```ts vitest) is shown only, for code that needs a browser or a test
// runner. Each block checks its own result and throws when it is wrong, so running it is the test.
// Blocks run from a scratch folder inside their own package, so they import the package by its
// published name and its dependencies resolve as they would for a user.
const here = dirname(fileURLToPath(import.meta.url));
const packagesDir = join(here, "..", "..", "..", "packages");
// A folder of its own inside the ignored .readme-examples, so other example runners can share that.
const SCRATCH = join(".readme-examples", "package-readme");

interface PackageReadme {
  readonly dir: string;
  readonly name: string;
  readonly readme: string | undefined;
  readonly blocks: readonly string[];
}

function publishedLibraries(): PackageReadme[] {
  return readdirSync(packagesDir)
    .sort()
    .flatMap((dir) => {
      const manifestPath = join(packagesDir, dir, "package.json");
      if (!existsSync(manifestPath)) return [];
      const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as { name: string; private?: boolean; exports?: Record<string, unknown> };
      const hasSource = Object.values(manifest.exports ?? {}).some((t) => typeof t === "object" && t !== null && "@unfold/source" in t);
      if (manifest.private || !hasSource) return [];
      const readmePath = join(packagesDir, dir, "README.md");
      const readme = existsSync(readmePath) ? readFileSync(readmePath, "utf8") : undefined;
      const blocks = readme ? [...readme.matchAll(/^```ts\n([\s\S]*?)^```/gm)].map((m) => m[1]!) : [];
      return [{ dir, name: manifest.name, readme, blocks }];
    });
}

/** No adapter is an error in CI (its image installs the driver) and a skip elsewhere, as in backend-webgpu's own tests. */
const inCi = (): boolean => !["", "0", "false", undefined].includes(process.env["CI"]);

const packages = publishedLibraries();

afterAll(() => {
  for (const p of packages) {
    rmSync(join(packagesDir, p.dir, SCRATCH), { recursive: true, force: true });
    const parent = join(packagesDir, p.dir, dirname(SCRATCH));
    // Left in place while another runner still has files there.
    if (existsSync(parent) && readdirSync(parent).length === 0) rmSync(parent, { recursive: true });
  }
});

describe("package READMEs", () => {
  it("cover the published library packages", () => {
    expect(packages.map((p) => p.dir)).toEqual(
      expect.arrayContaining(["backend-cpu", "backend-onnx", "backend-tfjs", "backend-webgpu", "conformance", "core", "datasets", "energies", "hessian", "nn"]),
    );
  });

  for (const p of packages) {
    describe(p.name, () => {
      it("has a README with an install line and an example that runs", () => {
        expect(p.readme, `packages/${p.dir}/README.md is missing`).toBeDefined();
        expect(p.readme).toContain(`npm install`);
        expect(p.readme).toContain(p.name);
        expect(p.blocks.length, `packages/${p.dir}/README.md has no runnable \`\`\`ts block`).toBeGreaterThanOrEqual(1);
        for (const code of p.blocks) expect(code, "an example imports the package it documents").toContain(`from "${p.name}`);
      });

      p.blocks.forEach((code, i) => {
        it(`example ${i + 1} runs and checks its own result`, async (context) => {
          let lines: string[];
          try {
            lines = await runExample(join(packagesDir, p.dir, SCRATCH), `example-${i + 1}`, code);
          } catch (error) {
            const message = error instanceof Error ? error.message : String(error);
            if (p.dir === "backend-webgpu" && message.startsWith("no WebGPU adapter") && !inCi()) {
              console.warn(`packages/${p.dir}/README.md example ${i + 1} skipped: ${message.split(".")[0]}`);
              context.skip();
            }
            throw new Error(`packages/${p.dir}/README.md example ${i + 1}: ${message}`, { cause: error });
          }
          // Every example ends by printing what it showed; a block that printed nothing did not run to its end.
          expect(lines.length).toBeGreaterThan(0);
        }, 180_000);
      });
    });
  }
});
