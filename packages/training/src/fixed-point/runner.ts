import {
  type AdjointOptions,
  type Backend,
  type DType,
  type DeviceTensor,
  type Executable,
  type Feeds,
  type FixedPointResult,
  type HostTensor,
  type ImplicitGradientOptions,
  type Program,
  type ResidentFixedPointResult,
  defaultFixedPointTolerance,
  energyProgram,
  Random,
  type Shape,
  hostTensor,
  implicitGradient,
  optimize,
  solveFixedPoint,
} from "@unfold/core";
import type { AdamWOptions, TrainableSpecs } from "@unfold/nn";
import type { FixedPointConfig } from "../config/schema.js";
import { INPUT, LOGITS, TARGET } from "../loop/programs.js";
import type { TrainerModel } from "../model/model.js";
import type { TaskData } from "../task/task.js";
import type { FixedPointModel } from "./model.js";
import {
  FIXED_POINT_STATE,
  JACOBIAN_PENALTY,
  STATE_COTANGENT,
  fixedPointLogitsProgram,
  fixedPointLossProgram,
  fixedPointUpdateProgram,
  jacobianProbeFeed,
  mapGradFeed,
  mapParamsProgram,
} from "./programs.js";

/** How one training step's fixed point and its gradient went. */
export interface FixedPointFigures {
  /** Forward solver iterations (layer-map applications for plain iteration). */
  readonly forwardIterations: number;
  /** The relative residual ||T(Y) - Y|| / ||Y|| where the forward solve stopped. */
  readonly residual: number;
  /** Whether the forward solve reached model.fixedPoint.tol. */
  readonly converged: boolean;
  /** Adjoint-solve iterations (backward "implicit"); 0 for "jfb" and "phantom", which solve nothing. */
  readonly backwardIterations: number;
  /** The adjoint solve's final relative residual; null for "jfb" and "phantom". */
  readonly backwardResidual: number | null;
  /** Whether the adjoint solve reached its tolerance; true for "jfb" and "phantom". */
  readonly backwardConverged: boolean;
  /**
   * With model.fixedPoint.jacobianPenalty: this step's Hutchinson estimate of ||dT/dY||_F^2 at Y*
   * (unweighted; the loss's gradient includes weight times its gradient). Absent without a penalty.
   */
  readonly jacobianPenalty?: number;
}

/** A fixed point found for one input batch: the map's parameters and the solver's result, on the host. */
export interface SolvedBatch {
  /** The map's energy parameters for the batch (mapParamsProgram's outputs). */
  readonly mapParams: Record<string, HostTensor>;
  /** The forward solver's result: the fixed point, its residual, iterations and trace. */
  readonly result: FixedPointResult;
}

/**
 * A fixed point found for one input batch, kept on the backend: the map's parameters (the run
 * outputs of mapParamsProgram) and the solver's result with its state resident. `dispose` frees
 * both; nothing here was read back but the solver's scalars.
 */
export interface ResidentSolvedBatch {
  readonly mapParams: Record<string, DeviceTensor>;
  readonly result: ResidentFixedPointResult;
  dispose(): void;
}

/** The phantom gradient's unrolling when model.fixedPoint.phantom is unset: 5 steps at damping 0.5. */
export const DEFAULT_PHANTOM = { steps: 5, damping: 0.5 } as const;

/** The adjoint solve's settings, with the tolerance the dtype can reach when none is set: 1e-8 in float64, 1e-4 in float32. */
function adjointOptions(adjoint: FixedPointConfig["adjoint"], dtype: DType): AdjointOptions {
  const tol = adjoint?.tol ?? (dtype === "float32" ? 1e-4 : 1e-8);
  return { solver: adjoint?.solver ?? "gmres", tol, maxIterations: adjoint?.maxIterations ?? 100 };
}

/**
 * The seed of training step `step`'s Jacobian probes (`step` counts from 1): a hash of the
 * configured seed and the step, so every step draws new probes and a resumed run, which repeats
 * the step numbers, draws the same ones.
 */
export function jacobianProbeSeed(seed: number, step: number): number {
  if (!Number.isInteger(seed) || seed < 0) throw new RangeError(`jacobianProbeSeed: seed must be a non-negative integer, got ${seed}`);
  if (!Number.isInteger(step) || step < 1) throw new RangeError(`jacobianProbeSeed: step must be a positive integer, got ${step}`);
  return (Math.imul(seed ^ 0x2545f491, 0x9e3779b1) ^ Math.imul(step, 0x85ebca6b)) >>> 0;
}

/**
 * Step `step`'s `probes` standard normal probe vectors of `shape`, as host tensors: the vectors
 * core's gaussianProbes makes as constants from jacobianProbeSeed(seed, step), in the same order.
 */
export function jacobianProbes(shape: Shape, dtype: DType, options: { readonly probes: number; readonly seed: number }, step: number): HostTensor[] {
  const rng = new Random(jacobianProbeSeed(options.seed, step));
  const size = shape.reduce((a, b) => a * b, 1);
  return Array.from({ length: options.probes }, () => hostTensor(rng.normals(size), shape, dtype));
}

/** Only the feeds `executable`'s program declares (backends refuse unknown feeds). */
function feedsOf(executable: Executable, feeds: Feeds): Feeds {
  return Object.fromEntries(executable.program.feeds.map((f) => [f.name, feeds[f.name]!]));
}

const disposeAll = (outputs: Record<string, DeviceTensor>): void => {
  for (const t of Object.values(outputs)) if (!t.disposed) t.dispose();
};

/**
 * A fixed-point model's compiled programs for one training batch size and one evaluation batch
 * size, and the steps that run them: solve (embed and reparameterize, then the forward solver),
 * the training step (the loss at Y*, the implicit gradient, the gradient in the training
 * parameters and the AdamW update), and evaluation logits. Between programs the map's parameters,
 * the fixed point, dL/dY* and the implicit gradients stay on the backend (the core solvers take
 * and give resident tensors): per step only the inputs and targets go up and the solvers'
 * scalars, the loss, the correct count and the gradient norm come back.
 */
export class FixedPointRunner {
  private constructor(
    /** Where every program runs and the solvers keep their iterates. */
    readonly backend: Backend,
    /** The model's fixed-point description. */
    readonly model: FixedPointModel,
    /** The programs' dtype. */
    readonly dtype: DType,
    private readonly programs: {
      /** By batch size: the training and evaluation sizes at compile time, 1 once the energy figure needs it. */
      readonly mapParams: Map<number, Executable>;
      readonly loss: Executable;
      readonly update: Executable;
      readonly logits: Executable;
    },
    /** The training step's batch size. */
    readonly trainBatch: number,
    /** The evaluation batch size. */
    readonly evalBatch: number,
    private readonly specs: TrainableSpecs,
    private readonly task: TaskData,
  ) {}

  /** Compiles the programs; `trainer.fixedPoint` must be set. */
  static async compile(
    backend: Backend,
    trainer: TrainerModel,
    task: TaskData,
    batches: { readonly train: number; readonly eval: number },
    dtype: DType,
    optimizer: AdamWOptions,
  ): Promise<FixedPointRunner> {
    const model = trainer.fixedPoint;
    if (!model) throw new Error(`FixedPointRunner: the ${trainer.kind} model is not a fixed-point model (set model.fixedPoint)`);
    const compile = (program: Program): Promise<Executable> => backend.compile(optimize(program));
    const mapParams = new Map<number, Executable>();
    for (const batch of new Set([batches.train, batches.eval])) mapParams.set(batch, await compile(mapParamsProgram(model, trainer.specs, task, batch, dtype)));
    const programs = {
      mapParams,
      loss: await compile(fixedPointLossProgram(model, trainer.specs, task, batches.train, dtype)),
      update: await compile(fixedPointUpdateProgram(model, trainer.specs, task, batches.train, dtype, optimizer)),
      logits: await compile(fixedPointLogitsProgram(model, trainer.specs, batches.eval, dtype)),
    };
    return new FixedPointRunner(backend, model, dtype, programs, batches.train, batches.eval, trainer.specs, task);
  }

  /**
   * The map's parameters for `inputs` (a batch of `batch`, a compiled size) and the forward solve
   * from Y_0 = the anchor, all kept on the backend: the caller disposes the result.
   */
  async solveResident(params: Feeds, inputs: HostTensor, batch: number): Promise<ResidentSolvedBatch> {
    const exe = this.programs.mapParams.get(batch);
    if (!exe) throw new Error(`FixedPointRunner.solve: no program for batch ${batch} (compiled: ${[...this.programs.mapParams.keys()].join(", ")})`);
    const mapParams = await exe.run(feedsOf(exe, { ...params, [INPUT]: inputs }));
    try {
      const { config } = this.model;
      const result = await solveFixedPoint(this.model.map(batch), this.backend, {
        state: mapParams[this.model.start]!,
        params: mapParams,
        solver: config.solver,
        ...(config.tol !== undefined ? { tol: config.tol } : {}),
        maxIterations: config.maxIterations,
        resident: true,
      });
      return {
        mapParams,
        result,
        dispose: () => {
          result.state.dispose();
          disposeAll(mapParams);
        },
      };
    } catch (error) {
      disposeAll(mapParams);
      throw error;
    }
  }

  /** As solveResident, with the map's parameters and the fixed point read back to the host. */
  async solve(params: Feeds, inputs: HostTensor, batch: number): Promise<SolvedBatch> {
    const solved = await this.solveResident(params, inputs, batch);
    try {
      const mapParams: Record<string, HostTensor> = {};
      for (const [name, t] of Object.entries(solved.mapParams)) mapParams[name] = await t.read();
      return { mapParams, result: { ...solved.result, state: await solved.result.state.read() } };
    } finally {
      solved.dispose();
    }
  }

  /**
   * One training step on a batch: solve, the loss at Y* and dL/dY*, the gradient in the map's
   * parameters by the configured backward mode, then the update program. Returns the update
   * program's outputs (the caller carries `next.*` into its resident tensors) and the figures.
   * Every tensor between the programs stays on the backend.
   */
  async trainStep(
    feeds: Feeds,
    batch: { readonly inputs: HostTensor; readonly targets: HostTensor },
    schedule: { readonly learningRate: HostTensor; readonly step: HostTensor },
  ): Promise<{ outputs: Record<string, DeviceTensor>; figures: FixedPointFigures }> {
    const solved = await this.solveResident(feeds, batch.inputs, this.trainBatch);
    const held: Record<string, DeviceTensor>[] = [];
    try {
      const { result } = solved;
      const stateFeeds = { ...feeds, [FIXED_POINT_STATE]: result.state, [TARGET]: batch.targets };
      const lossOuts = await this.programs.loss.run(feedsOf(this.programs.loss, stateFeeds));
      held.push(lossOuts);
      const { config } = this.model;
      const options: ImplicitGradientOptions & { readonly resident: true } = {
        state: result.state,
        params: solved.mapParams,
        cotangent: lossOuts[STATE_COTANGENT]!,
        backward: config.backward,
        ...(config.backward === "implicit" ? { adjoint: adjointOptions(config.adjoint, this.dtype) } : {}),
        ...(config.backward === "phantom" ? { phantom: config.phantom ?? DEFAULT_PHANTOM } : {}),
        resident: true,
      };
      const implicit = await implicitGradient(this.model.map(this.trainBatch), this.backend, options);
      held.push(implicit.grads);
      const mapGrads = Object.fromEntries(Object.entries(implicit.grads).map(([name, g]) => [mapGradFeed(name), g]));
      const probes = this.probeFeeds(schedule.step);
      const outputs = await this.programs.update.run(feedsOf(this.programs.update, { ...stateFeeds, ...mapGrads, ...probes, [INPUT]: batch.inputs, ...schedule }));
      const penalty = config.jacobianPenalty ? (await outputs[JACOBIAN_PENALTY]!.read()).data[0]! : undefined;
      const adjoint = implicit.adjoint;
      return {
        outputs,
        figures: {
          forwardIterations: result.iterations,
          residual: result.residual,
          converged: result.converged,
          backwardIterations: adjoint?.iterations ?? 0,
          backwardResidual: adjoint?.residual ?? null,
          backwardConverged: adjoint?.converged ?? true,
          ...(penalty !== undefined ? { jacobianPenalty: penalty } : {}),
        },
      };
    } finally {
      for (const outs of held) disposeAll(outs);
      solved.dispose();
    }
  }

  /** The forward solve's tolerance: model.fixedPoint.tol, else core's default for the dtype. */
  get tolerance(): number {
    return this.model.config.tol ?? defaultFixedPointTolerance(this.dtype);
  }

  /**
   * One input's forward solve on its own (a batch of 1), for the energy figure: the energy of the
   * starting state E(Y_0) and the solver's result, whose trace holds the energy after every
   * iteration and whose iteration count is where the tolerance stopped it. Compiles the batch-1
   * programs on first use; frees every tensor it made.
   */
  async profileInput(params: Feeds, input: HostTensor): Promise<{ readonly start: number; readonly result: Omit<ResidentFixedPointResult, "state"> }> {
    if (!this.programs.mapParams.has(1)) {
      this.programs.mapParams.set(1, await this.backend.compile(optimize(mapParamsProgram(this.model, this.specs, this.task, 1, this.dtype))));
    }
    const map = this.model.map(1);
    const energy = await this.backend.compile(energyProgram(map.energy, this.model.stateShape(1), this.dtype));
    const solved = await this.solveResident(params, input, 1);
    try {
      const outs = await energy.run({ ...solved.mapParams, state: solved.mapParams[this.model.start]! });
      let start: number;
      try {
        start = (await outs["energy"]!.read()).data[0]!;
      } finally {
        disposeAll(outs);
      }
      const { state: _state, ...result } = solved.result;
      return { start, result };
    } finally {
      solved.dispose();
    }
  }

  /** The update program's probe feeds for the step in `step` (1-based); none without a penalty. */
  private probeFeeds(step: HostTensor): Feeds {
    const penalty = this.model.config.jacobianPenalty;
    if (!penalty) return {};
    const probes = jacobianProbes(this.model.stateShape(this.trainBatch), this.dtype, { probes: penalty.probes, seed: penalty.seed ?? 0 }, step.data[0]!);
    return Object.fromEntries(probes.map((p, i) => [jacobianProbeFeed(i), p]));
  }

  /**
   * An executable for evaluate(): it takes the parameters and an input batch of the evaluation
   * size, solves to the fixed point and runs the head, and returns `logits`.
   */
  evaluation(): Executable {
    const mapParams = this.programs.mapParams.get(this.evalBatch)!;
    const logits = this.programs.logits;
    return {
      program: mapParams.program,
      run: async (feeds) => {
        const solved = await this.solveResident(feeds, feeds[INPUT] as HostTensor, this.evalBatch);
        try {
          const outs = await logits.run(feedsOf(logits, { ...feeds, [FIXED_POINT_STATE]: solved.result.state }));
          return { [LOGITS]: outs[LOGITS]! };
        } finally {
          solved.dispose();
        }
      },
    };
  }
}
