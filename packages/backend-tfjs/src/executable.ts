import type * as TF from "@tensorflow/tfjs";
import { type BackendLife, type CompileOptions, type DeviceTensor, type Executable, ExecutableLife, type Feeds, type Program, UnfoldError, formatShape, isDeviceTensor } from "@unfold/core";
import { type Tf, activate } from "./engine.js";
import type { TfjsEngine } from "./engines.js";
import { type Holdings } from "./lifetime.js";
import type { TfjsPlan } from "./lower/plan.js";
import { TfjsTensor } from "./tensor.js";

export interface TfjsExecutable extends Executable {
  /** Disposes the constants uploaded at compile time. */
  release(): void;
}

/**
 * Binds a plan to an engine: constants are uploaded once; each run switches TensorFlow.js to the
 * engine and runs every step inside one tf.tidy, so intermediates (and the tensors made from
 * host feeds) are disposed before the run returns and only the outputs remain. Left out of the
 * published declarations (it names TensorFlow.js's types, which need lib.dom): TfjsBackend.compile
 * is the way in.
 * @internal
 */
export function bindPlan(tf: Tf, engine: TfjsEngine, life: BackendLife, original: Program, plan: TfjsPlan, options: CompileOptions, holdings: Holdings): TfjsExecutable {
  const nodes = plan.program.nodes;
  activate(engine);
  const constants = new Map<number, TF.Tensor>();
  for (const id of plan.constants) {
    const node = nodes[id]!;
    if (node.op === "constant") constants.set(id, tf.tensor(Float32Array.from(node.value), [...node.shape], "float32"));
  }
  // The constants are freed on release(), or once nothing can run them any more.
  holdings.hold(constants, [...constants.values()]);
  const lifecycle = new ExecutableLife(life, "tfjs");
  const outputs = plan.program.outputs.map((o) => ({ name: o.name, id: o.id, shape: nodes[o.id]!.shape }));

  const run = async (feeds: Feeds): Promise<Record<string, DeviceTensor>> => {
    lifecycle.checkRunAndFeeds(original, feeds);
    // From the switch to the end of tidy everything is synchronous, so another backend's run
    // cannot make a different engine active in between.
    activate(engine);
    const results = tf.tidy(() => {
      const values = new Map<number, TF.Tensor>(constants);
      const borrowed = new Set<TF.Tensor>(constants.values());
      for (const [name, id] of plan.feeds) {
        const f = feeds[name]!;
        if (isDeviceTensor(f)) {
          const t = (f as TfjsTensor).tensor;
          values.set(id, t);
          borrowed.add(t);
        } else values.set(id, tf.tensor(f.data as Float32Array, [...f.shape], "float32"));
      }
      for (const step of plan.steps) values.set(step.id, step.kernel(tf, step.inputs.map((i) => values.get(i)!)));
      const out: Record<string, TF.Tensor> = {};
      const given = new Set<TF.Tensor>();
      for (const o of outputs) {
        const t = values.get(o.id)!;
        // Each output must be its own tensor, and never a feed's or a constant's: whoever reads
        // an output disposes it. tf.clone shares the data, counted by reference.
        out[o.name] = borrowed.has(t) || given.has(t) ? tf.clone(t) : t;
        given.add(out[o.name]!);
      }
      return out;
    });
    const outs: Record<string, DeviceTensor> = {};
    for (const o of outputs) {
      const t = results[o.name]!;
      if (options.poison) checkShape(o.name, t, o.shape);
      outs[o.name] = TfjsTensor.wrap(life, t, o.shape, engine === "cpu", holdings);
    }
    return outs;
  };
  return {
    program: original,
    run,
    release: () => {
      if (lifecycle.release()) holdings.release(constants, [...constants.values()]);
    },
  };
}

/**
 * What poisoning means here: TensorFlow.js allocates every result afresh, so there is no buffer
 * to pre-fill, and an unwritten element shows up instead as a result of the wrong shape (a
 * broadcast or reshape the lowering forgot). With poison on, every output's shape is checked.
 */
function checkShape(name: string, t: TF.Tensor, shape: readonly number[]): void {
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new UnfoldError("tfjs backend", `output '${name}' came out ${formatShape(t.shape)}, the program says ${formatShape(shape)}`);
  }
}
