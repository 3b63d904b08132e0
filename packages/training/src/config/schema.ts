import { z } from "zod";
import { notAChoice } from "./choice.js";

// The model and optimization sections of a training configuration, shared by the trainer CLI
// (which adds the task, the backend and the output directory) and any page that trains. Every
// object is strict, so a misspelt or unknown field is an error naming it rather than a silent default.

/** An integer config field in [min, max]. */
export const int = (min: number, max: number) => z.number().int().min(min).max(max);
/** A random seed field: a non-negative 31-bit integer. */
export const seed = int(0, 2 ** 31 - 1);

/**
 * One of `values`, called a `noun` in errors: anything else is refused in the project's words
 * ("'max' is not a head; choose mean or flatten"), never zod's.
 */
export const oneOf = <const T extends readonly [string, ...string[]]>(noun: string, values: T) => z.enum(values, { error: (issue) => notAChoice(noun, issue.input, values) });

/** The error of a union of kinds when `kind` names none of them ("'yan' is not a model; choose ..."); zod's own for anything else. */
export const unknownKind =
  (noun: string) =>
  (issue: z.core.$ZodRawIssue): string | undefined => {
    if (issue.code !== "invalid_union" || !("options" in issue) || !Array.isArray(issue.options)) return undefined;
    const input = issue.input;
    const kind = typeof input === "object" && input !== null ? (input as { kind?: unknown }).kind : undefined;
    return notAChoice(noun, kind, issue.options);
  };

/** Class targets: 'mean' pools the tokens into a linear head, 'flatten' gives each position its own head weights. */
export const Head = oneOf("head", ["mean", "flatten"]);

/** A step size learned (or fixed) as a fraction in (0, 1) of its descent bound. */
const StepSize = z.strictObject({
  learned: z.boolean().default(true),
  /** Initial (or fixed) fraction of the bound. */
  fraction: z.number().gt(0).lt(1).default(0.5),
});

const YangModel = z.strictObject({
  kind: z.literal("yang"),
  head: Head.default("mean"),
  dim: int(2, 2_048).default(64),
  layers: int(1, 128).default(6),
  heads: int(1, 64).default(1),
  headDim: int(1, 2_048).optional(),
  tied: z.boolean().default(true),
  attentionStep: StepSize.prefault({}),
  feedForwardStep: StepSize.prefault({}),
  /** Eigenvalues of every W_f stay inside (-spectrum, spectrum) (see boundedSpectrumWeight). */
  spectrum: z.number().gt(0).lt(1).default(0.95),
  /** Project tokens onto the unit sphere after each layer ('euclidean'), or not. */
  normalize: oneOf("normalization", ["none", "euclidean"]).default("none"),
  /** Each token attends only to itself and earlier tokens (next-token tasks); descent is then measured, not promised. */
  causal: z.boolean().default(false),
});

const EnergyTransformerModel = z.strictObject({
  kind: z.literal("energy-transformer"),
  head: Head.default("mean"),
  dim: int(2, 2_048).default(64),
  layers: int(1, 128).default(6),
  heads: int(1, 64).default(4),
  headDim: int(1, 2_048).default(16),
  memories: int(1, 16_384).default(128),
  stepSize: z.number().gt(0).max(10).default(0.1),
  learnedStep: z.boolean().default(false),
});

const TransformerModel = z
  .strictObject({
    kind: z.literal("transformer"),
    head: Head.default("mean"),
    dim: int(2, 2_048).default(64),
    layers: int(1, 128).default(2),
    heads: int(1, 64).default(4),
    mlpDim: int(1, 16_384).default(128),
    tied: z.boolean().default(false),
    causal: z.boolean().default(false),
  })
  .superRefine((model, ctx) => {
    // Multi-head attention splits the model dimension evenly between the heads.
    if (model.dim % model.heads !== 0) {
      ctx.addIssue({ code: "custom", path: ["heads"], message: `${model.heads} heads do not split model.dim ${model.dim} evenly (dim must be a multiple of heads)` });
    }
  });

const CrateModel = z
  .strictObject({
    kind: z.literal("crate"),
    /** 'flatten' when unset. */
    head: Head.optional(),
    dim: int(2, 2_048).default(32),
    layers: int(1, 128).default(4),
    /** K, the number of subspaces U_k (attention heads). */
    heads: int(1, 64).default(4),
    /** p, each subspace's dimension; dim / heads by default. */
    headDim: int(1, 2_048).optional(),
    tied: z.boolean().default(false),
    /** The coding precision: c = headDim / (tokens eps^2). MSSA approximates the coding rate's gradient when c <= 1. */
    eps: z.number().gt(0).max(1_000).default(1),
    /** The sparsity weight lambda of the ISTA step. */
    lambda: z.number().gt(0).max(10).default(0.1),
    /** kappa, the MSSA step size. */
    mssaStep: z.number().gt(0).max(10).default(1),
    /** eta, the ISTA step size. */
    istaStep: z.number().gt(0).max(10).default(0.1),
  })
  .superRefine((model, ctx) => {
    // Without headDim the subspaces split the model dimension evenly.
    if (model.headDim === undefined && model.dim % model.heads !== 0) {
      ctx.addIssue({ code: "custom", path: ["heads"], message: `${model.heads} subspaces do not split model.dim ${model.dim} evenly (make dim a multiple of heads, or set model.headDim)` });
    }
  });

/** The model section: which unfolded (or baseline) Transformer is trained, and its sizes. */
export const ModelConfig = z.discriminatedUnion("kind", [YangModel, EnergyTransformerModel, TransformerModel, CrateModel], { error: unknownKind("model") });

/** The optimization section: epochs, batch size, AdamW and its learning-rate schedule, evaluation and checkpoint intervals. */
export const TrainConfig = z.strictObject({
  epochs: int(1, 100_000).default(10),
  batchSize: int(1, 65_536).default(64),
  learningRate: z.number().gt(0).max(10).default(3e-3),
  warmupSteps: int(0, 10_000_000).default(100),
  decay: oneOf("learning-rate decay", ["cosine", "linear", "constant"]).default("cosine"),
  weightDecay: z.number().min(0).max(10).default(0.01),
  /** Global gradient-norm clipping; null turns it off. */
  clipNorm: z.number().gt(0).nullable().default(1),
  beta1: z.number().min(0).lt(1).default(0.9),
  beta2: z.number().min(0).lt(1).default(0.999),
  seed: seed.default(0),
  /** Stop (and save) once this much wall time has gone by. */
  maxSeconds: z.number().gt(0).optional(),
  /** Evaluate on the test split every this many steps (default: once an epoch). */
  evalEvery: int(1, 100_000_000).optional(),
  /** Save a checkpoint every this many steps (default: once an epoch). */
  checkpointEvery: int(1, 100_000_000).optional(),
});

/** A parsed model section. */
export type ModelConfig = z.output<typeof ModelConfig>;
/** A parsed optimization section. */
export type TrainConfig = z.output<typeof TrainConfig>;
/** A parsed model section of kind "yang". */
export type YangModelConfig = z.output<typeof YangModel>;
/** A parsed model section of kind "energy-transformer". */
export type EnergyTransformerModelConfig = z.output<typeof EnergyTransformerModel>;
/** A parsed model section of kind "transformer". */
export type TransformerModelConfig = z.output<typeof TransformerModel>;
/** A parsed model section of kind "crate". */
export type CrateModelConfig = z.output<typeof CrateModel>;
