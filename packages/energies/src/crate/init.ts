import { type DType, type HostTensor, Random, hostTensor, requireOptions } from "@unfold/core";
import { dtypeOption, seedOption } from "../check.js";
import { type CrateConfig, crateSettings } from "./energy.js";

/**
 * Orthonormal columns (Gram-Schmidt of Gaussian columns) for a rows x cols matrix, row-major;
 * cols <= rows. Every column is renormalized twice, so rounding leaves it orthogonal to 1e-15.
 */
export function orthonormalColumns(rng: Random, rows: number, cols: number): Float64Array {
  const m = rng.normals(rows * cols);
  for (let j = 0; j < cols; j++) {
    for (let pass = 0; pass < 2; pass++) {
      for (let k = 0; k < j; k++) {
        let dot = 0;
        for (let r = 0; r < rows; r++) dot += m[r * cols + j]! * m[r * cols + k]!;
        for (let r = 0; r < rows; r++) m[r * cols + j]! -= dot * m[r * cols + k]!;
      }
      let norm = 0;
      for (let r = 0; r < rows; r++) norm += m[r * cols + j]! ** 2;
      for (let r = 0; r < rows; r++) m[r * cols + j]! /= Math.sqrt(norm);
    }
  }
  return m;
}

/**
 * Subspace bases U [K, d, p] with orthonormal columns. When K p <= d the K subspaces are also
 * orthogonal to each other (one orthonormal d x Kp matrix cut into K blocks), the incoherent
 * subspaces the paper assumes, where sum_k U_k U_k^T is a projection.
 */
export function initCrateParams(config: CrateConfig, options: { seed?: number; dtype?: DType } = {}): { U: HostTensor } {
  const op = "initCrateParams";
  const { dim: d, heads: K, headDim: p } = crateSettings(op, config);
  requireOptions(op, "options", options, ["seed", "dtype"]);
  const rng = new Random(seedOption(op, options.seed));
  const U = new Float64Array(K * d * p);
  const joint = K * p <= d ? orthonormalColumns(rng, d, K * p) : undefined;
  for (let k = 0; k < K; k++) {
    const own = joint ? undefined : orthonormalColumns(rng, d, p);
    for (let r = 0; r < d; r++) for (let j = 0; j < p; j++) U[(k * d + r) * p + j] = joint ? joint[r * K * p + k * p + j]! : own![r * p + j]!;
  }
  return { U: hostTensor(U, [K, d, p], dtypeOption(op, options.dtype)) };
}
