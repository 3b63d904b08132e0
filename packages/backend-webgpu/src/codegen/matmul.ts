import type { MatmulKernel } from "../plan/kernels.js";
import type { KernelCode } from "./common.js";
import { helperSource } from "./expr.js";
import { batchOffsets, matmulSetup, storeElement } from "./matmul-parts.js";

/** Threads per workgroup side; each thread owns a TM x TN block of the output tile. */
const SIDE = 16;
/** Depth of the K slice staged through workgroup memory per step. */
const BK = 16;

/** Register block per thread along an axis of `size`: 4 for big matrices, less where a tile would mostly idle. */
const blockFor = (size: number): number => (size >= 64 ? 4 : size >= 32 ? 2 : 1);

const vec = (width: number): string => (width === 1 ? "f32" : `vec${width}<f32>`);

/**
 * Tiled batched matmul. A workgroup of 16 x 16 invocations computes a (16 TM) x (16 TN) tile
 * of one batch entry; K advances in slices of 16 staged through workgroup memory (each thread
 * loading TM (or TN) values, read in the operand's contiguous direction, stored so that each
 * thread's rows of A and columns of B are one vector), and each thread accumulates its
 * contiguous TM x TN block in registers. Operands are read through their strides, so a
 * transposed operand costs nothing extra. The optional epilogue applies the consumer's
 * elementwise expression to the accumulator before the only store.
 */
export function matmulCode(spec: MatmulKernel, out: number): KernelCode {
  const s = matmulSetup(spec, out);
  const { M, N, K, sam, sak, sbk, sbn, aBuf, bBuf } = s;
  const rank = spec.shape.length;
  const [TM, TN] = [blockFor(M), blockFor(N)];
  const [BM, BN] = [SIDE * TM, SIDE * TN];
  /** A tile load, bounds-checked only along the axes whose size is not a multiple of the tile. */
  const guarded = (load: string, conditions: string[]): string => {
    const test = conditions.filter(Boolean).join(" && ");
    return test ? `    var v = 0.0; if (${test}) { v = ${load}; }` : `    let v = ${load};`;
  };

  const lines = batchOffsets(s, rank);
  lines.push(`let row0 = wid.y * ${BM}u;`, `let col0 = wid.x * ${BN}u;`, "let tx = lid3.x;", "let ty = lid3.y;");
  for (let r = 0; r < TM; r++) for (let c = 0; c < TN; c++) lines.push(`var acc${r}_${c} = 0.0;`);
  /** Tile element (kk, i) lives in vector kk * 16 + i / width, lane i % width: each thread's block is one vector. */
  const store = (tile: string, kk: string, i: string, width: number): string =>
    width === 1 ? `${tile}[${kk} * ${SIDE}u + ${i}]` : `${tile}[${kk} * ${SIDE}u + ${i} / ${width}u][${i} % ${width}u]`;
  lines.push(`for (var k0 = 0u; k0 < ${K}u; k0 += ${BK}u) {`);
  // Stage A's tile, walking the operand's contiguous direction across neighbouring invocations.
  const aAlongK = Math.abs(sak) <= Math.abs(sam);
  for (let q = 0; q < (BM * BK) / (SIDE * SIDE); q++) {
    const e = `lid + ${q * SIDE * SIDE}u`;
    const [mm, kk] = aAlongK ? [`(${e}) / ${BK}u`, `(${e}) % ${BK}u`] : [`(${e}) % ${BM}u`, `(${e}) / ${BM}u`];
    lines.push(
      `  { let mm = ${mm}; let kk = ${kk}; let gi = row0 + mm; let gk = k0 + kk;`,
      guarded(`${aBuf}[ao + gi * ${sam}u + gk * ${sak}u]`, [M % BM ? `gi < ${M}u` : "", K % BK ? `gk < ${K}u` : ""]),
      `    ${store("As", "kk", "mm", TM)} = v; }`,
    );
  }
  const bAlongN = Math.abs(sbn) <= Math.abs(sbk);
  for (let q = 0; q < (BN * BK) / (SIDE * SIDE); q++) {
    const e = `lid + ${q * SIDE * SIDE}u`;
    const [nn, kk] = bAlongN ? [`(${e}) % ${BN}u`, `(${e}) / ${BN}u`] : [`(${e}) / ${BK}u`, `(${e}) % ${BK}u`];
    lines.push(
      `  { let nn = ${nn}; let kk = ${kk}; let gj = col0 + nn; let gk = k0 + kk;`,
      guarded(`${bBuf}[bo + gk * ${sbk}u + gj * ${sbn}u]`, [N % BN ? `gj < ${N}u` : "", K % BK ? `gk < ${K}u` : ""]),
      `    ${store("Bs", "kk", "nn", TN)} = v; }`,
    );
  }
  lines.push("  workgroupBarrier();", `  for (var kk = 0u; kk < ${BK}u; kk++) {`);
  // One vector load brings a thread its whole column of A's block (and row of B's): software
  // GPUs gather every lane's load separately, so fewer, wider loads matter there.
  lines.push(`    let av = As[kk * ${SIDE}u + ty];`, `    let bv = Bs[kk * ${SIDE}u + tx];`);
  const part = (v: string, width: number, i: number): string => (width === 1 ? v : `${v}[${i}]`);
  for (let r = 0; r < TM; r++) for (let c = 0; c < TN; c++) lines.push(`    acc${r}_${c} = acc${r}_${c} + ${part("av", TM, r)} * ${part("bv", TN, c)};`);
  lines.push("  }", "  workgroupBarrier();", "}");

  for (let r = 0; r < TM; r++) {
    for (let c = 0; c < TN; c++) {
      const inside = [M % BM ? `gi < ${M}u` : "", N % BN ? `gj < ${N}u` : ""].filter(Boolean);
      const body = [`let gi = row0 + ty * ${TM}u + ${r}u;`, `let gj = col0 + tx * ${TN}u + ${c}u;`, `if (${inside.join(" && ") || "true"}) {`];
      body.push(...storeElement(spec, s, `acc${r}_${c}`).map((l) => `  ${l}`), "}");
      lines.push("{", ...body.map((l) => `  ${l}`), "}");
    }
  }
  const wgsl = `${s.bind.declarations()}
var<workgroup> As: array<${vec(TM)}, ${BK * SIDE}>;
var<workgroup> Bs: array<${vec(TN)}, ${BK * SIDE}>;
${helperSource(s.helpers)}
@compute @workgroup_size(${SIDE}, ${SIDE})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid3: vec3u, @builtin(local_invocation_index) lid: u32) {
  ${lines.join("\n  ")}
}
`;
  return { wgsl, workgroups: [Math.ceil(N / BN), Math.ceil(M / BM), Math.max(1, s.batch)], bindings: s.bind.slots };
}
