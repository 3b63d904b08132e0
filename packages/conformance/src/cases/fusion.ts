import { type Tensor, ops, sizeOf, softmax } from "@unfold/core";
import { type ConformanceCase, programCase, traced } from "../case.js";
import { awayFromZero, broadcastableTo, integers, leaf, normals, randomShape } from "../generate.js";

/**
 * Programs shaped like what a backend fuses or plans buffers for: long elementwise chains over
 * broadcasts, a softmax feeding a matmul, values that are outputs and intermediates at once,
 * one value under two output names, leaves and constants returned as they are, views (transpose,
 * slice, broadcast) feeding arithmetic. Each is where buffer reuse and fusion go wrong.
 */

const elementwiseChain = programCase("fusion", {
  name: "a long elementwise chain over broadcasts",
  samples: 4,
  build: (dtype, rng, s) => {
    const out = s === 0 ? [5, 4, 6] : randomShape(rng, { minRank: 2, maxRank: 4 });
    const [xs, ys, zs] = s === 0 ? [[4, 1], [5, 1, 1], [6]] : [broadcastableTo(rng, out), broadcastableTo(rng, out), broadcastableTo(rng, out)];
    const leaves = {
      x: leaf(xs, normals(rng, sizeOf(xs))),
      y: leaf(ys, normals(rng, sizeOf(ys))),
      z: leaf(zs, normals(rng, sizeOf(zs))),
      w: leaf([], [1.25], "param"),
    };
    return traced(dtype, leaves, ({ x, y, z, w }) => {
      const t1 = ops.add(ops.mul(x, y), z);
      const t2 = ops.sub(ops.mul(ops.tanh(t1), 0.5), ops.exp(ops.neg(ops.abs(t1))));
      const t3 = ops.div(t2, ops.add(ops.mul(t2, t2), 1));
      const t4 = ops.mul(ops.sqrt(ops.add(ops.mul(t3, t3), 1)), w);
      const t5 = ops.sub(ops.maximum(t4, y), ops.minimum(t4, z));
      const t6 = ops.add(ops.log(ops.add(ops.exp(ops.neg(ops.abs(t5))), 1)), ops.relu(t5));
      const t7 = ops.mul(ops.pow(ops.add(t6, 1), 1.5), ops.sign(x));
      return { y: ops.sub(t7, ops.mul(ops.mul(t7, ops.greater(x, 0)), 0.25)) };
    });
  },
});

const attention = programCase("fusion", {
  name: "softmax followed by matmul (attention, heads broadcast)",
  samples: 3,
  build: (dtype, rng) => {
    const [b, h, n, m, dk, dv] = [rng.int(1, 2), rng.int(1, 3), rng.int(1, 7), rng.int(1, 9), rng.int(1, 5), rng.int(1, 6)];
    const leaves = {
      q: leaf([b, h, n, dk], normals(rng, b * h * n * dk)),
      k: leaf([b, h, m, dk], normals(rng, b * h * m * dk)),
      v: leaf([b, 1, m, dv], normals(rng, b * m * dv)),
      bias: leaf([m], normals(rng, m), "param"),
    };
    return traced(dtype, leaves, ({ q, k, v, bias }) => {
      const scores = ops.add(ops.mul(ops.matmul(q, k.T), 1 / Math.sqrt(dk)), bias);
      return { out: ops.matmul(softmax(scores, -1), v) };
    });
  },
});

const intermediatesAsOutputs = programCase("fusion", {
  name: "outputs that are also intermediates",
  samples: 3,
  build: (dtype, rng) => {
    const [n, d, c] = [rng.int(1, 6), rng.int(1, 6), rng.int(1, 6)];
    const leaves = { x: leaf([n, d], normals(rng, n * d)), W: leaf([d, c], normals(rng, d * c), "param"), b: leaf([c], normals(rng, c), "param") };
    return traced(dtype, leaves, ({ x, W, b }) => {
      const a = ops.add(ops.matmul(x, W), b);
      const h = ops.tanh(a);
      const s = ops.sum(h, -1, true);
      return { a, h, s, y: ops.mul(h, s), z: ops.exp(ops.neg(ops.mul(a, a))) };
    });
  },
});

const sameValueTwice = programCase("fusion", {
  name: "the same value as two outputs",
  samples: 2,
  build: (dtype, rng) => {
    const shape = randomShape(rng, { minRank: 1 });
    return traced(dtype, { x: leaf(shape, normals(rng, sizeOf(shape))) }, ({ x }) => {
      const t = ops.sub(ops.exp(x), 1);
      // Each output is read and disposed in turn: `first` and `second` must not share a DeviceTensor or its buffer.
      return { first: t, second: t, total: ops.sum(t), third: t };
    });
  },
});

const leavesAsOutputs = programCase("fusion", {
  name: "inputs and parameters passed straight to outputs",
  samples: 2,
  build: (dtype, rng) => {
    const shape = randomShape(rng, { minRank: 1 });
    const last = [shape.at(-1)!];
    return traced(dtype, { x: leaf(shape, normals(rng, sizeOf(shape))), w: leaf(last, normals(rng, last[0]!), "param") }, ({ x, w }) => ({
      x,
      w,
      again: x,
      y: ops.mul(x, w),
    }));
  },
});

const constantsAsOutputs = programCase("fusion", {
  name: "constants as outputs and operands",
  samples: 2,
  build: (dtype, rng) => {
    const [n, d] = [rng.int(1, 5), rng.int(1, 5)];
    const values = normals(rng, n * d);
    return traced(dtype, { x: leaf([n, d], normals(rng, n * d)) }, ({ x }, graph) => {
      const c = graph.constant(values, [n, d], dtype);
      return { c, scalar: graph.constant(2.5, [], dtype), y: ops.add(x, c), z: ops.mul(ops.broadcastTo(graph.constant(-1, [], dtype), [n, d]), x) };
    });
  },
});

const reduceThenBroadcast = programCase("fusion", {
  name: "reductions broadcast back onto their inputs",
  samples: 3,
  build: (dtype, rng) => {
    const [n, d] = [rng.int(1, 7), rng.int(1, 7)];
    return traced(dtype, { x: leaf([n, d], normals(rng, n * d, 2, 1)) }, ({ x }) => {
      const centered = ops.sub(x, ops.mean(x, 0, true));
      const scaled = ops.div(centered, ops.add(ops.max(ops.abs(centered), -1, true), 1));
      return { y: ops.add(scaled, softmax(x, 0)), rowMax: ops.max(x, 1), colSum: ops.sum(ops.mul(x, x), 0) };
    });
  },
});

const viewsIntoCompute = programCase("fusion", {
  name: "transposes, slices, broadcasts and gathers feeding arithmetic",
  samples: 3,
  build: (dtype, rng) => {
    const [a, b, c] = [rng.int(2, 5), rng.int(2, 5), rng.int(2, 5)];
    const rows = rng.int(1, 6);
    const leaves = {
      x: leaf([a, b, c], normals(rng, a * b * c)),
      y: leaf([c, 1, 1], normals(rng, c)),
      W: leaf([a * c, 3], normals(rng, a * c * 3), "param"),
      z: leaf([1, c], normals(rng, c)),
      idx: leaf([rows], integers(rng, rows, 0, b - 1)),
    };
    return traced(dtype, leaves, ({ x, y, W, z, idx }) => {
      const xt = ops.transpose(x, [2, 0, 1]); // [c, a, b]
      const scaledT = ops.mul(xt, y);
      const flat = ops.reshape(ops.transpose(x, [1, 2, 0]), [b, c * a]); // [b, c * a]
      const projected = ops.matmul(flat, W);
      const band = ops.slice(ops.broadcastTo(z, [a, c]), [1, 0], [a - 1, c]);
      const joined = ops.concat([ops.tanh(band), ops.mul(band, band)], 1);
      const picked = ops.gather(ops.tanh(projected), idx, 0);
      return { scaledT, projected, joined, picked, mixed: ops.add(ops.sum(scaledT, [1, 2]), ops.reshape(z, [c])) };
    });
  },
});

const scalars = programCase("fusion", {
  name: "rank-0 scalars throughout",
  samples: 2,
  build: (dtype, rng) => {
    const leaves = { a: leaf([], normals(rng, 1)), b: leaf([], awayFromZero(rng, 1)), v: leaf([3], normals(rng, 3)) };
    return traced(dtype, leaves, ({ a, b, v }) => {
      const s = ops.add(ops.mul(a, b), ops.div(ops.exp(a), ops.add(ops.mul(b, b), 1)));
      const m = ops.matmul(ops.reshape(s, [1, 1]), ops.reshape(v, [1, 3]));
      return { s, m, back: ops.sum(ops.mul(v, s)), neg: ops.neg(b) };
    });
  },
});

const manyConsumers = programCase("fusion", {
  name: "one value read by many consumers",
  samples: 2,
  build: (dtype, rng) => {
    const [n, d] = [rng.int(2, 6), rng.int(2, 6)];
    return traced(dtype, { x: leaf([n, d], normals(rng, n * d)), r: leaf([d], normals(rng, d)), col: leaf([n, 1], normals(rng, n)) }, ({ x, r, col }) => {
      const t = ops.mul(x, 2);
      const uses: Tensor[] = [ops.exp(ops.neg(ops.abs(t))), ops.mul(t, r), ops.add(t, col), ops.broadcastTo(ops.sum(t, 0, true), [n, d]), ops.transpose(ops.transpose(t)), ops.maximum(t, 0)];
      return { t, y: uses.reduce((acc, u) => ops.add(acc, u)) };
    });
  },
});

const symmetricProduct = programCase("fusion", {
  name: "a product with its own transpose (Z Z^T, batched), as the Yang logits are computed",
  samples: 3,
  build: (dtype, rng, s) => {
    // Sample 0 is large enough for a threaded, blocked product, where half of it may be skipped.
    const [b, n, k] = s === 0 ? [2, 150, 40] : [rng.int(1, 3), rng.int(1, 40), rng.int(1, 12)];
    const leaves = { y: leaf([b, n, k], normals(rng, b * n * k)), w: leaf([k, k], normals(rng, k * k, 0.5), "param") };
    return traced(dtype, leaves, ({ y, w }) => {
      const z = ops.matmul(y, w);
      return { logits: ops.add(ops.matmul(z, ops.swapLastAxes(z)), 1), gram: ops.matmul(ops.swapLastAxes(y), y) };
    });
  },
});

/** The `fusion` group: chains a backend is likely to fuse, against their unfused meaning. */
export function fusionCases(): ConformanceCase[] {
  return [elementwiseChain, attention, symmetricProduct, intermediatesAsOutputs, sameValueTwice, leavesAsOutputs, constantsAsOutputs, reduceThenBroadcast, viewsIntoCompute, scalars, manyConsumers];
}
