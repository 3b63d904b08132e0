// The CPU backend joins by passing the one conformance suite, in float32 and float64: as it runs
// by default, and with every product threaded, which also makes every chain of batched steps an
// item round (plan/segments.ts) however small its work. Its fusion probe plans each composite
// form on a real engine and reads the steps: a row softmax is one "softmax" step, and a Yang
// attention step (float32) one "gram softmax" or "attention" step.
import { type CompositeKind, type DType, optimize, type Program } from "@unfold/core";
import { type CompositeFusionProbe, describeConformance } from "@unfold/conformance";
import { afterAll } from "vitest";
import { type CpuEngine, createEngine } from "../src/engine.js";
import { CpuBackend } from "../src/index.js";
import { lower } from "../src/plan/lower.js";

let engine: Promise<CpuEngine> | undefined;
afterAll(async () => (await engine)?.dispose());

const STEP_KINDS: Record<string, CompositeKind> = { softmax: "softmax", gram: "yangAttention", attention: "yangAttention" };

const composites: CompositeFusionProbe = {
  native: (dtype: DType) => (dtype === "float32" ? ["softmax", "yangAttention"] : ["softmax"]),
  fused: async (program: Program) => {
    engine ??= createEngine(new WebAssembly.Memory({ initial: 1 }), { threads: 1 });
    const plan = lower(optimize(program), { matmul: await engine });
    return plan.steps.flatMap((step) => {
      const kind = STEP_KINDS[step.label.split(" ")[0]!];
      return kind ? [kind] : [];
    });
  },
};

describeConformance({ name: "cpu", create: () => new CpuBackend(), composites });
describeConformance({ name: "cpu, everything threaded", create: () => new CpuBackend({ threads: 2, parallelThreshold: 0 }) });
