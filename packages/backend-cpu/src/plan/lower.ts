import { BINARY_OPS, broadcastView, findComposites, useCounts, sameShape, contiguousView, type DType, familyLowering, isContiguous, type LoweringTable, lowerNode, type Node, type NodeOf, type Program, reshapeView, sizeOf, sliceView, stridesOf, transposeView, UNARY_OPS, type View } from "@unfold/core";
import type { Expr } from "../kernels/loops/expr.js";
import { type LoopKernel, type LoopKernelSpec, loopKernel } from "../kernels/loops/loops.js";
import type { WasmLoops } from "../kernels/loops/loops-wasm.js";
import { type ItemLoops, loopItemForm, type ParallelLoops } from "../kernels/loops/loops-parallel.js";
import { formSegments } from "./segments.js";
import type { Slot } from "./slots.js";
import type { Step } from "../steps/step.js";
import type { ItemRunner } from "../steps/items.js";
import type { MatmulEngine } from "../steps/matrix-engine.js";
import { gatherStep, scatterAddStep } from "../kernels/gather/gather.js";
import { matmulStep } from "../kernels/gemm/matmul.js";
import { detectSoftmax, softmaxStep } from "../kernels/softmax/softmax.js";
import { detectGramSoftmax, detectGramValue, type GramSoftmaxMatch, gramSoftmaxStep } from "../kernels/gram-softmax/gram-softmax.js";
import type { SoftmaxKernel } from "../kernels/softmax/softmax-wasm.js";

const ELEMENTWISE = new Set<string>([...UNARY_OPS, ...BINARY_OPS, "cast"]);
/** How the backend names itself in a lowering error. */
const CPU = "cpu backend";

export interface LoweredPlan {
  readonly slots: Slot[];
  readonly steps: Step[];
  /** Output name -> slot holding it (kind 'output'). */
  readonly outputs: Map<string, number>;
  /** Feed name -> slot bound to it (kind 'input'). */
  readonly feeds: Map<string, number>;
  /** Bytes of scratch the largest step needs. */
  readonly scratchBytes: number;
  /** Bytes of the item rounds' region (segments.ts). */
  readonly segmentBytes: number;
  /** Multiply-adds of the plan's largest matmul step (0 without one). */
  readonly largestProduct: number;
}

/**
 * The compiled kernels steps run on: the matrix engine, and optionally the float32 softmax and
 * the SIMD forms of float32 loops (each loop falls back to JavaScript where it has none).
 */
export interface LowerKernels {
  readonly matmul: MatmulEngine;
  readonly softmax?: SoftmaxKernel | undefined;
  readonly loops?: WasmLoops | undefined;
  /** Runners that share large float32 loops among worker threads (kernels/loops/loops-parallel.ts). */
  readonly parallelLoops?: ParallelLoops | undefined;
  /** Loop kernels over one item, for item rounds (segments.ts); none: no item rounds. */
  readonly itemLoops?: ItemLoops | undefined;
}

/**
 * Lowers a program to steps over slots. Reshape, broadcast, transpose and slice become views
 * (strided reads, no copy); an elementwise node with a single use of the same shape is inlined
 * into its consumer, so chains (and the producers of reductions) run as one loop; row softmax
 * is one fused kernel; matmul goes to the matrix engine with operand strides.
 */
export function lower(program: Program, kernels: LowerKernels): LoweredPlan {
  const nodes = program.nodes;
  const uses = useCounts(program);
  const outputIds = new Set(program.outputs.map((o) => o.id));

  const slots: Slot[] = [];
  const steps: Step[] = [];
  const views = new Map<number, View>();
  const inlined = new Set<number>();
  const feeds = new Map<string, number>();
  let scratchBytes = 0;
  let largestProduct = 0;
  const loop = (spec: LoopKernelSpec): LoopKernel => kernels.loops?.(spec) ?? loopKernel(spec);

  const newSlot = (dtype: DType, elements: number, kind: Slot["kind"], extra: Partial<Slot> = {}): number => {
    const id = slots.length;
    slots.push({ id, kind, dtype, elements, outputs: [], ...extra });
    return id;
  };
  const dtypeOf = (slot: number): DType => slots[slot]!.dtype;

  // Row softmaxes whose internals nothing else reads run as one kernel; their internals vanish.
  // Core's one recognizer finds them (a Yang attention record carries its plain softmax).
  const composites = findComposites(program, ["softmax", "yangAttention"]);
  const softmaxes = detectSoftmax(program, composites, uses, outputIds);
  const skip = new Set<number>([...softmaxes.values()].flatMap((s) => s.internal));
  // Those over Yang logits Z Z^T - 1 b^T also take over their product (kernels/gram-softmax), and the
  // product of the weights with the values when that is their one reader: the whole step is then
  // lowered at that product (the values may come later than the softmax).
  const consumer = new Map<number, Node>();
  for (const n of nodes) for (const i of n.inputs) consumer.set(i, n);
  const grams = new Map<number, GramSoftmaxMatch>();
  const attention = new Map<number, { softmax: number; gram: GramSoftmaxMatch; value: number }>();
  for (const [id, match] of softmaxes) {
    const gram = detectGramSoftmax(program, composites.get(id), uses, outputIds, match, kernels.matmul);
    if (!gram) continue;
    skip.add(gram.product);
    for (const bias of gram.yangBias ?? []) skip.add(bias);
    const reader = consumer.get(id);
    const value = detectGramValue(nodes, uses, outputIds, nodes[id]!, reader, gram);
    if (value === undefined) grams.set(id, gram);
    else {
      attention.set(reader!.id, { softmax: id, gram, value });
      skip.add(id);
    }
  }

  // An elementwise node is inlined when its only use is a loop over its own shape (a fused
  // softmax's result is computed by its own kernel, so it is never inlined).
  const iterationShape = (n: Node): readonly number[] | undefined =>
    ELEMENTWISE.has(n.op) ? n.shape : n.op === "sum" || n.op === "reduceMax" ? nodes[n.inputs[0]!]!.shape : undefined;
  for (const n of nodes) {
    if (!ELEMENTWISE.has(n.op) || outputIds.has(n.id) || uses[n.id] !== 1 || softmaxes.has(n.id)) continue;
    const c = consumer.get(n.id)!;
    // A fused softmax's internals are never emitted, so nothing may be inlined into them.
    if (skip.has(c.id)) continue;
    const shape = iterationShape(c);
    if (shape && sameShape(shape, n.shape)) inlined.add(n.id);
  }

  /** Writes an expression (or reduction) over `shape` into a fresh contiguous slot. */
  const emitLoop = (label: string, node: Node, shape: readonly number[], expr: Expr, leaves: View[], reduce?: LoopKernelSpec["reduce"]): View => {
    const slot = newSlot(node.dtype, sizeOf(node.shape), "workspace");
    const out = stridesOf(node.shape).map((s, i) => (node.shape[i] === 1 && shape[i] !== 1 ? 0 : s));
    const spec: LoopKernelSpec = {
      shape,
      inputs: leaves.map((v) => ({ dtype: dtypeOf(v.slot), strides: broadcastView(v, shape).strides })),
      expr,
      output: { dtype: node.dtype, strides: out },
      ...(reduce ? { reduce } : {}),
    };
    const bases = leaves.map((v) => [v.slot, v.offset] as const);
    const parallel = kernels.parallelLoops?.(spec);
    const kernel = parallel ? undefined : loop(spec);
    const item = kernels.itemLoops?.(spec);
    steps.push({
      ...(item ? { items: loopItemForm(item, spec, bases, slot) } : {}),
      label,
      reads: leaves.map((v) => v.slot),
      writes: slot,
      run: parallel
        ? (ctx) => parallel([...bases.map(([s, o]) => ctx.base[s]! + o), ctx.base[slot]!])
        : (ctx) => kernel!(ctx.f32, ctx.f64, ...bases.map(([s, o]) => ctx.base[s]! + o), ctx.base[slot]!),
    });
    return contiguousView(slot, node.shape);
  };

  /** The expression tree of a value, expanding inlined producers; leaves are views. */
  const exprOf = (id: number, leaves: View[]): Expr => {
    const n = nodes[id]!;
    if (!inlined.has(id)) {
      leaves.push(views.get(id)!);
      return { kind: "input", index: leaves.length - 1 };
    }
    return buildExpr(n, leaves);
  };
  const buildExpr = (n: Node, leaves: View[]): Expr => {
    if (n.op === "cast") return { kind: "cast", to: n.to, arg: exprOf(n.inputs[0]!, leaves) };
    if ((UNARY_OPS as readonly string[]).includes(n.op)) return { kind: "unary", op: n.op as never, arg: exprOf(n.inputs[0]!, leaves) };
    return { kind: "binary", op: n.op as never, args: [exprOf(n.inputs[0]!, leaves), exprOf(n.inputs[1]!, leaves)] };
  };

  /** Adds a step of the matrix engine that computes node n into `slot`: its scratch and work count for the plan. */
  const pushProducts = (n: Node, slot: number, step: Step & { scratchBytes: number; work: number }): void => {
    scratchBytes = Math.max(scratchBytes, step.scratchBytes);
    largestProduct = Math.max(largestProduct, step.work);
    steps.push(step);
    views.set(n.id, contiguousView(slot, n.shape));
  };

  /** A contiguous view of a value, copying a strided one into a fresh slot. */
  const contiguous = (id: number): View => {
    const v = views.get(id)!;
    if (isContiguous(v)) return v;
    return emitLoop(`copy %${id}`, nodes[id]!, nodes[id]!.shape, { kind: "input", index: 0 }, [v]);
  };

  const arg = (n: Node, k: number): View => views.get(n.inputs[k]!)!;
  /** Elementwise nodes: a fused softmax (with its Gram product), else one loop over the inlined expression. */
  const lowerElementwise = (n: Node): void => {
    const fused = softmaxes.get(n.id);
    const gram = grams.get(n.id);
    if (fused && gram) {
      const slot = newSlot(n.dtype, sizeOf(n.shape), "workspace");
      const bias = gram.yangBias ? undefined : contiguous(fused.bias!.node);
      pushProducts(n, slot, gramSoftmaxStep(kernels.matmul, gram, contiguous(gram.operand), bias, slot, `gram softmax %${n.id}`));
      return;
    }
    if (fused) {
      const x = contiguous(fused.input);
      const bias = fused.bias ? { view: contiguous(fused.bias.node), period: fused.bias.period } : undefined;
      const slot = newSlot(n.dtype, sizeOf(n.shape), "workspace");
      steps.push(softmaxStep(x, n.shape, slot, n.dtype, `softmax %${n.id}`, kernels.softmax, bias));
      views.set(n.id, contiguousView(slot, n.shape));
      return;
    }
    const leaves: View[] = [];
    const expr = buildExpr(n, leaves);
    views.set(n.id, emitLoop(`${n.op} %${n.id}`, n, n.shape, expr, leaves));
  };
  const lowerReduction = (n: NodeOf<"sum" | "reduceMax">): void => {
    const leaves: View[] = [];
    const x = nodes[n.inputs[0]!]!;
    const expr = exprOf(x.id, leaves);
    views.set(n.id, emitLoop(`${n.op} %${n.id}`, n, x.shape, expr, leaves, { op: n.op === "sum" ? "sum" : "max", axes: n.axes }));
  };
  const lowerIndexed = (n: NodeOf<"gather" | "scatterAdd">): void => {
    const slot = newSlot(n.dtype, sizeOf(n.shape), "workspace");
    const [x, idx] = [contiguous(n.inputs[0]!), contiguous(n.inputs[1]!)];
    const make = n.op === "gather" ? gatherStep : scatterAddStep;
    steps.push(make(x, nodes[n.inputs[0]!]!.shape, idx, n.shape, n.axis, slot, n.dtype, `${n.op} %${n.id}`));
    views.set(n.id, contiguousView(slot, n.shape));
  };
  // One entry per computed op of core: a primitive added there is a compile error here until it
  // has one. Layout ops become views (no step); the rest add steps.
  const table: LoweringTable<void> = {
    ...familyLowering(UNARY_OPS, lowerElementwise),
    ...familyLowering(BINARY_OPS, lowerElementwise),
    cast: lowerElementwise,
    reshape: (n) => {
      const v = reshapeView(arg(n, 0), n.shape);
      views.set(n.id, v ?? reshapeView(contiguous(n.inputs[0]!), n.shape)!);
    },
    broadcast: (n) => views.set(n.id, broadcastView(arg(n, 0), n.shape)),
    transpose: (n) => views.set(n.id, transposeView(arg(n, 0), n.perm)),
    slice: (n) => views.set(n.id, sliceView(arg(n, 0), n.begin, n.shape)),
    sum: lowerReduction,
    reduceMax: lowerReduction,
    matmul: (n) => {
      const slot = newSlot(n.dtype, sizeOf(n.shape), "workspace");
      const fused = attention.get(n.id);
      if (fused) {
        const bias = fused.gram.yangBias ? undefined : contiguous(softmaxes.get(fused.softmax)!.bias!.node);
        pushProducts(n, slot, gramSoftmaxStep(kernels.matmul, fused.gram, contiguous(fused.gram.operand), bias, slot, `attention %${n.id}`, contiguous(fused.value)));
        return;
      }
      pushProducts(n, slot, matmulStep(kernels.matmul, arg(n, 0), arg(n, 1), n.shape, slot, n.dtype, `matmul %${n.id}`));
    },
    concat: (n) => {
      const slot = newSlot(n.dtype, sizeOf(n.shape), "workspace");
      const outStrides = stridesOf(n.shape);
      let start = 0;
      n.inputs.forEach((_input, k) => {
        const v = arg(n, k);
        const kernel = loop({ shape: v.shape, inputs: [{ dtype: dtypeOf(v.slot), strides: v.strides }], expr: { kind: "input", index: 0 }, output: { dtype: n.dtype, strides: outStrides } });
        const offset = start * outStrides[n.axis]!;
        start += v.shape[n.axis]!;
        steps.push({ label: `concat %${n.id}[${k}]`, reads: [v.slot], writes: slot, run: (ctx) => kernel(ctx.f32, ctx.f64, ctx.base[v.slot]! + v.offset, ctx.base[slot]! + offset) });
      });
      views.set(n.id, contiguousView(slot, n.shape));
    },
    gather: lowerIndexed,
    scatterAdd: lowerIndexed,
  };

  for (const n of nodes) {
    if (inlined.has(n.id) || skip.has(n.id)) continue;
    // Leaves are bound to slots, not lowered.
    if (n.op === "input" || n.op === "param") {
      const slot = newSlot(n.dtype, sizeOf(n.shape), "input", { feed: n.name });
      feeds.set(n.name, slot);
      views.set(n.id, contiguousView(slot, n.shape));
    } else if (n.op === "constant") {
      views.set(n.id, contiguousView(newSlot(n.dtype, sizeOf(n.shape), "constant", { constant: n.value }), n.shape));
    } else lowerNode(table, n, undefined, CPU);
  }

  // Outputs: a value computed into a slot of its own becomes that output; anything else (a feed,
  // a constant, a view, a value already claimed by another output) is copied into a fresh slot.
  const outputs = new Map<string, number>();
  for (const o of program.outputs) {
    const node = nodes[o.id]!;
    const v = views.get(o.id)!;
    const slot = slots[v.slot]!;
    const whole = slot.kind === "workspace" && isContiguous(v) && v.offset === 0 && slot.elements === sizeOf(node.shape) && slot.outputs.length === 0;
    if (whole) {
      slot.kind = "output";
      slot.outputs.push(o.name);
      outputs.set(o.name, slot.id);
      continue;
    }
    const copy = emitLoop(`output ${o.name}`, node, node.shape, { kind: "input", index: 0 }, [v]);
    slots[copy.slot]!.kind = "output";
    slots[copy.slot]!.outputs.push(o.name);
    outputs.set(o.name, copy.slot);
  }
  const segmented = formSegments(steps, slots, itemRunner(kernels.matmul, kernels.itemLoops));
  return { slots, steps: segmented.steps, outputs, feeds, scratchBytes: Math.max(scratchBytes, segmented.scratchBytes), segmentBytes: segmented.bytes, largestProduct };
}

/** The engine as item rounds need it, where it has them and the loops have item kernels. */
function itemRunner(engine: MatmulEngine, itemLoops: ItemLoops | undefined): ItemRunner | undefined {
  const { threads, minThreadedWork, runItems } = engine;
  if (!itemLoops || threads === undefined || minThreadedWork === undefined || !runItems) return undefined;
  return { threads, minThreadedWork, runItems: runItems.bind(engine) };
}
