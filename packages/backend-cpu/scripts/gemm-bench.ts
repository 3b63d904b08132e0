/**
 * GEMM throughput: GFLOP/s of C = A * B (square, row-major unless noted) for float32/float64,
 * SIMD on/off, 1 and 2 threads, on a shared WebAssembly.Memory.
 *
 * Node 20 cannot run .ts directly and the repo has no tsx, so compile this file (it pulls in
 * src/gemm) to a temporary folder and run the output:
 *
 *   cd packages/backend-cpu && npx tsc --ignoreConfig --outDir /tmp/unfold-gemm-bench --rootDir . \
 *     --module NodeNext --moduleResolution NodeNext --target ES2022 --lib ES2022,DOM \
 *     --types node --skipLibCheck --strict scripts/gemm-bench.ts && node /tmp/unfold-gemm-bench/scripts/gemm-bench.js
 *
 * Arguments: sizes to run (default 512), e.g. `node .../gemm-bench.js 64 128 256 512 1024`.
 * Timings are the best of repeated runs after a warm-up (GEMM_BENCH_MS of runs per line), so
 * they estimate an idle machine; on a shared one, compare runs taken at the same time.
 */
import { createGemm, type GemmCall, type GemmDType } from "../src/gemm/index.js";

const sizes = process.argv.slice(2).map(Number).filter((x) => x > 0);
if (sizes.length === 0) sizes.push(512);

const memory = new WebAssembly.Memory({ initial: 1024, maximum: 32768, shared: true });

/** Lays out A, B, C (and scratch after them) for an n^3 call, random operands. */
function setup(dtype: GemmDType, n: number, transB: boolean): { call: GemmCall; scratch: number } {
  const es = dtype === "float32" ? 4 : 8;
  const bytes = n * n * es;
  const call: GemmCall = { dtype, m: n, n, k: n, a: 0, rsA: n, csA: 1, b: bytes, rsB: transB ? 1 : n, csB: transB ? n : 1, c: 2 * bytes, rsC: n };
  const need = 3 * bytes + (1 << 22);
  if (memory.buffer.byteLength < need) memory.grow(Math.ceil((need - memory.buffer.byteLength) / 65536));
  const h = dtype === "float32" ? new Float32Array(memory.buffer) : new Float64Array(memory.buffer);
  for (let i = 0; i < 2 * n * n; i++) h[i] = Math.random() - 0.5;
  return { call, scratch: 3 * bytes };
}

/** Milliseconds of runs per configuration (GEMM_BENCH_MS); longer finds quieter moments. */
const budget = Number(process.env.GEMM_BENCH_MS ?? 1000);

/** Best time (ms) over repeated runs, stopping after `budget` ms of work or 200 runs. */
function time(run: () => void): number {
  run();
  let best = Number.POSITIVE_INFINITY;
  let spent = 0;
  for (let r = 0; r < 200 && spent < budget; r++) {
    const t0 = performance.now();
    run();
    const dt = performance.now() - t0;
    best = Math.min(best, dt);
    spent += dt;
  }
  return best;
}

const rows: string[] = [];
for (const simd of [true, false]) {
  for (const threads of [1, 2]) {
    const gemm = await createGemm(memory, { simd, threads });
    for (const dtype of ["float32", "float64"] as const) {
      for (const n of sizes) {
        for (const transB of [false, true]) {
          if (transB && n !== sizes[sizes.length - 1]) continue; // B^T only at the largest size
          const { call, scratch } = setup(dtype, n, transB);
          if (memory.buffer.byteLength < scratch + gemm.scratchBytes(call)) memory.grow(64);
          const ms = time(() => gemm.run(call, scratch));
          const gflops = (2 * n ** 3) / (ms * 1e6);
          rows.push(`| ${dtype} | ${n}${transB ? " (B^T)" : ""} | ${gemm.simd ? "wasm simd" : "plain TS"} | ${gemm.threads} | ${ms.toFixed(3)} | ${gflops.toFixed(1)} |`);
          console.log(rows[rows.length - 1]);
        }
      }
    }
    await gemm.dispose();
  }
}
console.log("\n| dtype | m=n=k | path | threads | best ms | GFLOP/s |\n|---|---|---|---|---|---|");
console.log(rows.join("\n"));
