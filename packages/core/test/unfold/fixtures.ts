// The quadratic energy and plain-JavaScript oracles the unfolding tests share (not a test file).
import { expect } from "vitest";
import { type Energy, type HostTensor, type ParamValues, Random, ReferenceBackend, type Step, defineEnergy, gradientStep, hostTensor, relativeError, symmetricEigen } from "../../src/index.js";
export const n = 4;
export const d = 3;

// ---------------------------------------------------------------------------------------------
// E(X) = 1/2 <X, A X> - <B, X> on a state X of shape [n, d], as two named terms.

export const quadratic: Energy = defineEnergy({
  name: "quadratic",
  params: { A: { shape: [n, n], constraint: "symmetric" }, B: { shape: [n, d] } },
  terms: [
    { name: "quadratic", value: (x, p) => x.mul(p["A"]!.matmul(x)).sum().mul(0.5) },
    { name: "linear", value: (x, p) => x.mul(p["B"]!).sum().neg() },
  ],
});

// Plain-JS versions, the oracle for the tests.

export function matmul(a: ArrayLike<number>, b: ArrayLike<number>, rows: number, inner: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) for (let p = 0; p < inner; p++) out[i * cols + j]! += a[i * inner + p]! * b[p * cols + j]!;
  return out;
}

export const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => Array.from(a).reduce((s, v, i) => s + v * b[i]!, 0);

export function termsJS(A: ArrayLike<number>, B: ArrayLike<number>, x: ArrayLike<number>): { quadratic: number; linear: number } {
  return { quadratic: 0.5 * dot(x, matmul(A, x, n, n, d)), linear: -dot(B, x) };
}

export function energyJS(A: ArrayLike<number>, B: ArrayLike<number>, x: ArrayLike<number>): number {
  const t = termsJS(A, B, x);
  return t.quadratic + t.linear;
}

export function gradJS(A: ArrayLike<number>, B: ArrayLike<number>, x: ArrayLike<number>): Float64Array {
  return matmul(A, x, n, n, d).map((v, i) => v - B[i]!);
}

/** A symmetric positive definite matrix with the given eigenvalues and random eigenvectors. */
export function spd(eigenvalues: readonly number[], seed: number): Float64Array {
  const g = new Random(seed).normals(n * n);
  const sym = g.map((_, k) => (g[k]! + g[(k % n) * n + Math.floor(k / n)]!) / 2);
  const q = symmetricEigen(sym, n).vectors;
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) a[i * n + j]! += q[i * n + k]! * eigenvalues[k]! * q[j * n + k]!;
  // Exactly symmetric, so the 'symmetric' constraint holds to the last bit.
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) a[i * n + j] = a[j * n + i]!;
  return a;
}

export const EIGS = [0.5, 1, 2, 4];
export const L = 4;

export interface Problem {
  readonly A: Float64Array;
  readonly B: Float64Array;
  readonly x0: Float64Array;
  readonly params: ParamValues;
  readonly state: HostTensor;
}

export function problem(seed: number, eigenvalues: readonly number[] = EIGS): Problem {
  const rng = new Random(seed);
  const A = spd(eigenvalues, seed + 1);
  const B = rng.normals(n * d);
  const x0 = rng.normals(n * d);
  return { A, B, x0, params: { A: hostTensor(A, [n, n]), B: hostTensor(B, [n, d]) }, state: hostTensor(x0, [n, d]) };
}

export const backend = new ReferenceBackend();
export const gd = (stepSize: number, extra: Partial<Parameters<typeof gradientStep>[1]> = {}): Step =>
  gradientStep(quadratic, { stepSize, name: "gd", ...extra });

export function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tol = 1e-12): void {
  expect(relativeError(got, want)).toBeLessThan(tol);
}
