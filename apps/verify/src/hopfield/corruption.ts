import type { Random } from "@unfold/core";
import { MNIST_SIDE } from "@unfold/datasets";

/**
 * How a stored digit is corrupted into a query, the kinds the dense associative memory
 * literature reports retrieval under (Ramsauer et al. 2020 restore occluded images; Millidge
 * et al. 2022, "Universal Hopfield Networks", mask a fraction of the image or add Gaussian noise):
 *   pixels  a random fraction `level` of the 784 pixels set to 0 (exactly round(level * 784))
 *   rows    the bottom round(level * 28) rows set to 0 (0.5 masks the bottom half)
 *   noise   Gaussian noise of standard deviation `level` on every pixel (pixels lie in [0, 1])
 */
export const CORRUPTIONS = ["pixels", "rows", "noise"] as const;
export type Corruption = (typeof CORRUPTIONS)[number];

/** The corruption levels the retrieval task reports: 0 (the stored digit itself) to 0.9. */
export const LEVELS: readonly number[] = [0, 0.1, 0.3, 0.5, 0.7, 0.9];

const PIXELS = MNIST_SIDE * MNIST_SIDE;

/** A corrupted copy of one 28 x 28 image (values in [0, 1]); `rng` draws the masked pixels or the noise. */
export function corrupt(image: Float64Array, kind: Corruption, level: number, rng: Random): Float64Array {
  const out = Float64Array.from(image);
  switch (kind) {
    case "pixels": {
      // A partial Fisher-Yates shuffle picks exactly round(level * PIXELS) distinct pixels.
      const order = Array.from({ length: PIXELS }, (_, i) => i);
      const masked = Math.round(level * PIXELS);
      for (let i = 0; i < masked; i++) {
        const j = i + Math.floor(rng.uniform() * (PIXELS - i));
        [order[i], order[j]] = [order[j]!, order[i]!];
        out[order[i]!] = 0;
      }
      break;
    }
    case "rows":
      out.fill(0, (MNIST_SIDE - Math.round(level * MNIST_SIDE)) * MNIST_SIDE);
      break;
    case "noise":
      for (let i = 0; i < PIXELS; i++) out[i]! += level * rng.normal();
      break;
  }
  return out;
}

/** The vector scaled to unit norm (a zero vector stays zero: there is nothing left to retrieve from). */
export function unitNorm(v: Float64Array): Float64Array {
  const n = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  return n === 0 ? v : v.map((x) => x / n);
}
