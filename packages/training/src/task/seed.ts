import { type Random, UnfoldError } from "@unfold/core";

/** The murmur3 finalizer: every input bit affects every output bit. */
function fmix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * One 32-bit seed from several integers (a run seed and an epoch, an augmentation seed and a batch
 * position). Hashing rather than adding keeps (seed, epoch + 1) and (seed + 1, epoch) apart; both
 * 32-bit halves of each part count, so seeds beyond 2^32 do not collide with small ones.
 */
export function mixSeed(...parts: number[]): number {
  let h = 0x2545f491;
  for (const part of parts) {
    if (!Number.isSafeInteger(part)) throw new UnfoldError("mixSeed", `seeds must be safe integers, got ${part}`);
    const low = part >>> 0;
    const high = Math.floor(part / 4294967296) >>> 0;
    h = fmix32(h ^ low);
    h = fmix32((h + 0x9e3779b9) ^ high);
  }
  return h;
}

/** A uniformly shuffled 0..n-1 (Fisher-Yates). */
export function permutation(n: number, random: Random): Int32Array {
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = random.int(0, i);
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}
