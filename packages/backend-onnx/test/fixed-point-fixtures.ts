// A quadratic energy whose gradient-step layer map is a contraction, and the in-framework fixed
// point the exported Loop is checked against (not a test file).
import {
  type DType,
  type Energy,
  type HostTensor,
  LAYER_MAP_OUTPUTS,
  type LayerMap,
  Random,
  ReferenceBackend,
  defineEnergy,
  defineUnfolding,
  gradientStep,
  hostTensor,
  layerMap,
  layerMapProgram,
  runToHost,
  symmetricEigen,
} from "@unfold/core";

export const n = 4;
export const d = 3;

/** E(X) = 1/2 <X, A X> - <B, X> on a state X of shape [n, d]; its minimiser is A^{-1} B. */
export const quadratic: Energy = defineEnergy({
  name: "quadratic",
  params: { A: { shape: [n, n], constraint: "symmetric" }, B: { shape: [n, d] } },
  terms: [
    { name: "quadratic", value: (x, p) => x.mul(p["A"]!.matmul(x)).sum().mul(0.5) },
    { name: "linear", value: (x, p) => x.mul(p["B"]!).sum().neg() },
  ],
});

/** A symmetric positive definite A with the given eigenvalues (random eigenvectors), and random B and X0. */
export function quadraticProblem(seed: number, eigenvalues: readonly number[], dtype: DType): { params: Record<string, HostTensor>; state: HostTensor; minimiser: Float64Array } {
  const rng = new Random(seed);
  const g = rng.normals(n * n);
  const q = symmetricEigen(Float64Array.from(g, (_, k) => (g[k]! + g[(k % n) * n + Math.floor(k / n)]!) / 2), n).vectors;
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) a[i * n + j]! += q[i * n + k]! * eigenvalues[k]! * q[j * n + k]!;
  // Exactly symmetric, so the 'symmetric' constraint holds to the last bit.
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) a[i * n + j] = a[j * n + i]!;
  const b = rng.normals(n * d);
  const x0 = rng.normals(n * d);
  // A^{-1} B = Q diag(1/eig) Q^T B.
  const minimiser = new Float64Array(n * d);
  for (let i = 0; i < n; i++) for (let c = 0; c < d; c++) for (let k = 0; k < n; k++) {
    let qtb = 0;
    for (let j = 0; j < n; j++) qtb += q[j * n + k]! * b[j * d + c]!;
    minimiser[i * d + c]! += (q[i * n + k]! * qtb) / eigenvalues[k]!;
  }
  const cast = (v: Float64Array, shape: number[]): HostTensor => hostTensor(dtype === "float32" ? Float32Array.from(v) : v, shape, dtype);
  return { params: { A: cast(a, [n, n]), B: cast(b, [n, d]) }, state: cast(x0, [n, d]), minimiser };
}

/** The layer map of one gradient step of `stepSize` on the quadratic (a tied unfolding's layer). */
export const quadraticMap = (stepSize: number): LayerMap =>
  layerMap(defineUnfolding({ energy: quadratic, steps: [gradientStep(quadratic, { stepSize, name: "gd" })], layers: 1, tiedWeights: true }));

/** The fixed point as Unfold computes it, and how it got there. */
export interface InFrameworkFixedPoint {
  readonly state: Float64Array;
  readonly iterations: number;
  readonly residual: number;
  /** The relative residual after each application of T. */
  readonly residuals: readonly number[];
}

/**
 * Iterates layerMapProgram on the ReferenceBackend (in `dtype`) with the exported model's rule:
 * apply T, stop once ||T(Y) - Y|| / ||Y|| <= tol or after maxIterations applications.
 */
export async function inFrameworkFixedPoint(map: LayerMap, state: HostTensor, params: Record<string, HostTensor>, tol: number, maxIterations: number): Promise<InFrameworkFixedPoint> {
  const backend = new ReferenceBackend();
  const exe = await backend.compile(layerMapProgram(map, state.shape, state.dtype));
  let current = state;
  const residuals: number[] = [];
  for (let k = 1; k <= maxIterations; k++) {
    const out = await runToHost(exe, { state: current, ...params });
    current = out[LAYER_MAP_OUTPUTS.next]!;
    // The relative residual as core's forward solvers compute it, and their rule: stop once it is at most tol.
    const residualSq = out[LAYER_MAP_OUTPUTS.residualSq]!.data[0]!;
    const residual = residualSq === 0 ? 0 : Math.sqrt(residualSq / out[LAYER_MAP_OUTPUTS.stateSq]!.data[0]!);
    residuals.push(residual);
    if (!(residual > tol)) break;
  }
  return { state: Float64Array.from(current.data), iterations: residuals.length, residual: residuals[residuals.length - 1]!, residuals };
}
