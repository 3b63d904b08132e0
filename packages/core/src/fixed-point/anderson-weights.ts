// Anderson's small problem, solved on the host in float64: the mixing weights alpha that minimise
// ||sum_i alpha_i G_i||^2 subject to sum_i alpha_i = 1, from the Gram matrix <G_i, G_j>.
import { solve } from "../linalg/dense.js";

/**
 * The weights of the constrained least-squares problem: (Gram + lambda d I) z = 1, alpha = z / sum z,
 * with d = ||G_k||^2, the newest residual's (the last diagonal entry), so that `regularization` is
 * relative to what the mix is minimising: scaled by the oldest, largest residual instead, it would
 * swamp the small late ones and stall the solve near the tolerance. Gives the
 * plain step (all weight on the newest entry, the last) when the system is singular or its
 * solution not finite, so a degenerate history never stops the solve.
 */
export function andersonWeights(gram: readonly (readonly number[])[], regularization: number): Float64Array {
  const m = gram.length;
  const plain = Float64Array.from({ length: m }, (_, i) => (i === m - 1 ? 1 : 0));
  const scale = gram[m - 1]![m - 1]!;
  if (!(scale > 0) || !Number.isFinite(scale)) return plain;
  const a = new Float64Array(m * m);
  for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) a[i * m + j] = gram[i]![j]! + (i === j ? regularization * scale : 0);
  let z: Float64Array;
  try {
    z = solve(a, new Float64Array(m).fill(1), m);
  } catch {
    return plain;
  }
  const total = z.reduce((s, v) => s + v, 0);
  const alpha = z.map((v) => v / total);
  return alpha.every(Number.isFinite) ? alpha : plain;
}
