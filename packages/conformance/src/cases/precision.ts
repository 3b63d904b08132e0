import { type Random, ops, softmax } from "@unfold/core";
import { type ConformanceCase, programCase, traced } from "../case.js";
import { leaf, uniforms } from "../generate.js";

/**
 * Long reductions, where the order of float32 accumulation shows: 2^18 terms in one sum, a mean
 * over 2^17 tokens, a softmax's denominator over a row of 2^18, a matmul's K of 4096. The terms
 * of each sum have similar magnitudes, as activations and attention weights do. Accumulated term
 * by term into one running float32 total, each term is rounded against a total that keeps
 * growing, and with terms this alike the roundings lean one way: 2^18 terms near 0.1 come out
 * 3.4e-4 off, the mean 1.6e-4, the softmax 1.7e-5. Summed pairwise or in float64 they come
 * within 1e-7, in blocks of at most 1,024 terms (core's splitLongSums) within 4e-7. Every case
 * holds a backend to a single operation's tolerance (1e-5 in float32), between the two.
 */

const LONG = 2 ** 18;

/** `size` values within 1% of `center`. */
const alike = (rng: Random, size: number, center: number): Float64Array => Float64Array.from(uniforms(rng, size, 1, 1.01), (v) => v * center);

const longSum = programCase("primitives", {
  name: "sum over 2^18 elements of similar magnitude, whole and in four rows",
  build: (dtype, rng) =>
    traced(dtype, { x: leaf([LONG], alike(rng, LONG, 0.1)) }, ({ x }) => ({ total: ops.sum(x), rows: ops.sum(ops.reshape(x, [4, LONG / 4]), -1) })),
});

const meanOverTokens = programCase("primitives", {
  name: "mean over 2^17 tokens (pooling a long sequence: the token axis is not the last)",
  build: (dtype, rng) => traced(dtype, { x: leaf([1, LONG / 2, 2], alike(rng, LONG, 0.5)) }, ({ x }) => ({ pooled: ops.mean(x, 1) })),
});

const longSoftmax = programCase("primitives", {
  name: "softmax over a row of 2^18 near-uniform scores (every output carries the denominator's error)",
  build: (dtype, rng) => traced(dtype, { x: leaf([1, LONG], uniforms(rng, LONG, 0, 0.05)) }, ({ x }) => ({ p: softmax(x, -1) })),
});

const longK = programCase("primitives", {
  name: "matmul with K = 4096 (a weight gradient's contraction over tokens), both operand layouts",
  // Products over K = 4096 come within 1.1e-6 even accumulated term by term (measured on every
  // backend): the case holds the long K to the tolerance through either operand layout.
  build: (dtype, rng) => {
    const [m, k, n] = [5, 4096, 6];
    return traced(dtype, { a: leaf([m, k], uniforms(rng, m * k, 0, 1)), b: leaf([k, n], uniforms(rng, k * n, -1, 1)) }, ({ a, b }) => ({
      c: ops.matmul(a, b),
      ct: ops.matmul(b.T, a.T),
    }));
  },
});

/** Long float32 reductions, where the order of accumulation shows. */
export function precisionCases(): ConformanceCase[] {
  return [longSum, meanOverTokens, longSoftmax, longK];
}
