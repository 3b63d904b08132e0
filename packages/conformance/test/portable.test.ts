// The vitest-free entry: runCases runs the same cases outside a vitest process (a browser page),
// reports every case, and lets failures through as results; nothing it loads imports vitest.
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ReferenceBackend } from "@unfold/core";
import { describe, expect, it } from "vitest";
import { conformanceCases, runCases } from "../src/portable.js";
import { TestBackend } from "./test-backend.js";

const src = join(dirname(fileURLToPath(import.meta.url)), "..", "src");

/** Every source file reachable from `entry` through relative imports. */
function reachable(entry: string, seen = new Set<string>()): Set<string> {
  if (seen.has(entry)) return seen;
  seen.add(entry);
  const text = readFileSync(entry, "utf8");
  for (const m of text.matchAll(/from\s+"(\.[^"]+)"/g)) reachable(resolve(dirname(entry), m[1]!.replace(/\.js$/, ".ts")), seen);
  return seen;
}

describe("@unfold/conformance/portable", () => {
  it("loads nothing that imports vitest (it runs in browsers)", () => {
    const files = [...reachable(join(src, "portable.ts"))];
    expect(files.length).toBeGreaterThan(10);
    const offenders = files.filter((f) => /from\s+"vitest"/.test(readFileSync(f, "utf8")));
    expect(offenders).toEqual([]);
  });

  it("runs every applicable case on the reference, which passes them all", async () => {
    const seen: string[] = [];
    const results = await runCases(new ReferenceBackend(), { dtypes: ["float64"], onResult: (r) => seen.push(r.name), create: () => new ReferenceBackend() });
    expect(results.length).toBe(conformanceCases().filter((c) => !(c.requires ?? []).some((d) => d !== "float64")).length);
    expect(seen).toEqual(results.map((r) => r.name));
    expect(results.filter((r) => !r.ok)).toEqual([]);
  });

  it("fails the cases that dispose a backend of their own, saying why, when no create option is given", async () => {
    const results = await runCases(new ReferenceBackend(), { dtypes: ["float64"], filter: (c) => c.group === "lifetimes" });
    expect(results.length).toBeGreaterThanOrEqual(3);
    for (const r of results) expect(r.error).toMatch(/give runCases a `create` option/);
  });

  it("reports a broken backend's failures as results, with the reason, and runs the rest", async () => {
    const backend = new TestBackend({ faults: { perturbOp: "exp" } });
    const results = await runCases(backend, { dtypes: ["float32"], filter: (c) => c.group === "primitives" });
    const failed = results.filter((r) => !r.ok);
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.every((r) => typeof r.error === "string" && r.error.length > 0)).toBe(true);
    expect(failed.some((r) => r.name.includes("exp"))).toBe(true);
    expect(results.some((r) => r.ok)).toBe(true);
    expect(new Set(results.map((r) => r.group))).toEqual(new Set(["primitives"]));
  });
});
