import { ShapeError, type Shape, type Tensor, UnfoldError, formatShape, ops, sizeOf } from "@unfold/core";

/** One parameter of a model whose curvature is measured. */
export interface ParamBlockSpec {
  readonly name: string;
  readonly shape: Shape;
}

/**
 * Parameters stacked into one flat vector theta = (vec(P_1), vec(P_2), ...), each row-major:
 * Hessians and their products are over theta, and a block is selected by parameter name.
 */
export class ParamLayout {
  readonly size: number;
  private readonly offsets = new Map<string, number>();
  private readonly specs = new Map<string, ParamBlockSpec>();

  constructor(readonly blocks: readonly ParamBlockSpec[]) {
    let offset = 0;
    for (const b of blocks) {
      if (this.specs.has(b.name)) throw new UnfoldError("ParamLayout", `two parameters are named '${b.name}'`);
      this.offsets.set(b.name, offset);
      this.specs.set(b.name, b);
      offset += sizeOf(b.shape);
    }
    this.size = offset;
  }

  get names(): string[] {
    return this.blocks.map((b) => b.name);
  }

  /** The parameter's spec; an unknown name is an error listing the names there are. */
  spec(name: string, op = "ParamLayout"): ParamBlockSpec {
    const spec = this.specs.get(name);
    if (!spec) throw new UnfoldError(op, `unknown parameter block '${name}' (parameters: ${this.names.join(", ")})`);
    return spec;
  }

  /** Where a parameter's block starts in theta. */
  offset(name: string, op?: string): number {
    this.spec(name, op);
    return this.offsets.get(name)!;
  }

  /** How many entries a parameter's block has in theta. */
  blockSize(name: string, op?: string): number {
    return sizeOf(this.spec(name, op).shape);
  }

  /** Slices a traced theta into one tensor per parameter, each in its declared shape. */
  unpack(theta: Tensor): Record<string, Tensor> {
    if (theta.rank !== 1 || theta.size !== this.size) {
      throw new ShapeError("ParamLayout.unpack", `theta must be a vector of ${this.size} values, got ${formatShape(theta.shape)}`);
    }
    return Object.fromEntries(this.blocks.map((b) => [b.name, ops.reshape(ops.slice(theta, [this.offsets.get(b.name)!], [sizeOf(b.shape)]), b.shape)]));
  }

  /** Stacks host values into theta; every parameter must be given with its exact size. */
  pack(values: Readonly<Record<string, ArrayLike<number>>>): Float64Array {
    const theta = new Float64Array(this.size);
    for (const name of Object.keys(values)) this.spec(name, "ParamLayout.pack");
    for (const b of this.blocks) {
      const v = values[b.name];
      if (!v) throw new ShapeError("ParamLayout.pack", `missing parameter '${b.name}' ${formatShape(b.shape)}`);
      if (v.length !== sizeOf(b.shape)) {
        throw new ShapeError("ParamLayout.pack", `parameter '${b.name}' has ${v.length} values, expected ${formatShape(b.shape)} (${sizeOf(b.shape)})`);
      }
      theta.set(v, this.offsets.get(b.name)!);
    }
    return theta;
  }

  /** One parameter's values out of theta. */
  extract(theta: ArrayLike<number>, name: string): Float64Array {
    const start = this.offset(name, "ParamLayout.extract");
    return Float64Array.from({ length: this.blockSize(name) }, (_, i) => theta[start + i]!);
  }
}
