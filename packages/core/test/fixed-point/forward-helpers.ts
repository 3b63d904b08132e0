// Shared by the forward-solver tests (not a test file): the quadratic problem's fixed point and
// plain-iteration oracle in plain JavaScript, and a backend wrapper that records every read and
// every tensor made, to check that the solvers keep the state resident and dispose what they make.
import { type Backend, type DeviceTensor, type HostTensor, ReferenceBackend, solve } from "../../src/index.js";
import { d, dot, energyJS, gradJS, n } from "../unfold/fixtures.js";

/** A^{-1} B: the minimiser of the quadratic energy, the fixed point of its gradient step. */
export const minimiser = (A: Float64Array, B: Float64Array): Float64Array => solve(A, B, n, d);

/** One plain iteration x <- x - alpha (A x - B) as the oracle computes it. */
export interface OracleStep {
  readonly residual: number;
  readonly energy: number;
  readonly x: Float64Array;
}

/** The first `count` iterations of gradient descent at `alpha` from x0: each step's relative residual (at its start) and energy (at its end). */
export function oracleIterations(A: Float64Array, B: Float64Array, x0: Float64Array, alpha: number, count: number): OracleStep[] {
  const steps: OracleStep[] = [];
  let x = x0;
  for (let k = 0; k < count; k++) {
    const g = gradJS(A, B, x);
    const next = x.map((v, i) => v - alpha * g[i]!);
    const diff = next.map((v, i) => v - x[i]!);
    steps.push({ residual: Math.sqrt(dot(diff, diff) / dot(x, x)), energy: energyJS(A, B, next), x: next });
    x = next;
  }
  return steps;
}

/** A ReferenceBackend that records the shapes of every batched read and every tensor it makes. */
export interface RecordingBackend extends Backend {
  /** The shapes of each readMany call's tensors, in call order. */
  readonly reads: (readonly number[])[][];
  readonly made: DeviceTensor[];
}

export function recordingBackend(): RecordingBackend {
  const inner = new ReferenceBackend();
  const reads: (readonly number[])[][] = [];
  const made: DeviceTensor[] = [];
  return {
    name: inner.name,
    dtypes: inner.dtypes,
    reads,
    made,
    compile: async (program, options) => {
      const exe = await inner.compile(program, options);
      return {
        program: exe.program,
        run: async (feeds) => {
          const outs = await exe.run(feeds);
          made.push(...Object.values(outs));
          return outs;
        },
      };
    },
    upload: async (t: HostTensor) => {
      const tensor = await inner.upload(t);
      made.push(tensor);
      return tensor;
    },
    readMany: async (tensors) => {
      reads.push(tensors.map((t) => t.shape));
      return Promise.all(tensors.map((t) => t.read()));
    },
    dispose: () => inner.dispose(),
  };
}
