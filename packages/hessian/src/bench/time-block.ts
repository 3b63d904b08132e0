import { type Backend, ReferenceBackend, UnfoldError, relativeError } from "@unfold/core";
import { AttentionHessian } from "../attention/blocks.js";
import { randomAttentionInstance } from "../attention/instance.js";
import { CurvatureProducts, assembleDense } from "../curvature/operator.js";
import { attentionFeeds, attentionModel } from "../models/attention.js";

/** Options of `timeHessianBlock`: the size, the repetitions and the backend. */
export interface HessianBlockTimingOptions {
  /** d_V = d_K. */
  readonly dModel: number;
  readonly tokens?: number;
  /** Timed repetitions of each method (after one untimed warm-up); the median is reported. */
  readonly repeats?: number;
  /** Where the Hessian-vector products run; the reference interpreter by default. */
  readonly backend?: Backend;
  readonly seed?: number;
}

/** The closed-form H_QQ against its assembly from Hessian-vector products: both timings and the speed-up. */
export interface HessianBlockTiming {
  readonly dModel: number;
  readonly tokens: number;
  /** Columns of H_QQ = d_V d_K: the products the autodiff assembly needs. */
  readonly columns: number;
  readonly closedFormMs: number;
  readonly hvpAssemblyMs: number;
  /** Every timed run of each method, in order (their medians are the two figures above). */
  readonly closedFormRunsMs: readonly number[];
  readonly hvpAssemblyRunsMs: readonly number[];
  /** hvpAssemblyMs / closedFormMs. */
  readonly speedup: number;
  /** The two assembled blocks against each other. */
  readonly relErr: number;
  readonly backend: string;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * The `hessian-block` workload: H_QQ of one attention layer (MSE) assembled in closed form
 * against column by column from Hessian-vector products, on the same instance. Compilation and
 * uploads happen before timing; each timed run builds the whole block from the instance.
 */
export async function timeHessianBlock(options: HessianBlockTimingOptions): Promise<HessianBlockTiming> {
  const { dModel } = options;
  if (!Number.isInteger(dModel) || dModel < 1) throw new UnfoldError("timeHessianBlock", `dModel must be an integer >= 1, got ${dModel}`);
  const tokens = options.tokens ?? 16;
  const repeats = options.repeats ?? 3;
  if (!Number.isInteger(repeats) || repeats < 1) throw new UnfoldError("timeHessianBlock", `repeats must be an integer >= 1, got ${repeats}`);
  const backend = options.backend ?? new ReferenceBackend();
  const instance = randomAttentionInstance({ tokens, model: dModel, key: dModel, loss: "mse", seed: options.seed ?? 1 });
  const closed = (): Float64Array => new AttentionHessian(instance).block("QQ").data;
  const products = await CurvatureProducts.create(backend, attentionModel({ tokens, model: dModel, key: dModel, out: dModel }, "mse"), { ...attentionFeeds(instance), kinds: ["hessian"] });
  const assembled = async (): Promise<Float64Array> => (await assembleDense(products.block("hessian", "Q"))).data;
  const reference = closed();
  // The closed form is plain JavaScript: untimed runs let the JIT compile its loops, as the
  // backend's compile step is left out of the assembly's time. At small d one run is ~1 ms, and
  // V8 optimizes a loop only after many calls, so warm up for a while, not a fixed count.
  const warmUntil = performance.now() + 150;
  for (let w = 0; w < 3 || (w < 200 && performance.now() < warmUntil); w++) closed();
  const relErr = relativeError(await assembled(), reference);
  const time = async (f: () => unknown): Promise<number> => {
    const t0 = performance.now();
    await f();
    return performance.now() - t0;
  };
  const closedTimes: number[] = [];
  const hvpTimes: number[] = [];
  for (let r = 0; r < repeats; r++) {
    closedTimes.push(await time(closed));
    hvpTimes.push(await time(assembled));
  }
  products.dispose();
  const closedFormMs = median(closedTimes);
  const hvpAssemblyMs = median(hvpTimes);
  return {
    dModel,
    tokens,
    columns: dModel * dModel,
    closedFormMs,
    hvpAssemblyMs,
    closedFormRunsMs: closedTimes,
    hvpAssemblyRunsMs: hvpTimes,
    speedup: hvpAssemblyMs / closedFormMs,
    relErr,
    backend: backend.name,
  };
}
