/**
 * Cuts square images into non-overlapping p x p patches, one token per patch in row-major patch
 * order, each token the patch's pixels in row-major order: [count, (side/p)^2, p^2].
 */
export function patchTokens(images: Float64Array, count: number, side: number, patch: number): { tokens: Float64Array; n: number; d: number } {
  if (!Number.isInteger(patch) || patch < 1 || side % patch !== 0) {
    throw new RangeError(`patchTokens: patch size ${patch} must be a positive divisor of the image side ${side}`);
  }
  if (images.length !== count * side * side) {
    throw new RangeError(`patchTokens: ${images.length} pixels are not ${count} images of ${side} x ${side}`);
  }
  const grid = side / patch;
  const n = grid * grid;
  const d = patch * patch;
  const tokens = new Float64Array(count * n * d);
  for (let img = 0; img < count; img++) {
    for (let gr = 0; gr < grid; gr++) {
      for (let gc = 0; gc < grid; gc++) {
        const token = (img * n + gr * grid + gc) * d;
        for (let r = 0; r < patch; r++) {
          for (let c = 0; c < patch; c++) {
            tokens[token + r * patch + c] = images[img * side * side + (gr * patch + r) * side + gc * patch + c]!;
          }
        }
      }
    }
  }
  return { tokens, n, d };
}
