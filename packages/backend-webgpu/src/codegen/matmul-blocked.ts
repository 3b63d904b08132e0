import type { MatmulKernel } from "../plan/kernels.js";
import { type KernelCode, MAX_GROUPS_PER_DIM } from "./common.js";
import { helperSource } from "./expr.js";
import { batchOffsets, isSymmetricProduct, matmulSetup, storeElement } from "./matmul-parts.js";

/**
 * How a register-blocked matmul splits its output: each invocation owns `rows` x (4 `groups`)
 * elements, a workgroup of `lanes` invocations a `rows` x (4 lanes groups) tile.
 */
export interface BlockShape {
  readonly rows: number;
  readonly lanes: number;
  readonly groups: number;
}

/**
 * Rows per invocation. Every invocation of a workgroup shares its rows, so A's values are the
 * same across the workgroup: a CPU driver (lavapipe) loads each once as a scalar instead of
 * gathering it lane by lane, and more rows means more multiply-adds per gathered B value.
 * Eight keeps the 8 x 8 accumulators within the registers of a 256-bit SIMD unit's file.
 */
const ROWS = 8;

const nextPow2 = (n: number): number => 2 ** Math.ceil(Math.log2(Math.max(1, n)));

/**
 * The block for an M x N output: 16 lanes (two 8-wide SIMD groups) of two column quads, narrowed
 * for thin outputs so few lanes idle; symmetric products take narrower tiles, since a tile is
 * skipped only when it lies wholly above the diagonal.
 */
export function blockShape(M: number, N: number, symmetric: boolean): BlockShape {
  const rows = Math.min(ROWS, M);
  const groups = N >= 128 ? 2 : 1;
  const lanes = Math.min(symmetric ? 8 : 16, nextPow2(Math.ceil(N / (4 * groups))));
  return { rows, lanes, groups };
}

/** Whether the blocked kernel can launch this product (its row tiles fit one dispatch dimension). */
export function blockedFits(spec: MatmulKernel): boolean {
  const M = spec.shape.at(-2)!;
  const N = spec.shape.at(-1)!;
  const shape = blockShape(M, N, false);
  return Math.ceil(M / shape.rows) <= MAX_GROUPS_PER_DIM && Math.ceil(N / (4 * shape.lanes * shape.groups)) <= MAX_GROUPS_PER_DIM;
}

/**
 * Batched matmul without workgroup memory or barriers, for CPU adapters. Each invocation keeps
 * ROWS x 4g accumulators in registers and walks K once: per step it loads ROWS values of A
 * (uniform across the workgroup, so scalar loads on a SIMD CPU) and g quads of B (its own
 * columns), then does ROWS x 4g multiply-adds. A CPU runs a workgroup's invocations as SIMD
 * lanes of one thread, where barriers are context switches and workgroup memory is just more
 * gathers, so the tiled kernel's staging costs more than it saves there.
 *
 * A symmetric product (Z Z^T, also under an elementwise epilogue, which is evaluated at each
 * position) computes only the tiles touching the lower triangle and stores each element below
 * the diagonal twice, mirrored, saving close to half the work.
 */
export function matmulBlockedCode(spec: MatmulKernel, out: number): KernelCode {
  const s = matmulSetup(spec, out);
  const { M, N, K } = s;
  const rank = spec.shape.length;
  const symmetric = isSymmetricProduct(spec, s);
  const { rows, lanes, groups } = blockShape(M, N, symmetric);
  const tileCols = 4 * lanes * groups;
  const lines = [...batchOffsets(s, rank), `let row0 = wid.y * ${rows}u;`, `let col0 = wid.x * ${tileCols}u;`];
  // A tile wholly above the diagonal holds only mirror images of elements computed elsewhere.
  if (symmetric) lines.push(`if (col0 >= row0 + ${rows}u) { return; }`);
  // Out-of-range rows and columns read a clamped (valid) element and are never stored, which
  // keeps every load unconditional and A's uniform.
  const rowAt = (r: number): string => (M % rows ? `min(row0 + ${r}u, ${M - 1}u)` : `(row0 + ${r}u)`);
  const colAt = (g: number, c: number): string => `col0 + lid * 4u + ${g * 4 * lanes + c}u`;
  const clampCol = (e: string): string => (N % tileCols ? `min(${e}, ${N - 1}u)` : `(${e})`);
  for (let r = 0; r < rows; r++) lines.push(`let ar${r} = ao + ${rowAt(r)} * ${s.sam}u;`);
  for (let g = 0; g < groups; g++) for (let c = 0; c < 4; c++) lines.push(`let bc${g}_${c} = bo + ${clampCol(colAt(g, c))} * ${s.sbn}u;`);
  for (let r = 0; r < rows; r++) for (let g = 0; g < groups; g++) lines.push(`var acc${r}_${g} = vec4f(0.0);`);
  lines.push(`for (var k = 0u; k < ${K}u; k++) {`, `  let ak = k * ${s.sak}u;`, `  let bk = k * ${s.sbk}u;`);
  for (let g = 0; g < groups; g++) {
    const parts = [0, 1, 2, 3].map((c) => `${s.bBuf}[bc${g}_${c} + bk]`);
    lines.push(`  let bv${g} = vec4f(${parts.join(", ")});`);
  }
  for (let r = 0; r < rows; r++) {
    lines.push(`  let av${r} = vec4f(${s.aBuf}[ar${r} + ak]);`);
    for (let g = 0; g < groups; g++) lines.push(`  acc${r}_${g} = fma(av${r}, bv${g}, acc${r}_${g});`);
  }
  lines.push("}");

  for (let r = 0; r < rows; r++) {
    for (let g = 0; g < groups; g++) {
      for (let c = 0; c < 4; c++) {
        const value = `acc${r}_${g}[${c}]`;
        const body = [`let gi = row0 + ${r}u;`, `let gj = ${colAt(g, c)};`];
        if (symmetric) {
          // Lower triangle: this element and its mirror (the epilogue evaluated at each); above
          // it: the mirror's tile stores it. M = N, so gj <= gi < M needs no column test.
          const mirror = storeElement(spec, s, value).map((l) => `    ${l}`);
          body.push(`if (gj <= gi${M % rows ? ` && gi < ${M}u` : ""}) {`, ...storeElement(spec, s, value).map((l) => `  ${l}`));
          body.push("  if (gj < gi) {", "    let gi = gj;", `    let gj = row0 + ${r}u;`, ...mirror, "  }", "}");
        } else {
          const inside = [M % rows ? `gi < ${M}u` : "", N % tileCols ? `gj < ${N}u` : ""].filter(Boolean);
          body.push(`if (${inside.join(" && ") || "true"}) {`, ...storeElement(spec, s, value).map((l) => `  ${l}`), "}");
        }
        lines.push("{", ...body.map((l) => `  ${l}`), "}");
      }
    }
  }
  const wgsl = `${s.bind.declarations()}
${helperSource(s.helpers)}
@compute @workgroup_size(${lanes})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  ${lines.join("\n  ")}
}
`;
  return { wgsl, workgroups: [Math.ceil(N / tileCols), Math.ceil(M / rows), Math.max(1, s.batch)], bindings: s.bind.slots };
}
