import { BINARY_OPS, type BinaryOp, broadcastsTo, broadcastView, contiguousView, describeNode, familyLowering, isContiguous, type LoweringTable, lowerNode, type Node, type NodeOf, type Program, reshapeView, sameShape, sameViews, sizeOf, sliceView, transposeView, UNARY_OPS, type UnaryOp, UnfoldError, unitReshape, unitReshapeView, type View } from "@unfold/core";
import { tensorTooLarge } from "../errors.js";
import { type Expr, type KernelSpec, type PlanStep, rowListsLength, viewsRead } from "./kernels.js";
import { detectNormalizers } from "./normalizers.js";
import type { Slot } from "./slots.js";

const UNARY = new Set<string>(UNARY_OPS);
/** How many times over a broadcast producer may be recomputed when inlined into its consumer. */
const MAX_RECOMPUTE = 16;
const ELEMENTWISE = new Set<string>([...UNARY_OPS, ...BINARY_OPS, "cast"]);

/** A program lowered to dispatches over slots, before any buffer exists. */
export interface Plan {
  readonly slots: Slot[];
  readonly steps: PlanStep[];
  /** Feed name -> its input slot. */
  readonly feeds: Map<string, number>;
}

export interface LowerLimits {
  /** Storage buffers one kernel may bind (the output included). */
  readonly maxBindings: number;
  /** The device's maxStorageBufferBindingSize, in bytes. */
  readonly maxBindingBytes: number;
}

/** Where an expression is being built: its leaves, and whether a pending matmul may become its accumulator. */
interface ExprContext {
  readonly leaves: View[];
  readonly budget: number;
  /** The iteration shape of the kernel, when a matmul epilogue is allowed. */
  readonly accShape?: readonly number[];
  acc?: number;
}

/**
 * Scalar-valued constants (every element equal) become WGSL literals instead of buffers. Equal
 * means the same bits (Object.is), unlike core's constant matching (===): an all-NaN constant is
 * a literal (WGSL has one by its bits), and one mixing 0 and -0 keeps its buffer so each element
 * keeps its sign.
 */
function literalOf(n: Node): number | undefined {
  if (n.op !== "constant" || n.value.length === 0) return undefined;
  const v = n.value[0]!;
  return n.value.every((x) => Object.is(x, v)) ? v : undefined;
}

/**
 * Lowers a (float32, optimized) program to kernels over slots. Layout ops become views; an
 * elementwise node with a single use by a kernel iterating over its own shape is inlined into
 * that kernel, so chains (and the producers of reductions and softmaxes) are one dispatch; row
 * softmax and logsumexp are one kernel each; a matmul whose only use is elementwise takes that
 * work as its epilogue; matmul operands are read through their strides, never copied.
 */
export function lower(program: Program, limits: LowerLimits): Plan {
  const nodes = program.nodes;
  const uses = new Array<number>(nodes.length).fill(0);
  for (const n of nodes) for (const i of n.inputs) uses[i]!++;
  const outputIds = new Set(program.outputs.map((o) => o.id));
  for (const o of program.outputs) uses[o.id]!++;

  const normalizers = detectNormalizers(program, uses, outputIds);
  const skip = new Set<number>();
  for (const m of normalizers.values()) {
    for (const id of m.internal) skip.add(id);
    // The fused kernel reads its argument once in place of the max and the subtraction.
    uses[m.input]! -= 1;
  }

  const consumer = new Map<number, Node>();
  for (const n of nodes) {
    if (skip.has(n.id)) continue;
    const m = normalizers.get(n.id);
    if (m) consumer.set(m.input, n);
    else for (const i of n.inputs) consumer.set(i, n);
  }
  const iterationShape = (n: Node): readonly number[] | undefined => {
    const m = normalizers.get(n.id);
    if (m) return nodes[m.input]!.shape;
    if (n.op === "sum" || n.op === "reduceMax") return nodes[n.inputs[0]!]!.shape;
    return ELEMENTWISE.has(n.op) ? n.shape : undefined;
  };
  const inlined = new Set<number>();
  for (const n of nodes) {
    if (!ELEMENTWISE.has(n.op) || outputIds.has(n.id) || uses[n.id] !== 1 || normalizers.has(n.id) || skip.has(n.id)) continue;
    const c = consumer.get(n.id);
    const shape = c && iterationShape(c);
    // A producer that broadcasts into its consumer is recomputed per element read, which beats a
    // round trip through memory unless the stretch is large. One operation on values already in
    // memory (a scale of a row vector, say) always beats a dispatch of its own, however stretched.
    const single = n.inputs.every((i) => !inlined.has(i));
    if (shape && broadcastsTo(n.shape, shape) && (single || sizeOf(shape) <= MAX_RECOMPUTE * sizeOf(n.shape))) inlined.add(n.id);
  }

  const slots: Slot[] = [];
  const steps: PlanStep[] = [];
  const feeds = new Map<string, number>();
  const views = new Map<number, View>();
  /**
   * Matmuls waiting for their single elementwise consumer to become their epilogue, keyed by
   * the value that consumer reads: the matmul itself, or a reshape of it that only adds or
   * drops size-1 axes (a head axis, say), whose shape the kernel then takes.
   */
  const pending = new Map<number, { matmul: Node; shape: readonly number[] }>();
  /** A matmul kernel over `shape`: the product's own, or a unit-axis reshape of it. */
  const matmulSpec = (m: Node, shape: readonly number[]): { kind: "matmul"; shape: readonly number[]; a: View; b: View } => {
    const operand = (k: number): View => {
      const v = view(m.inputs[k]!);
      if (sameShape(shape, m.shape)) return v;
      // Broadcast over the product's batch axes first, then move to the reshape's batch axes.
      const full = broadcastView(v, [...m.shape.slice(0, -2), ...v.shape.slice(-2)]);
      return unitReshapeView(full, [...shape.slice(0, -2), ...v.shape.slice(-2)]);
    };
    return { kind: "matmul", shape, a: operand(0), b: operand(1) };
  };

  const newSlot = (n: Node, kind: Slot["kind"], extra: Partial<Slot> = {}): number => {
    const elements = sizeOf(n.shape);
    if (elements * 4 > limits.maxBindingBytes) throw tensorTooLarge("compile", describeNode(n), elements * 4, limits.maxBindingBytes);
    const id = slots.length;
    slots.push({ id, kind, elements, what: describeNode(n), ...extra });
    return id;
  };
  /** A workspace slot of 4-byte entries that a kernel of `n` needs besides its result. */
  const scratchSlot = (n: Node, elements: number, what: string): number => {
    const described = `${describeNode(n)}'s ${what}`;
    if (elements * 4 > limits.maxBindingBytes) throw tensorTooLarge("compile", described, elements * 4, limits.maxBindingBytes);
    const id = slots.length;
    slots.push({ id, kind: "workspace", elements, what: described });
    return id;
  };
  const emit = (n: Node, spec: KernelSpec, label = `${n.op} %${n.id}`): View => {
    const out = newSlot(n, "workspace");
    steps.push({ label, spec, out });
    return contiguousView(out, n.shape);
  };

  /** The view of a computed value, emitting whatever it still waits on. */
  const view = (id: number): View => {
    const known = views.get(id);
    if (known) return known;
    const n = nodes[id]!;
    if (n.op === "constant") {
      const v = contiguousView(newSlot(n, "constant", { constant: n.value }), n.shape);
      views.set(id, v);
      return v;
    }
    const p = pending.get(id);
    if (p) {
      pending.delete(id);
      const v = emit(n, matmulSpec(p.matmul, p.shape), `matmul %${p.matmul.id}`);
      views.set(id, v);
      return v;
    }
    if (inlined.has(id)) {
      // Inlined, but a kernel needs it as a buffer after all (a binding budget ran out).
      inlined.delete(id);
      const v = emitElementwise(n);
      views.set(id, v);
      return v;
    }
    throw new UnfoldError("webgpu backend", `internal: no value for ${describeNode(n)}`);
  };

  const distinctSlots = (leaves: readonly View[]): number => new Set(leaves.map((l) => l.slot)).size;
  const leafOf = (v: View, ctx: ExprContext): Expr => {
    const at = ctx.leaves.findIndex((l) => sameViews(l, v));
    if (at >= 0) return { kind: "leaf", index: at };
    ctx.leaves.push(v);
    return { kind: "leaf", index: ctx.leaves.length - 1 };
  };

  /** The expression of a value inside a kernel iterating over `shape`. */
  const exprOf = (id: number, shape: readonly number[], ctx: ExprContext): Expr => {
    const n = nodes[id]!;
    const literal = literalOf(n);
    if (literal !== undefined) return { kind: "const", value: literal };
    if (inlined.has(id)) {
      const saved = { leaves: ctx.leaves.length, acc: ctx.acc };
      const expr = buildExpr(n, shape, ctx);
      if (distinctSlots(ctx.leaves) <= ctx.budget) return expr;
      // Too many buffers for one kernel: compute this subtree in a kernel of its own.
      ctx.leaves.length = saved.leaves;
      ctx.acc = saved.acc;
      if (ctx.acc === undefined) delete ctx.acc;
    }
    if (pending.has(id) && ctx.accShape && ctx.acc === undefined && sameShape(ctx.accShape, n.shape) && sameShape(shape, n.shape)) {
      ctx.acc = id;
      return { kind: "acc" };
    }
    return leafOf(broadcastView(view(id), shape), ctx);
  };
  const buildExpr = (n: Node, shape: readonly number[], ctx: ExprContext): Expr => {
    if (n.op === "cast") return exprOf(n.inputs[0]!, shape, ctx);
    if (UNARY.has(n.op)) return { kind: "unary", op: n.op as UnaryOp, arg: exprOf(n.inputs[0]!, shape, ctx) };
    return { kind: "binary", op: n.op as BinaryOp, args: [exprOf(n.inputs[0]!, shape, ctx), exprOf(n.inputs[1]!, shape, ctx)] };
  };

  const budget = Math.max(1, limits.maxBindings - 1);
  /** An elementwise node as its own kernel, or as the epilogue of the matmul it consumes. */
  const emitElementwise = (n: Node): View => {
    const ctx: ExprContext = { leaves: [], budget: budget - 2, accShape: n.shape };
    const expr = buildExpr(n, n.shape, ctx);
    if (ctx.acc !== undefined) {
      const p = pending.get(ctx.acc)!;
      pending.delete(ctx.acc);
      const product = matmulSpec(p.matmul, p.shape);
      // The leaf budget is checked per inlined subtree; the whole kernel must also fit the
      // device's bindings (the output, both operands, every leaf), or the product runs alone.
      if (distinctSlots([product.a, product.b, ...ctx.leaves]) + 1 <= limits.maxBindings) {
        return emit(n, { ...product, epilogue: { expr, leaves: ctx.leaves } }, `matmul %${p.matmul.id} + ${n.op} %${n.id}`);
      }
      views.set(ctx.acc, emit(nodes[ctx.acc]!, product, `matmul %${p.matmul.id}`));
      const alone: ExprContext = { leaves: [], budget };
      const rebuilt = buildExpr(n, n.shape, alone);
      return emit(n, { kind: "elementwise", shape: n.shape, leaves: alone.leaves, expr: rebuilt });
    }
    return emit(n, { kind: "elementwise", shape: n.shape, leaves: ctx.leaves, expr });
  };
  /** A contiguous copy of a view (for a reshape of a strided view). */
  const copyOf = (n: Node, v: View): View => emit(n, { kind: "elementwise", shape: v.shape, leaves: [v], expr: { kind: "leaf", index: 0 } }, `copy %${n.id}`);

  const arg = (n: Node, k: number): View => view(n.inputs[k]!);
  /** An elementwise node: a normalizer's root, or a kernel (or matmul epilogue) of its own. */
  const lowerElementwise = (n: Node): void => {
    const m = normalizers.get(n.id);
    if (m) {
      const shape = nodes[m.input]!.shape;
      const ctx: ExprContext = { leaves: [], budget };
      const expr = exprOf(m.input, shape, ctx);
      views.set(n.id, emit(n, { kind: "normalize", mode: m.mode, shape, axis: m.axis, leaves: ctx.leaves, expr }, `${m.mode} %${n.id}`));
      return;
    }
    views.set(n.id, emitElementwise(n));
  };
  const lowerReduction = (n: NodeOf<"sum" | "reduceMax">): void => {
    const shape = nodes[n.inputs[0]!]!.shape;
    const ctx: ExprContext = { leaves: [], budget };
    const expr = exprOf(n.inputs[0]!, shape, ctx);
    views.set(n.id, emit(n, { kind: "reduce", op: n.op === "sum" ? "sum" : "max", shape, axes: n.axes, leaves: ctx.leaves, expr }));
  };
  /**
   * One lowering per computed op, each setting the node's view (layout ops as views, the rest as
   * kernels): a primitive added to core is a compile error here until it has an entry.
   */
  const lowerings: LoweringTable<void> = {
    ...familyLowering(UNARY_OPS, lowerElementwise),
    ...familyLowering(BINARY_OPS, lowerElementwise),
    cast: lowerElementwise,
    reshape: (n) => {
      if (pending.has(n.id)) return; // stands for a matmul awaiting its epilogue
      const x = arg(n, 0);
      views.set(n.id, reshapeView(x, n.shape) ?? reshapeView(copyOf(nodes[n.inputs[0]!]!, x), n.shape)!);
    },
    broadcast: (n) => views.set(n.id, broadcastView(arg(n, 0), n.shape)),
    transpose: (n) => views.set(n.id, transposeView(arg(n, 0), n.perm)),
    slice: (n) => views.set(n.id, sliceView(arg(n, 0), n.begin, n.shape)),
    sum: lowerReduction,
    reduceMax: lowerReduction,
    matmul: (n) => {
      let c = consumer.get(n.id);
      let key: Node = n;
      // Seen through a reshape that only adds or drops size-1 axes, keeping the matrix axes.
      const r = c;
      if (r?.op === "reshape" && uses[r.id] === 1 && !outputIds.has(r.id) && unitReshape(n.shape, r.shape) && sameShape(r.shape.slice(-2), n.shape.slice(-2))) {
        key = r;
        c = consumer.get(r.id);
      }
      if (uses[n.id] === 1 && !outputIds.has(n.id) && c && ELEMENTWISE.has(c.op) && !normalizers.has(c.id)) pending.set(key.id, { matmul: n, shape: key.shape });
      else views.set(n.id, emit(n, { kind: "matmul", shape: n.shape, a: arg(n, 0), b: arg(n, 1) }));
    },
    concat: (n) => views.set(n.id, emit(n, { kind: "concat", shape: n.shape, axis: n.axis, parts: n.inputs.map((i) => view(i)) })),
    gather: (n) => views.set(n.id, emit(n, { kind: "gather", shape: n.shape, axis: n.axis, x: arg(n, 0), indices: arg(n, 1) })),
    scatterAdd: (n) => {
      // Two passes: the indices become a list of positions per target row, which the sum then reads.
      const indices = arg(n, 1);
      const rows = n.shape[n.axis]!;
      const length = rowListsLength(rows, sizeOf(indices.shape));
      const lists = scratchSlot(n, length, "row lists");
      steps.push({ label: `scatterAdd %${n.id} row lists`, spec: { kind: "scatterRows", rows, indices }, out: lists });
      views.set(n.id, emit(n, { kind: "scatterAdd", shape: n.shape, axis: n.axis, updates: arg(n, 0), indices, rowLists: contiguousView(lists, [length]) }));
    },
  };

  for (const n of nodes) {
    if (inlined.has(n.id) || skip.has(n.id)) continue;
    if (n.op === "input" || n.op === "param") {
      const slot = newSlot(n, "input", { feed: n.name });
      feeds.set(n.name, slot);
      views.set(n.id, contiguousView(slot, n.shape));
    } else if (n.op !== "constant") {
      // A constant is a literal where it is read, or a buffer on first use as one.
      lowerNode(lowerings, n, undefined, "@unfold/backend-webgpu");
    }
  }

  // Outputs: a value computed into a whole slot of its own becomes that output; anything else (a
  // feed, a constant, a view, a value already claimed by another output) is copied to a new slot.
  const produced = new Set(steps.map((s) => s.out));
  for (const o of program.outputs) {
    const node = nodes[o.id]!;
    const literal = literalOf(node);
    const v = literal === undefined ? view(o.id) : undefined;
    const slot = v ? slots[v.slot]! : undefined;
    if (v && slot && produced.has(slot.id) && slot.kind === "workspace" && isContiguous(v) && v.offset === 0 && slot.elements === sizeOf(node.shape)) {
      slot.kind = "output";
      slot.output = o.name;
      continue;
    }
    const expr: Expr = v ? { kind: "leaf", index: 0 } : { kind: "const", value: literal! };
    const copy = emit(node, { kind: "elementwise", shape: node.shape, leaves: v ? [v] : [], expr }, `output ${o.name}`);
    slots[copy.slot]!.kind = "output";
    slots[copy.slot]!.output = o.name;
  }
  // Every read must name a slot that exists by then (a cheap guard against lowering bugs).
  for (const step of steps) for (const v of viewsRead(step.spec)) if (!slots[v.slot]) throw new UnfoldError("webgpu backend", `internal: ${step.label} reads no slot`);
  return { slots, steps, feeds };
}
