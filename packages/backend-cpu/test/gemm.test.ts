import { readdirSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEngine, type CpuEngine, type GemmDType } from "../src/engine.js";
import { GEMM_RUNNERS, planParallel } from "../src/kernels/gemm/parallel.js";
import { plainGemm } from "../src/kernels/gemm/plain.js";
import { wasmGemm } from "../src/wasm/gemm-driver.js";
import { dispatchChunk, registerRunners } from "../src/threads/runner.js";
import { exactlySymmetric, guardIntact, makeCase, makeSymmetricCase, maxRelativeError, type Layout } from "./gemm-helpers.js";

const TOL: Record<GemmDType, number> = { float32: 1e-5, float64: 1e-12 };

/** Edge shapes (1, primes, one past a tile), k = 0, and a few above the threading threshold. */
const SIZES: [number, number, number][] = [
  [1, 1, 1],
  [3, 5, 7],
  [17, 33, 65],
  [128, 64, 96],
  [7, 9, 0],
  [0, 4, 3],
  [4, 0, 3],
  [6, 8, 1],
  // About or above the default threading threshold (128^3 multiply-adds; threshold 0 threads all):
  [13, 1200, 70], // one row block: the chunks split columns
  [301, 37, 90], // tall: the chunks split rows
  [130, 130, 300], // k > KC: several depth slabs accumulate
  [5, 1000, 1100], // packed B over its budget: several rounds of columns
];

/** Symmetric products A A^T (n x n from n x k): edges, one past a tile, and threaded sizes. */
const SYMMETRIC_SIZES: [number, number][] = [
  [1, 1],
  [5, 3],
  [13, 9],
  [49, 20],
  [100, 300], // threaded, then mirrored in one call (under the size the mirror is shared at)
  [130, 300], // k > KC, and above the threading threshold
  [301, 40], // many row blocks: chunks wholly above the diagonal are skipped
];

const LAYOUTS: Layout[] = [
  { transA: false, transB: false, pad: 0 },
  { transA: true, transB: false, pad: 3 },
  { transA: false, transB: true, pad: 1 },
  { transA: true, transB: true, pad: 0 },
];

// parallelThreshold 0 sends every call, edge shapes included, through the threaded path; the
// default (adaptive) threshold threads only the large cases.
const ENGINES = [
  { simd: true, threads: 1, parallelThreshold: undefined },
  { simd: true, threads: 2, parallelThreshold: 0 },
  { simd: true, threads: 2, parallelThreshold: undefined },
  { simd: false, threads: 1, parallelThreshold: undefined },
  { simd: false, threads: 2, parallelThreshold: 0 },
];

describe.each(ENGINES)("gemm simd=$simd threads=$threads threshold=$parallelThreshold (shared memory)", ({ simd, threads, parallelThreshold }) => {
  const memory = new WebAssembly.Memory({ initial: 64, maximum: 4096, shared: true });
  let gemm: CpuEngine;
  beforeAll(async () => {
    gemm = await createEngine(memory, { simd, threads, parallelThreshold });
  });
  afterAll(async () => {
    await gemm.dispose();
  });

  it("reports its configuration", () => {
    expect(gemm.threads).toBe(threads);
    expect(gemm.memory).toBe(memory);
    if (!simd) expect(gemm.simd).toBe(false);
  });

  for (const dtype of ["float32", "float64"] as const) {
    for (const [m, n, k] of SIZES) {
      it(`${dtype} ${m}x${n}x${k} in every layout`, () => {
        LAYOUTS.forEach((layout, index) => {
          const { c, end } = makeCase(memory, dtype, m, n, k, layout, 1 + index + 7 * m + 13 * n + 17 * k);
          const scratch = end + 3 * index; // also unaligned: the engine aligns its own panels
          const need = gemm.scratchBytes(c.call);
          if (memory.buffer.byteLength < scratch + need) memory.grow(Math.ceil((scratch + need - memory.buffer.byteLength) / 65536));
          gemm.run(c.call, scratch);
          const label = `${dtype} ${m}x${n}x${k} ${JSON.stringify(layout)}`;
          expect(maxRelativeError(memory, c), label).toBeLessThanOrEqual(TOL[dtype]);
          expect(guardIntact(memory, c.call), `${label}: wrote outside C`).toBe(true);
        });
      });
    }
    for (const [n, k] of SYMMETRIC_SIZES) {
      it(`${dtype} symmetric A A^T ${n}x${n}x${k}, A stored either way`, () => {
        [false, true].forEach((transA, index) => {
          const { c, end } = makeSymmetricCase(memory, dtype, n, k, { transA, pad: index * 2 }, 5 + n + 3 * k + index);
          const need = gemm.scratchBytes(c.call);
          if (memory.buffer.byteLength < end + need) memory.grow(Math.ceil((end + need - memory.buffer.byteLength) / 65536));
          gemm.run(c.call, end);
          const label = `${dtype} symmetric ${n}x${k} transA=${transA}`;
          expect(maxRelativeError(memory, c), label).toBeLessThanOrEqual(TOL[dtype]);
          expect(guardIntact(memory, c.call), `${label}: wrote outside C`).toBe(true);
          expect(exactlySymmetric(memory, c.call), `${label}: not symmetric`).toBe(true);
        });
      });
    }
  }
});

describe("gemm on a non-shared memory", () => {
  it("runs on one thread whatever was asked, with SIMD when available", async () => {
    const memory = new WebAssembly.Memory({ initial: 16 });
    const gemm = await createEngine(memory, { threads: 2 });
    try {
      expect(gemm.threads).toBe(1);
      for (const dtype of ["float32", "float64"] as const) {
        const { c, end } = makeCase(memory, dtype, 37, 29, 41, { transA: true, transB: false, pad: 2 }, 5);
        if (memory.buffer.byteLength < end + gemm.scratchBytes(c.call)) memory.grow(4);
        gemm.run(c.call, end);
        expect(maxRelativeError(memory, c)).toBeLessThanOrEqual(TOL[dtype]);
      }
    } finally {
      await gemm.dispose();
    }
  });
});

describe("gemm argument checks", () => {
  it("rejects operands outside the memory and misaligned offsets", async () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const gemm = await createEngine(memory, { threads: 1 });
    const ok = { dtype: "float32" as const, m: 4, n: 4, k: 4, a: 0, rsA: 4, csA: 1, b: 64, rsB: 4, csB: 1, c: 128, rsC: 4 };
    expect(() => gemm.run({ ...ok, a: 65536 - 16 }, 1024)).toThrow(RangeError);
    expect(() => gemm.run({ ...ok, c: 130 }, 1024)).toThrow(/multiple/);
    expect(() => gemm.run({ ...ok, m: 2.5 }, 1024)).toThrow(/integers/);
    if (gemm.simd) expect(() => gemm.run(ok, 65536 - 8)).toThrow(/scratch/);
    // symmetric claims B = A^T; anything else would leave half of C a copy of the wrong values
    expect(() => gemm.run({ ...ok, symmetric: true }, 1024)).toThrow(/symmetric/);
    expect(() => gemm.run({ ...ok, b: 0, rsB: 1, csB: 4, n: 3, symmetric: true }, 1024)).toThrow(/symmetric/);
    await gemm.dispose();
  });
});

describe("gemm worker lifecycle", () => {
  // Worker threads are OS threads: on Linux /proc/self/task lists them, so a leaked worker shows.
  // The test follows the workers' own thread ids, not the count: V8 and libuv start helper
  // threads lazily, and the kernel may list an exited thread for a moment after its join.
  const osThreadIds = (): Set<string> => new Set(readdirSync("/proc/self/task"));
  const linux = process.platform === "linux";
  const stillRunning = async (ids: string[]): Promise<string[]> => {
    const deadline = Date.now() + 5000;
    for (;;) {
      const alive = osThreadIds();
      const left = ids.filter((id) => alive.has(id));
      if (left.length === 0 || Date.now() > deadline) return left;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  it.runIf(linux)("dispose terminates the workers, and a disposed engine refuses to run", async () => {
    const memory = new WebAssembly.Memory({ initial: 16, maximum: 1024, shared: true });
    const before = osThreadIds();
    const gemm = await createEngine(memory, { threads: 3 });
    expect(gemm.threads).toBe(3);
    const started = [...osThreadIds()].filter((id) => !before.has(id));
    expect(started.length).toBeGreaterThanOrEqual(2);
    await gemm.dispose();
    await gemm.dispose(); // idempotent
    expect(await stillRunning(started)).toEqual([]);
    const call = { dtype: "float32" as const, m: 1, n: 1, k: 1, a: 0, rsA: 1, csA: 1, b: 64, rsB: 1, csB: 1, c: 128, rsC: 1 };
    expect(() => gemm.run(call, 1024)).toThrow(/dispose/);
  });
});

describe("gemm symmetric chunks", () => {
  it("computes every chunk that reaches the lower triangle and leaves chunks wholly above it to the mirror", () => {
    const memory = new WebAssembly.Memory({ initial: 64, maximum: 1024, shared: true });
    const n = 97;
    const { c, end } = makeSymmetricCase(memory, "float64", n, 11, { transA: false, pad: 1 }, 3);
    const plan = planParallel(c.call, 2, undefined, end);
    if (memory.buffer.byteLength < end + plan.scratchBytes) memory.grow(Math.ceil((end + plan.scratchBytes - memory.buffer.byteLength) / 65536));
    const context = { memory, kernels: [], single: wasmGemm, plain: plainGemm, runners: registerRunners(GEMM_RUNNERS) };
    for (const round of plan.rounds) for (let chunk = 0; chunk < round.total; chunk++) dispatchChunk(round.params, chunk, 0, context);
    const h = new Float64Array(memory.buffer);
    let upperWritten = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const got = h[c.call.c / 8 + i * c.call.rsC + j]!;
        if (j <= i) expect(Math.abs(got - c.expected[i * n + j]!), `C[${i}, ${j}]`).toBeLessThanOrEqual(1e-12 * (c.scale[i * n + j]! + 1));
        else if (!Number.isNaN(got)) upperWritten++;
      }
    }
    // Chunks that cross the diagonal write some of the upper triangle; most of it is skipped.
    expect(upperWritten).toBeGreaterThan(0);
    expect(upperWritten).toBeLessThan((n * (n - 1)) / 4);
  });
});
