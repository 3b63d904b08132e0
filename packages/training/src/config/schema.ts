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
  /** Unset: learned, except in a fixed-point model (model.fixedPoint), whose map needs fixed sizes. */
  learned: z.boolean().optional(),
  /** Initial (or fixed) fraction of the bound. */
  fraction: z.number().gt(0).lt(1).default(0.5),
});

/**
 * A fixed-point model (`--depth implicit`; the yang, crate and energy-transformer kinds): the tied
 * layer iterated to its fixed point and trained by implicit gradients (docs/fixed-points.md, section 6).
 */
const FixedPoint = z.strictObject({
  /** The forward solve's tolerance on the relative residual ||T(Y) - Y|| / ||Y||; unset, 1e-6 in float64 and 1e-4 in float32. */
  tol: z.number().gt(0).lt(1).optional(),
  maxIterations: int(1, 100_000).default(200),
  solver: oneOf("fixed-point solver", ["iteration", "anderson"]).default("anderson"),
  backward: oneOf("backward mode", ["implicit", "jfb", "phantom"]).default("implicit"),
  /** lambda of the anchor term (lambda / 2) ||Y - X||^2 that ties the fixed point to the embedded input X. */
  anchor: z.number().gt(0).max(100).default(1),
  /** The adjoint solve, for backward "implicit" only (GMRES, at most 100 products, when unset). */
  adjoint: z
    .strictObject({
      solver: oneOf("adjoint solver", ["gmres", "iteration"]).default("gmres"),
      /** Relative residual of the adjoint equation; unset, 1e-8 in float64 and 1e-4 in float32. */
      tol: z.number().gt(0).lt(1).optional(),
      maxIterations: int(1, 100_000).default(100),
    })
    .optional(),
  /** k damped steps from the fixed point, for backward "phantom" only (5 steps at damping 0.5 when unset). */
  phantom: z.strictObject({ steps: int(1, 1_000).default(5), damping: z.number().gt(0).max(1).default(0.5) }).optional(),
  /**
   * weight * a Hutchinson estimate of ||dT/dY||_F^2 at Y*, added to the training loss to keep the
   * map contractive (docs/fixed-points.md, sections 4 and 6); unset, no penalty. `probes` Gaussian
   * probe vectors per step, drawn from `seed` (unset: 0) and the step number.
   */
  jacobianPenalty: z
    .strictObject({
      weight: z.number().gt(0).max(1e6),
      probes: int(1, 1_000).default(1),
      seed: seed.optional(),
    })
    .optional(),
}).superRefine((fixedPoint, ctx) => {
  // Settings for a backward mode other than the chosen one would be ignored: refuse them.
  if (fixedPoint.adjoint !== undefined && fixedPoint.backward !== "implicit") {
    ctx.addIssue({ code: "custom", path: ["adjoint"], message: `applies to backward "implicit" only, but backward is "${fixedPoint.backward}"; remove adjoint` });
  }
  if (fixedPoint.phantom !== undefined && fixedPoint.backward !== "phantom") {
    ctx.addIssue({ code: "custom", path: ["phantom"], message: `applies to backward "phantom" only, but backward is "${fixedPoint.backward}"; remove phantom` });
  }
});

/**
 * A step of size `stepSize` (model.<field>) that pulls toward the anchor moves the state by
 * (1 - stepSize * anchor) along every direction the rest of the layer leaves alone: that is a
 * contraction only while stepSize * anchor < 2.
 */
function anchorContracts(anchor: number, stepSize: number, field: string, refuse: (path: string[], message: string) => void): void {
  if (stepSize * anchor >= 2) {
    refuse(
      ["fixedPoint", "anchor"],
      `model.fixedPoint.anchor ${anchor} times model.${field} ${stepSize} is ${stepSize * anchor}, but the anchor's pull contracts only below 2 (the state would oscillate or diverge); lower the anchor or model.${field}`,
    );
  }
}

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
  /** Iterate the layer to its fixed point instead of unfolding `layers` layers (see FixedPoint). */
  fixedPoint: FixedPoint.optional(),
}).superRefine((model, ctx) => {
  // A fixed point needs one map: one weight set, fixed step sizes, and steps that descend one energy.
  if (model.fixedPoint === undefined) return;
  const refuse = (path: string[], message: string) => ctx.addIssue({ code: "custom", path, message });
  if (!model.tied) refuse(["tied"], "model.fixedPoint needs one layer map: untied weights give every layer its own map; set model.tied to true");
  for (const step of ["attentionStep", "feedForwardStep"] as const) {
    if (model[step].learned === true) {
      refuse([step, "learned"], `model.fixedPoint iterates one map with fixed step sizes; remove model.${step}.learned (the size is fixed at model.${step}.fraction of its bound)`);
    }
  }
  if (model.causal) refuse(["causal"], "model.fixedPoint is not available with a causal mask (the masked attention step descends no energy); set model.causal to false");
  if (model.normalize !== "none") refuse(["normalize"], "model.fixedPoint is not available with token normalization; set model.normalize to none");
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
  /** Iterate the ET's anchored descent step to its fixed point instead of unfolding `layers` steps (see FixedPoint). */
  fixedPoint: FixedPoint.optional(),
}).superRefine((model, ctx) => {
  // A fixed point needs one map with a fixed step, along which the anchor contracts.
  if (model.fixedPoint === undefined) return;
  const refuse = (path: string[], message: string) => ctx.addIssue({ code: "custom", path, message });
  if (model.learnedStep) refuse(["learnedStep"], "model.fixedPoint iterates one map with a fixed step size; remove model.learnedStep (the step is fixed at model.stepSize)");
  anchorContracts(model.fixedPoint.anchor, model.stepSize, "stepSize", refuse);
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
    /** kappa, the MSSA step size (unrolled only: a fixed-point model follows the compression term's exact gradient, and the trainer refuses an explicit mssaStep there). */
    mssaStep: z.number().gt(0).max(10).default(1),
    /** eta, the ISTA step size (in a fixed-point model, the size of its one proximal step). */
    istaStep: z.number().gt(0).max(10).default(0.1),
    /** Iterate one tied proximal step (compression, coding of the input, anchor) to its fixed point instead of unfolding `layers` layers (see FixedPoint). */
    fixedPoint: FixedPoint.optional(),
  })
  .superRefine((model, ctx) => {
    // Without headDim the subspaces split the model dimension evenly.
    if (model.headDim === undefined && model.dim % model.heads !== 0) {
      ctx.addIssue({ code: "custom", path: ["heads"], message: `${model.heads} subspaces do not split model.dim ${model.dim} evenly (make dim a multiple of heads, or set model.headDim)` });
    }
    if (model.fixedPoint === undefined) return;
    const refuse = (path: string[], message: string) => ctx.addIssue({ code: "custom", path, message });
    if (!model.tied) refuse(["tied"], "model.fixedPoint needs one layer map: untied weights give every layer its own map; set model.tied to true (CRATE is untied unless told)");
    anchorContracts(model.fixedPoint.anchor, model.istaStep, "istaStep", refuse);
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
/** A parsed model.fixedPoint section. */
export type FixedPointConfig = z.output<typeof FixedPoint>;
/** A parsed model section of kind "energy-transformer". */
export type EnergyTransformerModelConfig = z.output<typeof EnergyTransformerModel>;
/** A parsed model section of kind "transformer". */
export type TransformerModelConfig = z.output<typeof TransformerModel>;
/** A parsed model section of kind "crate". */
export type CrateModelConfig = z.output<typeof CrateModel>;
