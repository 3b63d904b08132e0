import { type DType, isDType } from "../dtype.js";
import { DTypeError, UnfoldError, formatShape } from "../errors.js";
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
    const node = { ...fields, id: this.nodes.length, ...(composite ? { composite } : {}) } as Node;
    if (node.label === undefined) delete (node as { label?: string }).label;
    this.nodes.push(node);
    return { tensor: new Tensor(this, node.id) };
  }
}

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

  add(other: TensorLike): Tensor {
    return ops.add(this, other);
  }
  sub(other: TensorLike): Tensor {
    return ops.sub(this, other);
  }
  mul(other: TensorLike): Tensor {
    return ops.mul(this, other);
  }
  div(other: TensorLike): Tensor {
    return ops.div(this, other);
  }
  pow(other: TensorLike): Tensor {
    return ops.pow(this, other);
  }
  maximum(other: TensorLike): Tensor {
    return ops.maximum(this, other);
  }
  minimum(other: TensorLike): Tensor {
    return ops.minimum(this, other);
  }
  neg(): Tensor {
    return ops.neg(this);
  }
  exp(): Tensor {
    return ops.exp(this);
  }
  log(): Tensor {
    return ops.log(this);
  }
  sqrt(): Tensor {
    return ops.sqrt(this);
  }
  tanh(): Tensor {
    return ops.tanh(this);
  }
  abs(): Tensor {
    return ops.abs(this);
  }
  square(): Tensor {
    return ops.mul(this, this);
  }
  relu(): Tensor {
    return ops.relu(this);
  }
  matmul(other: Tensor): Tensor {
    return ops.matmul(this, other);
  }
  sum(axes?: number | readonly number[], keepDims = false): Tensor {
    return ops.sum(this, axes, keepDims);
  }
  max(axes?: number | readonly number[], keepDims = false): Tensor {
    return ops.max(this, axes, keepDims);
  }
  mean(axes?: number | readonly number[], keepDims = false): Tensor {
    return ops.mean(this, axes, keepDims);
  }
  reshape(shape: readonly number[]): Tensor {
    return ops.reshape(this, shape);
  }
  broadcastTo(shape: readonly number[]): Tensor {
    return ops.broadcastTo(this, shape);
  }
  transpose(perm?: readonly number[]): Tensor {
    return ops.transpose(this, perm);
  }
  /** Swaps the last two axes. */
  get T(): Tensor {
    return ops.swapLastAxes(this);
  }
  slice(begin: readonly number[], size: readonly number[]): Tensor {
    return ops.slice(this, begin, size);
  }
  cast(dtype: DType): Tensor {
    return ops.cast(this, dtype);
  }
}
