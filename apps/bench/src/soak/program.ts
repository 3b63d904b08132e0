import { Graph, type HostTensor, type Program, Random, hostTensor, interpret, ops } from "@unfold/core";

/**
 * The soak's program: a few ops every backend runs (a product, an elementwise chain, a
 * reduction), small enough that a backend's life is dominated by its creation and disposal,
 * which is what the soak watches.
 */
export interface SoakProgram {
  readonly program: Program;
  /** A is uploaded each life (a device tensor to dispose); B is fed from the host. */
  readonly feeds: { readonly A: HostTensor; readonly B: HostTensor };
  /** The float64 result of the same program on the same (float32-rounded) inputs. */
  readonly expected: Readonly<Record<string, Float64Array>>;
}

const ROWS = 8;
const INNER = 16;
const COLS = 8;

export function soakProgram(): SoakProgram {
  const g = new Graph();
  const A = g.leaf("input", "A", [ROWS, INNER], "float32");
  const B = g.leaf("input", "B", [INNER, COLS], "float32");
  const y = ops.unary("tanh", ops.matmul(A, B));
  const s = ops.sum(ops.binary("mul", y, y), 1);
  const program = g.toProgram({ y, s });
  const random = new Random(17);
  const draw = (n: number): Float32Array => Float32Array.from({ length: n }, () => random.normal() / 2);
  const feeds = { A: hostTensor(draw(ROWS * INNER), [ROWS, INNER], "float32"), B: hostTensor(draw(INNER * COLS), [INNER, COLS], "float32") };
  const values = interpret(program, new Map(Object.entries(feeds).map(([name, t]) => [name, Float64Array.from(t.data)])));
  const expected = Object.fromEntries(program.outputs.map((o) => [o.name, values.get(o.name)!]));
  return { program, feeds, expected };
}
