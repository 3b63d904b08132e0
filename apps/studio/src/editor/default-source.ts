/**
 * The energy the editor opens with: the zoo's modern Hopfield energy (8-wide patterns, 6 of
 * them, beta 4), written out with defineEnergy so that it reads as a template for a new one.
 * It equals the zoo's `hopfield` entry on its data (apps/studio/test/editor-default.test.ts).
 */
export const DEFAULT_ENERGY_SOURCE = `// A modern Hopfield energy (Ramsauer et al. 2020). Queries q, one per row of the state
// [n, d], are pulled toward the stored patterns, the rows of the parameter X [N, d]:
//
//   E(q) = -1/beta sum_i logsumexp(beta X q_i) + 1/2 sum_i ||q_i||^2
//
// Its gradient step q <- q - a (q - softmax(beta q X^T) X) is one attention update, and any
// step size a in (0, 2) lowers E.
import { defineEnergy, logsumexp, ops } from "@unfold/core";

const dim = 8; // pattern width d
const memories = 6; // stored patterns N
const beta = 4; // inverse temperature

export default defineEnergy({
  name: "hopfield",
  params: { X: { shape: [memories, dim] } },
  terms: [
    {
      name: "hopfield",
      value: (q, p) => {
        const scores = ops.mul(ops.matmul(q, ops.swapLastAxes(p.X)), beta);
        const recall = ops.mul(ops.sum(logsumexp(scores, -1)), -1 / beta);
        const norm = ops.mul(ops.sum(ops.mul(q, q)), 0.5);
        return ops.add(recall, norm);
      },
    },
  ],
});
`;

/** The state shape the default energy is traced at when compiled: 3 queries of width 8, as in the zoo's example. */
export const DEFAULT_EXAMPLE_SHAPE: readonly number[] = [3, 8];
