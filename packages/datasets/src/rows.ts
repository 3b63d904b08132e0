/**
 * One token per pixel row: [count, side, side], token r of an image being its row r. A row-major
 * image is already laid out that way, so this checks the sizes and copies (callers may then
 * modify the tokens without touching the images). The result has the same shape description as
 * `patchTokens` so the two are interchangeable.
 */
export function rowTokens(images: Float64Array, count: number, side: number): { tokens: Float64Array; n: number; d: number } {
  if (!Number.isInteger(side) || side < 1 || !Number.isInteger(count) || count < 0) {
    throw new RangeError(`rowTokens: need an integer side >= 1 and count >= 0, got side=${side}, count=${count}`);
  }
  if (images.length !== count * side * side) {
    throw new RangeError(`rowTokens: ${images.length} pixels are not ${count} images of ${side} x ${side}`);
  }
  return { tokens: images.slice(), n: side, d: side };
}
