import { BINARY_OPS, type BinaryOp, type DType, DTYPES, type Random, UNARY_OPS, type UnaryOp, ops, sizeOf } from "@unfold/core";
import { type ConformanceCase, programCase, traced } from "../case.js";
import {
  awayFromZero,
  broadcastableTo,
  integers,
  leaf,
  normals,
  permutation,
  randomAxes,
  randomShape,
  reshapeOf,
  uniforms,
  withZeros,
} from "../generate.js";

/**
 * One case per computed primitive (the coverage check holds the list to core's computedOps()),
 * each on several random shapes: scalars, size-1 axes, broadcasting, and one shape large enough
 * to cross the workgroup and tile sizes of GPU kernels.
 */

/** The first sample of elementwise cases: 1173 elements, an odd count past common workgroup sizes. */
const LARGE: readonly number[] = [3, 17, 23];

type Data = (rng: Random, size: number) => Float64Array;

const UNARY_DATA: Record<UnaryOp, Data> = {
  neg: (rng, n) => normals(rng, n),
  exp: (rng, n) => uniforms(rng, n, -6, 6),
  log: (rng, n) => uniforms(rng, n, 0.01, 10),
  sqrt: (rng, n) => Float64Array.from(uniforms(rng, n, -1, 9), (v) => Math.max(v, 0)),
  tanh: (rng, n) => normals(rng, n, 3),
  abs: (rng, n) => withZeros(rng, n),
  sign: (rng, n) => withZeros(rng, n),
  stopGradient: (rng, n) => normals(rng, n),
};

function unaryCase(op: UnaryOp): ConformanceCase {
  return programCase("primitives", {
    name: op,
    samples: 5,
    build: (dtype, rng, s) => {
      const shape = s === 0 ? LARGE : randomShape(rng);
      return traced(dtype, { x: leaf(shape, UNARY_DATA[op](rng, sizeOf(shape))) }, ({ x }) => ({ y: ops.unary(op, x) }));
    },
  });
}

/** Operand data by operation: denominators away from zero, positive bases, ties for comparisons and max/min. */
function binaryData(op: BinaryOp, rng: Random, size: number, operand: 0 | 1, sample: number): Float64Array {
  switch (op) {
    case "div":
      return operand === 0 ? normals(rng, size) : awayFromZero(rng, size);
    case "pow":
      return operand === 0 ? uniforms(rng, size, 0.1, 3) : uniforms(rng, size, -2, 2.5);
    case "max":
    case "min":
      return sample % 2 === 1 ? Float64Array.from(integers(rng, size, -2, 2), (v) => v / 2) : normals(rng, size);
    case "greater":
    case "greaterEqual":
    case "equal":
      return integers(rng, size, -2, 2);
    default:
      return normals(rng, size);
  }
}

function binaryCase(op: BinaryOp): ConformanceCase {
  return programCase("primitives", {
    name: op,
    samples: 6,
    build: (dtype, rng, s) => {
      let a: readonly number[];
      let b: readonly number[];
      if (s === 0) [a, b] = [[3, 1, 23], [17, 1]];
      else {
        const out = randomShape(rng);
        [a, b] = [broadcastableTo(rng, out), broadcastableTo(rng, out)];
      }
      const leaves = { a: leaf(a, binaryData(op, rng, sizeOf(a), 0, s)), b: leaf(b, binaryData(op, rng, sizeOf(b), 1, s)) };
      return traced(dtype, leaves, (x) => ({ y: ops.binary(op, x.a, x.b) }));
    },
  });
}

/** pow(x, n) with negative x and integer n: what x.pow(2) on signed data needs (GPU pow is undefined for x < 0). */
const powIntegerExponents = programCase("primitives", {
  name: "pow with negative bases and integer exponents",
  samples: 4,
  build: (dtype, rng) => {
    const a = randomShape(rng, { minRank: 1 });
    const b = broadcastableTo(rng, a);
    return traced(dtype, { a: leaf(a, awayFromZero(rng, sizeOf(a))), b: leaf(b, integers(rng, sizeOf(b), -2, 3)) }, (x) => ({
      y: ops.pow(x.a, x.b),
      square: ops.pow(x.a, 2),
      cube: ops.pow(x.a, 3),
    }));
  },
});

function reductionCase(kind: "sum" | "reduceMax"): ConformanceCase {
  return programCase("primitives", {
    name: kind === "sum" ? "sum over axes" : "reduceMax over axes",
    samples: 8,
    build: (dtype, rng, s) => {
      // Long rows and long columns first: reductions that span several workgroups.
      const fixed: [number[], number[]][] = [
        [[5, 1100], [1]],
        [[1100, 3], [0]],
      ];
      const shape = s < fixed.length ? fixed[s]![0] : randomShape(rng, { minRank: 1 });
      const axes = s < fixed.length ? fixed[s]![1] : randomAxes(rng, shape.length);
      const keepDims = s >= fixed.length && rng.uniform() < 0.5;
      const size = sizeOf(shape);
      // All-negative data catches a max that starts from 0; integer data makes ties.
      const data = kind === "sum" ? normals(rng, size) : s % 3 === 0 ? normals(rng, size, 1, -10) : s % 3 === 1 ? integers(rng, size, -3, 3) : normals(rng, size);
      const note = `axes [${axes.join(", ")}]${keepDims ? ", keepDims" : ""}`;
      return traced(dtype, { x: leaf(shape, data) }, ({ x }) => ({ y: kind === "sum" ? ops.sum(x, axes, keepDims) : ops.max(x, axes, keepDims) }), note);
    },
  });
}

type Layout = "A @ B" | "A @ B^T" | "A^T @ B" | "A^T @ B^T";

/** Batched matmul with broadcast batch axes; operands stored transposed where the layout says so. */
function matmulCase(layout: Layout): ConformanceCase {
  const ta = layout.startsWith("A^T");
  const tb = layout.endsWith("B^T");
  return programCase("primitives", {
    name: `matmul ${layout}, broadcast batch axes`,
    samples: 6,
    build: (dtype, rng) => {
      const batch = randomShape(rng, { maxRank: 2, maxDim: 3 });
      const [m, k, n] = [rng.int(1, 6), rng.int(1, 6), rng.int(1, 6)];
      const a = [...broadcastableTo(rng, batch), ...(ta ? [k, m] : [m, k])];
      const b = [...broadcastableTo(rng, batch), ...(tb ? [n, k] : [k, n])];
      return traced(dtype, { a: leaf(a, normals(rng, sizeOf(a))), b: leaf(b, normals(rng, sizeOf(b))) }, (x) => ({
        y: ops.matmul(ta ? x.a.T : x.a, tb ? x.b.T : x.b),
      }));
    },
  });
}

/** Sizes that are not multiples of any tile: a GPU kernel's edge handling, long inner products, k = 1. */
const matmulTiles = programCase("primitives", {
  name: "matmul past tile boundaries",
  samples: 4,
  build: (dtype, rng, s) => {
    const shapes: [number[], number[]][] = [
      [[67, 131], [131, 45]],
      [[3, 33, 65], [65, 17]],
      [[1, 257], [257, 1]],
      [[129, 1], [1, 70]],
    ];
    const [a, b] = shapes[s]!;
    return traced(dtype, { a: leaf(a, normals(rng, sizeOf(a))), b: leaf(b, normals(rng, sizeOf(b))) }, (x) => ({ y: ops.matmul(x.a, x.b) }));
  },
});

const transposeCase = programCase("primitives", {
  name: "transpose",
  samples: 6,
  build: (dtype, rng, s) => {
    const shape = s === 0 ? [33, 70] : randomShape(rng, { minRank: 1, maxRank: 5, maxDim: 4 });
    const perm = s === 0 ? [1, 0] : permutation(rng, shape.length);
    return traced(dtype, { x: leaf(shape, normals(rng, sizeOf(shape))) }, ({ x }) => ({ y: ops.transpose(x, perm) }), `perm [${perm.join(", ")}]`);
  },
});

const sliceCase = programCase("primitives", {
  name: "slice",
  samples: 6,
  build: (dtype, rng, s) => {
    const shape = s === 0 ? [40, 50] : randomShape(rng, { minRank: 1, maxDim: 6 });
    const begin = s === 0 ? [3, 7] : shape.map((d) => rng.int(0, d - 1));
    const size = s === 0 ? [30, 41] : shape.map((d, i) => rng.int(1, d - begin[i]!));
    const note = `begin [${begin.join(", ")}], size [${size.join(", ")}]`;
    return traced(dtype, { x: leaf(shape, normals(rng, sizeOf(shape))) }, ({ x }) => ({ y: ops.slice(x, begin, size) }), note);
  },
});

const concatCase = programCase("primitives", {
  name: "concat",
  samples: 6,
  build: (dtype, rng) => {
    const base = randomShape(rng, { minRank: 1 });
    const axis = rng.int(0, base.length - 1);
    const parts = rng.int(2, 4);
    const leaves = Object.fromEntries(
      Array.from({ length: parts }, (_, i) => {
        const shape = base.map((d, j) => (j === axis ? rng.int(1, 4) : d));
        return [`p${i}`, leaf(shape, normals(rng, sizeOf(shape)))];
      }),
    );
    // The first part appears twice: one buffer read at two offsets.
    return traced(dtype, leaves, (x) => ({ y: ops.concat([...Object.values(x), x["p0"]!], axis) }), `axis ${axis}`);
  },
});

const reshapeCase = programCase("primitives", {
  name: "reshape (also of a transposed view)",
  samples: 6,
  build: (dtype, rng, s) => {
    const shape = randomShape(rng, { minRank: s % 2 === 1 ? 2 : 0 });
    const target = reshapeOf(rng, sizeOf(shape));
    // Odd samples reshape a transpose: its row-major order is not the input's memory order.
    const perm = s % 2 === 1 ? permutation(rng, shape.length) : undefined;
    const note = `to [${target.join(", ")}]${perm ? ` after transpose [${perm.join(", ")}]` : ""}`;
    return traced(dtype, { x: leaf(shape, normals(rng, sizeOf(shape))) }, ({ x }) => ({ y: ops.reshape(perm ? ops.transpose(x, perm) : x, target) }), note);
  },
});

const broadcastCase = programCase("primitives", {
  name: "broadcast",
  samples: 6,
  build: (dtype, rng) => {
    const out = randomShape(rng, { minRank: 1, unit: 0.1 });
    let from = broadcastableTo(rng, out, { drop: 0.5, unit: 0.5 });
    for (let tries = 0; tries < 10 && from.length === out.length && from.every((d, i) => d === out[i]); tries++) {
      from = broadcastableTo(rng, out, { drop: 0.5, unit: 0.5 });
    }
    if (from.length === out.length && from.every((d, i) => d === out[i])) from = [];
    return traced(dtype, { x: leaf(from, normals(rng, sizeOf(from))) }, ({ x }) => ({ y: ops.broadcastTo(x, out) }), `to [${out.join(", ")}]`);
  },
});

const gatherCase = programCase("primitives", {
  name: "gather",
  samples: 6,
  build: (dtype, rng) => {
    const shape = randomShape(rng, { minRank: 1, maxRank: 3 });
    const axis = rng.int(0, shape.length - 1);
    const indices = randomShape(rng, { maxRank: 2, maxDim: 4 });
    const leaves = { x: leaf(shape, normals(rng, sizeOf(shape))), idx: leaf(indices, integers(rng, sizeOf(indices), 0, shape[axis]! - 1)) };
    return traced(dtype, leaves, (x) => ({ y: ops.gather(x.x, x.idx, axis) }), `axis ${axis}`);
  },
});

const scatterAddCase = programCase("primitives", {
  name: "scatterAdd (repeated indices, rows never hit)",
  samples: 6,
  build: (dtype, rng) => {
    const pre = randomShape(rng, { maxRank: 2, maxDim: 3 });
    const indices = randomShape(rng, { maxRank: 2, maxDim: 4 });
    const post = randomShape(rng, { maxRank: 2, maxDim: 3 });
    const size = rng.int(1, 5);
    const updates = [...pre, ...indices, ...post];
    const leaves = { u: leaf(updates, normals(rng, sizeOf(updates))), idx: leaf(indices, integers(rng, sizeOf(indices), 0, size - 1)) };
    return traced(dtype, leaves, (x) => ({ y: ops.scatterAdd(x.u, x.idx, pre.length, size) }), `axis ${pre.length}, size ${size}`);
  },
});

const other = (dtype: DType): DType => (dtype === "float32" ? "float64" : "float32");

/** Both ways, in one program; it computes in float32 on some path, so float32's tolerance applies. */
const castCase = programCase("primitives", {
  name: "cast float32 <-> float64",
  samples: 4,
  requires: DTYPES,
  tolerance: { float32: 1e-5, float64: 1e-5 },
  build: (dtype, rng) => {
    const shape = randomShape(rng);
    const size = sizeOf(shape);
    const leaves = { x: leaf(shape, normals(rng, size, 3)), z: { shape, data: normals(rng, size, 3), dtype: other(dtype) } };
    return traced(dtype, leaves, (x) => {
      const there = ops.cast(x.x, other(dtype));
      return { there, back: ops.cast(ops.mul(there, 1 / 3), dtype), mixed: ops.add(ops.cast(x.z, dtype), x.x) };
    });
  },
});

/** The `primitives` group: every primitive on random shapes and broadcasts. */
export function primitiveCases(): ConformanceCase[] {
  return [
    ...UNARY_OPS.map(unaryCase),
    ...BINARY_OPS.map(binaryCase),
    powIntegerExponents,
    reductionCase("sum"),
    reductionCase("reduceMax"),
    matmulCase("A @ B"),
    matmulCase("A @ B^T"),
    matmulCase("A^T @ B"),
    matmulCase("A^T @ B^T"),
    matmulTiles,
    transposeCase,
    sliceCase,
    concatCase,
    reshapeCase,
    broadcastCase,
    gatherCase,
    scatterAddCase,
    castCase,
  ];
}
