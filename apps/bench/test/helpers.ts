/** Helpers shared by the bench test files (not a test file itself). */
import type { MatmulShape, SizeSpec } from "../src/index.js";
import type { CommandIO } from "../src/index.js";

/** A size small enough for the float64 reference to be instant. */
export const TINY: SizeSpec = { name: "tiny", batch: 1, tokens: 8, dim: 4, quick: true };
export const TINY_BATCH: SizeSpec = { name: "tiny2", batch: 2, tokens: 6, dim: 4 };
export const TINY_MATMUL: MatmulShape = { m: 6, k: 5, n: 7 };

export function capture(): CommandIO & { lines: string[]; progressed: string[] } {
  const lines: string[] = [];
  const progressed: string[] = [];
  return { lines, progressed, out: (l) => void lines.push(l), progress: (m) => void progressed.push(m) };
}
