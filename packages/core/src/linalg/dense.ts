import { ShapeError, UnfoldError } from "../errors.js";

/**
 * Small dense float64 linear algebra on row-major n x n matrices, for host-side checks that
 * sit outside programs: eigenvalue bounds on step sizes, preconditioners in tests.
 */

function checkSquare(op: string, a: ArrayLike<number>, n: number): void {
  if (!Number.isInteger(n) || n < 0 || a.length !== n * n) {
    throw new ShapeError(op, `expected a ${n} x ${n} matrix (${n * n} values), got ${a.length} values`);
  }
}

/** The largest |A - A^T| entry relative to the largest |A| entry (0 for a symmetric matrix). */
export function asymmetry(a: ArrayLike<number>, n: number): { relative: number; row: number; col: number } {
  checkSquare("asymmetry", a, n);
  let worst = 0;
  let scale = 0;
  let row = 0;
  let col = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      scale = Math.max(scale, Math.abs(a[i * n + j]!));
      const d = Math.abs(a[i * n + j]! - a[j * n + i]!);
      if (d > worst) [worst, row, col] = [d, i, j];
    }
  }
  return { relative: scale === 0 ? 0 : worst / scale, row, col };
}

/** Eigen-decomposition of a symmetric matrix by cyclic Jacobi rotations: A = V diag(values) V^T. */
export function symmetricEigen(a: ArrayLike<number>, n: number): { values: Float64Array; vectors: Float64Array } {
  checkSquare("symmetricEigen", a, n);
  const { relative } = asymmetry(a, n);
  if (relative > 1e-10) throw new UnfoldError("symmetricEigen", `matrix is not symmetric (relative asymmetry ${relative.toExponential(2)})`);
  const m = Float64Array.from(a);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  // Rotations keep the Frobenius norm, so the stopping test is relative to it: an absolute
  // threshold would stop a tiny matrix (entries ~1e-16) before its first rotation.
  let norm = 0;
  for (let i = 0; i < n * n; i++) norm += m[i]! ** 2;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += m[p * n + q]! ** 2;
    if (off <= 1e-30 * norm) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (m[q * n + q]! - m[p * n + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const mkp = m[k * n + p]!;
          const mkq = m[k * n + q]!;
          m[k * n + p] = c * mkp - s * mkq;
          m[k * n + q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < n; k++) {
          const mpk = m[p * n + k]!;
          const mqk = m[q * n + k]!;
          m[p * n + k] = c * mpk - s * mqk;
          m[q * n + k] = s * mpk + c * mqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p]!;
          const vkq = v[k * n + q]!;
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = m[i * n + i]!;
  return { values, vectors: v };
}

/** Rebuilds V diag(f(values)) V^T: e.g. clipping eigenvalues into an interval. */
export function mapEigenvalues(a: ArrayLike<number>, n: number, f: (value: number) => number): Float64Array {
  const { values, vectors } = symmetricEigen(a, n);
  const out = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    const lambda = f(values[k]!);
    for (let i = 0; i < n; i++) {
      const vik = vectors[i * n + k]! * lambda;
      for (let j = 0; j < n; j++) out[i * n + j]! += vik * vectors[j * n + k]!;
    }
  }
  return out;
}

/** Solves A X = B for X (B is n x m) by Gaussian elimination with partial pivoting. */
export function solve(a: ArrayLike<number>, b: ArrayLike<number>, n: number, m = 1): Float64Array {
  checkSquare("solve", a, n);
  if (b.length !== n * m) throw new ShapeError("solve", `right-hand side has ${b.length} values, expected ${n} x ${m}`);
  const lu = Float64Array.from(a);
  const x = Float64Array.from(b);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(lu[r * n + col]!) > Math.abs(lu[pivot * n + col]!)) pivot = r;
    if (Math.abs(lu[pivot * n + col]!) < 1e-300) throw new UnfoldError("solve", "matrix is singular");
    if (pivot !== col) {
      for (let k = 0; k < n; k++) [lu[col * n + k], lu[pivot * n + k]] = [lu[pivot * n + k]!, lu[col * n + k]!];
      for (let k = 0; k < m; k++) [x[col * m + k], x[pivot * m + k]] = [x[pivot * m + k]!, x[col * m + k]!];
    }
    for (let r = col + 1; r < n; r++) {
      const f = lu[r * n + col]! / lu[col * n + col]!;
      if (f === 0) continue;
      for (let k = col; k < n; k++) lu[r * n + k]! -= f * lu[col * n + k]!;
      for (let k = 0; k < m; k++) x[r * m + k]! -= f * x[col * m + k]!;
    }
  }
  for (let r = n - 1; r >= 0; r--) {
    for (let k = 0; k < m; k++) {
      let acc = x[r * m + k]!;
      for (let c = r + 1; c < n; c++) acc -= lu[r * n + c]! * x[c * m + k]!;
      x[r * m + k] = acc / lu[r * n + r]!;
    }
  }
  return x;
}

/** The inverse of the row-major n x n matrix `a`, by solving against the identity; a singular matrix is an error. */
export function inverse(a: ArrayLike<number>, n: number): Float64Array {
  const eye = new Float64Array(n * n);
  for (let i = 0; i < n; i++) eye[i * n + i] = 1;
  return solve(a, eye, n, n);
}

/** Relative Frobenius error ||a - b|| / ||b|| (absolute when b is zero). */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new ShapeError("relativeError", `lengths differ: ${a.length} vs ${b.length}`);
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += b[i]! ** 2;
  }
  return den === 0 ? Math.sqrt(num) : Math.sqrt(num / den);
}
