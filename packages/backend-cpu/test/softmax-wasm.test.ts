import { contiguousView, Random } from "@unfold/core";
import { describe, expect, it } from "vitest";
import { detectSimd } from "../src/wasm/simd-support.js";
import { buildSoftmaxModule, createSoftmaxKernel, type SoftmaxKernel } from "../src/kernels/softmax/softmax-wasm.js";
import { softmaxStep } from "../src/kernels/softmax/softmax.js";
import { createEngine } from "../src/engine.js";

const TINY = 1.1754943508222875e-38;
/** Relative error allowed per element against float64 softmax of the same float32 inputs. */
const REL = 2e-7;

/** Float64 softmax with the JavaScript kernel's semantics (Math.max, flush below TINY). */
function reference(x: ArrayLike<number>, cols: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let r = 0; r * cols < x.length; r++) {
    let max = -Infinity;
    for (let j = 0; j < cols; j++) max = Math.max(max, x[r * cols + j]!);
    let total = 0;
    for (let j = 0; j < cols; j++) total += out[r * cols + j] = Math.exp(x[r * cols + j]! - max);
    for (let j = 0; j < cols; j++) {
      const v = out[r * cols + j]! / total;
      out[r * cols + j] = v < TINY ? 0 : v;
    }
  }
  return out;
}

/** Worst relative error; fails on NaN mismatches, subnormals, and non-zeros where float64 is far below the flush. */
function check(got: Float32Array, want: Float64Array, what: string): number {
  let worst = 0;
  const bad: string[] = [];
  for (let i = 0; i < want.length && bad.length < 5; i++) {
    const [g, w] = [got[i]!, want[i]!];
    const fail = (why: string): number => bad.push(`${what} at ${i}: got ${g}, want ${w} (${why})`);
    if (Number.isNaN(w) || Number.isNaN(g)) {
      if (Number.isNaN(w) !== Number.isNaN(g)) fail("NaN");
    } else if (g !== 0 && g < TINY) fail("subnormal");
    else if (w < 4 * TINY) {
      // At the flush threshold either side is right; far below it the output must be exactly 0.
      if (w < TINY / 2 ** 20 ? g !== 0 : Math.abs(g - w) > 4 * TINY * REL) fail("underflow");
    } else {
      const err = Math.abs(g - w) / w;
      if (!(err <= REL)) fail(`relative error ${err}`);
      worst = Math.max(worst, err);
    }
  }
  expect(bad).toEqual([]);
  return worst;
}

/** Runs the kernel on `x` at element offset `at` (output right after it) with NaN-poisoned output and guards. */
function run(kernel: SoftmaxKernel, memory: WebAssembly.Memory, x: Float32Array, cols: number, at: number): Float32Array {
  const n = x.length;
  const rows = cols === 0 ? 0 : n / cols;
  const need = (at + 2 * n + 64) * 4;
  if (memory.buffer.byteLength < need) memory.grow(Math.ceil((need - memory.buffer.byteLength) / 65536));
  const f32 = new Float32Array(memory.buffer);
  const xo = at;
  const oo = at + n + 5;
  f32.set(x, xo);
  f32.fill(NaN, oo, oo + n);
  f32.fill(-1234.5, oo - 5, oo);
  f32.fill(-1234.5, oo + n, oo + n + 5);
  kernel.rows32(xo * 4, oo * 4, rows, cols);
  const after = new Float32Array(memory.buffer);
  // The input is untouched and nothing outside the output was written.
  expect(Array.from(after.subarray(xo, xo + n))).toEqual(Array.from(x));
  expect(Array.from(after.subarray(oo - 5, oo))).toEqual([-1234.5, -1234.5, -1234.5, -1234.5, -1234.5]);
  expect(Array.from(after.subarray(oo + n, oo + n + 5))).toEqual([-1234.5, -1234.5, -1234.5, -1234.5, -1234.5]);
  return after.slice(oo, oo + n);
}

const simd = detectSimd().simd;

describe.skipIf(!simd)("wasm float32 softmax", () => {
  const memory = new WebAssembly.Memory({ initial: 16, maximum: 32768, shared: true });
  const kernel = createSoftmaxKernel(memory);

  it("validates for shared and unshared memories", () => {
    for (const shared of [false, true]) expect(WebAssembly.validate(buildSoftmaxModule(shared))).toBe(true);
  });

  it("matches float64 softmax on random rows at every width and logit scale", async () => {
    const k = (await kernel)!;
    const rng = new Random(7);
    const widths = [1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 15, 16, 17, 31, 32, 33, 64, 127, 128, 129, 255, 256, 299, 300];
    let worst = 0;
    for (let trial = 0; trial < 160; trial++) {
      const cols = trial < widths.length ? widths[trial]! : 1 + Math.floor(rng.uniform() * 300);
      const rows = 1 + Math.floor(rng.uniform() * 64);
      // Logit scales from 1e-3 (near-uniform weights) to 1e3 (mostly exact zeros).
      const scale = 10 ** (-3 + 6 * rng.uniform());
      const x = Float32Array.from({ length: rows * cols }, () => (2 * rng.uniform() - 1) * scale + (trial % 3 === 0 ? 50 : 0));
      const got = run(k, memory, x, cols, 8 + Math.floor(rng.uniform() * 8));
      worst = Math.max(worst, check(got, reference(x, cols), `cols ${cols} scale ${scale.toPrecision(3)}`));
    }
    expect(worst).toBeGreaterThan(0);
    expect(worst).toBeLessThanOrEqual(REL);
  });

  it("gives exact zeros for -Infinity and far-below-max logits, and stays exact near the underflow edge", async () => {
    const k = (await kernel)!;
    const rng = new Random(11);
    for (const cols of [1, 3, 4, 7, 8, 37, 128, 130]) {
      const rows = 9;
      const x = Float32Array.from({ length: rows * cols }, () => 4 * rng.normal());
      for (let i = 0; i < x.length; i++) {
        const u = rng.uniform();
        if (u < 0.15) x[i] = -Infinity;
        else if (u < 0.3) x[i] = -200 - 1e4 * rng.uniform();
        else if (u < 0.45) x[i] = -80 - 12 * rng.uniform(); // around exp's float32 underflow (-87.3)
        else if (u < 0.5) x[i] = -3e38;
      }
      // One row of -Infinity but one finite entry: a one-hot row.
      x.fill(-Infinity, 0, cols);
      x[cols - 1] = 0.5;
      const got = run(k, memory, x, cols, 3);
      check(got, reference(x, cols), `cols ${cols}`);
      expect(got[cols - 1]).toBe(1);
      for (let r = 0; r < rows; r++) {
        const row = x.subarray(r * cols, (r + 1) * cols);
        const max = Math.max(...row);
        row.forEach((v, j) => {
          if (v - max < -150) expect(got[r * cols + j]).toBe(0);
        });
      }
    }
  });

  it("propagates NaN through a row like the JavaScript kernel, leaving the other rows alone", async () => {
    const k = (await kernel)!;
    const rng = new Random(13);
    for (const cols of [1, 2, 5, 8, 13, 128]) {
      const rows = 6;
      const x = Float32Array.from({ length: rows * cols }, () => rng.normal());
      x[1 * cols + Math.floor(rng.uniform() * cols)] = NaN; // a NaN anywhere, including the tail
      x[2 * cols + cols - 1] = NaN; // the last element
      x[3 * cols] = Infinity; // +Infinity: Infinity - Infinity is NaN, as in the JavaScript kernel
      x.fill(-Infinity, 4 * cols, 5 * cols); // all -Infinity: NaN as well
      const got = run(k, memory, x, cols, 1);
      const want = reference(x, cols);
      for (const r of [1, 2, 3, 4]) for (let j = 0; j < cols; j++) expect(want[r * cols + j]).toBeNaN();
      check(got, want, `cols ${cols}`);
      for (const r of [0, 5]) expect(got.subarray(r * cols, (r + 1) * cols).some(Number.isNaN)).toBe(false);
    }
  });

  it("handles large logits, equal rows and empty calls", async () => {
    const k = (await kernel)!;
    const big = Float32Array.from([3e38, 3e38 - 2e31, -3e38, 3e38, 1, 2, 3, 1e30, 1e30, 1e30, 1e30, 0]);
    check(run(k, memory, big, 4, 0), reference(big, 4), "big");
    const equal = new Float32Array(3 * 7).fill(-42.5);
    const got = run(k, memory, equal, 7, 2);
    for (const v of got) expect(Math.abs(v - 1 / 7)).toBeLessThanOrEqual((1 / 7) * REL);
    run(k, memory, new Float32Array(0), 5, 0);
    run(k, memory, new Float32Array(0), 0, 0);
  });

  it("works on an unshared memory", async () => {
    const own = new WebAssembly.Memory({ initial: 1 });
    const k = (await createSoftmaxKernel(own))!;
    const x = Float32Array.from({ length: 3 * 10 }, (_, i) => Math.sin(i) * 5);
    check(run(k, own, x, 10, 4), reference(x, 10), "unshared");
  });

  it("runs softmaxStep's float32 path at the step's element offsets", async () => {
    const k = (await kernel)!;
    const rng = new Random(17);
    const [rows, cols] = [5, 19];
    const x = Float32Array.from({ length: rows * cols }, () => 3 * rng.normal());
    const f32 = new Float32Array(memory.buffer);
    const base = new Float64Array([100, 300]);
    f32.set(x, 100 + 7);
    f32.fill(NaN, 300, 300 + rows * cols);
    const view = contiguousView(0, [rows, cols], 7);
    const step = softmaxStep(view, [rows, cols], 1, "float32", "softmax", k);
    step.run({ f32, f64: new Float64Array(memory.buffer), base, scratch: 0, segments: 0 });
    check(new Float32Array(memory.buffer).slice(300, 300 + rows * cols), reference(x, cols), "step");
  });
});

describe.skipIf(!simd)("softmax rows on the GEMM engine (its module's copy, shared with its worker threads)", () => {
  it("matches float64 softmax of x - bias, threaded and not, per-batch and shared bias rows", async () => {
    const memory = new WebAssembly.Memory({ initial: 64, maximum: 4096, shared: true });
    const gemm = await createEngine(memory, { threads: 2 });
    try {
      const rng = new Random(21);
      // [rows, cols, bias rows (0 = none), period]: above and below the threading threshold.
      const shapes: [number, number, number, number][] = [
        [300, 257, 0, 300],
        [2 * 150, 231, 2, 150],
        [3 * 101, 240, 3, 101],
        [260, 259, 1, 260],
        [5, 9, 5, 1],
        [7, 3, 1, 7],
      ];
      for (const [rows, cols, biasRows, period] of shapes) {
        const x = Float32Array.from({ length: rows * cols }, () => 6 * rng.normal());
        const bias = Float32Array.from({ length: biasRows * cols }, () => 3 * rng.normal());
        const xAt = 16;
        const bAt = xAt + x.length + 3;
        const oAt = bAt + bias.length + 5;
        const need = (oAt + x.length + 16) * 4;
        if (memory.buffer.byteLength < need) memory.grow(Math.ceil((need - memory.buffer.byteLength) / 65536));
        const f32 = new Float32Array(memory.buffer);
        f32.set(x, xAt);
        f32.set(bias, bAt);
        f32.fill(NaN, oAt, oAt + x.length + 4);
        gemm.softmaxRows(xAt * 4, biasRows ? bAt * 4 : -1, oAt * 4, rows, cols, period);
        const after = new Float32Array(memory.buffer);
        const biased = biasRows ? Float32Array.from(x, (v, i) => v - bias[Math.floor(Math.floor(i / cols) / period) * cols + (i % cols)]!) : x;
        check(after.slice(oAt, oAt + x.length), reference(biased, cols), `${rows}x${cols} bias rows ${biasRows}`);
        // Nothing written past the output.
        expect(Array.from(after.subarray(oAt + x.length, oAt + x.length + 4)).every(Number.isNaN)).toBe(true);
      }
    } finally {
      await gemm.dispose();
    }
  });
});
