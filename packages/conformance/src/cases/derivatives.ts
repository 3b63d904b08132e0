import {
  type DType,
  type Program,
  type Random,
  type Tensor,
  crossEntropy,
  differentiate,
  energyProgram,
  hostTensor,
  hvp,
  layerNorm,
  logsumexp,
  ops,
  softmax,
  trace,
} from "@unfold/core";
import { attentionEnergyValue, initYangParams, yangEnergy } from "@unfold/energies";
import { type BuiltProgram, type ConformanceCase, programCase, traced } from "../case.js";
import { TOLERANCES } from "../check.js";
import { type LeafData, hostFeeds, integers, leaf, normals, uniforms } from "../generate.js";

/**
 * Gradient programs (`differentiate`) and Hessian-vector products (`hvp`) of scalars that mix
 * matmuls, composites, gathers and reductions: programs of hundreds of nodes in which autodiff
 * emits scatterAdd, broadcasts, transposed matmuls and tie-splitting masks.
 */

/** Differentiates the `loss` output of a traced program; feeds as `traced` makes them. */
function differentiated(built: BuiltProgram, wrt?: readonly string[]): BuiltProgram {
  return { ...built, program: differentiate(built.program, { of: "loss", ...(wrt ? { wrt } : {}) }) };
}

function oneHotRows(rng: Random, rows: number, classes: number): Float64Array {
  const t = new Float64Array(rows * classes);
  for (let i = 0; i < rows; i++) t[i * classes + rng.int(0, classes - 1)] = 1;
  return t;
}

const mlp = programCase("derivatives", {
  name: "differentiate: two-layer tanh MLP with cross-entropy and weight decay",
  samples: 2,
  tolerance: TOLERANCES.program,
  build: (dtype, rng) => {
    const [n, d, h, c] = [rng.int(3, 8), rng.int(2, 6), rng.int(2, 8), rng.int(2, 5)];
    const leaves = {
      X: leaf([n, d], normals(rng, n * d)),
      T: leaf([n, c], oneHotRows(rng, n, c)),
      W1: leaf([d, h], normals(rng, d * h, 0.7), "param"),
      b1: leaf([h], normals(rng, h, 0.1), "param"),
      W2: leaf([h, c], normals(rng, h * c, 0.7), "param"),
    };
    return differentiated(
      traced(dtype, leaves, ({ X, T, W1, b1, W2 }) => {
        const logits = ops.matmul(ops.tanh(ops.add(ops.matmul(X, W1), b1)), W2);
        return { loss: ops.add(crossEntropy(logits, T), ops.mul(ops.sum(ops.mul(W1, W1)), 1e-2)), logits };
      }),
    );
  },
});

const attentionLoss = programCase("derivatives", {
  name: "differentiate: layer-normed attention scores, with respect to the input and parameters",
  samples: 2,
  tolerance: TOLERANCES.program,
  build: (dtype, rng) => {
    const [b, n, d] = [rng.int(1, 2), rng.int(2, 6), rng.int(2, 6)];
    const leaves = {
      Y: leaf([b, n, d], normals(rng, b * n * d, 1.5, 0.5)),
      T: leaf([b, n, n], normals(rng, b * n * n)),
      Wq: leaf([d, d], normals(rng, d * d, 0.5), "param"),
      gain: leaf([d], normals(rng, d, 0.2, 1), "param"),
      bias: leaf([d], normals(rng, d, 0.2), "param"),
    };
    return differentiated(
      traced(dtype, leaves, ({ Y, T, Wq, gain, bias }) => {
        const g = layerNorm(Y, { gamma: gain, beta: bias });
        const scores = softmax(ops.mul(ops.matmul(ops.matmul(g, Wq), g.T), 1 / Math.sqrt(d)), -1);
        return { loss: ops.add(ops.sum(ops.mul(scores, T)), ops.mul(ops.sum(ops.mul(g, g)), 0.1)) };
      }),
      ["Y", "Wq", "gain", "bias"],
    );
  },
});

const embedding = programCase("derivatives", {
  name: "differentiate: embedding lookup (gather; its gradient is a scatterAdd with repeats) and max",
  samples: 2,
  tolerance: TOLERANCES.program,
  build: (dtype, rng) => {
    const [vocab, d, c] = [rng.int(2, 7), rng.int(2, 5), rng.int(2, 4)];
    const leaves = {
      idx: leaf([4, 3], integers(rng, 12, 0, vocab - 1)),
      E: leaf([vocab, d], normals(rng, vocab * d), "param"),
      P: leaf([d, c], normals(rng, d * c), "param"),
    };
    return differentiated(
      traced(dtype, leaves, ({ idx, E, P }) => {
        const h = ops.gather(E, idx, 0); // [4, 3, d]
        return { loss: ops.add(ops.sum(logsumexp(ops.matmul(h, P), -1)), ops.sum(ops.max(h, -1))) };
      }),
    );
  },
});

const ties = programCase("derivatives", {
  name: "differentiate: max and reduceMax with ties (the cotangent is split)",
  samples: 2,
  tolerance: TOLERANCES.program,
  build: (dtype, rng) => {
    const leaves = { x: leaf([3, 4, 5], integers(rng, 60, -2, 2)), w: leaf([3], normals(rng, 3), "param"), y: leaf([5], integers(rng, 5, -1, 1)) };
    return differentiated(
      traced(dtype, leaves, ({ x, w, y }) => {
        const m = ops.max(x, [1, 2]);
        const clipped = ops.maximum(x, y);
        return { loss: ops.add(ops.sum(ops.mul(m, w)), ops.sum(ops.mul(ops.mul(clipped, clipped), 0.5))) };
      }),
      ["x", "w", "y"],
    );
  },
});

const elementary = programCase("derivatives", {
  name: "differentiate: pow, sqrt, div, log and abs",
  samples: 2,
  tolerance: TOLERANCES.program,
  build: (dtype, rng) => {
    const n = rng.int(2, 9);
    const leaves = { x: leaf([n], uniforms(rng, n, 0.2, 3)), y: leaf([n], uniforms(rng, n, 0.2, 3)) };
    return differentiated(
      traced(dtype, leaves, ({ x, y }) => ({
        loss: ops.sum(
          ops.add(ops.add(ops.pow(x, y), ops.div(ops.sqrt(x), ops.add(y, 2))), ops.add(ops.mul(ops.log(x), y), ops.abs(ops.sub(x, y)))),
        ),
      })),
      ["x", "y"],
    );
  },
});

/** The Yang et al. energy (two heads) and its gradient in the state and every parameter. */
const yangGradient = programCase("derivatives", {
  name: "differentiate: the Yang et al. energy, with respect to the state and every parameter",
  samples: 1,
  tolerance: TOLERANCES.program,
  build: (dtype, rng) => {
    const config = { dim: 4, heads: 2, headDim: 3 };
    const shape = [2, 5, 4];
    const program = differentiate(energyProgram(yangEnergy(config), shape, dtype), { of: "energy", wrt: ["state", "Wa", "Wf", "b"] });
    const state = hostTensor(Float64Array.from(normals(rng, 40), Math.abs), shape, dtype);
    return { program, feeds: { state, ...initYangParams(config, { seed: 11, dtype }) }, label: "yang energy, state [2, 5, 4], 2 heads" };
  },
});

/** hvp(f)(x, v, ...rest) as a program with inputs x and v and the given further leaves. */
function hvpProgram(
  dtype: DType,
  leaves: Readonly<Record<string, LeafData>>,
  order: readonly string[],
  f: (x: Tensor, ...rest: Tensor[]) => Tensor,
): BuiltProgram {
  const specs = Object.fromEntries(Object.entries(leaves).map(([n, l]) => [n, { shape: l.shape, dtype, kind: l.kind ?? "input" }]));
  const program: Program = trace(specs, (t) => {
    const rest = order.map((n) => t[n]!);
    return { hv: hvp(f)(t["x"]!, t["v"]!, ...rest), value: f(t["x"]!, ...rest) };
  });
  return { program, feeds: hostFeeds(leaves, dtype), label: Object.entries(leaves).map(([n, l]) => `${n} [${l.shape.join(", ")}]`).join(", ") };
}

const hvpLogsumexp = programCase("derivatives", {
  name: "hvp: logsumexp of a matmul plus a quartic",
  samples: 2,
  tolerance: TOLERANCES.program,
  build: (dtype, rng) => {
    const [n, d, c] = [rng.int(1, 5), rng.int(1, 6), rng.int(2, 5)];
    const leaves = { x: leaf([n, d], normals(rng, n * d)), v: leaf([n, d], normals(rng, n * d)), W: leaf([d, c], normals(rng, d * c), "param") };
    return hvpProgram(dtype, leaves, ["W"], (x, W) => ops.add(ops.sum(logsumexp(ops.matmul(x, W!), -1)), ops.mul(ops.sum(ops.mul(ops.mul(x, x), ops.mul(x, x))), 0.25)));
  },
});

const hvpAttention = programCase("derivatives", {
  name: "hvp: the Yang et al. attention energy in the tokens",
  samples: 2,
  tolerance: TOLERANCES.program,
  build: (dtype, rng) => {
    const [n, d] = [rng.int(2, 6), rng.int(2, 5)];
    const Wa = Float64Array.from({ length: d * d }, (_, i) => (i % (d + 1) === 0 ? 1 : 0) + 0.3 * rng.normal());
    const leaves = { x: leaf([n, d], normals(rng, n * d, 0.7)), v: leaf([n, d], normals(rng, n * d)), Wa: leaf([1, d, d], Wa, "param") };
    return hvpProgram(dtype, leaves, ["Wa"], (x, Wa) => attentionEnergyValue(x, Wa!));
  },
});

const hvpLayerNorm = programCase("derivatives", {
  name: "hvp: tanh of a layer-normed projection, squared",
  samples: 2,
  tolerance: TOLERANCES.program,
  build: (dtype, rng) => {
    const [n, d, c] = [rng.int(1, 4), rng.int(2, 6), rng.int(1, 4)];
    const leaves = {
      x: leaf([n, d], normals(rng, n * d, 2)),
      v: leaf([n, d], normals(rng, n * d)),
      gamma: leaf([d], normals(rng, d, 0.2, 1), "param"),
      beta: leaf([d], normals(rng, d, 0.2), "param"),
      W: leaf([d, c], normals(rng, d * c), "param"),
    };
    return hvpProgram(dtype, leaves, ["gamma", "beta", "W"], (x, gamma, beta, W) => {
      const t = ops.tanh(ops.matmul(layerNorm(x, { gamma: gamma!, beta: beta! }), W!));
      return ops.sum(ops.mul(t, t));
    });
  },
});

const hvpCrossEntropy = programCase("derivatives", {
  name: "hvp: cross-entropy of a linear model in its weights",
  samples: 2,
  tolerance: TOLERANCES.program,
  build: (dtype, rng) => {
    const [n, d, c] = [rng.int(2, 6), rng.int(1, 5), rng.int(2, 5)];
    const leaves = {
      x: leaf([d, c], normals(rng, d * c)),
      v: leaf([d, c], normals(rng, d * c)),
      X: leaf([n, d], normals(rng, n * d)),
      T: leaf([n, c], oneHotRows(rng, n, c)),
    };
    return hvpProgram(dtype, leaves, ["X", "T"], (W, X, T) => crossEntropy(ops.matmul(X!, W), T!));
  },
});

/** The `derivatives` group: gradient, Hessian-vector and descent-step programs. */
export function derivativeCases(): ConformanceCase[] {
  return [mlp, attentionLoss, embedding, ties, elementary, yangGradient, hvpLogsumexp, hvpAttention, hvpLayerNorm, hvpCrossEntropy];
}
