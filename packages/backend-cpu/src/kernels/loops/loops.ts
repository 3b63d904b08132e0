import type { DType } from "@unfold/core";
import { type Expr, computesInFloat32, emitExpr } from "./expr.js";

/** One strided access of a loop kernel: strides over the iteration space, in elements. */
export interface Access {
  readonly dtype: DType;
  readonly strides: readonly number[];
}

export interface LoopKernelSpec {
  /** The iteration space: the shape every input is read over. */
  readonly shape: readonly number[];
  readonly inputs: readonly Access[];
  readonly expr: Expr;
  /** Strides of the output over the iteration space (0 on reduced axes). */
  readonly output: Access;
  /** Reduced axes of the iteration space, if this is a reduction. */
  readonly reduce?: { readonly op: "sum" | "max"; readonly axes: readonly number[] };
}

/** (F32 view, F64 view, base of input 0, ..., base of output) -> void; bases in elements. */
export type LoopKernel = (f32: Float32Array, f64: Float64Array, ...bases: number[]) => void;

const compiled = new Map<string, LoopKernel>();

/** One loop of a kernel: its extent and every access's stride along it (inputs, then output). */
export interface Axis {
  extent: number;
  strides: number[];
}

/** Drops size-1 axes and merges neighbours that every access walks densely together. */
export function collapse(axes: Axis[]): Axis[] {
  const kept = axes.filter((a) => a.extent !== 1);
  const out: Axis[] = [];
  for (const axis of kept) {
    const last = out.at(-1);
    if (last && last.strides.every((s, k) => s === axis.strides[k]! * axis.extent)) {
      last.extent *= axis.extent;
      last.strides = axis.strides.slice();
    } else out.push({ extent: axis.extent, strides: axis.strides.slice() });
  }
  return out;
}

/** The loops of a kernel, collapsed: kept axes (outer), then reduced axes (inner). */
export function loopAxes(spec: LoopKernelSpec): { outer: Axis[]; inner: Axis[] } {
  const accesses = [...spec.inputs, spec.output];
  const reduced = new Set(spec.reduce?.axes ?? []);
  const toAxis = (i: number): Axis => ({ extent: spec.shape[i]!, strides: accesses.map((a) => a.strides[i]!) });
  const all = spec.shape.map((_, i) => i);
  return { outer: collapse(all.filter((i) => !reduced.has(i)).map(toAxis)), inner: collapse(all.filter((i) => reduced.has(i)).map(toAxis)) };
}

/**
 * Generates (once per distinct source) a loop nest that evaluates an expression over strided
 * inputs and stores it, or reduces it over some axes. The producers of a reduction are inlined,
 * so sum(exp(x - m)) reads x once and writes nothing in between.
 */
export function loopKernel(spec: LoopKernelSpec): LoopKernel {
  const accesses = [...spec.inputs, spec.output];
  const { outer, inner } = loopAxes(spec);
  const levels = [...outer, ...inner];
  const out = accesses.length - 1;
  const arr = (a: Access): string => (a.dtype === "float32" ? "F32" : "F64");
  const lines: string[] = [];
  const ptr = (k: number, level: number): string => `p${k}_${level}`;
  // Pointer of access k once loops 0..level-1 are fixed.
  const emitPointers = (level: number, loopVar: string): void => {
    accesses.forEach((_, k) => {
      const s = levels[level - 1]!.strides[k]!;
      const prev = ptr(k, level - 1);
      lines.push(`const ${ptr(k, level)} = ${s === 0 ? prev : s === 1 ? `${prev} + ${loopVar}` : `${prev} + ${loopVar} * ${s}`};`);
    });
  };
  accesses.forEach((_, k) => lines.push(`const ${ptr(k, 0)} = b${k};`));
  const leaf = (level: number) => (i: number) => `${arr(spec.inputs[i]!)}[${ptr(i, level)}]`;
  const float32 = computesInFloat32(spec.expr, accesses.map((a) => a.dtype));
  const value = (level: number): string => emitExpr(spec.expr, leaf(level), float32);
  let depth = 0;
  const open = (level: number): void => {
    lines.push(`for (let i${level} = 0; i${level} < ${levels[level]!.extent}; i${level}++) {`);
    emitPointers(level + 1, `i${level}`);
    depth++;
  };
  for (let l = 0; l < outer.length; l++) open(l);
  if (spec.reduce) {
    lines.push(`let acc = ${spec.reduce.op === "sum" ? "0" : "-Infinity"};`);
    for (let l = outer.length; l < levels.length; l++) open(l);
    const v = value(levels.length);
    lines.push(spec.reduce.op === "sum" ? `acc += ${v};` : `acc = Math.max(acc, ${v});`);
    for (let l = outer.length; l < levels.length; l++, depth--) lines.push("}");
    lines.push(`${arr(spec.output)}[${ptr(out, outer.length)}] = acc;`);
  } else {
    lines.push(`${arr(spec.output)}[${ptr(out, levels.length)}] = ${value(levels.length)};`);
  }
  while (depth-- > 0) lines.push("}");
  const params = ["F32", "F64", ...accesses.map((_, k) => `b${k}`)];
  const source = lines.join("\n");
  const key = `${params.join(",")}\n${source}`;
  let fn = compiled.get(key);
  if (!fn) {
    fn = new Function(...params, source) as LoopKernel;
    compiled.set(key, fn);
  }
  return fn;
}
