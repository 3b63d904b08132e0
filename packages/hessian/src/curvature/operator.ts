import { type Backend, type DeviceTensor, type Executable, type Feeds, type HostTensor, ShapeError, UnfoldError, formatShape, hostTensor, sizeOf, toFloat64 } from "@unfold/core";
import { type Matrix, matrix, subMatrix } from "../dense/matrix.js";
import type { ParamLayout } from "./layout.js";
import { type CurvatureModel, layoutOf } from "./model.js";
import { type ProductKind, PRODUCT_KINDS, checkProductKind, productProgram } from "./programs.js";

/** A linear map known only through its products: what every estimator here works on. */
export interface LinearOperator {
  readonly rows: number;
  readonly cols: number;
  /** The product of the operator with `v`. */
  apply(v: Float64Array): Promise<Float64Array>;
}

/** Options of `CurvatureProducts.create`: the point theta, the model's inputs and which products to compile. */
export interface CurvatureProductsOptions {
  /** theta: the stacked parameter values (see ParamLayout.pack). */
  readonly theta: ArrayLike<number>;
  /** The model's fixed inputs, each in its declared shape (row-major values or host tensors). */
  readonly inputs: Readonly<Record<string, ArrayLike<number> | HostTensor>>;
  /** Products to compile; all three by default. */
  readonly kinds?: readonly ProductKind[];
}

/**
 * Curvature products of a model at one point, on any backend that runs programs: theta and the
 * inputs are uploaded once and stay resident; each product feeds one vector and reads one back.
 */
export class CurvatureProducts {
  private constructor(
    readonly model: CurvatureModel,
    readonly layout: ParamLayout,
    private readonly executable: Executable,
    private readonly resident: Record<string, DeviceTensor>,
    readonly kinds: readonly ProductKind[],
  ) {}

  /** Compiles the products of `model` at theta on `backend`, with theta and the inputs uploaded once. */
  static async create(backend: Backend, model: CurvatureModel, options: CurvatureProductsOptions): Promise<CurvatureProducts> {
    const layout = layoutOf(model);
    const kinds = options.kinds ?? PRODUCT_KINDS;
    if (options.theta.length !== layout.size) {
      throw new ShapeError("CurvatureProducts", `theta has ${options.theta.length} values, model '${model.name}' has ${layout.size} parameters (${layout.names.join(", ")})`);
    }
    for (const name of Object.keys(options.inputs)) {
      if (!model.inputs[name]) throw new UnfoldError("CurvatureProducts", `model '${model.name}' has no input '${name}' (inputs: ${Object.keys(model.inputs).join(", ")})`);
    }
    const resident: Record<string, DeviceTensor> = { theta: await backend.upload(hostTensor(Float64Array.from(options.theta), [layout.size])) };
    for (const [name, shape] of Object.entries(model.inputs)) {
      const given = options.inputs[name];
      if (!given) throw new UnfoldError("CurvatureProducts", `missing input '${name}' ${formatShape(shape)} for model '${model.name}'`);
      const values = "shape" in given && "data" in given ? (given as HostTensor).data : (given as ArrayLike<number>);
      if (values.length !== sizeOf(shape)) {
        throw new ShapeError("CurvatureProducts", `input '${name}' has ${values.length} values, model '${model.name}' expects ${formatShape(shape)} (${sizeOf(shape)})`);
      }
      resident[name] = await backend.upload(hostTensor(Float64Array.from(values), shape));
    }
    const executable = await backend.compile(productProgram(model, kinds));
    return new CurvatureProducts(model, layout, executable, resident, kinds);
  }

  get size(): number {
    return this.layout.size;
  }

  /** Every compiled product at once, for one vector (one run: the forward pass is shared). */
  async applyAll(v: ArrayLike<number>): Promise<Record<ProductKind, Float64Array>> {
    if (v.length !== this.size) throw new ShapeError("CurvatureProducts.apply", `vector has ${v.length} values, expected ${this.size}`);
    const feeds: Feeds = { ...this.resident, vector: hostTensor(Float64Array.from(v), [this.size]) };
    const outs = await this.executable.run(feeds);
    const result = {} as Record<ProductKind, Float64Array>;
    for (const [name, t] of Object.entries(outs)) {
      result[name as ProductKind] = toFloat64(await t.read());
      t.dispose();
    }
    return result;
  }

  /** One product of the compiled `kind` (Hessian, Gauss-Newton or functional part) with `v`. */
  async apply(kind: ProductKind, v: ArrayLike<number>): Promise<Float64Array> {
    const k = checkProductKind("CurvatureProducts.apply", kind);
    if (!this.kinds.includes(k)) throw new UnfoldError("CurvatureProducts.apply", `product '${k}' was not compiled (compiled: ${this.kinds.join(", ")})`);
    return (await this.applyAll(v))[k];
  }

  /** The full n x n operator of one kind. */
  operator(kind: ProductKind): LinearOperator {
    checkProductKind("CurvatureProducts.operator", kind);
    return { rows: this.size, cols: this.size, apply: (v) => this.apply(kind, v) };
  }

  /**
   * The block H(row, col) as an operator: a vector over the column parameter is embedded in
   * theta (zeros elsewhere) and the product is read on the row parameter.
   */
  block(kind: ProductKind, rowParam: string, colParam: string = rowParam): LinearOperator {
    return restrictToBlock(this.operator(kind), this.layout, rowParam, colParam);
  }

  /** Releases the resident theta and inputs (the backend stays alive). */
  dispose(): void {
    for (const t of Object.values(this.resident)) t.dispose();
  }
}

/** The (rowParam, colParam) block of an operator over theta. */
export function restrictToBlock(op: LinearOperator, layout: ParamLayout, rowParam: string, colParam: string): LinearOperator {
  const r0 = layout.offset(rowParam, "block");
  const c0 = layout.offset(colParam, "block");
  const rows = layout.blockSize(rowParam);
  const cols = layout.blockSize(colParam);
  return {
    rows,
    cols,
    apply: async (v) => {
      if (v.length !== cols) throw new ShapeError("block", `vector has ${v.length} values, block (${rowParam}, ${colParam}) takes ${cols}`);
      const full = new Float64Array(layout.size);
      full.set(v, c0);
      return (await op.apply(full)).slice(r0, r0 + rows);
    },
  };
}

/** Assembles an operator densely, column by column from products: for small sizes and checks. */
export async function assembleDense(op: LinearOperator): Promise<Matrix> {
  const out = matrix(op.rows, op.cols);
  const e = new Float64Array(op.cols);
  for (let j = 0; j < op.cols; j++) {
    e.fill(0);
    e[j] = 1;
    const column = await op.apply(e);
    for (let i = 0; i < op.rows; i++) out.data[i * op.cols + j] = column[i]!;
  }
  return out;
}

/** The (rowParam, colParam) block of a dense matrix over theta. */
export function blockOfLayout(layout: ParamLayout, full: Matrix, rowParam: string, colParam: string): Matrix {
  return subMatrix(full, layout.offset(rowParam, "blockOfLayout"), layout.offset(colParam, "blockOfLayout"), layout.blockSize(rowParam), layout.blockSize(colParam));
}

/** A dense matrix as an operator (to run the estimators on a known matrix). */
export function denseOperator(m: Matrix): LinearOperator {
  return {
    rows: m.rows,
    cols: m.cols,
    apply: async (v) => {
      if (v.length !== m.cols) throw new ShapeError("denseOperator", `vector has ${v.length} values, the matrix is ${m.rows} x ${m.cols}`);
      const out = new Float64Array(m.rows);
      for (let i = 0; i < m.rows; i++) {
        let s = 0;
        for (let j = 0; j < m.cols; j++) s += m.data[i * m.cols + j]! * v[j]!;
        out[i] = s;
      }
      return out;
    },
  };
}
