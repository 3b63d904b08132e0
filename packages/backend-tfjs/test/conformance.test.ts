// The TensorFlow.js backend joins by passing the one conformance suite on each of its Node
// engines; float64 must be rejected (TensorFlow.js has none).
import { type CompositeKind, optimize, splitLongSums } from "@unfold/core";
import { type CompositeFusionProbe, describeConformance } from "@unfold/conformance";
import { type TfjsEngine, TfjsBackend } from "../src/index.js";
import { sumsSerially } from "../src/engine.js";
import { planProgram } from "../src/lower/plan.js";

/**
 * Read from the plan as the engine compiles it: a step that reads other values than its node's
 * inputs is a fused composite, of its root's tag. tf.softmax and tf.logSoftmax take the last
 * axis only; sigmoid stays in core's two-branch form.
 */
const composites = (engine: TfjsEngine): CompositeFusionProbe => ({
  native: () => ["softmax", "logSoftmax", "logsumexp", "layerNorm"],
  fused: (program) => {
    const optimized = optimize(program);
    const plan = planProgram(sumsSerially(engine) ? splitLongSums(optimized) : optimized);
    const node = (id: number) => plan.program.nodes[id]!;
    return plan.steps.filter((s) => s.inputs.join() !== node(s.id).inputs.join()).map((s) => node(s.id).composite as CompositeKind);
  },
});

describeConformance({ name: "tfjs (cpu engine)", create: () => new TfjsBackend({ engine: "cpu" }), composites: composites("cpu") });
describeConformance({ name: "tfjs (wasm engine)", create: () => new TfjsBackend({ engine: "wasm" }), composites: composites("wasm") });
