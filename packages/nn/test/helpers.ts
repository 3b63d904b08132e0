// Shared test machinery (not a test file): running programs with the float64 interpreter, and
// autodiff gradients checked against central finite differences.
import { type Program, Random, type Shape, type Tensor, differentiate, interpret, ops, sizeOf, trace } from "@unfold/core";

export function run(program: Program, feeds: Readonly<Record<string, ArrayLike<number>>>): Record<string, Float64Array> {
  return Object.fromEntries(interpret(program, new Map(Object.entries(feeds).map(([k, v]) => [k, Float64Array.from(v)]))));
}

export function norm(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * a[i]!;
  return Math.sqrt(s);
}

/** ||a - b|| / max(||a||, ||b||); 0 when both are zero, Infinity when lengths differ. */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  const scale = Math.max(norm(a), norm(b));
  return scale === 0 ? 0 : norm(Array.from(a, (v, i) => v - b[i]!)) / scale;
}

export function normals(rng: Random, shape: Shape, scale = 1): Float64Array {
  return rng.normals(sizeOf(shape), scale);
}

/** A leaf of a checked function; `diff: false` leaves (integer indices) are fed but never perturbed. */
export interface Leaf {
  readonly shape: Shape;
  readonly data: Float64Array;
  readonly diff?: boolean;
}

/**
 * L = sum(w * body(leaves)) with a seeded random w (so every output element matters), traced with
 * every differentiable leaf as a "param" and the others as "input"s.
 */
export function weightedLoss(leaves: Readonly<Record<string, Leaf>>, body: (x: Record<string, Tensor>) => Tensor, seed: number): Program {
  const specs = Object.fromEntries(Object.entries(leaves).map(([n, l]) => [n, { shape: l.shape, dtype: "float64" as const, kind: l.diff === false ? ("input" as const) : ("param" as const) }]));
  return trace(specs, (x, graph) => {
    const y = body(x as Record<string, Tensor>);
    const w = graph.constant(new Random(seed).normals(y.size), y.shape, y.dtype);
    return { loss: ops.sum(ops.mul(w, y)) };
  });
}

/** Central differences of a scalar function of one vector. */
export function numericGradient(f: (x: Float64Array) => number, x: Float64Array, h = 1e-6): Float64Array {
  const out = new Float64Array(x.length);
  const probe = x.slice();
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    probe[i] = v + h;
    const fp = f(probe);
    probe[i] = v - h;
    const fm = f(probe);
    probe[i] = v;
    out[i] = (fp - fm) / (2 * h);
  }
  return out;
}

/**
 * Autodiff (core `differentiate` of the traced loss) against central differences, per
 * differentiable leaf, in float64. Returns the worst per-leaf error ||auto - numeric|| / scale,
 * the scale being the larger of the two norms but at least 1e-3 of the whole gradient's norm: a
 * leaf whose true gradient is zero (a key bias under softmax) only ever shows difference noise,
 * which must be judged against the size of the gradient that noise comes from. Fails loudly when
 * every numeric gradient is zero (a case that cannot tell right from wrong).
 */
export function gradientError(leaves: Readonly<Record<string, Leaf>>, body: (x: Record<string, Tensor>) => Tensor, seed = 7): number {
  const program = weightedLoss(leaves, body, seed);
  const feeds = Object.fromEntries(Object.entries(leaves).map(([n, l]) => [n, l.data]));
  const withGrads = run(differentiate(program, { of: "loss" }), feeds);
  const pairs: { auto: Float64Array; numeric: Float64Array }[] = [];
  for (const [name, leaf] of Object.entries(leaves)) {
    if (leaf.diff === false) continue;
    const numeric = numericGradient((v) => run(program, { ...feeds, [name]: v })["loss"]![0]!, leaf.data);
    pairs.push({ auto: withGrads[`grad_${name}`]!, numeric });
  }
  const total = Math.sqrt(pairs.reduce((s, p) => s + norm(p.numeric) ** 2, 0));
  if (total === 0) throw new Error("every numeric gradient is zero: the case is vacuous");
  let worst = 0;
  for (const { auto, numeric } of pairs) {
    if (auto.length !== numeric.length) return Infinity;
    const diff = norm(Array.from(auto, (v, i) => v - numeric[i]!));
    worst = Math.max(worst, diff / Math.max(norm(auto), norm(numeric), 1e-3 * total));
  }
  return worst;
}
