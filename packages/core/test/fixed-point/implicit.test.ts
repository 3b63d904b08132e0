// Implicit gradients through the fixed point of gradient descent on the quadratic energy, where
// everything has a closed form: Y* = A^{-1} B, and for L = <C, Y*> the gradient in B is A^{-1} C
// and in A is -(w Y*^T + Y* w^T)/2 with w = A^{-1} C (A enters the step through (A + A^T)/2).
import { describe, expect, it } from "vitest";
import {
  type AdjointSolver,
  type Backend,
  type DeviceTensor,
  type Feeds,
  Random,
  defineUnfolding,
  hostTensor,
  implicitGradient,
  layerMap,
  relativeError,
  sizeOf,
  solve,
  toFloat64,
} from "../../src/index.js";
import { backend, d, gd, matmul, n, problem, quadratic } from "../unfold/fixtures.js";
import { angleDegrees, flatten, unrolledGradient } from "./implicit-helpers.js";

function setup(seed: number, stepSize = 0.1) {
  const p = problem(seed);
  const fixedPoint = solve(p.A, p.B, n, d);
  const C = new Random(seed + 100).normals(n * d);
  const w = solve(p.A, C, n, d);
  const gradA = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < d; k++) gradA[i * n + j]! -= (w[i * d + k]! * fixedPoint[j * d + k]! + fixedPoint[i * d + k]! * w[j * d + k]!) / 2;
  const unfolding = defineUnfolding({ energy: quadratic, steps: [gd(stepSize)], layers: 500 });
  return { ...p, unfolding, fixedPoint: hostTensor(fixedPoint, [n, d]), cotangent: hostTensor(C, [n, d]), exact: { A: gradA, B: w } };
}

describe("implicitGradient on the quadratic energy", () => {
  it.each(["iteration", "gmres", "cg"] as AdjointSolver[])("adjoint solver '%s' gives the closed-form gradient and that of a K = 500 unrolling", async (solver) => {
    const s = setup(5);
    const result = await implicitGradient(s.unfolding, backend, { state: s.fixedPoint, params: s.params, cotangent: s.cotangent, adjoint: { solver, tol: 1e-12, maxIterations: 1000 } });
    expect(result.adjoint!.converged).toBe(true);
    expect(result.adjoint!.solver).toBe(solver);
    expect(result.adjoint!.residual).toBeLessThan(1e-11);
    expect(relativeError(toFloat64(result.grads["B"]!), s.exact.B)).toBeLessThan(1e-9);
    expect(relativeError(toFloat64(result.grads["A"]!), s.exact.A)).toBeLessThan(1e-9);
    const unrolled = await unrolledGradient(backend, s.unfolding, s.state, s.params, s.cotangent);
    expect(relativeError(flatten(result.grads), flatten(unrolled))).toBeLessThan(1e-6);
    console.log(`quadratic, adjoint '${solver}': ${result.adjoint!.iterations} iterations, residual ${result.adjoint!.residual.toExponential(2)}`);
  });

  it("CG solves alpha H u = g in at most n distinct-eigenvalue steps, and GMRES in as few", async () => {
    const s = setup(6);
    const cg = await implicitGradient(s.unfolding, backend, { state: s.fixedPoint, params: s.params, cotangent: s.cotangent, adjoint: { solver: "cg", tol: 1e-12 } });
    const gmres = await implicitGradient(s.unfolding, backend, { state: s.fixedPoint, params: s.params, cotangent: s.cotangent, adjoint: { solver: "gmres", tol: 1e-12 } });
    const iteration = await implicitGradient(s.unfolding, backend, { state: s.fixedPoint, params: s.params, cotangent: s.cotangent, adjoint: { solver: "iteration", tol: 1e-12, maxIterations: 2000 } });
    // H = A acts on each of the d columns alike, with n = 4 distinct eigenvalues: a Krylov space of dimension 4.
    expect(cg.adjoint!.iterations).toBeLessThanOrEqual(n + 1);
    expect(gmres.adjoint!.iterations).toBeLessThanOrEqual(n + 1);
    expect(iteration.adjoint!.iterations).toBeGreaterThan(100);
    console.log(`quadratic adjoint iterations: cg ${cg.adjoint!.iterations}, gmres ${gmres.adjoint!.iterations}, iteration ${iteration.adjoint!.iterations}`);
  });

  it("restarted GMRES still converges with a basis of 2 vectors", async () => {
    const s = setup(7);
    const result = await implicitGradient(s.unfolding, backend, { state: s.fixedPoint, params: s.params, cotangent: s.cotangent, adjoint: { solver: "gmres", restart: 2, tol: 1e-12, maxIterations: 500 } });
    expect(result.adjoint!.converged).toBe(true);
    expect(result.adjoint!.iterations).toBeGreaterThan(n);
    expect(relativeError(toFloat64(result.grads["B"]!), s.exact.B)).toBeLessThan(1e-9);
  });

  it("reports an adjoint iteration that diverges (step past 2/lambda_max), throws it on request, and GMRES solves it", async () => {
    // lambda_max = 4, alpha = 0.6: J_Y = I - 0.6 A has eigenvalue -1.4, so u <- J^T u + g diverges.
    const s = setup(8, 0.6);
    const base = { state: s.fixedPoint, params: s.params, cotangent: s.cotangent };
    const diverged = await implicitGradient(s.unfolding, backend, { ...base, adjoint: { solver: "iteration", maxIterations: 40 } });
    expect(diverged.adjoint!.converged).toBe(false);
    expect(diverged.adjoint!.iterations).toBe(40);
    expect(diverged.adjoint!.residual).toBeGreaterThan(1);
    expect(diverged.adjoint!.stopReason).toBe("adjoint.maxIterations 40 reached");
    await expect(implicitGradient(s.unfolding, backend, { ...base, adjoint: { solver: "iteration", maxIterations: 40, requireConvergence: true } })).rejects.toThrow(
      /^implicitGradient: the adjoint solve \(solver 'iteration'\) did not converge: relative residual [0-9.e+]+ > adjoint.tol 1e-8 after 40 iterations \(adjoint.maxIterations 40 reached\); raise adjoint.maxIterations/,
    );
    const gmres = await implicitGradient(s.unfolding, backend, { ...base, adjoint: { solver: "gmres", tol: 1e-12, requireConvergence: true } });
    expect(relativeError(toFloat64(gmres.grads["B"]!), s.exact.B)).toBeLessThan(1e-9);
  });

  it("JFB uses u = g and phantom gradients unroll k damped steps from Y*", async () => {
    const s = setup(9);
    const base = { state: s.fixedPoint, params: s.params, cotangent: s.cotangent };
    const jfb = await implicitGradient(s.unfolding, backend, { ...base, backward: "jfb" });
    expect(jfb.adjoint).toBeNull();
    // JFB's gradient in B is (dT/dB)^T g = alpha C.
    expect(relativeError(toFloat64(jfb.grads["B"]!), toFloat64(s.cotangent).map((c) => 0.1 * c))).toBeLessThan(1e-12);
    const one = await implicitGradient(s.unfolding, backend, { ...base, backward: "phantom", phantom: { steps: 1 } });
    expect(relativeError(flatten(one.grads), flatten(jfb.grads))).toBeLessThan(1e-12);
    // k steps Y <- (1 - lambda) Y + lambda T(Y) from Y*: each has Jacobian I - lambda alpha A in Y and lambda alpha
    // in B, so the gradient in B is lambda alpha sum_{i<k} (I - lambda alpha A)^i C, a truncated Neumann series.
    const neumann = (k: number, rate: number): Float64Array => {
      let term = toFloat64(s.cotangent);
      const sum = new Float64Array(n * d);
      for (let i = 0; i < k; i++) {
        sum.forEach((_, j) => (sum[j]! += rate * term[j]!));
        const at = matmul(s.A, term, n, n, d);
        term = term.map((v, j) => v - rate * at[j]!);
      }
      return sum;
    };
    const k = 5;
    const phantom = await implicitGradient(s.unfolding, backend, { ...base, backward: "phantom", phantom: { steps: k } });
    expect(relativeError(toFloat64(phantom.grads["B"]!), neumann(k, 0.1))).toBeLessThan(1e-12);
    const damped = await implicitGradient(s.unfolding, backend, { ...base, backward: "phantom", phantom: { steps: k, damping: 0.3 } });
    expect(relativeError(toFloat64(damped.grads["B"]!), neumann(k, 0.3 * 0.1))).toBeLessThan(1e-12);
    const implicit = await implicitGradient(s.unfolding, backend, { ...base, adjoint: { tol: 1e-12 } });
    const angles = { jfb: angleDegrees(flatten(jfb.grads), flatten(implicit.grads)), phantom5: angleDegrees(flatten(phantom.grads), flatten(implicit.grads)) };
    expect(angles.phantom5).toBeLessThan(angles.jfb);
    console.log(`quadratic angles to the implicit gradient: JFB ${angles.jfb.toFixed(2)} deg, phantom k=5 ${angles.phantom5.toFixed(2)} deg`);
  });

  it("takes a layer map as well as an unfolding, and g = 0 gives zero gradients", async () => {
    const s = setup(10);
    const zero = hostTensor(new Float64Array(n * d), [n, d]);
    for (const solver of ["iteration", "gmres", "cg"] as AdjointSolver[]) {
      const result = await implicitGradient(layerMap(s.unfolding), backend, { state: s.fixedPoint, params: s.params, cotangent: zero, adjoint: { solver } });
      expect(result.adjoint!.converged).toBe(true);
      expect(Math.max(...flatten(result.grads).map(Math.abs))).toBe(0);
    }
  });

  it("runs in float32 as well, to float32 accuracy", async () => {
    const s = setup(13);
    const f32 = (t: { data: ArrayLike<number>; shape: readonly number[] }) => hostTensor(Float32Array.from(t.data), [...t.shape], "float32");
    const params = { A: f32(s.params["A"]!), B: f32(s.params["B"]!) };
    for (const solver of ["iteration", "gmres", "cg"] as AdjointSolver[]) {
      const result = await implicitGradient(s.unfolding, backend, { state: f32(s.fixedPoint), params, cotangent: f32(s.cotangent), adjoint: { solver, tol: 1e-5, maxIterations: 500 } });
      expect(result.grads["B"]!.dtype).toBe("float32");
      expect(result.adjoint!.converged, solver).toBe(true);
      expect(relativeError(toFloat64(result.grads["B"]!), s.exact.B), solver).toBeLessThan(1e-4);
    }
  });

  it("keeps every vector resident: reads back only scalars until the gradients, and disposes all it made", async () => {
    const s = setup(12);
    const cases: Record<string, unknown>[] = [
      { adjoint: { solver: "iteration", tol: 1e-12, maxIterations: 1000 } },
      { adjoint: { solver: "gmres", restart: 2, tol: 1e-12, maxIterations: 200 } },
      { adjoint: { solver: "cg", tol: 1e-12 } },
      { adjoint: { solver: "iteration", maxIterations: 3 } },
      { backward: "jfb" },
      { backward: "phantom", phantom: { steps: 3 } },
    ];
    for (const options of cases) {
      const { backend: counted, live, readSizes } = counting(backend);
      const result = await implicitGradient(s.unfolding, counted, { state: s.fixedPoint, params: s.params, cotangent: s.cotangent, ...options });
      const label = JSON.stringify(options);
      expect(live.size, label).toBe(0);
      // The only reads larger than a scalar are the two gradients, A [4, 4] and B [4, 3], at the end.
      expect(readSizes.slice(-2), label).toEqual([n * n, n * d]);
      expect(readSizes.slice(0, -2).every((size) => size === 1), label).toBe(true);
      if (result.adjoint) expect(readSizes.length - 2, label).toBeGreaterThanOrEqual(result.adjoint.iterations);
    }
  });
});

/** `inner`, with every device tensor it makes counted until disposed and every read's size recorded. */
function counting(inner: Backend): { backend: Backend; live: Set<DeviceTensor>; readSizes: number[] } {
  const live = new Set<DeviceTensor>();
  const readSizes: number[] = [];
  const unwrap = new WeakMap<object, DeviceTensor>();
  const wrap = (t: DeviceTensor): DeviceTensor => {
    const wrapped: DeviceTensor = {
      backend: t.backend,
      shape: t.shape,
      dtype: t.dtype,
      get disposed() {
        return t.disposed;
      },
      read: async () => {
        readSizes.push(sizeOf(t.shape));
        return t.read();
      },
      dispose: () => {
        live.delete(wrapped);
        t.dispose();
      },
    };
    live.add(wrapped);
    unwrap.set(wrapped, t);
    return wrapped;
  };
  const backend: Backend = {
    name: inner.name,
    dtypes: inner.dtypes,
    compile: async (program, options) => {
      const executable = await inner.compile(program, options);
      return {
        program: executable.program,
        run: async (feeds: Feeds) => {
          const outs = await executable.run(Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, unwrap.get(v) ?? v])));
          return Object.fromEntries(Object.entries(outs).map(([k, t]) => [k, wrap(t)]));
        },
      };
    },
    upload: async (t) => wrap(await inner.upload(t)),
    dispose: () => inner.dispose(),
  };
  return { backend, live, readSizes };
}
