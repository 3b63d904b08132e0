/**
 * WebAssembly SIMD forms of the loop kernels of loops.ts for float32, generated at run time:
 * four elements at a time along one "vector" axis where every access has stride 1 or 0 (a
 * splatted broadcast), outer axes looping in wasm with their strides baked in. Elementwise
 * kernels vectorise the innermost axis; reductions vectorise either the innermost reduced axis
 * (vector accumulators, reduced across lanes at the end) or, when that axis is strided, the
 * innermost kept axis (four outputs reduced side by side). Anything else stays in JavaScript.
 */
import { Frame } from "../../wasm/codegen.js";
import { F64, I32, ModuleBuilder, V128 } from "../../wasm/wasm-emitter.js";
import { computesInFloat32 } from "./expr.js";
import { ExprEmitter, type Pair, simdSupports } from "./expr-simd.js";
import { LoopCode } from "./loop-code.js";
import { type Axis, type LoopKernel, type LoopKernelSpec, loopAxes } from "./loops.js";

/** Makes the SIMD kernel of a spec, or undefined where the JavaScript loop must run. */
export type WasmLoops = (spec: LoopKernelSpec) => LoopKernel | undefined;

/** A plan for one kernel: the axes in loop order and which one is vectorised. */
interface Plan {
  readonly levels: Axis[];
  /** Leading levels that are kept (not reduced). */
  readonly kept: number;
  readonly vector: number;
  readonly reduce: "sum" | "max" | undefined;
}

/** Vector steps along the vector axis: a whole vector, or tail element t (a splat, lane 0 read). */
type Mode = { readonly tail?: number };

function planOf(spec: LoopKernelSpec): Plan | undefined {
  if (![...spec.inputs, spec.output].every((a) => a.dtype === "float32") || !simdSupports(spec.expr)) return undefined;
  const { outer, inner } = loopAxes(spec);
  const levels = [...outer, ...inner];
  if (levels.length === 0 || levels.some((a) => a.extent === 0)) return undefined;
  const unit = (a: Axis | undefined, output: boolean): boolean =>
    a !== undefined && a.strides.every((s, k) => (k === a.strides.length - 1 ? !output || s === 1 : s === 0 || s === 1));
  const last = levels.length - 1;
  // Nothing reduced (no reduction, or only size-1 axes): an elementwise kernel.
  if (!spec.reduce || inner.length === 0) return unit(levels[last], true) ? { levels, kept: levels.length, vector: last, reduce: undefined } : undefined;
  const reduce = spec.reduce.op;
  if (unit(inner.at(-1), false)) return { levels, kept: outer.length, vector: last, reduce };
  if (unit(outer.at(-1), true)) return { levels, kept: outer.length, vector: outer.length - 1, reduce };
  return undefined;
}

/** The module's body: kernel(b0, ..., bOut) with element offsets, as the JavaScript kernel takes. */
function buildModule(spec: LoopKernelSpec, plan: Plan, shared: boolean): Uint8Array<ArrayBuffer> {
  const f = new Frame();
  const accesses = spec.inputs.length + 1;
  const out = accesses - 1;
  const bases = Array.from({ length: accesses }, () => f.param(I32));
  const prologue = new LoopCode();
  const c = new LoopCode();
  const ex = new ExprEmitter(f, c, prologue, computesInFloat32(spec.expr, [...spec.inputs, spec.output].map((a) => a.dtype)));
  const { levels, vector, reduce } = plan;
  const vAxis = levels[vector]!;

  // Element offsets to byte addresses.
  const root = bases.map((b) => {
    const p = f.local(I32);
    prologue.get(b).i32Const(2).i32Shl().set(p);
    return p;
  });

  /** One scalar loop over an axis (extent >= 1), pointers copied and bumped by the strides. */
  const loopOver = (axis: Axis, ptrs: number[], body: (ptrs: number[]) => void, count = axis.extent, step = 1): void => {
    if (count === 0) return;
    const own = ptrs.map((p) => {
      const q = f.local(I32);
      c.get(p).set(q);
      return q;
    });
    const i = f.local(I32);
    c.i32Const(count).set(i).loop();
    body(own);
    own.forEach((q, k) => {
      const bytes = axis.strides[k]! * 4 * step;
      if (bytes !== 0) c.get(q).i32Const(bytes).i32Add().set(q);
    });
    c.get(i).i32Const(1).i32Sub().tee(i).brIf(0).end();
  };
  const nest = (axes: Axis[], ptrs: number[], body: (ptrs: number[]) => void): void => {
    if (axes.length === 0) body(ptrs);
    else loopOver(axes[0]!, ptrs, (p) => nest(axes.slice(1), p, body));
  };
  /** The vector axis: whole vectors, then the remaining (at most three) elements one by one. */
  const vectorLoop = (ptrs: number[], body: (ptrs: number[], mode: Mode) => void): void => {
    loopOver(vAxis, ptrs, (p) => body(p, {}), Math.floor(vAxis.extent / 4), 4);
    if (vAxis.extent % 4 === 0) return;
    // After the loop the pointers (of the caller's level) moved by whole vectors: recompute.
    const after = ptrs.map((p, k) => {
      const q = f.local(I32);
      c.get(p).i32Const(vAxis.strides[k]! * 4 * (vAxis.extent - (vAxis.extent % 4))).i32Add().set(q);
      return q;
    });
    for (let t = 0; t < vAxis.extent % 4; t++) body(after, { tail: t });
  };

  /** Loads the inputs at `ptrs` (vector-axis offsets of the mode) and evaluates the expression. */
  const evaluate = (ptrs: number[], mode: Mode): Pair => {
    const loaded = new Map<number, Pair>();
    return ex.emit(spec.expr, (i) => {
      let pair = loaded.get(i);
      if (!pair) {
        const unitStride = vAxis.strides[i] === 1;
        const v = f.local(V128);
        c.get(ptrs[i]!);
        if (unitStride && mode.tail === undefined) c.v128Load();
        else c.v128Load32Splat(unitStride ? 4 * (mode.tail ?? 0) : 0);
        c.set(v);
        pair = ex.input(v, !unitStride || mode.tail !== undefined);
        loaded.set(i, pair);
      }
      return pair;
    });
  };
  /** Stores an expression's value (`float64`: float64 accumulator halves instead). */
  const store = (ptr: number, p: Pair, mode: Mode, float64 = false): void => {
    c.get(ptr);
    if (float64) ex.pushJoined(p, mode.tail === undefined);
    else ex.pushValue(p, mode.tail === undefined);
    if (mode.tail === undefined) c.v128Store();
    else c.f32x4ExtractLane(0).f32Store(4 * mode.tail);
  };
  const combine = (acc: number, v: number): void => {
    c.get(acc).get(v);
    if (reduce === "sum") c.f64x2Add();
    else c.f64x2Max();
    c.set(acc);
  };
  const identity = reduce === "max" ? -Infinity : 0;

  const keptAxes = levels.slice(0, plan.kept);
  const reducedAxes = levels.slice(plan.kept);
  if (!reduce) {
    nest(levels.slice(0, -1), root, (ptrs) => vectorLoop(ptrs, (p, mode) => store(p[out]!, evaluate(p, mode), mode)));
  } else if (vector >= plan.kept) {
    // Across the innermost reduced axis: two f64x2 accumulators for whole vectors, a scalar one
    // for the tail, joined when the reduction ends.
    nest(keptAxes, root, (ptrs) => {
      const [l, h] = [f.local(V128), f.local(V128)];
      const s = f.local(F64);
      c.f64Const(identity).f64x2Splat().tee(l).set(h);
      c.f64Const(identity).set(s);
      nest(reducedAxes.slice(0, -1), ptrs, (p0) =>
        vectorLoop(p0, (p, mode) => {
          const v = ex.toFloat64(evaluate(p, mode), mode.tail === undefined);
          if (mode.tail === undefined) {
            combine(l, v[0]);
            combine(h, v[1]);
          } else {
            c.get(s).get(v[0]).f64x2ExtractLane(0);
            if (reduce === "sum") c.f64Add();
            else c.f64Max();
            c.set(s);
          }
        }),
      );
      combine(l, h);
      c.get(ptrs[out]!).get(l).f64x2ExtractLane(0).get(l).f64x2ExtractLane(1);
      if (reduce === "sum") c.f64Add().get(s).f64Add();
      else c.f64Max().get(s).f64Max();
      c.f32DemoteF64().f32Store();
    });
  } else {
    // Across the innermost kept axis: four outputs accumulate side by side over the reduction,
    // in the JavaScript loop's order.
    nest(keptAxes.slice(0, -1), root, (ptrs) =>
      vectorLoop(ptrs, (p, mode) => {
        const [l, h] = [f.local(V128), f.local(V128)];
        c.f64Const(identity).f64x2Splat().tee(l).set(h);
        nest(reducedAxes, p, (q) => {
          const v = ex.toFloat64(evaluate(q, mode), mode.tail === undefined);
          combine(l, v[0]);
          if (mode.tail === undefined) combine(h, v[1]);
        });
        store(p[out]!, mode.tail === undefined ? [l, h] : [l, l], mode, true);
      }),
    );
  }

  const mb = new ModuleBuilder();
  mb.importMemory({ module: "env", name: "memory", initial: 0, maximum: shared ? 65536 : undefined, shared });
  mb.func(f.params, [], f.locals, new LoopCode().append(prologue).append(c), "kernel");
  return mb.emit();
}

/** Compiled modules by spec, shared by every memory (specs are compile-time shapes and strides). */
const modules = new Map<string, WebAssembly.Module>();

/** Key of what the generated code depends on: collapsed axes, expression, reduction plan. */
function keyOf(spec: LoopKernelSpec, plan: Plan): string {
  return JSON.stringify([plan, spec.expr, spec.inputs.length]);
}

/**
 * The SIMD loop kernels over `memory`. Modules compile synchronously (lower() is synchronous;
 * Node compiles modules of any size synchronously) once per distinct kernel, and instantiate
 * once per memory.
 */
export function createWasmLoops(memory: WebAssembly.Memory): WasmLoops {
  const shared = isShared(memory);
  const instances = new Map<WebAssembly.Module, LoopKernel>();
  return (spec) => {
    const module = wasmLoopModule(spec, shared);
    if (!module) return undefined;
    let kernel = instances.get(module);
    if (!kernel) {
      const run = instantiateLoop(module, memory);
      kernel = (_f32, _f64, ...bases) => run(...bases);
      instances.set(module, kernel);
    }
    return kernel;
  };
}

export const isShared = (memory: WebAssembly.Memory): boolean => typeof SharedArrayBuffer !== "undefined" && memory.buffer instanceof SharedArrayBuffer;

/**
 * The module of a spec's SIMD kernel, compiled once per distinct kernel (and kind of memory), or
 * undefined where the JavaScript loop must run. It exports kernel(b0, ..., bOut).
 */
export function wasmLoopModule(spec: LoopKernelSpec, shared: boolean): WebAssembly.Module | undefined {
  const plan = planOf(spec);
  if (!plan) return undefined;
  const key = `${shared}|${keyOf(spec, plan)}`;
  let module = modules.get(key);
  if (!module) {
    module = new WebAssembly.Module(buildModule(spec, plan, shared));
    modules.set(key, module);
  }
  return module;
}

/** A loop module's kernel over `memory`: element offsets of each input, then of the output. */
export function instantiateLoop(module: WebAssembly.Module, memory: WebAssembly.Memory): (...bases: number[]) => void {
  return new WebAssembly.Instance(module, { env: { memory } }).exports["kernel"] as (...bases: number[]) => void;
}
