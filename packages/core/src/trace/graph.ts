import { type DType, isDType } from "../dtype.js";
import { DTypeError, UnfoldError, currentPlace, formatShape } from "../errors.js";
import type { Node, NodeSpec, Op, SpecOf } from "../ir/node.js";
import { type Program, feedsOf } from "../ir/program.js";
import { type Shape, assertValidShape, sizeOf } from "../shape.js";
import { describeValue } from "../validate.js";
import { ruleFor } from "../primitives/registry.js";
import * as ops from "./ops.js";

/**
 * A graph under construction. Tracing a function runs it on symbolic Tensors that append nodes
 * here; autodiff appends its derivative nodes to the same graph, which is why a gradient can
 * itself be differentiated.
 */
export class Graph {
  readonly nodes: Node[] = [];
  private readonly leaves = new Map<string, number>();
  private readonly compositeStack: string[] = [];

  /** Appends a primitive after checking it with the primitive's shape rule. */
  emit<K extends Op>(spec: SpecOf<K>, args: readonly Tensor[], target?: Shape, label?: string): Tensor {
    for (const a of args) {
      if (a.graph !== this) throw new UnfoldError(spec.op, "arguments come from different traces");
    }
    // A target shape (reshape, broadcast, slice, scatterAdd) comes from the user's code.
    if (target !== undefined) assertValidShape(spec.op, target, "the result");
    const rule = ruleFor(spec.op);
    const infos = args.map((a) => ({ shape: a.shape, dtype: a.dtype, label: a.label }));
    const { shape, dtype } = rule.infer(spec as never, infos, target);
    return this.push({ ...spec, inputs: args.map((a) => a.id), shape, dtype, label }).tensor;
  }

  /** An input or parameter: a named leaf fed at run time. Names are unique within a program. */
  leaf(kind: "input" | "param", name: string, shape: Shape, dtype: DType = "float64"): Tensor {
    assertValidShape(kind, shape, `'${name}'`);
    if (!isDType(dtype)) throw new DTypeError(kind, `unknown dtype '${String(dtype)}' for '${name}'`);
    if (this.leaves.has(name)) throw new UnfoldError(kind, `a leaf named '${name}' already exists in this trace`);
    const t = this.push({ op: kind, name, inputs: [], shape: [...shape], dtype, label: name }).tensor;
    this.leaves.set(name, t.id);
    return t;
  }

  /**
   * A constant of `shape` and `dtype`. A number fills every element; an array gives every value
   * in row-major order and its length must equal the shape's size. Float32 values are rounded here.
   */
  constant(value: number | ArrayLike<number>, shape: Shape, dtype: DType): Tensor {
    assertValidShape("constant", shape);
    if (!isDType(dtype)) throw new DTypeError("constant", `unknown dtype ${describeValue(dtype)}`);
    const size = sizeOf(shape);
    const data = new Float64Array(size);
    if (typeof value === "number") data.fill(value);
    else {
      // Float64Array.set would read a string's characters as digits and null as 0.
      const isArray = Array.isArray(value) || (ArrayBuffer.isView(value) && !(value instanceof DataView));
      if (!isArray || (Array.isArray(value) && value.some((v) => typeof v !== "number"))) {
        throw new UnfoldError("constant", `value must be a number or an array of numbers, got ${describeValue(value)}`);
      }
      if (value.length !== size) {
        throw new UnfoldError("constant", `${value.length} values do not fill shape ${formatShape(shape)}`);
      }
      data.set(value);
    }
    if (dtype === "float32") for (let i = 0; i < size; i++) data[i] = Math.fround(data[i]!);
    return this.push({ op: "constant", value: data, inputs: [], shape: [...shape], dtype }).tensor;
  }

  /** Runs `build` with its nodes tagged as one instance of a composite, for fused lowerings. */
  composite<T>(name: string, build: () => T): T {
    this.compositeStack.push(name);
    try {
      return build();
    } finally {
      this.compositeStack.pop();
    }
  }

  /** The Tensor of node `%id` of this graph; throws when the graph has no such node. */
  tensor(id: number): Tensor {
    if (!this.nodes[id]) throw new UnfoldError("graph", `no node %${id}`);
    return new Tensor(this, id);
  }

  /** Freezes the graph into a program returning the given named outputs. */
  toProgram(outputs: Readonly<Record<string, Tensor>>): Program {
    const outs = Object.entries(outputs).map(([name, t]) => {
      if (!(t instanceof Tensor)) throw new UnfoldError("trace", `output '${name}' is not a Tensor`);
      if (t.graph !== this) throw new UnfoldError("trace", `output '${name}' comes from a different trace`);
      return { name, id: t.id };
    });
    const nodes = this.nodes.slice();
    return { nodes, feeds: feedsOf(nodes), outputs: outs };
  }

  private push(fields: NodeSpec & Omit<Node, "id" | "op">): { tensor: Tensor } {
    const composite = this.compositeStack.at(-1);
    // A replayed node (inline) brings the origin it was first traced with.
    const origin = fields.origin ?? currentPlace();
    const node = { ...fields, id: this.nodes.length, ...(composite ? { composite } : {}), ...(origin !== undefined ? { origin } : {}) } as Node;
    if (node.label === undefined) delete (node as { label?: string }).label;
    this.nodes.push(node);
    return { tensor: new Tensor(this, node.id) };
  }
}

/**
 * An operand of the binary ops: a Tensor, or a number, which becomes a scalar constant of the
 * other operand's dtype (NaN is refused) and so broadcasts against any shape.
 */
export type TensorLike = Tensor | number;

/** A symbolic value in a graph. Its methods trace primitives and composites. */
export class Tensor {
  constructor(
    readonly graph: Graph,
    readonly id: number,
  ) {}

  get node(): Node {
    return this.graph.nodes[this.id]!;
  }
  get shape(): Shape {
    return this.node.shape;
  }
  get dtype(): DType {
    return this.node.dtype;
  }
  get rank(): number {
    return this.node.shape.length;
  }
  get size(): number {
    return sizeOf(this.node.shape);
  }
  get label(): string | undefined {
    return this.node.label;
  }

  /** Names this value for error messages and printouts. */
  named(label: string): Tensor {
    (this.graph.nodes[this.id] as { label?: string }).label = label;
    return this;
  }

  /**
   * this + other, elementwise. The shapes broadcast as in NumPy (aligned on the right; a missing
   * or size-1 axis stretches to the other's size) and the dtypes must be equal; a number is a scalar.
   */
  add(other: TensorLike): Tensor {
    return ops.add(this, other);
  }
  /** this - other, elementwise, broadcasting as `add` does. */
  sub(other: TensorLike): Tensor {
    return ops.sub(this, other);
  }
  /** this * other, elementwise (for the matrix product see `matmul`), broadcasting as `add` does. */
  mul(other: TensorLike): Tensor {
    return ops.mul(this, other);
  }
  /** this / other, elementwise, broadcasting as `add` does; x / 0 is an infinity or NaN, as in IEEE arithmetic. */
  div(other: TensorLike): Tensor {
    return ops.div(this, other);
  }
  /**
   * this raised to the power other, elementwise, broadcasting as `add` does. The derivative with
   * respect to the exponent is this^other log(this), finite only where this > 0.
   */
  pow(other: TensorLike): Tensor {
    return ops.pow(this, other);
  }
  /** The larger of this and other, elementwise, broadcasting as `add` does; at a tie the whole gradient goes to this. */
  maximum(other: TensorLike): Tensor {
    return ops.maximum(this, other);
  }
  /** The smaller of this and other, elementwise, broadcasting as `add` does; at a tie the whole gradient goes to this. */
  minimum(other: TensorLike): Tensor {
    return ops.minimum(this, other);
  }
  /** -this, elementwise. */
  neg(): Tensor {
    return ops.neg(this);
  }
  /** e^this, elementwise. */
  exp(): Tensor {
    return ops.exp(this);
  }
  /** The natural logarithm, elementwise: -Infinity at 0 and NaN below it. */
  log(): Tensor {
    return ops.log(this);
  }
  /** The square root, elementwise: NaN below 0, and its derivative is infinite at 0. */
  sqrt(): Tensor {
    return ops.sqrt(this);
  }
  /** The hyperbolic tangent, elementwise. */
  tanh(): Tensor {
    return ops.tanh(this);
  }
  /** |this|, elementwise; its derivative is sign(this), 0 at 0. */
  abs(): Tensor {
    return ops.abs(this);
  }
  /** The square, elementwise, traced as one mul (this * this) rather than a pow. */
  square(): Tensor {
    return ops.mul(this, this);
  }
  /** max(this, 0), elementwise: the projection onto the non-negative orthant; its derivative is 1 where this >= 0, else 0. */
  relu(): Tensor {
    return ops.relu(this);
  }
  /**
   * The matrix product over the last two axes: [..., m, k] x [..., k, n] -> [..., m, n]. Both need
   * rank >= 2 (reshape a vector to [1, n] or [n, 1]) and one dtype; the leading axes broadcast as in `add`.
   */
  matmul(other: Tensor): Tensor {
    return ops.matmul(this, other);
  }
  /**
   * The sum over `axes` (one axis or a list, negative counting from the end; every axis when
   * omitted). The reduced axes are dropped, or kept with size 1 when `keepDims` is true: on
   * [2, 3, 4], `sum(1)` is [2, 4], `sum(1, true)` is [2, 1, 4] and `sum()` is the scalar [].
   */
  sum(axes?: number | readonly number[], keepDims = false): Tensor {
    return ops.sum(this, axes, keepDims);
  }
  /**
   * The maximum over `axes`, which are chosen, dropped or kept as in `sum`. The gradient is
   * shared equally among the elements that tie for the maximum.
   */
  max(axes?: number | readonly number[], keepDims = false): Tensor {
    return ops.max(this, axes, keepDims);
  }
  /**
   * The mean over `axes`, which are chosen, dropped or kept as in `sum`: the sum divided by the
   * number of elements reduced (the product of the reduced axes' sizes, not the tensor's size).
   */
  mean(axes?: number | readonly number[], keepDims = false): Tensor {
    return ops.mean(this, axes, keepDims);
  }
  /**
   * The same elements, in row-major order, under a shape of the same size; one dimension may be
   * -1 and is then inferred. This tensor itself when the shape is unchanged.
   */
  reshape(shape: readonly number[]): Tensor {
    return ops.reshape(this, shape);
  }
  /**
   * This tensor stretched to `shape` by NumPy rules: missing leading axes are added and size-1
   * axes repeated; every other axis must already match. The gradient sums back over the stretched axes.
   */
  broadcastTo(shape: readonly number[]): Tensor {
    return ops.broadcastTo(this, shape);
  }
  /**
   * The axes permuted: axis i of the result is axis `perm[i]` of this tensor; reversed when `perm`
   * is omitted. For the matrix transpose of each item of a batch, use `T`.
   */
  transpose(perm?: readonly number[]): Tensor {
    return ops.transpose(this, perm);
  }
  /** Swaps the last two axes. */
  get T(): Tensor {
    return ops.swapLastAxes(this);
  }
  /** The contiguous block of shape `size` starting at index `begin` (one entry per axis in both); it must lie inside the tensor. */
  slice(begin: readonly number[], size: readonly number[]): Tensor {
    return ops.slice(this, begin, size);
  }
  /** This tensor converted to `dtype` (float64 to float32 rounds to nearest); itself when it has that dtype already. The gradient is cast back. */
  cast(dtype: DType): Tensor {
    return ops.cast(this, dtype);
  }
}
