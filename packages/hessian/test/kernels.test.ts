import { relativeError } from "@unfold/core";
import { describe, expect, it } from "vitest";
import { symmetricKronSum } from "../src/attention/kron-sum.js";
import { addCongruenceUpper } from "../src/dense/congruence.js";
import { type Matrix, kron, matmul, matmulTransposeA, matrix, transpose } from "../src/dense/matrix.js";
import { verifyClosedForm } from "../src/index.js";

/** A small deterministic generator, so a failure names a reproducible case. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

function randomMatrix(rows: number, cols: number, next: () => number, zeros = 0): Matrix {
  return matrix(rows, cols, Array.from({ length: rows * cols }, () => (next() + 0.5 < zeros ? 0 : next())));
}

function symmetric(n: number, next: () => number): Matrix {
  const m = randomMatrix(n, n, next);
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) m.data[i * n + j] = m.data[j * n + i]!;
  return m;
}

/** The textbook triple loop, in a different order from the kernels. */
function naiveProduct(a: Matrix, b: Matrix): Matrix {
  const c = matrix(a.rows, b.cols);
  for (let i = 0; i < a.rows; i++) {
    for (let j = 0; j < b.cols; j++) {
      let s = 0;
      for (let k = 0; k < a.cols; k++) s += a.data[i * a.cols + k]! * b.data[k * b.cols + j]!;
      c.data[i * b.cols + j] = s;
    }
  }
  return c;
}

const SIZES = [1, 2, 3, 4, 5, 7, 9, 13];

describe("dense kernels (float64, random odd sizes)", () => {
  it("matmul and matmulTransposeA match the triple loop, with and without zero entries", () => {
    const next = random(11);
    for (const m of SIZES) for (const k of [1, 3, 5, 8, 11]) for (const zeros of [0, 0.4]) {
      const a = randomMatrix(m, k, next, zeros);
      const b = randomMatrix(k, 6, next, zeros);
      expect(relativeError(matmul(a, b).data, naiveProduct(a, b).data), `${m} x ${k}`).toBeLessThan(1e-13);
      const at = randomMatrix(k, m, next, zeros);
      expect(relativeError(matmulTransposeA(at, b).data, naiveProduct(transpose(at), b).data), `(${k} x ${m})^T`).toBeLessThan(1e-13);
    }
  });

  it("a zero in the left factor skips its row, so 0 * Infinity never turns an entry into NaN", () => {
    const a = matrix(1, 5, [1, 0, 2, 3, 4]);
    const b = matrix(5, 2, [1, 1, Infinity, 1, 1, 1, 1, 1, 1, 1]);
    expect(Array.from(matmul(a, b).data)).toEqual([10, 10]);
    expect(Array.from(matmulTransposeA(transpose(a), b).data)).toEqual([10, 10]);
  });

  it("addCongruenceUpper adds the upper triangle of a^T p a and leaves the lower one alone", () => {
    const next = random(12);
    for (const rows of SIZES) for (const n of [1, 2, 5, 8, 9]) {
      const a = randomMatrix(rows, n, next);
      const p = symmetric(rows, next);
      const expected = naiveProduct(transpose(a), naiveProduct(p, a));
      const offset = 3;
      const out = Float64Array.from({ length: offset + n * n }, () => next());
      const before = out.slice();
      addCongruenceUpper(out, offset, a, p, new Float64Array(rows * n));
      for (let j = 0; j < n; j++) {
        for (let k = 0; k < n; k++) {
          const got = out[offset + j * n + k]!;
          const want = k >= j ? before[offset + j * n + k]! + expected.data[j * n + k]! : before[offset + j * n + k]!;
          expect(Math.abs(got - want), `${rows} x ${n} at (${j}, ${k})`).toBeLessThan(1e-12 * (1 + Math.abs(want)));
        }
      }
      expect(out[0]).toBe(before[0]);
    }
  });

  it("addCongruenceUpper rejects buffers that do not fit", () => {
    const a = matrix(3, 2);
    expect(() => addCongruenceUpper(new Float64Array(4), 0, a, matrix(3, 3), new Float64Array(5))).toThrow(/scratch 5/);
    expect(() => addCongruenceUpper(new Float64Array(4), 1, a, matrix(3, 3), new Float64Array(6))).toThrow(/out 4 from 1/);
  });

  it("symmetricKronSum is scale * sum_i (x_i x_i^T) kron S_i, from the upper triangles alone", () => {
    const next = random(13);
    for (const L of [1, 3, 5]) for (const dV of [1, 2, 3, 5, 6]) for (const dK of [1, 2, 3, 4, 7]) {
      const X = randomMatrix(L, dV, next);
      const S = Array.from({ length: L }, () => symmetric(dK, next));
      const expected = matrix(dV * dK, dV * dK);
      S.forEach((s, i) => {
        const x = matrix(dV, 1, X.data.subarray(i * dV, (i + 1) * dV));
        const term = kron(naiveProduct(x, transpose(x)), s);
        for (let k = 0; k < term.data.length; k++) expected.data[k]! += 0.7 * term.data[k]!;
      });
      // Garbage below each factor's diagonal: the kernel must read only the upper triangles.
      const factors = new Float64Array(L * dK * dK);
      S.forEach((s, i) => {
        for (let b = 0; b < dK; b++) for (let c = 0; c < dK; c++) factors[i * dK * dK + b * dK + c] = c >= b ? s.data[b * dK + c]! : 1e6;
      });
      const h = symmetricKronSum(X, factors, dK, 0.7);
      expect(h.rows).toBe(dV * dK);
      expect(relativeError(h.data, expected.data), `L ${L}, d_V ${dV}, d_K ${dK}`).toBeLessThan(1e-13);
    }
  });

  it("symmetricKronSum rejects factors of the wrong size", () => {
    expect(() => symmetricKronSum(matrix(2, 3), new Float64Array(7), 2)).toThrow(/7 values are not 2 factors of 2 x 2/);
  });

  it("H(Q,Q) from the kernels matches autodiff at sizes with leftover pairs and entries", async () => {
    // d_V = 5: 15 pairs (three passes of four and three left over); d_K = 2: 3 packed entries (odd).
    const report = await verifyClosedForm({ shapes: [{ tokens: 2, model: 5, key: 2, out: 1 }] });
    for (const c of report.cases) expect(c.blocks.QQ, c.loss).toBeLessThan(1e-10);
  });
});
