// The studio test project's global setup: builds the app once per test run into a temporary
// folder that every browser test file serves (read-only), instead of one build per file (each
// takes tens of seconds of both cores), and removes it when the run ends.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "vite";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    /** The built studio's folder, shared by every test file of the run; never write into it. */
    studioBuild: string;
  }
}

const STUDIO_ROOT = fileURLToPath(new URL("..", import.meta.url));

export default async function buildStudioOnce(project: TestProject): Promise<() => Promise<void>> {
  const outDir = await mkdtemp(join(tmpdir(), "unfold-studio-build-"));
  await build({ root: STUDIO_ROOT, configFile: join(STUDIO_ROOT, "vite.config.ts"), logLevel: "error", build: { outDir } });
  project.provide("studioBuild", outDir);
  return () => rm(outDir, { recursive: true, force: true });
}
