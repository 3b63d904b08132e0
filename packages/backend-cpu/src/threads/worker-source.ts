/**
 * The source text every worker of the pool runs, generated from `workerMain`, the runners of
 * every kind of work (runner.ts) and the single-thread products via Function.prototype.toString,
 * so it runs unchanged from TypeScript sources (vitest), dist and a page's bundle. Each host adds
 * its own start (node-workers.ts, web-workers.ts).
 */
import type { PlainProduct, wasmGemm } from "../wasm/gemm-driver.js";
import { kernelChunk } from "./kernel-round.js";
import type { RoundRunner } from "./runner.js";
import { workerMain } from "./worker-main.js";

/** What the workers run: the shared kernel module, the runners by kind, the single-thread products. */
export interface WorkerProgram {
  readonly module: WebAssembly.Module | undefined;
  readonly runners: readonly RoundRunner[];
  readonly single: typeof wasmGemm;
  readonly plain: PlainProduct;
}

/**
 * Declarations of `plainGemm`, `wasmGemm`, `kernelChunk`, `runners` and `workerMain`, for a
 * host's start to call `workerMain(data, ready, runners, wasmGemm, plainGemm, kernelChunk, inbox)`.
 */
export function workerDeclarations(program: WorkerProgram): string[] {
  return [
    // Some transpilers wrap functions in __name() to keep their names; make that harmless.
    "const __name = (f) => f;",
    `const plainGemm = (${program.plain.toString()});`,
    `const wasmGemm = (${program.single.toString()});`,
    `const kernelChunk = (${kernelChunk.toString()});`,
    `const runners = {`,
    ...program.runners.map((r) => `  ${r.kind}: (${r.run.toString()}),`),
    "};",
    `const workerMain = (${workerMain.toString()});`,
  ];
}
