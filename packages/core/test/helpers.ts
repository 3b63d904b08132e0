/** Helpers shared by the core test files (not a test file itself). */

/**
 * Two distinct finite doubles whose 32-bit words collide under the FNV-style hash that nodeKey
 * and fingerprint use for constants: after the first word the states differ, and the second
 * word is chosen to cancel the difference.
 */
export function collidingDoubles(): [number, number] {
  const hashStep = (h: number, w: number): number => Math.imul(h ^ w, 0x01000193);
  const words = new Uint32Array(new Float64Array([1.5]).buffer);
  const h1 = hashStep(0x811c9dc5, words[0]!);
  for (let lo = 1; ; lo++) {
    const hi = (words[1]! ^ h1 ^ hashStep(0x811c9dc5, lo)) >>> 0;
    const other = new Float64Array(new Uint32Array([lo, hi]).buffer)[0]!;
    if (Number.isFinite(other)) return [1.5, other];
  }
}

/** What `fn` throws (as an Error), failing the test when it returns instead. */
export function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected an error; nothing was thrown");
}
