// Vector arithmetic on a backend for the Krylov adjoint solvers: the vectors (the adjoint, the
// residual, the search directions, the GMRES basis) stay resident, and only the dot products
// come back to the host, one scalar at a time.
import type { Backend, DeviceTensor, Executable } from "../backend/backend.js";
import { scalarTensor, toFloat64 } from "../backend/tensor.js";
import type { DType } from "../dtype.js";
import type { Program } from "../ir/program.js";
import type { Shape } from "../shape.js";
import { Graph } from "../trace/graph.js";
import * as ops from "../trace/ops.js";
import { compileOnce, signature } from "./compiled.js";

function dotProgram(shape: Shape, dtype: DType): Program {
  const graph = new Graph();
  const a = graph.leaf("input", "a", shape, dtype);
  const b = graph.leaf("input", "b", shape, dtype);
  return graph.toProgram({ dot: ops.sum(ops.mul(a, b)) });
}

function axpyProgram(shape: Shape, dtype: DType): Program {
  const graph = new Graph();
  const scale = graph.leaf("input", "scale", [], dtype);
  const x = graph.leaf("input", "x", shape, dtype);
  const y = graph.leaf("input", "y", shape, dtype);
  return graph.toProgram({ out: ops.add(y, ops.mul(x, scale)) });
}

/** Dot products and y + a x on resident vectors of one shape and dtype. */
export class DeviceVectors {
  private constructor(
    private readonly dtype: DType,
    private readonly dotExecutable: Executable,
    private readonly axpyExecutable: Executable,
  ) {}

  /** Compiles the two programs for vectors of `shape` and `dtype` on `backend`. */
  static async create(backend: Backend, shape: Shape, dtype: DType): Promise<DeviceVectors> {
    const key = signature(shape, dtype);
    return new DeviceVectors(dtype, await compileOnce(backend, undefined, `dot:${key}`, () => dotProgram(shape, dtype)), await compileOnce(backend, undefined, `axpy:${key}`, () => axpyProgram(shape, dtype)));
  }

  /** <a, b>, read back as one number. */
  async dot(a: DeviceTensor, b: DeviceTensor): Promise<number> {
    const { dot } = await this.dotExecutable.run({ a, b });
    try {
      return toFloat64(await dot!.read())[0]!;
    } finally {
      dot!.dispose();
    }
  }

  /** y + scale x, a new resident vector (x and y are left as they are). */
  async axpy(scale: number, x: DeviceTensor, y: DeviceTensor): Promise<DeviceTensor> {
    const { out } = await this.axpyExecutable.run({ scale: scalarTensor(scale, this.dtype), x, y });
    return out!;
  }
}
