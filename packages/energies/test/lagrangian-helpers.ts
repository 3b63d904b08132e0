import { type Energy, type Params, type Tensor, interpret, input, param, trace } from "@unfold/core";

/** Float64 values by name: the state `x` and every parameter of `energy`. */
export type Values = Record<string, Float64Array>;

/**
 * Traces `fn` over a state of `shape` and the energy's parameters, and runs it on the float64
 * interpreter: how the tests read activations and gradients that no energy program outputs.
 */
export function evaluate(energy: Energy, shape: readonly number[], values: Values, fn: (x: Tensor, p: Params) => Record<string, Tensor>): Values {
  const leaves = { x: input(shape), ...Object.fromEntries(Object.entries(energy.params).map(([k, s]) => [k, param(s.shape)])) };
  const program = trace(leaves, (l) => {
    const { x, ...p } = l as Record<string, Tensor>;
    return fn(x!, p);
  });
  return Object.fromEntries(interpret(program, new Map(Object.entries(values))));
}

/** Rows of a [rows, width] array, as slices [offset, offset + size) of each row. */
export function columns(data: Float64Array, rowWidth: number, offset: number, size: number): Float64Array {
  const rows = data.length / rowWidth;
  const out = new Float64Array(rows * size);
  for (let r = 0; r < rows; r++) for (let c = 0; c < size; c++) out[r * size + c] = data[r * rowWidth + offset + c]!;
  return out;
}

/** Applies `f` to each row of `size` values and concatenates the results. */
export function mapRows(data: Float64Array, size: number, f: (row: Float64Array) => ArrayLike<number>): Float64Array {
  const out = new Float64Array(data.length);
  for (let r = 0; r < data.length / size; r++) out.set(f(data.subarray(r * size, (r + 1) * size)), r * size);
  return out;
}
