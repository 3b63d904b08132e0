// The page's digits as one compact binary file, written at build time (vite/mnist-asset.ts) and
// read by the page. Pixels are bytes: the `mnist` package stores each pixel as k/255 rounded to
// three decimals, so a byte k decodes to round(1000 k / 255) / 1000, the package's own value
// exactly, and the page trains on the same numbers as the Node trainer.
//
// It imports no package at run time: the build plugin loads it while Vite reads its config,
// before the workspace's source condition applies.
import type { DigitSet } from "@unfold/datasets/tokens";

/** The file's first four bytes. */
const MAGIC = "UDIG";
const VERSION = 1;
/** magic, version, train count, test count: four little-endian uint32 words. */
const HEADER_BYTES = 16;
/** 28 x 28 pixels per digit (@unfold/datasets' MNIST_SIDE squared). */
const PIXELS = 28 * 28;

/** The digits a page trains and tests on. */
export interface PageDigits {
  readonly train: DigitSet;
  readonly test: DigitSet;
}

/** The byte a pixel value k/255 (in [0, 1]) is stored as; throws for a value the format cannot hold exactly. */
function pixelByte(value: number, where: string): number {
  const k = Math.round(value * 255);
  if (!(k >= 0 && k <= 255) || pixelValue(k) !== value) throw new RangeError(`${where}: pixel value ${value} is not a byte k/255 rounded to three decimals`);
  return k;
}

const pixelValue = (k: number): number => Math.round((1000 * k) / 255) / 1000;

/** The file's bytes: header, then every label (train, then test), then every pixel. */
export function encodeDigits(digits: PageDigits): Uint8Array {
  const sets = [digits.train, digits.test];
  const count = digits.train.count + digits.test.count;
  const bytes = new Uint8Array(HEADER_BYTES + count + count * PIXELS);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < 4; i++) bytes[i] = MAGIC.charCodeAt(i);
  view.setUint32(4, VERSION, true);
  view.setUint32(8, digits.train.count, true);
  view.setUint32(12, digits.test.count, true);
  let label = HEADER_BYTES;
  let pixel = HEADER_BYTES + count;
  for (const [s, set] of sets.entries()) {
    const name = s === 0 ? "train" : "test";
    if (set.images.length !== set.count * PIXELS || set.labels.length !== set.count) throw new RangeError(`encodeDigits: the ${name} set's arrays do not hold ${set.count} digits`);
    for (let i = 0; i < set.count; i++) bytes[label++] = set.labels[i]!;
    for (let i = 0; i < set.images.length; i++) bytes[pixel++] = pixelByte(set.images[i]!, `encodeDigits: ${name} digit ${Math.floor(i / PIXELS)}`);
  }
  return bytes;
}

/** Reads the file back; `file` names it in errors (a truncated or foreign file says so). */
export function decodeDigits(bytes: Uint8Array, file: string): PageDigits {
  if (bytes.length < HEADER_BYTES || String.fromCharCode(...bytes.subarray(0, 4)) !== MAGIC) {
    throw new Error(`${file}: not a digits file (it does not start with '${MAGIC}'; ${bytes.length} bytes)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(4, true);
  if (version !== VERSION) throw new Error(`${file}: digits file version ${version}, this page reads version ${VERSION}`);
  const counts = [view.getUint32(8, true), view.getUint32(12, true)] as const;
  const count = counts[0] + counts[1];
  const expected = HEADER_BYTES + count * (1 + PIXELS);
  if (bytes.length !== expected) throw new Error(`${file}: ${bytes.length} bytes, but its header announces ${counts[0]} + ${counts[1]} digits (${expected} bytes): the file is truncated or damaged`);
  const table = Float64Array.from({ length: 256 }, (_, k) => pixelValue(k));
  let label = HEADER_BYTES;
  let pixel = HEADER_BYTES + count;
  const read = (n: number, name: string): DigitSet => {
    const labels = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      labels[i] = bytes[label++]!;
      if (labels[i]! > 9) throw new Error(`${file}: ${name} digit ${i} has label ${labels[i]}, not 0..9`);
    }
    const images = new Float64Array(n * PIXELS);
    for (let i = 0; i < images.length; i++) images[i] = table[bytes[pixel++]!]!;
    return { images, labels, count: n };
  };
  // Two cursors: the labels block and the pixels block each hold train's, then test's.
  const train = read(counts[0], "train");
  const test = read(counts[1], "test");
  return { train, test };
}
