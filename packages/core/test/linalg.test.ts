import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Random, ShapeError, UnfoldError, asymmetry, inverse, mapEigenvalues, relativeError, solve, symmetricEigen } from "../src/index.js";

function matmul(a: ArrayLike<number>, b: ArrayLike<number>, n: number, k: number, m: number): Float64Array {
  const out = new Float64Array(n * m);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) for (let p = 0; p < k; p++) out[i * m + j]! += a[i * k + p]! * b[p * m + j]!;
  return out;
}

function transpose(a: ArrayLike<number>, n: number, m: number): Float64Array {
  const out = new Float64Array(n * m);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) out[j * n + i] = a[i * m + j]!;
  return out;
}

function identity(n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) out[i * n + i] = 1;
  return out;
}

/** A random symmetric n x n matrix: (G + G^T) / 2. */
function randomSymmetric(n: number, seed: number, scale = 1): Float64Array {
  const g = new Random(seed).normals(n * n, scale);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j] = (g[i * n + j]! + g[j * n + i]!) / 2;
  return a;
}

/** V diag(values) V^T. */
function rebuild(values: ArrayLike<number>, vectors: ArrayLike<number>, n: number): Float64Array {
  const scaled = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) scaled[i * n + k] = vectors[i * n + k]! * values[k]!;
  return matmul(scaled, transpose(vectors, n, n), n, n, n);
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
};

const sorted = (v: ArrayLike<number>): number[] => Array.from(v).sort((x, y) => x - y);

const caseArb = fc.record({ n: fc.integer({ min: 1, max: 8 }), seed: fc.integer({ min: 1, max: 0x7fffffff }) });

describe("symmetricEigen", () => {
  it("reconstructs A = V diag V^T with V orthogonal, on random symmetric matrices", () => {
    fc.assert(
      fc.property(caseArb, ({ n, seed }) => {
        const a = randomSymmetric(n, seed);
        const { values, vectors } = symmetricEigen(a, n);
        expect(values).toHaveLength(n);
        expect(vectors).toHaveLength(n * n);
        expect(relativeError(rebuild(values, vectors, n), a)).toBeLessThan(1e-12);
        expect(maxAbsDiff(matmul(transpose(vectors, n, n), vectors, n, n, n), identity(n))).toBeLessThan(1e-12);
        // A v_k = lambda_k v_k, column by column.
        const av = matmul(a, vectors, n, n, n);
        for (let k = 0; k < n; k++) for (let i = 0; i < n; i++) expect(av[i * n + k]).toBeCloseTo(values[k]! * vectors[i * n + k]!, 10);
        const trace = Array.from({ length: n }, (_, i) => a[i * n + i]!).reduce((s, v) => s + v, 0);
        expect(Array.from(values).reduce((s, v) => s + v, 0)).toBeCloseTo(trace, 10);
      }),
      { numRuns: 100 },
    );
  });

  it("finds known eigenvalues, including repeated ones", () => {
    expect(sorted(symmetricEigen([2, 1, 1, 2], 2).values).map((v) => +v.toFixed(12))).toEqual([1, 3]);
    expect(sorted(symmetricEigen([3, 0, 0, 0, -1, 0, 0, 0, 2], 3).values)).toEqual([-1, 2, 3]);
    const { values, vectors } = symmetricEigen(identity(4), 4);
    expect(Array.from(values)).toEqual([1, 1, 1, 1]);
    expect(Array.from(vectors)).toEqual(Array.from(identity(4)));
    // J - I for the all-ones J: eigenvalues 2 (once) and -1 (twice).
    const r = symmetricEigen([0, 1, 1, 1, 0, 1, 1, 1, 0], 3);
    expect(sorted(r.values).map((v) => +v.toFixed(12))).toEqual([-1, -1, 2]);
    expect(relativeError(rebuild(r.values, r.vectors, 3), [0, 1, 1, 1, 0, 1, 1, 1, 0])).toBeLessThan(1e-12);
  });

  it("is scale invariant: eig(cA) = c eig(A), for tiny and huge c", () => {
    for (const c of [1e-20, 1e-12, 1e12, 1e20]) {
      const n = 5;
      const a = randomSymmetric(n, 11);
      const base = sorted(symmetricEigen(a, n).values);
      const scaled = sorted(symmetricEigen(a.map((v) => v * c), n).values);
      expect(relativeError(scaled, base.map((v) => v * c)), `c = ${c}`).toBeLessThan(1e-12);
    }
    // A tiny off-diagonal matrix is not already diagonal.
    const tiny = sorted(symmetricEigen([0, 1e-16, 1e-16, 0], 2).values);
    expect(relativeError(tiny, [-1e-16, 1e-16])).toBeLessThan(1e-12);
  });

  it("rejects non-symmetric and wrongly sized input", () => {
    const e = (() => {
      try {
        symmetricEigen([1, 2, 3, 4], 2);
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(e).toBeInstanceOf(UnfoldError);
    expect((e as Error).message).toMatch(/^symmetricEigen: matrix is not symmetric/);
    expect(() => symmetricEigen([1, 2, 3], 2)).toThrow(ShapeError);
    expect(() => symmetricEigen([1, 2, 3], 2)).toThrow("symmetricEigen: expected a 2 x 2 matrix (4 values), got 3 values");
  });
});

describe("mapEigenvalues", () => {
  it("clips eigenvalues into an interval and keeps the eigenvectors", () => {
    fc.assert(
      fc.property(caseArb, ({ n, seed }) => {
        const a = randomSymmetric(n, seed, 2);
        const lo = -0.5;
        const hi = 1;
        const clipped = mapEigenvalues(a, n, (v) => Math.min(hi, Math.max(lo, v)));
        expect(asymmetry(clipped, n).relative).toBeLessThan(1e-12);
        const want = sorted(symmetricEigen(a, n).values).map((v) => Math.min(hi, Math.max(lo, v)));
        const got = sorted(symmetricEigen(clipped, n).values);
        for (let k = 0; k < n; k++) expect(got[k]).toBeCloseTo(want[k]!, 10);
        for (const v of got) expect(v >= lo - 1e-10 && v <= hi + 1e-10).toBe(true);
        // The clipped matrix commutes with A: same eigenvectors.
        expect(maxAbsDiff(matmul(a, clipped, n, n, n), matmul(clipped, a, n, n, n))).toBeLessThan(1e-10);
      }),
      { numRuns: 60 },
    );
  });

  it("with the identity map gives A back, with squaring gives A^2, with 1/x the inverse", () => {
    const n = 4;
    const a = randomSymmetric(n, 3);
    expect(relativeError(mapEigenvalues(a, n, (v) => v), a)).toBeLessThan(1e-12);
    expect(relativeError(mapEigenvalues(a, n, (v) => v * v), matmul(a, a, n, n, n))).toBeLessThan(1e-12);
    const spd = mapEigenvalues(a, n, (v) => Math.abs(v) + 0.5);
    expect(relativeError(mapEigenvalues(spd, n, (v) => 1 / v), inverse(spd, n))).toBeLessThan(1e-12);
  });
});

describe("solve and inverse", () => {
  it("solve(A, B) gives X with A X = B", () => {
    fc.assert(
      fc.property(caseArb, fc.integer({ min: 1, max: 4 }), ({ n, seed }, m) => {
        const rng = new Random(seed);
        const a = rng.normals(n * n);
        for (let i = 0; i < n; i++) a[i * n + i]! += n; // well conditioned
        const b = rng.normals(n * m);
        const x = solve(a, b, n, m);
        expect(relativeError(matmul(a, x, n, n, m), b)).toBeLessThan(1e-12);
        const inv = inverse(a, n);
        expect(maxAbsDiff(matmul(a, inv, n, n, n), identity(n))).toBeLessThan(1e-12);
        expect(maxAbsDiff(matmul(inv, a, n, n, n), identity(n))).toBeLessThan(1e-12);
      }),
      { numRuns: 100 },
    );
  });

  it("pivots past a zero on the diagonal", () => {
    expect(Array.from(solve([0, 1, 1, 0], [2, 3], 2))).toEqual([3, 2]);
    expect(Array.from(inverse([0, 2, 4, 0], 2))).toEqual([0, 0.25, 0.5, 0]);
  });

  it("does not modify its arguments", () => {
    const a = [4, 1, 2, 3];
    const b = [1, 2];
    solve(a, b, 2);
    expect(a).toEqual([4, 1, 2, 3]);
    expect(b).toEqual([1, 2]);
  });

  it("rejects a singular matrix and a wrongly sized right-hand side", () => {
    expect(() => solve([1, 2, 2, 4], [1, 1], 2)).toThrow(UnfoldError);
    expect(() => solve([1, 2, 2, 4], [1, 1], 2)).toThrow("solve: matrix is singular");
    expect(() => solve([1, 0, 0, 1], [1, 2, 3], 2)).toThrow(ShapeError);
    expect(() => inverse([1, 0, 0], 2)).toThrow(ShapeError);
  });
});

describe("asymmetry and relativeError", () => {
  it("is 0 for symmetric matrices and locates the worst entry otherwise", () => {
    expect(asymmetry(randomSymmetric(5, 9), 5).relative).toBe(0);
    expect(asymmetry([0, 0, 0, 0], 2).relative).toBe(0);
    expect(asymmetry([1, 2, 3, 4], 2)).toEqual({ relative: 0.25, row: 0, col: 1 });
    const a = [1, 0, 0, 0, 1, 0, 0, 5, 10];
    expect(asymmetry(a, 3)).toEqual({ relative: 0.5, row: 1, col: 2 });
  });

  it("is relative to the largest entry", () => {
    const a = [1, 2, 3, 4];
    expect(asymmetry(a.map((v) => v * 1e6), 2).relative).toBeCloseTo(0.25, 15);
  });

  it("relativeError is the relative Frobenius distance", () => {
    expect(relativeError([3, 4], [3, 4])).toBe(0);
    expect(relativeError([3, 5], [3, 4])).toBeCloseTo(1 / 5, 15);
    expect(relativeError([1, 1], [0, 0])).toBeCloseTo(Math.SQRT2, 15);
    expect(() => relativeError([1], [1, 2])).toThrow(ShapeError);
  });
});
