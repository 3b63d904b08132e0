import { broadcastView, sizeOf, UnfoldError, type View } from "@unfold/core";
import type { MatmulKernel } from "../plan/kernels.js";
import { Bindings, MAX_GROUPS_PER_DIM } from "./common.js";
import { type Helper, emitExpr } from "./expr.js";
import { decompose, simplifyAxes } from "./layout.js";

/** What every matmul kernel derives from its spec: sizes, operands broadcast over the batch, strides, bindings. */
export interface MatmulSetup {
  readonly M: number;
  readonly N: number;
  readonly K: number;
  readonly batch: number;
  readonly a: View;
  readonly b: View;
  readonly leaves: readonly View[];
  /** A's row and K strides, B's K and column strides. */
  readonly sam: number;
  readonly sak: number;
  readonly sbk: number;
  readonly sbn: number;
  readonly bind: Bindings;
  readonly aBuf: string;
  readonly bBuf: string;
  readonly helpers: Set<Helper>;
}

export function matmulSetup(spec: MatmulKernel, out: number): MatmulSetup {
  const shape = spec.shape;
  const rank = shape.length;
  const [M, N] = [shape[rank - 2]!, shape[rank - 1]!];
  const K = spec.a.shape.at(-1)!;
  const batchShape = shape.slice(0, -2);
  const batch = sizeOf(batchShape);
  if (batch > MAX_GROUPS_PER_DIM) throw new UnfoldError("matmul", `webgpu backend: ${batch} batch entries exceed the ${MAX_GROUPS_PER_DIM} a dispatch can address`);
  const a = broadcastView(spec.a, [...batchShape, M, K]);
  const b = broadcastView(spec.b, [...batchShape, K, N]);
  const bind = new Bindings(out);
  const [aBuf, bBuf] = [bind.name(a.slot), bind.name(b.slot)];
  return {
    M,
    N,
    K,
    batch,
    a,
    b,
    leaves: spec.epilogue?.leaves ?? [],
    sam: a.strides[rank - 2]!,
    sak: a.strides[rank - 1]!,
    sbk: b.strides[rank - 2]!,
    sbn: b.strides[rank - 1]!,
    bind,
    aBuf,
    bBuf,
    helpers: new Set(),
  };
}

/** Statements giving the batch entry's offsets (`ao`, `bo`, `lo${k}`) from `wid.z`. */
export function batchOffsets(s: MatmulSetup, rank: number): string[] {
  const views = [s.a, s.b, ...s.leaves];
  const axes = simplifyAxes(s.a.shape.slice(0, rank - 2), views.map((v) => v.strides.slice(0, rank - 2)));
  return decompose("wid.z", axes, views.map((v) => v.offset), ["ao", "bo", ...s.leaves.map((_, k) => `lo${k}`)], "z");
}

/**
 * Statements storing one accumulator `value` at output element (gi, gj) of the batch entry,
 * through the epilogue when there is one; `gi` and `gj` must be in scope.
 */
export function storeElement(spec: MatmulKernel, s: MatmulSetup, value: string): string[] {
  const rank = spec.shape.length;
  const body: string[] = [];
  let result = value;
  if (spec.epilogue) {
    s.leaves.forEach((l, k) => {
      const [sm, sn] = [l.strides[rank - 2]!, l.strides[rank - 1]!];
      body.push(`let v${k} = ${s.bind.name(l.slot)}[lo${k} + gi * ${sm}u + gj * ${sn}u];`);
    });
    const e = emitExpr(spec.epilogue.expr, (k) => `v${k}`, s.helpers, "e", result);
    body.push(...e.lines);
    result = e.value;
  }
  body.push(`b0[wid.z * ${s.M * s.N}u + gi * ${s.N}u + gj] = ${result};`);
  return body;
}

/**
 * Whether the product is A A^T of one batch entry (the same buffer, offset and batch strides,
 * the second operand's strides A's swapped): the product (before any epilogue) is then symmetric.
 */
export function isSymmetricProduct(spec: MatmulKernel, s: MatmulSetup): boolean {
  if (s.M !== s.N || s.a.slot !== s.b.slot || s.a.offset !== s.b.offset) return false;
  const rank = spec.shape.length;
  const batchSame = s.a.strides.slice(0, rank - 2).every((x, k) => x === s.b.strides[k]);
  return batchSame && s.sam === s.sbn && s.sak === s.sbk;
}
