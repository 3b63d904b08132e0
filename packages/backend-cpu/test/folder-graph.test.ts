// The folder layout of src/ is the backend's design: wasm/ (code generation) and threads/ (the
// workers, rounds and typed work descriptions) at the bottom, steps/ (what plans run), the kernel
// families in kernels/*, plan/ (lowering) on top of them, and the backend at the root. This test
// reads every import of src/**/*.ts, builds the graph between folders, and fails on a cycle or on
// one kernel family importing another.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), "../src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return e.name.endsWith(".ts") ? [path] : [];
  });
}

/** Module specifiers of a file's static imports and re-exports, type-only ones included. */
export function specifiers(text: string): string[] {
  const found: string[] = [];
  const pattern = /^\s*(?:import|export)\s(?:[^;]*?\sfrom\s)?["']([^"']+)["']/gms;
  for (const match of text.matchAll(pattern)) found.push(match[1]!);
  return found;
}

/** The folder of a file in src/ ("." for the root). */
const folderOf = (file: string): string => relative(SRC, dirname(file)) || ".";

/** Folder -> the folders its files import (relative imports only; packages are not folders of src/). */
export function folderGraph(files: readonly { path: string; text: string }[]): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const { path, text } of files) {
    const from = folderOf(path);
    const edges = graph.get(from) ?? new Set<string>();
    graph.set(from, edges);
    for (const spec of specifiers(text)) {
      if (!spec.startsWith(".")) continue;
      const to = folderOf(resolve(dirname(path), spec));
      if (to !== from) edges.add(to);
    }
  }
  return graph;
}

/** A cycle of the graph as a list of folders (first = last), or undefined. */
export function findCycle(graph: ReadonlyMap<string, ReadonlySet<string>>): string[] | undefined {
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === "done") return undefined;
    if (state.get(node) === "open") return [...stack.slice(stack.indexOf(node)), node];
    state.set(node, "open");
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(node, "done");
    return undefined;
  };
  for (const node of [...graph.keys()].sort()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}

/** Edges from one kernels/<family> folder to another. */
export function crossFamilyEdges(graph: ReadonlyMap<string, ReadonlySet<string>>): string[] {
  const family = (folder: string): string | undefined => /^kernels\/[^/]+/.exec(folder)?.[0];
  const edges: string[] = [];
  for (const [from, tos] of graph) {
    for (const to of tos) if (family(from) && family(to) && family(from) !== family(to)) edges.push(`${from} -> ${to}`);
  }
  return edges;
}

const files = sourceFiles(SRC).map((path) => ({ path, text: readFileSync(path, "utf8") }));
const graph = folderGraph(files);

describe("backend-cpu's folder import graph", () => {
  it("has no cycle, and no kernel family imports another", () => {
    const lines = [...graph.keys()].sort().map((f) => `${f} -> ${[...graph.get(f)!].sort().join(", ") || "(nothing)"}`);
    console.log(`folder import graph of packages/backend-cpu/src:\n  ${lines.join("\n  ")}`);
    expect(findCycle(graph)).toBeUndefined();
    expect(crossFamilyEdges(graph)).toEqual([]);
  });

  it("has the folders of the design, each with files", () => {
    for (const folder of ["wasm", "threads", "steps", "plan", "kernels/gemm", "kernels/softmax", "kernels/gram-softmax", "kernels/loops"]) expect(graph.has(folder), folder).toBe(true);
    // The bottom layers import nothing above them.
    expect([...graph.get("wasm")!]).toEqual([]);
    expect([...graph.get("threads")!]).toEqual(["wasm"]);
  });

  it("sees what it checks: a cycle and a cross-family import in a made-up tree are found", () => {
    const made = folderGraph([
      { path: join(SRC, "kernels/a/x.ts"), text: 'import type { Y } from "../b/y.js";\n' },
      { path: join(SRC, "kernels/b/y.ts"), text: 'export { Z } from "../../plan/z.js";\n' },
      { path: join(SRC, "plan/z.ts"), text: 'import {\n  X,\n} from "../kernels/a/x.js";\nimport "./side-effect.js";\n' },
    ]);
    expect(findCycle(made)).toEqual(["kernels/a", "kernels/b", "plan", "kernels/a"]);
    expect(crossFamilyEdges(made)).toEqual(["kernels/a -> kernels/b"]);
  });
});
