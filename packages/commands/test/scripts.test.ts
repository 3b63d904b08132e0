import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEMO, SUBCOMMANDS } from "../src/subcommands.js";

const repo = join(import.meta.dirname, "..", "..", "..");
const read = (path: string): { scripts?: Record<string, string>; bin?: Record<string, string>; files?: string[] } => JSON.parse(readFileSync(path, "utf8"));
const rootScripts = read(join(repo, "package.json")).scripts ?? {};
const CLI = "node packages/commands/dist/bin/unfold.js";

/** The unfold command line a root script runs after its build, or undefined when it runs something else. */
function unfoldLine(script: string): string[] | undefined {
  const match = /^pnpm -s build && node packages\/commands\/dist\/bin\/unfold\.js(?: (.*))?$/.exec(script);
  return match ? (match[1] ?? "").split(" ").filter((w) => w !== "") : undefined;
}

describe("the pnpm scripts and the unfold subcommands", () => {
  it("has a root script for every subcommand but the demo, running the published CLI with that subcommand", () => {
    for (const { name } of SUBCOMMANDS.filter((s) => s.name !== DEMO)) {
      expect(rootScripts[name], `root script '${name}'`).toBe(`pnpm -s build && ${CLI} ${name}`);
    }
  });

  it("runs `pnpm unfold` as the CLI itself, and `pnpm start` as `unfold train --config quick`", () => {
    expect(rootScripts["unfold"]).toBe(`pnpm -s build && ${CLI}`);
    expect(unfoldLine(rootScripts["start"] ?? "")).toEqual(["train", "--config", "quick", "--overwrite"]);
  });

  it("runs every command script through the CLI, so none runs an app's own build output", () => {
    for (const [name, script] of Object.entries(rootScripts)) {
      expect(script, `root script '${name}'`).not.toMatch(/apps\/[^/]+\/dist/);
    }
  });

  it("publishes the bin `unfold` as the bundle's entry point, with the trainer's configs", () => {
    const manifest = read(join(import.meta.dirname, "..", "package.json"));
    expect(manifest.bin).toEqual({ unfold: "./dist/bin/unfold.js" });
    expect(manifest.files).toEqual(expect.arrayContaining(["dist", "configs"]));
  });
});
