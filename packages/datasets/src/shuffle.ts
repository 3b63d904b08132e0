/**
 * A seeded permutation for the fixed MNIST split. The generator lives here, frozen, rather than
 * coming from @unfold/core: the split must never change, whatever happens to core's Random, or
 * results from different versions would be measured on different test digits.
 */

/** One step of splitmix32: a well-mixed 32-bit output from a 32-bit counter state. */
function splitmix32(state: number): [value: number, next: number] {
  const next = (state + 0x9e3779b9) >>> 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return [(z ^ (z >>> 16)) >>> 0, next];
}

/** A uniformly shuffled 0..n-1 (Fisher-Yates), the same for the same seed on every platform. */
export function seededPermutation(n: number, seed: number): Int32Array {
  const order = Int32Array.from({ length: n }, (_, i) => i);
  let state = seed >>> 0;
  for (let i = n - 1; i > 0; i--) {
    let value: number;
    [value, state] = splitmix32(state);
    // value / 2^32 in [0, 1); the bias for n far below 2^32 is negligible.
    const j = Math.floor((value / 4294967296) * (i + 1));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}
