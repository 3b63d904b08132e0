// Shared machinery for the derivative suites (vjp-*.test.ts, hvp.test.ts): float64 central
// differences, a relative-error check, and fast-check arbitraries for shapes that exercise
// broadcasting. Not a test file itself.
import fc from "fast-check";
import {
  type DType,
  type LeafSpec,
  type Op,
  type Program,
  type Shape,
  type Tensor,
  Random,
  gradients,
  input,
  interpret,
  ops,
  sizeOf,
  trace,
} from "../src/index.js";

/** One leaf of a checked function: its shape and value. Leaves with `diff: false` (integer indices) are fed as given, never perturbed, and must receive an exactly zero cotangent. */
export interface LeafData {
  readonly shape: Shape;
  readonly data: Float64Array;
  readonly dtype?: DType;
  readonly diff?: boolean;
}
export type LeafSet = Readonly<Record<string, LeafData>>;
export type Body = (x: Readonly<Record<string, Tensor>>) => Tensor;

export interface CheckOptions {
  /** Seeds the random weights w of L = sum(w * y). */
  readonly seed: number;
  readonly tol?: number;
  /** Finite-difference step for an element of value v; 1e-6 max(1, |v|) by default. */
  readonly step?: (v: number) => number;
  /** An op the forward program must contain, so a case cannot silently test something else. */
  readonly covers?: Op;
  /** Require some leaf to have a non-zero numeric gradient (default), so a case cannot pass vacuously. */
  readonly nonZero?: boolean;
}

export interface CheckResult {
  readonly loss: number;
  readonly y: Float64Array;
  readonly grads: Readonly<Record<string, Float64Array>>;
}

export const defaultStep = (v: number): number => 1e-6 * Math.max(1, Math.abs(v));

function specsOf(leaves: LeafSet): Record<string, LeafSpec> {
  return Object.fromEntries(Object.entries(leaves).map(([n, l]) => [n, input(l.shape, l.dtype ?? "float64")]));
}

export function feedsOf(leaves: LeafSet): Map<string, Float64Array> {
  return new Map(Object.entries(leaves).map(([n, l]) => [n, l.data]));
}

/** Traces y = body(x), L = sum(w * y) with w a seeded random constant of y's shape, and optionally dL/dx for every leaf. */
export function lossProgram(leaves: LeafSet, body: Body, seed: number, withGrads: boolean): Program {
  return trace(specsOf(leaves), (x, graph) => {
    const y = body(x);
    const w = graph.constant(new Random(seed).normals(y.size), y.shape, y.dtype);
    const loss = ops.sum(ops.mul(w, y));
    if (!withGrads) return { loss, y };
    const names = Object.keys(leaves);
    const gs = gradients(loss, names.map((n) => x[n]!));
    return { loss, y, ...Object.fromEntries(names.map((n, i) => [`d_${n}`, gs[i]!])) };
  });
}

/** Central differences of a scalar function of a vector, dividing by the step actually taken. */
export function numericGradient(f: (x: Float64Array) => number, x: Float64Array, step: (v: number) => number = defaultStep): Float64Array {
  const out = new Float64Array(x.length);
  const probe = x.slice();
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    const h = step(v);
    const plus = v + h;
    const minus = v - h;
    probe[i] = plus;
    const fp = f(probe);
    probe[i] = minus;
    const fm = f(probe);
    probe[i] = v;
    out[i] = (fp - fm) / (plus - minus);
  }
  return out;
}

/** Central difference of a vector function along a direction: (f(x + hv) - f(x - hv)) / 2h. */
export function numericDirectional(f: (x: Float64Array) => Float64Array, x: Float64Array, v: Float64Array, h: number): Float64Array {
  const plus = f(x.map((xi, i) => xi + h * v[i]!));
  const minus = f(x.map((xi, i) => xi - h * v[i]!));
  return plus.map((p, i) => (p - minus[i]!) / (2 * h));
}

export function norm(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * a[i]!;
  return Math.sqrt(s);
}

/** ||a - b|| / max(||a||, ||b||), and 0 when both are exactly zero. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  const d = Array.from(a, (v, i) => v - b[i]!);
  const scale = Math.max(norm(a), norm(b));
  return scale === 0 ? 0 : norm(d) / scale;
}

/**
 * Throws (so fast-check can shrink and report) unless ||actual - expected|| <= tol max(||actual||,
 * ||expected||) + slack, where `slack` is an absolute allowance for finite-difference noise.
 */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string, slack = 0): void {
  const err = relativeError(actual, expected);
  const scale = Math.max(norm(actual), norm(expected));
  if (!(err * scale <= tol * scale + slack)) {
    throw new Error(
      `${what}: relative error ${err.toExponential(2)} > ${tol} (slack ${slack.toExponential(1)})\n  actual   ${fmt(actual)}\n  expected ${fmt(expected)}`,
    );
  }
}

export function expectAllFinite(values: ArrayLike<number>, what: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i]!)) throw new Error(`${what}: element ${i} is ${values[i]}`);
  }
}

function fmt(a: ArrayLike<number>): string {
  return `[${Array.from(a, (v) => v.toPrecision(8)).join(", ")}]`;
}

/**
 * The core check: autodiff dL/dx of L = sum(w * body(x)) against central differences of L, per
 * leaf, in float64. Unless `nonZero` is false, some leaf must also have a non-zero numeric
 * gradient, so a case whose function is accidentally constant cannot pass vacuously.
 */
export function checkGradients(leaves: LeafSet, body: Body, options: CheckOptions): CheckResult {
  const { seed, tol = 1e-6, step = defaultStep, covers, nonZero = true } = options;
  if (covers) expectCovers(leaves, body, covers);
  const feeds = feedsOf(leaves);
  const full = interpret(lossProgram(leaves, body, seed, true), feeds);
  const lossOnly = lossProgram(leaves, body, seed, false);
  // Rounding in L is about eps sum |w y|; divided by the step it bounds the noise of each
  // difference quotient. Ten times that, over all elements, is allowed on top of the relative
  // tolerance, so tiny true gradients are not failed on noise (a wrong rule is off by O(1)).
  const y = full.get("y")!;
  const w = new Random(seed).normals(y.length);
  const magnitude = y.reduce((acc, v, i) => acc + Math.abs(v * w[i]!), 0);
  const grads: Record<string, Float64Array> = {};
  let anyNonZero = false;
  for (const [name, leaf] of Object.entries(leaves)) {
    const g = full.get(`d_${name}`)!;
    grads[name] = g;
    if (g.length !== leaf.data.length) throw new Error(`d_${name} has ${g.length} elements, leaf has ${leaf.data.length}`);
    if (leaf.diff === false) {
      expectExactZero(g, `d_${name}`);
      continue;
    }
    const fd = numericGradient((v) => interpret(lossOnly, new Map(feeds).set(name, v)).get("loss")![0]!, leaf.data, step);
    anyNonZero ||= norm(fd) > 0;
    const noise = leaf.data.reduce((acc, v) => Math.max(acc, (10 * Number.EPSILON * magnitude) / step(v)), 0);
    expectClose(g, fd, tol, `d_${name}`, noise * Math.sqrt(leaf.data.length));
  }
  if (nonZero && !anyNonZero) throw new Error("every numeric gradient is zero: the case is vacuous");
  return { loss: full.get("loss")![0]!, y, grads };
}

/** For piecewise-constant ops: every leaf's cotangent is exactly zero (not merely small). */
export function checkZeroGradients(leaves: LeafSet, body: Body, options: Pick<CheckOptions, "seed" | "covers">): void {
  if (options.covers) expectCovers(leaves, body, options.covers);
  const out = interpret(lossProgram(leaves, body, options.seed, true), feedsOf(leaves));
  for (const name of Object.keys(leaves)) expectExactZero(out.get(`d_${name}`)!, `d_${name}`);
}

export function expectExactZero(values: ArrayLike<number>, what: string): void {
  for (let i = 0; i < values.length; i++) {
    if (values[i] !== 0) throw new Error(`${what}: element ${i} is ${values[i]}, expected exactly 0`);
  }
}

export function expectCovers(leaves: LeafSet, body: Body, op: Op): void {
  const forward = trace(specsOf(leaves), (x) => body(x));
  if (!forward.nodes.some((n) => n.op === op)) throw new Error(`the traced case contains no '${op}' node`);
}

// ---------------------------------------------------------------------------------------------
// Data

/** Standard normals times `scale`. */
export function normals(rng: Random, shape: Shape, scale = 1): Float64Array {
  return rng.normals(sizeOf(shape), scale);
}

/** Uniform in [lo, hi]. */
export function uniforms(rng: Random, shape: Shape, lo: number, hi: number): Float64Array {
  return rng.uniforms(sizeOf(shape), lo, hi);
}

/** Uniform magnitude in [lo, hi] with a random sign: values kept away from zero. */
export function awayFromZero(rng: Random, shape: Shape, lo: number, hi: number): Float64Array {
  return uniforms(rng, shape, lo, hi).map((v) => (rng.uniform() < 0.5 ? -v : v));
}

/** Integers in [0, n), repeats allowed (stored as floats, as gather expects). */
export function indices(rng: Random, shape: Shape, n: number): Float64Array {
  return Float64Array.from({ length: sizeOf(shape) }, () => rng.int(0, n - 1));
}

/**
 * `sizes.length` tensors whose elements are pairwise at least `gap` apart (a shuffled grid with a
 * little jitter), so max/min/reduceMax have no near-ties that a finite difference could cross.
 */
export function distinct(rng: Random, shapes: readonly Shape[], gap = 0.1): Float64Array[] {
  const total = shapes.reduce((n, s) => n + sizeOf(s), 0);
  const grid = Array.from({ length: total }, (_, i) => (i - total / 2) * gap);
  for (let i = total - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [grid[i], grid[j]] = [grid[j]!, grid[i]!];
  }
  let at = 0;
  return shapes.map((s) => Float64Array.from({ length: sizeOf(s) }, () => grid[at++]! + gap * 0.2 * (rng.uniform() - 0.5)));
}

// ---------------------------------------------------------------------------------------------
// Arbitraries

export const seedArb = fc.integer({ min: 1, max: 0x7fffffff });
export const dimArb = fc.integer({ min: 1, max: 4 });

export function shapeArb(minRank = 0, maxRank = 3): fc.Arbitrary<number[]> {
  return fc.array(dimArb, { minLength: minRank, maxLength: maxRank });
}

/** A shape that broadcasts to `out`: some leading axes dropped, some of the rest set to 1. */
export function operandArb(out: Shape): fc.Arbitrary<number[]> {
  return fc
    .tuple(fc.integer({ min: 0, max: out.length }), fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }))
    .map(([drop, ones]) => out.slice(drop).map((d, i) => (ones[drop + i] ? 1 : d)));
}

/** Two shapes that broadcast together, with size-1 axes and rank extension on either side. */
export function broadcastPairArb(minRank = 0, maxRank = 3): fc.Arbitrary<[number[], number[]]> {
  return shapeArb(minRank, maxRank).chain((out) => fc.tuple(operandArb(out), operandArb(out)));
}

/** A permutation of [0, n). */
export function permutationArb(n: number): fc.Arbitrary<number[]> {
  const axes = Array.from({ length: n }, (_, i) => i);
  return fc.shuffledSubarray(axes, { minLength: n, maxLength: n });
}

/** An axis of a rank-`rank` tensor, sometimes written negative. */
export function axisArb(rank: number): fc.Arbitrary<number> {
  return fc.tuple(fc.integer({ min: 0, max: rank - 1 }), fc.boolean()).map(([a, negative]) => (negative ? a - rank : a));
}
