import { type Tensor, crossEntropy, layerNorm, logSoftmax, logsumexp, moments, oneHot, ops, sigmoid, sizeOf, softmax } from "@unfold/core";
import { type ConformanceCase, programCase, traced } from "../case.js";
import { integers, leaf, normals, randomShape } from "../generate.js";
import { compositeFormCases } from "./composite-forms.js";

/**
 * The composites in their stable decompositions: a backend may fuse them, but must reproduce
 * the decomposition's values, including where a naive formula overflows (large logits).
 */

/** A random rank-1..3 shape with a random axis, or a long row first (a softmax spanning workgroups). */
function shapeAndAxis(rng: Parameters<typeof randomShape>[0], s: number): { shape: number[]; axis: number } {
  if (s === 0) return { shape: [3, 700], axis: -1 };
  const shape = randomShape(rng, { minRank: 1, maxRank: 3 });
  return { shape, axis: rng.int(-shape.length, shape.length - 1) };
}

function normalizerCase(name: string, f: (x: Tensor, axis: number) => Tensor): ConformanceCase {
  return programCase("composites", {
    name: `${name} (logits of scale 1 and 30)`,
    samples: 6,
    build: (dtype, rng, s) => {
      const { shape, axis } = shapeAndAxis(rng, s);
      const scale = s % 2 === 0 ? 1 : 30;
      return traced(dtype, { x: leaf(shape, normals(rng, sizeOf(shape), scale)) }, ({ x }) => ({ y: f(x, axis) }), `axis ${axis}, scale ${scale}`);
    },
  });
}

const logsumexpLarge = programCase("composites", {
  name: "logsumexp of large logits",
  samples: 6,
  build: (dtype, rng, s) => {
    const { shape, axis } = shapeAndAxis(rng, s);
    // exp overflows float32 past 88.7 and float64 past 709.8: only the max-shifted form survives.
    const shift = [1000, -1000, 95][s % 3]!;
    const keepDims = s % 2 === 1;
    const note = `axis ${axis}, logits ${shift} + 5 N(0, 1)${keepDims ? ", keepDims" : ""}`;
    return traced(dtype, { x: leaf(shape, normals(rng, sizeOf(shape), 5, shift)) }, ({ x }) => ({ y: logsumexp(x, axis, keepDims) }), note);
  },
});

/** A causal mask of -Infinity: masked entries must give exactly zero weight, and the mask itself passes through. */
const maskedSoftmax = programCase("composites", {
  name: "softmax and logsumexp under a -Infinity mask",
  samples: 3,
  build: (dtype, rng) => {
    const [b, n] = [rng.int(1, 3), rng.int(2, 7)];
    const mask = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) mask[i * n + j] = -Infinity;
    return traced(dtype, { x: leaf([b, n, n], normals(rng, b * n * n, 3)) }, ({ x }, graph) => {
      const masked = ops.add(x, graph.constant(mask, [n, n], dtype));
      return { masked, p: softmax(masked, -1), lse: logsumexp(masked, -1), logp: logSoftmax(masked, -1) };
    });
  },
});

const layerNormCase = programCase("composites", {
  name: "layerNorm with gain and bias",
  samples: 4,
  build: (dtype, rng, s) => {
    // [shape, axis, gain shape]: vector gain on the last axis, scalar gain, vector gain on a leading axis.
    const setups: [number[], number, number[]][] = [
      [[4, 6, 16], -1, [16]],
      [[5, 9], -1, []],
      [[8, 3, 5], 0, [8]],
      [[2, 7, 3], 1, [7]],
    ];
    const [shape, axis, gain] = setups[s]!;
    const d = shape.at(axis)!;
    const leaves = {
      x: leaf(shape, normals(rng, sizeOf(shape), 2, 3)),
      gamma: leaf(gain, normals(rng, sizeOf(gain), 0.5, 1), "param"),
      beta: leaf([d], normals(rng, d, 0.5), "param"),
    };
    return traced(dtype, leaves, (x) => ({ y: layerNorm(x.x, { axis, gamma: x.gamma, beta: x.beta, eps: 1e-5 }) }), `axis ${axis}`);
  },
});

const momentsCase = programCase("composites", {
  name: "moments (mean and variance)",
  samples: 4,
  build: (dtype, rng) => {
    const shape = randomShape(rng, { minRank: 1, maxRank: 3 });
    const axis = rng.int(0, shape.length - 1);
    return traced(dtype, { x: leaf(shape, normals(rng, sizeOf(shape), 2, 1)) }, ({ x }) => {
      const { mean, variance } = moments(x, axis);
      return { mean, variance };
    }, `axis ${axis}`);
  },
});

const crossEntropyCase = programCase("composites", {
  name: "crossEntropy with one-hot and soft targets",
  samples: 3,
  build: (dtype, rng, s) => {
    const shape = [[6, 10], [2, 3, 5], [2, 1000]][s]!;
    const classes = shape.at(-1)!;
    const rows = shape.slice(0, -1);
    const leaves = {
      logits: leaf(shape, normals(rng, sizeOf(shape), 4)),
      labels: leaf(rows, integers(rng, sizeOf(rows), 0, classes - 1)),
      t: leaf(shape, normals(rng, sizeOf(shape))),
    };
    return traced(dtype, leaves, (x) => ({
      hard: crossEntropy(x.logits, oneHot(x.labels, classes)),
      soft: crossEntropy(x.logits, softmax(x.t, -1)),
    }));
  },
});

/**
 * Saturation at both ends without overflow or NaN. Each sample holds positive entries too: the
 * decomposition 1/2 (1 + tanh(x/2)) cancels for x << 0, so even exact float32 arithmetic has only
 * absolute accuracy there (sigmoid(-20) comes out 0), and a tensor of negative entries alone would
 * fail every faithful float32 backend. The norm-wise error is dominated by the entries near 1.
 */
const sigmoidCase = programCase("composites", {
  name: "sigmoid of large |x|",
  samples: 4,
  build: (dtype, rng, s) => {
    const shape = s === 0 ? [3, 17, 23] : [...randomShape(rng, { maxRank: 3 }), 2];
    const x = Float64Array.from(normals(rng, sizeOf(shape), 20), (v, i) => (i % 2 === 0 ? Math.abs(v) : -Math.abs(v)));
    return traced(dtype, { x: leaf(shape, x) }, ({ x }) => ({ y: sigmoid(x) }));
  },
});

/** The `composites` group: softmax, logsumexp, layer norm, cross-entropy and the rest, extreme inputs included. */
export function compositeCases(): ConformanceCase[] {
  return [
    normalizerCase("softmax", (x, axis) => softmax(x, axis)),
    normalizerCase("logSoftmax", (x, axis) => logSoftmax(x, axis)),
    logsumexpLarge,
    maskedSoftmax,
    layerNormCase,
    momentsCase,
    crossEntropyCase,
    sigmoidCase,
    ...compositeFormCases(),
  ];
}
