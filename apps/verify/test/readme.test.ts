import { readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { runExample } from "./run-example.js";

// Every ```ts block of the README runs as written, so the documentation cannot drift.
const here = dirname(fileURLToPath(import.meta.url));
const readme = readFileSync(join(here, "..", "..", "..", "README.md"), "utf8");
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
const scratch = join(here, ".readme-examples");

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("README examples", () => {
  it("has examples to run", () => {
    expect(blocks.length).toBeGreaterThanOrEqual(2);
  });

  blocks.forEach((code, i) => {
    it(`example ${i + 1} runs and prints a descending energy trace`, async () => {
      const lines = await runExample(scratch, `example-${i + 1}`, code);
      // Each example prints one line per layer: "layer energy ...". The energy must not rise.
      const energies = lines.join("\n").split("\n").map((l) => Number(l.split(/[: ]+/)[1]));
      expect(energies.length).toBeGreaterThan(2);
      for (const e of energies) expect(Number.isFinite(e)).toBe(true);
      for (let k = 1; k < energies.length; k++) expect(energies[k]!).toBeLessThanOrEqual(energies[k - 1]! + 1e-9);
    });
  });
});
