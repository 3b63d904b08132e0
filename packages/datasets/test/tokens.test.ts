// The browser-safe subpath: the same functions and constants as the main entry, and an import
// graph with no node: module in it (a bundler would fail on one, or ship a broken page).
import { readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import * as main from "../src/index.js";
import * as tokens from "../src/tokens.js";

const src = fileURLToPath(new URL("../src/", import.meta.url));

/** Every module the file imports, directly or not, and every bare or node: specifier met on the way. */
function importGraph(entry: string): { files: string[]; external: string[] } {
  const files = new Set<string>();
  const external = new Set<string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    const text = readFileSync(file, "utf8");
    for (const match of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+"([^"]+)"|import\("([^"]+)"\)/g)) {
      const spec = (match[1] ?? match[2])!;
      if (spec.startsWith(".")) visit(join(dirname(file), spec.replace(/\.js$/, ".ts")));
      else external.add(spec);
    }
  };
  visit(entry);
  return { files: [...files].map((f) => relative(src, f)).sort(), external: [...external].sort() };
}

describe("@unfold/datasets/tokens", () => {
  it("imports nothing outside the package: no node: module, no mnist loader", () => {
    const graph = importGraph(join(src, "tokens.ts"));
    expect(graph.external).toEqual([]);
    expect(graph.files).not.toContain("mnist.ts");
    expect(graph.files).toContain("patches.ts");
  });

  it("sees the main entry's loaders import node: (the check can see one)", () => {
    expect(importGraph(join(src, "index.ts")).external).toContain("node:fs");
  });

  it("exports the main entry's tokenizers and split constants, the same values", () => {
    expect(tokens.patchTokens).toBe(main.patchTokens);
    expect(tokens.rowTokens).toBe(main.rowTokens);
    expect([tokens.MNIST_SIDE, tokens.MNIST_CLASSES, tokens.MNIST_SPLIT_SEED, tokens.MNIST_SPLIT_TRAIN, tokens.MNIST_SPLIT_TEST]).toEqual([
      main.MNIST_SIDE,
      main.MNIST_CLASSES,
      main.MNIST_SPLIT_SEED,
      main.MNIST_SPLIT_TRAIN,
      main.MNIST_SPLIT_TEST,
    ]);
    expect(tokens.MNIST_SIDE).toBe(28);
  });

  it("rebuilds the fixed split from the exported permutation and seed", () => {
    const all = main.loadAllMnist();
    const order = tokens.seededPermutation(all.count, tokens.MNIST_SPLIT_SEED);
    const { test } = main.mnistSplit({ train: 10, test: 5 });
    const last = Array.from(order.subarray(all.count - 5), (i) => all.labels[i]);
    expect(Array.from(test.labels)).toEqual(last);
  });
});
