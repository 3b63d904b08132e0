import { type Backend, type DType, type DeviceTensor, type Executable, type HostTensor, hostTensor, optimize } from "@unfold/core";
import { initParams, learningRateAt, trainStepCarry, zeroMoments } from "@unfold/nn";
import type { TrainConfig } from "../config/schema.js";
import type { TrainerModel } from "../model/model.js";
import { trainBatchIndices } from "../task/sampler.js";
import { type TaskData, inputShape, targetShape } from "../task/task.js";
import { type EnergyProfile, energyProfile } from "./energy.js";
import { type Evaluation, evaluate } from "./evaluate.js";
import { type TrainingPlan, planTraining } from "./plan.js";
import { INPUT, TARGET, energyTraceProgram, logitsProgram, trainingProgram } from "./programs.js";
import { ResidentTensors } from "./resident.js";
import { stopPoint, yieldToEventLoop } from "./stop.js";
import { type FixedPointFigures, FixedPointRunner } from "../fixed-point/runner.js";
import { fixedPointEnergyProfile } from "../fixed-point/energy-profile.js";

/** What a training session trains: a built model, its task's data, and the optimization section. */
export interface TrainingSetup {
  readonly model: TrainerModel;
  readonly task: TaskData;
  readonly train: TrainConfig;
  readonly dtype: DType;
  /** Augment training batches (the task's own augmentation, e.g. MNIST's random shifts), keyed by seed and step. Default false. */
  readonly augment?: boolean;
  /** How many test inputs (the first ones) energyProfile() runs on. Default: 200, or the whole test split when it is smaller. */
  readonly energyInputs?: number;
}

/** Where a session starts: fresh (initial parameters from train.seed, zero moments, step 0) or from a checkpoint's state. */
export interface TrainingStart {
  /** Parameters by name (a checkpoint's); default: initParams with train.seed. */
  readonly params?: Readonly<Record<string, HostTensor>>;
  /** AdamW moments `m.<param>` and `v.<param>`; default: zeros. */
  readonly moments?: Readonly<Record<string, HostTensor>>;
  /** Steps already done (a resumed run's); default 0. */
  readonly step?: number;
  /** Compiling takes minutes on WebGPU: aborting this stops between programs, and open() throws StopRequested. */
  readonly signal?: AbortSignal;
}

/** One training step's figures, on its batch. */
export interface TrainingStep {
  /** Steps done, this one included (1 after the first). */
  readonly step: number;
  /** The epoch this step belongs to, from 1. */
  readonly epoch: number;
  /** Mean cross-entropy of the batch, before the update. */
  readonly loss: number;
  /** Correct predictions over the batch's labelled targets. */
  readonly accuracy: number;
  readonly correct: number;
  /** Labelled targets in the batch (at least 1). */
  readonly labelled: number;
  /** The learning rate this step's update used. */
  readonly learningRate: number;
  /** The global gradient norm before clipping. */
  readonly gradNorm: number;
  /** A fixed-point model's solver figures (forward and adjoint iterations, residual, convergence); absent otherwise. */
  readonly fixedPoint?: FixedPointFigures;
}

/** Test inputs profiled when TrainingSetup.energyInputs is not given (fewer when the test split is smaller). */
export const DEFAULT_ENERGY_INPUTS = 200;

const range = (n: number): Int32Array => Int32Array.from({ length: n }, (_, i) => i);

/**
 * A model being trained on a backend: the compiled training-step, logits and energy-trace
 * programs, the parameters and AdamW moments resident on the backend, and the step count.
 * Batches are deterministic (a function of train.seed and the step), so a session opened from a
 * checkpoint at step s repeats an uninterrupted one. It does no I/O: data come in through the
 * task, parameters go out through read().
 *
 * One step at a time with next(), or as an async iterator with steps(signal): aborting the signal
 * pauses after the current step, and calling steps() again resumes. The backend stays the
 * caller's: dispose() frees the session's tensors, not the backend.
 */
export class TrainingSession {
  /** The run's length and intervals. */
  readonly plan: TrainingPlan;
  /** Trainable parameter names, sorted as the model's specs are. */
  readonly paramNames: readonly string[];
  /** AdamW moment names, `m.<param>` and `v.<param>` for each parameter. */
  readonly momentNames: readonly string[];
  private readonly carry: Record<string, string>;
  private current: number;
  private disposed = false;

  private constructor(
    readonly backend: Backend,
    readonly setup: TrainingSetup,
    private readonly programs: {
      /** The one-program training step; undefined for a fixed-point model, whose step the runner takes. */
      readonly train: Executable | undefined;
      readonly logits: Executable;
      readonly energy: Executable | undefined;
      readonly evalBatch: number;
      readonly fixedPoint: FixedPointRunner | undefined;
    },
    private readonly resident: ResidentTensors,
    plan: TrainingPlan,
    step: number,
  ) {
    this.plan = plan;
    this.paramNames = Object.keys(setup.model.specs);
    this.momentNames = this.paramNames.flatMap((p) => [`m.${p}`, `v.${p}`]);
    this.carry = trainStepCarry(setup.model.specs);
    this.current = step;
  }

  /**
   * Checks the setup (planTraining's checks, the energy-input count), compiles the programs on
   * `backend` and uploads the starting parameters and moments. Throws StopRequested when
   * `start.signal` is aborted between two programs.
   */
  static async open(backend: Backend, setup: TrainingSetup, start: TrainingStart = {}): Promise<TrainingSession> {
    const { model, task, train: t, dtype } = setup;
    const plan = planTraining(t, task);
    const step = start.step ?? 0;
    if (!Number.isInteger(step) || step < 0 || step > plan.totalSteps) {
      throw new RangeError(`TrainingSession.open: start.step must be an integer in [0, ${plan.totalSteps}] (the run's steps), got ${step}`);
    }
    if (setup.energyInputs !== undefined && (!Number.isInteger(setup.energyInputs) || setup.energyInputs < 1 || setup.energyInputs > task.testCount)) {
      throw new RangeError(`TrainingSession.open: energyInputs must be an integer in [1, ${task.testCount}] (the test split's size), got ${setup.energyInputs}`);
    }
    const { signal } = start;
    const optimizer = { beta1: t.beta1, beta2: t.beta2, weightDecay: t.weightDecay, ...(t.clipNorm !== null ? { clipNorm: t.clipNorm } : {}) };
    const evalBatch = Math.min(task.testCount, 250);
    if (model.fixedPoint) {
      await stopPoint(signal);
      const runner = await FixedPointRunner.compile(backend, model, task, { train: t.batchSize, eval: evalBatch }, dtype, optimizer);
      const resident = await uploadStart(backend, model, t, dtype, start);
      return new TrainingSession(backend, setup, { train: undefined, logits: runner.evaluation(), energy: undefined, evalBatch, fixedPoint: runner }, resident, plan, step);
    }
    const energyProgram = energyTraceProgram(model, task, dtype);
    await stopPoint(signal);
    const trainExe = await backend.compile(optimize(trainingProgram(model, task, t.batchSize, dtype, optimizer)));
    await stopPoint(signal);
    const logits = await backend.compile(optimize(logitsProgram(model, task, evalBatch, dtype)));
    await stopPoint(signal);
    const energy = energyProgram ? await backend.compile(optimize(energyProgram)) : undefined;
    const resident = await uploadStart(backend, model, t, dtype, start);
    return new TrainingSession(backend, setup, { train: trainExe, logits, energy, evalBatch, fixedPoint: undefined }, resident, plan, step);
  }

  /** Steps done so far. */
  get step(): number {
    return this.current;
  }

  /** Whether every step of the plan is done. */
  get finished(): boolean {
    return this.current >= this.plan.totalSteps;
  }

  /**
   * Runs one training step: the next deterministic batch, the scheduled learning rate, the
   * update carried into the resident parameters and moments. A loss that is not finite ends the
   * run with an error that says what to lower.
   */
  async next(): Promise<TrainingStep> {
    this.checkOpen("next");
    if (this.finished) throw new RangeError(`TrainingSession.next: all ${this.plan.totalSteps} steps are done`);
    const { task, train: t, dtype } = this.setup;
    const step = this.current;
    const indices = trainBatchIndices({ count: task.trainCount, batchSize: t.batchSize, seed: t.seed, step });
    const batch = task.batch("train", indices, this.setup.augment ? { seed: t.seed * 1_000_003 + step } : undefined);
    const learningRate = learningRateAt(step + 1, { peak: t.learningRate, warmupSteps: t.warmupSteps, totalSteps: this.plan.totalSteps, decay: t.decay });
    const inputs = hostTensor(batch.inputs, inputShape(task, t.batchSize), dtype);
    const targets = hostTensor(batch.targets, targetShape(task, t.batchSize), dtype);
    const schedule = { learningRate: hostTensor([learningRate], [], dtype), step: hostTensor([step + 1], [], dtype) };
    let fixedPoint: FixedPointFigures | undefined;
    let outs: Record<string, DeviceTensor>;
    if (this.programs.fixedPoint) {
      const taken = await this.programs.fixedPoint.trainStep(this.resident.feeds(), { inputs, targets }, schedule);
      outs = taken.outputs;
      fixedPoint = taken.figures;
    } else {
      outs = await this.programs.train!.run({ ...this.resident.feeds(), [INPUT]: inputs, [TARGET]: targets, ...schedule });
    }
    const read = async (name: string): Promise<number> => (await outs[name]!.read()).data[0]!;
    const loss = await read("loss");
    const correct = await read("correct");
    const gradNorm = await read("gradNorm");
    this.resident.carry(outs, this.carry);
    this.current = step + 1;
    if (!Number.isFinite(loss)) throw new Error(`training diverged at step ${this.current}: the loss is ${loss} (lower train.learningRate or set train.clipNorm)`);
    const labelled = countLabelled(batch.targets);
    const figures = { step: this.current, epoch: Math.ceil(this.current / this.plan.perEpoch), loss, accuracy: correct / labelled, correct, labelled, learningRate, gradNorm };
    return fixedPoint ? { ...figures, fixedPoint } : figures;
  }

  /**
   * The remaining steps as an async iterator, yielding to the host after each (so a click or a
   * signal handler runs). Aborting `signal` pauses: the iterator ends after the current step, and
   * a later steps() call resumes from there.
   */
  async *steps(signal?: AbortSignal): AsyncGenerator<TrainingStep, void, undefined> {
    while (!this.finished && !signal?.aborted) {
      const done = await this.next();
      yield done;
      await yieldToEventLoop();
    }
  }

  /** Accuracy and loss on the whole test split, in batches; with `signal`, throws StopRequested between batches once aborted. */
  evaluate(signal?: AbortSignal): Promise<Evaluation> {
    this.checkOpen("evaluate");
    const { task } = this.setup;
    return evaluate(this.programs.logits, this.resident.feeds(this.paramNames), task, "test", range(task.testCount), this.programs.evalBatch, signal);
  }

  /**
   * The energy at every layer boundary for the first energyInputs test inputs (the paper's
   * energy-by-layer figure); for a fixed-point model, the map's energy at every solver iteration
   * to convergence (a FixedPointEnergyProfile); undefined for a model without an energy (the
   * baseline, CRATE).
   */
  async energyProfile(signal?: AbortSignal): Promise<EnergyProfile | undefined> {
    this.checkOpen("energyProfile");
    const { energy, fixedPoint } = this.programs;
    const { task, model, dtype } = this.setup;
    const count = this.setup.energyInputs ?? Math.min(DEFAULT_ENERGY_INPUTS, task.testCount);
    // A fixed-point model's figure is by solver iteration, each input solved to the tolerance.
    if (fixedPoint) return fixedPointEnergyProfile(fixedPoint, this.resident.feeds(this.paramNames), task, range(count), signal);
    if (!energy) return undefined;
    return energyProfile(energy, this.resident.feeds(this.paramNames), task, range(count), model.layers, dtype, signal);
  }

  /** Resident tensors read back to the host by name (parameters and moments: a checkpoint's contents). */
  read(names: readonly string[]): Promise<Record<string, HostTensor>> {
    this.checkOpen("read");
    return this.resident.read(names);
  }

  /** The trained parameters, read back to the host. */
  params(): Promise<Record<string, HostTensor>> {
    return this.read(this.paramNames);
  }

  /** Frees the session's tensors on the backend (not the backend itself). Idempotent. */
  dispose(): void {
    this.disposed = true;
    this.resident.dispose();
  }

  private checkOpen(method: string): void {
    if (this.disposed) throw new Error(`TrainingSession.${method}: the session is disposed`);
  }
}

/** The starting parameters and moments, uploaded (a checkpoint's, or fresh ones from train.seed). */
async function uploadStart(backend: Backend, model: TrainerModel, t: TrainConfig, dtype: DType, start: TrainingStart): Promise<ResidentTensors> {
  const resident = new ResidentTensors(backend);
  try {
    await resident.upload(start.params ?? initParams(model.specs, { seed: t.seed, dtype }));
    await resident.upload(start.moments ?? zeroMoments(model.specs, dtype));
  } catch (error) {
    resident.dispose();
    throw error;
  }
  return resident;
}

function countLabelled(targets: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < targets.length; i++) if (targets[i]! >= 0) n++;
  return Math.max(1, n);
}
