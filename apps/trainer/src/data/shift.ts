/**
 * Writes `source` (a side x side image) translated by dx columns right and dy rows down into
 * `target`, filling uncovered pixels with 0 (background in MNIST). Translation is the
 * augmentation MNIST models need most: digits are centred by mass, but not exactly.
 */
export function shiftImage(source: Float64Array, target: Float64Array, side: number, dx: number, dy: number): void {
  target.fill(0);
  for (let r = 0; r < side; r++) {
    const from = r - dy;
    if (from < 0 || from >= side) continue;
    const c0 = Math.max(0, dx);
    const c1 = Math.min(side, side + dx);
    if (c1 <= c0) continue;
    target.set(source.subarray(from * side + c0 - dx, from * side + c1 - dx), r * side + c0);
  }
}
