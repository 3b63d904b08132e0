import { ShapeError } from "@unfold/core";
import { addRows } from "./rows.js";

/**
 * A dense row-major float64 matrix: entry (i, j) is data[i * cols + j]. Everything in this
 * package is row-major, so vec(W) stacks the rows of W and the Hessian over W has rows and
 * columns indexed by (row, col) of W as row * cols + col.
 */
export interface Matrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
}

/** A rows x cols matrix, zero or filled from `data` (row-major). */
export function matrix(rows: number, cols: number, data?: ArrayLike<number>): Matrix {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0) {
    throw new ShapeError("matrix", `dimensions must be non-negative integers, got ${rows} x ${cols}`);
  }
  if (data && data.length !== rows * cols) {
    throw new ShapeError("matrix", `${data.length} values do not fill a ${rows} x ${cols} matrix`);
  }
  return { rows, cols, data: data ? Float64Array.from(data) : new Float64Array(rows * cols) };
}

/** The n x n identity. */
export function identity(n: number): Matrix {
  const m = matrix(n, n);
  for (let i = 0; i < n; i++) m.data[i * n + i] = 1;
  return m;
}

/** Entry (i, j). */
export const at = (m: Matrix, i: number, j: number): number => m.data[i * m.cols + j]!;

/** The transpose. */
export function transpose(a: Matrix): Matrix {
  const t = matrix(a.cols, a.rows);
  for (let i = 0; i < a.rows; i++) for (let j = 0; j < a.cols; j++) t.data[j * a.rows + i] = a.data[i * a.cols + j]!;
  return t;
}

/** The product a b. */
export function matmul(a: Matrix, b: Matrix): Matrix {
  if (a.cols !== b.rows) throw new ShapeError("matmul", `cannot multiply ${a.rows} x ${a.cols} by ${b.rows} x ${b.cols}`);
  const c = matrix(a.rows, b.cols);
  matmulInto(c.data, a, b);
  return c;
}

/** Overwrites the first a.rows * b.cols values of c with a b (shapes checked by the caller). */
export function matmulInto(c: Float64Array, a: Matrix, b: Matrix): void {
  const n = b.cols;
  c.fill(0, 0, a.rows * n);
  const A = a.data;
  const m = a.cols;
  for (let i = 0; i < a.rows; i++) {
    const ai = i * m;
    for (let k = 0; k < m; k += 4) {
      const count = Math.min(4, m - k);
      addRows(c, i * n, b.data, k * n, n, n, count, A[ai + k]!, count > 1 ? A[ai + k + 1]! : 0, count > 2 ? A[ai + k + 2]! : 0, count > 3 ? A[ai + k + 3]! : 0);
    }
  }
}

/** a^T b without forming the transpose. */
export function matmulTransposeA(a: Matrix, b: Matrix): Matrix {
  if (a.rows !== b.rows) throw new ShapeError("matmul", `cannot multiply (${a.rows} x ${a.cols})^T by ${b.rows} x ${b.cols}`);
  const c = matrix(a.cols, b.cols);
  const A = a.data;
  const m = a.cols;
  const rows = a.rows;
  for (let k = 0; k < rows; k += 4) {
    const count = Math.min(4, rows - k);
    for (let i = 0; i < m; i++) {
      const ak = k * m + i;
      addRows(c.data, i * b.cols, b.data, k * b.cols, b.cols, b.cols, count, A[ak]!, count > 1 ? A[ak + m]! : 0, count > 2 ? A[ak + 2 * m]! : 0, count > 3 ? A[ak + 3 * m]! : 0);
    }
  }
  return c;
}

export function add(a: Matrix, b: Matrix): Matrix {
  sameSize("add", a, b);
  return { rows: a.rows, cols: a.cols, data: a.data.map((v, i) => v + b.data[i]!) };
}

export function scale(a: Matrix, s: number): Matrix {
  return { rows: a.rows, cols: a.cols, data: a.data.map((v) => v * s) };
}

/** Accumulates s * a into acc, in place. */
export function addScaledInto(acc: Matrix, a: Matrix, s = 1): void {
  sameSize("addScaledInto", acc, a);
  for (let i = 0; i < acc.data.length; i++) acc.data[i]! += s * a.data[i]!;
}

/** Row i as a column vector (a 1-D array). */
export function row(m: Matrix, i: number): Float64Array {
  return m.data.slice(i * m.cols, (i + 1) * m.cols);
}

/** u v^T. */
export function outer(u: ArrayLike<number>, v: ArrayLike<number>): Matrix {
  const m = matrix(u.length, v.length);
  for (let i = 0; i < u.length; i++) for (let j = 0; j < v.length; j++) m.data[i * v.length + j] = u[i]! * v[j]!;
  return m;
}

/** a^T v for a vector v of length a.rows. */
export function transposeTimesVector(a: Matrix, v: ArrayLike<number>): Float64Array {
  const out = new Float64Array(a.cols);
  for (let k = 0; k < a.rows; k++) for (let j = 0; j < a.cols; j++) out[j]! += a.data[k * a.cols + j]! * v[k]!;
  return out;
}

/** a v. */
export function timesVector(a: Matrix, v: ArrayLike<number>): Float64Array {
  const out = new Float64Array(a.rows);
  for (let i = 0; i < a.rows; i++) {
    let s = 0;
    for (let j = 0; j < a.cols; j++) s += a.data[i * a.cols + j]! * v[j]!;
    out[i] = s;
  }
  return out;
}

/** The Kronecker product a kron b, row-major: vec(A X B) = (A kron B^T) vec(X). */
export function kron(a: Matrix, b: Matrix): Matrix {
  const out = matrix(a.rows * b.rows, a.cols * b.cols);
  const cols = out.cols;
  for (let i = 0; i < a.rows; i++) {
    for (let j = 0; j < a.cols; j++) {
      const aij = a.data[i * a.cols + j]!;
      if (aij === 0) continue;
      for (let k = 0; k < b.rows; k++) {
        const base = (i * b.rows + k) * cols + j * b.cols;
        for (let l = 0; l < b.cols; l++) out.data[base + l] = aij * b.data[k * b.cols + l]!;
      }
    }
  }
  return out;
}

/** Accumulates s * (a kron b) into acc, in place, without allocating the product. */
export function addKronInto(acc: Matrix, a: Matrix, b: Matrix, s = 1): void {
  if (acc.rows !== a.rows * b.rows || acc.cols !== a.cols * b.cols) {
    throw new ShapeError("addKronInto", `(${a.rows} x ${a.cols}) kron (${b.rows} x ${b.cols}) does not fit ${acc.rows} x ${acc.cols}`);
  }
  const cols = acc.cols;
  for (let i = 0; i < a.rows; i++) {
    for (let j = 0; j < a.cols; j++) {
      const aij = s * a.data[i * a.cols + j]!;
      if (aij === 0) continue;
      for (let k = 0; k < b.rows; k++) {
        const base = (i * b.rows + k) * cols + j * b.cols;
        for (let l = 0; l < b.cols; l++) acc.data[base + l]! += aij * b.data[k * b.cols + l]!;
      }
    }
  }
}

/** The Frobenius norm. */
export function frobenius(a: Matrix): number {
  let s = 0;
  for (const v of a.data) s += v * v;
  return Math.sqrt(s);
}

/** The sub-matrix of rows [r0, r0 + rows) and columns [c0, c0 + cols). */
export function subMatrix(a: Matrix, r0: number, c0: number, rows: number, cols: number): Matrix {
  if (r0 < 0 || c0 < 0 || r0 + rows > a.rows || c0 + cols > a.cols) {
    throw new ShapeError("subMatrix", `rows ${r0}..${r0 + rows} x cols ${c0}..${c0 + cols} lie outside ${a.rows} x ${a.cols}`);
  }
  const out = matrix(rows, cols);
  for (let i = 0; i < rows; i++) out.data.set(a.data.subarray((r0 + i) * a.cols + c0, (r0 + i) * a.cols + c0 + cols), i * cols);
  return out;
}

function sameSize(op: string, a: Matrix, b: Matrix): void {
  if (a.rows !== b.rows || a.cols !== b.cols) throw new ShapeError(op, `shapes differ: ${a.rows} x ${a.cols} vs ${b.rows} x ${b.cols}`);
}
