import { ShapeError, type Tensor, UnfoldError, formatShape, layerNorm, ops } from "@unfold/core";
import { describeArg, requireCompatible, requireInteger, requireMinRank, requireTensor } from "./check.js";
import { multiHeadAttention } from "./attention.js";
import { linear } from "./layers.js";
import { type TrainableSpec, type TrainableSpecs, mergeSpecs, prefixSpecs } from "./params.js";

/** The standard Transformer baseline: a ViT-style pre-LayerNorm encoder. */
export interface TransformerConfig {
  readonly dim: number;
  readonly heads: number;
  readonly mlpDim: number;
  readonly layers: number;
  readonly causal?: boolean;
  /** One parameter set for all layers (`shared.<name>`) instead of one per layer (`layer<l>.<name>`). */
  readonly tied?: boolean;
  /** The MLP's nonlinearity; "relu" by default, "gelu" is the tanh approximation. */
  readonly activation?: "relu" | "gelu";
}

const ACTIVATIONS = ["relu", "gelu"] as const;

/** Checks a Transformer config, naming `op` and the field in an error. */
export function checkTransformerConfig(op: string, config: TransformerConfig): void {
  if (typeof config !== "object" || config === null) throw new UnfoldError(op, "config must be a TransformerConfig");
  const dim = requireInteger(op, "config.dim", config.dim, 1);
  const heads = requireInteger(op, "config.heads", config.heads, 1);
  requireInteger(op, "config.mlpDim", config.mlpDim, 1);
  requireInteger(op, "config.layers", config.layers, 1);
  if (dim % heads !== 0) throw new UnfoldError(op, `config.dim ${dim} does not split into config.heads ${heads} heads`);
  for (const flag of ["causal", "tied"] as const) {
    if (config[flag] !== undefined && typeof config[flag] !== "boolean") throw new UnfoldError(op, `config.${flag} must be a boolean, got ${String(config[flag])}`);
  }
  if (config.activation !== undefined && !ACTIVATIONS.includes(config.activation)) {
    throw new UnfoldError(op, `config.activation must be one of ${ACTIVATIONS.join(", ")}, got ${JSON.stringify(config.activation)}`);
  }
}

/** The prefix of layer l's parameters. */
export function transformerLayerPrefix(config: TransformerConfig, layer: number): string {
  return config.tied ? "shared" : `layer${layer}`;
}

/** One layer's parameters, unprefixed: the names transformerEncoder looks up under each prefix. */
export function transformerLayerSpecs(config: TransformerConfig): TrainableSpecs {
  checkTransformerConfig("transformerLayerSpecs", config);
  const { dim, mlpDim } = config;
  const ones = (n: number): TrainableSpec => ({ shape: [n], init: { kind: "ones" } });
  const zeros = (n: number): TrainableSpec => ({ shape: [n], init: { kind: "zeros" } });
  const glorot = (a: number, b: number): TrainableSpec => ({ shape: [a, b], init: { kind: "glorot" } });
  return {
    "ln1.gain": ones(dim),
    "ln1.bias": zeros(dim),
    Wq: glorot(dim, dim),
    bq: zeros(dim),
    Wk: glorot(dim, dim),
    bk: zeros(dim),
    Wv: glorot(dim, dim),
    bv: zeros(dim),
    Wo: glorot(dim, dim),
    bo: zeros(dim),
    "ln2.gain": ones(dim),
    "ln2.bias": zeros(dim),
    W1: glorot(dim, mlpDim),
    b1: zeros(mlpDim),
    W2: glorot(mlpDim, dim),
    b2: zeros(dim),
  };
}

/** Every layer's parameters: `layer<l>.<name>`, or `shared.<name>` once when tied. */
export function transformerSpecs(config: TransformerConfig): TrainableSpecs {
  checkTransformerConfig("transformerSpecs", config);
  const layer = transformerLayerSpecs(config);
  const count = config.tied ? 1 : config.layers;
  return mergeSpecs(...Array.from({ length: count }, (_, l) => prefixSpecs(transformerLayerPrefix(config, l), layer)));
}

/** 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))): GELU's tanh approximation (Hendrycks & Gimpel). */
export function gelu(x: Tensor): Tensor {
  const cube = ops.mul(ops.mul(x, x), x);
  const inner = ops.mul(ops.add(x, ops.mul(cube, 0.044715)), Math.sqrt(2 / Math.PI));
  return ops.mul(ops.mul(x, 0.5), ops.add(ops.tanh(inner), 1));
}

/** Looks up one layer's parameters, each present and shaped as transformerLayerSpecs says. */
function layerParams(op: string, x: Tensor, params: Record<string, Tensor>, prefix: string, layer: TrainableSpecs): Record<string, Tensor> {
  if (typeof params !== "object" || params === null) throw new UnfoldError(op, "params must be a record of Tensors");
  const out: Record<string, Tensor> = {};
  for (const [name, spec] of Object.entries(layer)) {
    const full = `${prefix}.${name}`;
    const t = params[full];
    if (t === undefined) throw new UnfoldError(op, `params lacks '${full}' (see transformerSpecs)`);
    requireTensor(op, full, t);
    requireCompatible(op, ["x", x], [full, t]);
    if (t.rank !== spec.shape.length || t.shape.some((d, i) => d !== spec.shape[i])) {
      throw new ShapeError(op, `${describeArg(full, t)} should be ${formatShape(spec.shape)}`);
    }
    out[name] = t;
  }
  return out;
}

/**
 * x [..., T, dim] -> [..., T, dim] through `layers` pre-LayerNorm encoder layers, each
 * x + MHA(LN(x)) then x + MLP(LN(x)). No final LayerNorm: the caller's head decides.
 */
export function transformerEncoder(x: Tensor, params: Record<string, Tensor>, config: TransformerConfig): Tensor {
  const op = "transformerEncoder";
  checkTransformerConfig(op, config);
  requireTensor(op, "x", x);
  requireMinRank(op, "x", x, 2);
  if (x.shape.at(-1) !== config.dim) throw new ShapeError(op, `${describeArg("x", x)} does not end in config.dim ${config.dim}`);
  const layer = transformerLayerSpecs(config);
  const activate = config.activation === "gelu" ? gelu : ops.relu;
  let h = x;
  for (let l = 0; l < config.layers; l++) {
    const p = layerParams(op, x, params, transformerLayerPrefix(config, l), layer);
    const weights = { Wq: p["Wq"]!, Wk: p["Wk"]!, Wv: p["Wv"]!, Wo: p["Wo"]!, bq: p["bq"]!, bk: p["bk"]!, bv: p["bv"]!, bo: p["bo"]! };
    const normed = layerNorm(h, { gamma: p["ln1.gain"]!, beta: p["ln1.bias"]! });
    const attended = multiHeadAttention(normed, weights, { heads: config.heads, causal: config.causal ?? false });
    h = ops.add(h, attended);
    const hidden = activate(linear(layerNorm(h, { gamma: p["ln2.gain"]!, beta: p["ln2.bias"]! }), p["W1"]!, p["b1"]!));
    h = ops.add(h, linear(hidden, p["W2"]!, p["b2"]!));
  }
  return h;
}
