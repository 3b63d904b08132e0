// The page's digits file: the build's bytes decode to exactly the digits the Node trainer reads
// (the same pixel values, labels and split order), and a damaged file is refused by name.
import { mnistSplit } from "@unfold/datasets";
import { describe, expect, it } from "vitest";
import { pageDigitsBytes } from "../vite/mnist-asset.js";
import { decodeDigits, encodeDigits } from "../src/train/digits-format.js";
import { DIGITS_FILE, PAGE_TEST_DIGITS, PAGE_TRAIN_DIGITS } from "../src/train/digits-file.js";

/** The first pixel where two arrays differ, as text (a failure's diff of 1.5 million pixels would take minutes). */
function firstDifference(a: Float64Array, b: Float64Array): string {
  for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) return `pixel ${i}: ${a[i]} vs ${b[i]}`;
  return "none";
}

describe("the page's digits file", () => {
  const bytes = pageDigitsBytes(mnistSplit);
  const node = mnistSplit({ train: PAGE_TRAIN_DIGITS, test: PAGE_TEST_DIGITS });

  it("decodes to the Node split's digits exactly, pixel for pixel", () => {
    const page = decodeDigits(bytes, DIGITS_FILE);
    expect(page.train.count).toBe(PAGE_TRAIN_DIGITS);
    expect(page.test.count).toBe(PAGE_TEST_DIGITS);
    expect(page.train.labels).toEqual(node.train.labels);
    expect(page.test.labels).toEqual(node.test.labels);
    expect(page.train.images.length).toBe(node.train.images.length);
    expect(firstDifference(page.train.images, node.train.images)).toBe("none");
    expect(firstDifference(page.test.images, node.test.images)).toBe("none");
  });

  it("holds one byte per pixel and per label, after a 16-byte header", () => {
    const count = PAGE_TRAIN_DIGITS + PAGE_TEST_DIGITS;
    expect(bytes.length).toBe(16 + count * (1 + 784));
    console.info(`studio: ${DIGITS_FILE} is ${bytes.length} bytes (${(bytes.length / 1e6).toFixed(2)} MB) for ${count} digits`);
  });

  it("refuses a file that is not one, naming it", () => {
    expect(() => decodeDigits(new TextEncoder().encode("<!doctype html>"), DIGITS_FILE)).toThrow(`${DIGITS_FILE}: not a digits file (it does not start with 'UDIG'; 15 bytes)`);
    expect(() => decodeDigits(new Uint8Array(0), "x.bin")).toThrow("x.bin: not a digits file");
  });

  it("refuses a truncated file and another version, naming it", () => {
    expect(() => decodeDigits(bytes.subarray(0, bytes.length - 1), DIGITS_FILE)).toThrow(
      `${DIGITS_FILE}: ${bytes.length - 1} bytes, but its header announces ${PAGE_TRAIN_DIGITS} + ${PAGE_TEST_DIGITS} digits (${bytes.length} bytes): the file is truncated or damaged`,
    );
    const other = bytes.slice(0, 16 + 785);
    new DataView(other.buffer).setUint32(4, 2, true);
    expect(() => decodeDigits(other, DIGITS_FILE)).toThrow(`${DIGITS_FILE}: digits file version 2, this page reads version 1`);
  });

  it("refuses a label outside 0..9", () => {
    const one = encodeDigits({ train: { images: node.train.images.subarray(0, 784), labels: Int32Array.of(3), count: 1 }, test: { images: new Float64Array(0), labels: new Int32Array(0), count: 0 } });
    one[16] = 12;
    expect(() => decodeDigits(one, DIGITS_FILE)).toThrow(`${DIGITS_FILE}: train digit 0 has label 12, not 0..9`);
  });

  it("refuses to encode a pixel it could not give back exactly", () => {
    const images = node.train.images.slice(0, 784);
    images[5] = 0.5;
    const empty = { images: new Float64Array(0), labels: new Int32Array(0), count: 0 };
    expect(() => encodeDigits({ train: { images, labels: Int32Array.of(1), count: 1 }, test: empty })).toThrow("encodeDigits: train digit 0: pixel value 0.5 is not a byte k/255 rounded to three decimals");
    expect(() => encodeDigits({ train: { images, labels: Int32Array.of(1, 2), count: 2 }, test: empty })).toThrow("encodeDigits: the train set's arrays do not hold 2 digits");
  });
});
