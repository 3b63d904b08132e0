import { join } from "node:path";
import { type Backend, type DType, type HostTensor, hostTensor, optimize } from "@unfold/core";
import { countParams, initParams, learningRateAt, trainStepCarry, zeroMoments } from "@unfold/nn";
import { ConfigError } from "../config/load.js";
import type { TrainerConfig } from "../config/schema.js";
import { type TaskData, inputShape, targetShape } from "../data/task.js";
import { stepsPerEpoch, trainBatchIndices } from "../data/sampler.js";
import { buildModel } from "../model/build.js";
import { type TrainerModel, layerFigure } from "../model/model.js";
import { type MetricsWriter, openMetrics } from "../report/metrics.js";
import { type Progress, createProgress } from "../report/progress.js";
import { createBackend } from "./backends.js";
import { type CheckpointState, checkpointDir, restoreCheckpoint, writeCheckpoint } from "./checkpointing.js";
import { type EnergyProfile, energyProfile } from "./energy.js";
import { type Evaluation, evaluate } from "./evaluate.js";
import { INPUT, TARGET, energyTraceProgram, logitsProgram, trainingProgram } from "./programs.js";
import { ResidentTensors } from "./resident.js";
import { RUN_FILES, type RunDirectory, type RunMode, openRunDirectory } from "./run-directory.js";
import { StopRequested, describeStop, stopPoint, yieldToEventLoop } from "./stop.js";
import { augments, buildTask } from "./task.js";

export interface TrainOptions {
  /** Continue from the checkpoint in the config's output directory. */
  readonly resume?: boolean;
  /** Start a new run in an output directory that holds an earlier one, removing that run's files first. */
  readonly overwrite?: boolean;
  /**
   * The output directory, already prepared and locked by the caller (the command does this
   * before reading a checkpoint's config). Without it, train opens config.out itself and gives
   * it up when it returns.
   */
  readonly directory?: RunDirectory;
  /**
   * Aborting stops after the current step, saves a checkpoint and returns (Ctrl-C); the reason
   * ("SIGINT", "SIGTERM") is reported. Aborted before the first step (while the data loads or the
   * programs compile), it returns without saving or touching the output directory's files.
   */
  readonly signal?: AbortSignal;
  /** Where the progress bar or periodic lines go (stderr by default). */
  readonly progressStream?: { write(s: string): boolean; isTTY?: boolean; columns?: number };
  /** Stop (and save) once this many steps are done in total: how tests interrupt a run deterministically. */
  readonly stopAtStep?: number;
  /**
   * What set config.out and config.energyInputs, for the errors that blame them: a flag
   * (`--out`) or a config file's field. Default: `config field out` / `config field energyInputs`.
   * energyInputs DEFAULT_SOURCE means nobody set it: a test split smaller than the default
   * is then profiled whole, and that is said.
   */
  readonly sources?: { readonly out?: string; readonly energyInputs?: string };
  /** Told what was done on the user's behalf (a stale lock taken over, an earlier run removed, a default lowered). Default: the progress stream. */
  readonly notice?: (message: string) => void;
}

/** TrainOptions.sources.energyInputs when the value is the schema's default, set by nobody. */
export const DEFAULT_SOURCE = "default";

/** What every run, finished or stopped, reports. */
interface RunBasics {
  readonly config: TrainerConfig;
  readonly task: TaskData;
  readonly model: TrainerModel;
  readonly parameters: number;
  readonly step: number;
  readonly totalSteps: number;
  readonly trainSeconds: number;
  readonly outDir: string;
  readonly checkpoint: string;
  readonly metricsPath: string;
  /** Per-step training losses of this invocation (after a resume: from the resumed step on). */
  readonly losses: readonly { step: number; loss: number }[];
}

/** Everything a finished run produced (finished: all its steps, or its maxSeconds). */
export interface TrainRun extends RunBasics {
  readonly interrupted: false;
  readonly test: Evaluation;
  readonly energyBefore: EnergyProfile | undefined;
  readonly energyAfter: EnergyProfile | undefined;
  /** Trained parameters, read back from the backend. */
  readonly params: Record<string, HostTensor>;
}

/**
 * A run stopped by its signal (Ctrl-C, SIGTERM) or stopAtStep: its checkpoint is saved (once a
 * step has run: see `saved`) and nothing else is done (no full test evaluation, energy profile, plots or export), so the
 * process can exit within a step.
 */
export interface InterruptedRun extends RunBasics {
  readonly interrupted: true;
  /**
   * Whether this stop saved a checkpoint: false when it came before the first step of this run
   * (or of this resume). Nothing was written then: a new run leaves no checkpoint behind (so the
   * next plain run into its --out is not refused), and a resumed run's checkpoint is as it was.
   */
  readonly saved: boolean;
  /** The abort's reason ("SIGINT", "SIGTERM"), or "stopAtStep". */
  readonly stopReason: unknown;
  /** The last test evaluation the run made before it stopped, if any. */
  readonly lastTest: Evaluation | undefined;
}

export type TrainOutcome = TrainRun | InterruptedRun;

/** The compiled programs of one run and the backend they run on. */
interface Compiled {
  readonly backend: Backend;
  readonly train: Awaited<ReturnType<Backend["compile"]>>;
  readonly logits: Awaited<ReturnType<Backend["compile"]>>;
  readonly energy: Awaited<ReturnType<Backend["compile"]>> | undefined;
  readonly evalBatch: number;
}

/**
 * Creates the backend and compiles the run's programs. Compiling takes minutes on WebGPU: with a
 * `signal`, it stops between programs (StopRequested) once the signal is aborted.
 */
async function compile(config: TrainerConfig, task: TaskData, model: TrainerModel, signal: AbortSignal | undefined): Promise<Compiled> {
  await stopPoint(signal);
  const backend = await createBackend(config.backend, config.dtype);
  try {
    const t = config.train;
    const optimizer = { beta1: t.beta1, beta2: t.beta2, weightDecay: t.weightDecay, ...(t.clipNorm !== null ? { clipNorm: t.clipNorm } : {}) };
    const evalBatch = Math.min(task.testCount, 250);
    const energy = energyTraceProgram(model, task, config.dtype);
    await stopPoint(signal);
    const train = await backend.compile(optimize(trainingProgram(model, task, t.batchSize, config.dtype, optimizer)));
    await stopPoint(signal);
    const logits = await backend.compile(optimize(logitsProgram(model, task, evalBatch, config.dtype)));
    await stopPoint(signal);
    return { backend, train, logits, energy: energy ? await backend.compile(optimize(energy)) : undefined, evalBatch };
  } catch (error) {
    await backend.dispose();
    throw error;
  }
}

const range = (n: number): Int32Array => Int32Array.from({ length: n }, (_, i) => i);

/**
 * Trains `config`'s model on its task: one compiled training-step program, parameters and
 * moments resident on the backend, deterministic batches (so a resumed run repeats an
 * uninterrupted one), metrics as JSONL, checkpoints at the configured interval and on stop.
 *
 * The output directory is prepared and locked first, before any data is read: an unwritable
 * one, a second run into it, or a fresh run over an earlier run's checkpoint fails at once.
 */
export async function train(config: TrainerConfig, options: TrainOptions = {}): Promise<TrainOutcome> {
  if (options.resume && options.overwrite) throw new ConfigError("--resume continues the run saved in --out and --overwrite starts a new one over it: give one of them");
  const mode: RunMode = options.resume ? "resume" : options.overwrite ? "overwrite" : "fresh";
  const stream = options.progressStream ?? process.stderr;
  const notice = options.notice ?? ((message: string) => void stream.write(`${message}\n`));
  if (options.directory && options.directory.mode !== mode) {
    throw new Error(`train: the output directory was opened to ${options.directory.mode === "resume" ? "resume" : "start"} a run, but the options ${mode === "resume" ? "resume" : "start"} one`);
  }
  const directory = options.directory ?? openRunDirectory(config.out, { label: options.sources?.out ?? "config field out", mode, notice });
  try {
    return await trainIn(directory, config, options, notice);
  } finally {
    if (!options.directory) directory.release();
  }
}

/**
 * How many test inputs the model's layer figure (`figure`: the energy trace, or CRATE's coding rate
 * and sparsity) uses: config.energyInputs, which must fit the test split. A value the user set
 * that does not is refused here, before any training; only the default is lowered, and that is said.
 */
function energyInputCount(config: TrainerConfig, testCount: number, figure: "energy figure" | "crate figures", source: string | undefined, notice: (message: string) => void): number {
  if (config.energyInputs <= testCount) return config.energyInputs;
  if (source === DEFAULT_SOURCE) {
    const measured = figure === "energy figure" ? "profiling" : "measuring";
    notice(`${figure}: the test split has ${testCount} examples, fewer than the default ${config.energyInputs} energy inputs; ${measured} all ${testCount} (set --energy-inputs to choose)`);
    return testCount;
  }
  throw new ConfigError(`${source ?? "config field energyInputs"}: ${config.energyInputs} energy inputs, but the test split has ${testCount} examples; give at most ${testCount}`);
}

async function trainIn(directory: RunDirectory, given: TrainerConfig, options: TrainOptions, notice: (message: string) => void): Promise<TrainOutcome> {
  const outDir = directory.dir;
  const { signal } = options;
  let progress: Progress | undefined;
  // Set just before the first step: a stop requested until then has nothing to save.
  let training = false;
  // Said the moment the request arrives: while the data loads or the programs compile, between
  // steps, or mid-step on a backend whose steps let the event loop run.
  const announce = (): void => {
    const stop = describeStop(signal?.reason);
    const message = training
      ? `${stop}: stopping after the current step to save a checkpoint (${stopAgainHint(signal?.reason, true)})`
      : `${stop}: stopping before the first step, with nothing to save${options.resume ? "; the checkpoint stays as it was" : ""} (${stopAgainHint(signal?.reason, false)})`;
    if (progress) progress.log(message);
    else notice(message);
  };
  signal?.addEventListener("abort", announce, { once: true });
  // An abort before the listener was attached (while the command read the checkpoint's config) fires no event.
  if (signal?.aborted) announce();
  let metrics: MetricsWriter | undefined;
  let held: { readonly backend: Backend; readonly resident: ResidentTensors } | undefined;
  try {
    const task = buildTask(given.task);
    const model = buildModel(given.model, task);
    const t = given.train;
    if (t.batchSize > task.trainCount) {
      throw new ConfigError(`train.batchSize (${t.batchSize}) is larger than the training split (${task.trainCount} examples)`);
    }
    const perEpoch = stepsPerEpoch(task.trainCount, t.batchSize);
    const totalSteps = t.epochs * perEpoch;
    if (t.warmupSteps > totalSteps) {
      throw new ConfigError(`train.warmupSteps (${t.warmupSteps}) exceeds the run's ${totalSteps} steps (${t.epochs} epochs of ${perEpoch}); lower it or train longer`);
    }
    // The config the checkpoint records holds the energy-input count actually used, so a resume repeats it.
    const figure = layerFigure(model);
    const config: TrainerConfig = figure === "none" ? given : { ...given, energyInputs: energyInputCount(given, task.testCount, figure, options.sources?.energyInputs, notice) };
    const dtype: DType = config.dtype;
    const evalEvery = t.evalEvery ?? perEpoch;
    const checkpointEvery = t.checkpointEvery ?? perEpoch;
    const energyInputs = range(config.energyInputs);
    const paramNames = Object.keys(model.specs);
    const momentNames = paramNames.flatMap((p) => [`m.${p}`, `v.${p}`]);
    const carry = trainStepCarry(model.specs);
    const metricsPath = join(outDir, RUN_FILES.metrics);

    const restored = options.resume ? await restoreCheckpoint(checkpointDir(outDir), config, model.specs) : undefined;
    let step = restored?.step ?? 0;
    const losses: { step: number; loss: number }[] = [];
    const stopRequested = (): boolean => signal?.aborted === true || (options.stopAtStep !== undefined && step >= options.stopAtStep && step < totalSteps);
    const stopReason = (): unknown => (signal?.aborted ? signal.reason : "stopAtStep");
    const basics = (trainSeconds: number): RunBasics => ({
      config,
      task,
      model,
      parameters: countParams(model.specs),
      step,
      totalSteps,
      trainSeconds,
      outDir,
      checkpoint: checkpointDir(outDir),
      metricsPath,
      losses,
    });
    // No step ran: there is nothing to save, and a new checkpoint of the untrained (or the resumed)
    // state would only make the next plain run into this --out refuse it as an earlier run's.
    const stoppedBeforeFirstStep = (): InterruptedRun => ({
      ...basics(restored?.state.trainSeconds ?? 0),
      interrupted: true,
      saved: false,
      stopReason: stopReason(),
      lastTest: undefined,
    });

    const compiled = await stoppable(compile(config, task, model, signal));
    if (!compiled) return stoppedBeforeFirstStep();
    const resident = new ResidentTensors(compiled.backend);
    held = { backend: compiled.backend, resident };
    await resident.upload(restored?.params ?? initParams(model.specs, { seed: t.seed, dtype }));
    await resident.upload(restored?.moments ?? zeroMoments(model.specs, dtype));
    // The untrained model's profile: computed once, at step 0, and carried in the checkpoints.
    let energyBefore = restored?.state.energyBefore;
    if (!energyBefore && step === 0 && compiled.energy) {
      energyBefore = await stoppable(energyProfile(compiled.energy, resident.feeds(paramNames), task, energyInputs, model.layers, dtype, signal));
    }
    if (stopRequested()) return stoppedBeforeFirstStep();

    // Every check has passed and the first step is next: only now may --overwrite remove the earlier run, and the metrics file be rewritten.
    directory.removeEarlierRun();
    const records = openMetrics(metricsPath, restored ? { resumeFromStep: restored.step } : {});
    metrics = records;
    const priorSeconds = restored?.state.trainSeconds ?? 0;
    const started = performance.now();
    const seconds = (): number => priorSeconds + (performance.now() - started) / 1000;
    const bar = createProgress({
      total: totalSteps,
      examplesPerStep: t.batchSize,
      ...(options.progressStream ? { stream: options.progressStream } : {}),
      label: model.kind,
    });
    progress = bar;
    let lastTest: Evaluation | undefined;
    let lastTestStep = -1;

    const state = (): CheckpointState => ({ config, step, trainSeconds: seconds(), energyBefore, lastTestAccuracy: lastTest?.accuracy ?? null });
    const save = async (): Promise<void> => {
      // A run whose lock was taken over must not write over the new owner's files.
      directory.verify();
      const host = await resident.read([...paramNames, ...momentNames]);
      await writeCheckpoint(checkpointDir(outDir), step, host, paramNames, state());
    };
    const testAll = (stopSignal?: AbortSignal): Promise<Evaluation> =>
      evaluate(compiled.logits, resident.feeds(paramNames), task, "test", range(task.testCount), compiled.evalBatch, stopSignal);

    // Nothing between the check above and the loop's own lets a signal in: every stop from here on comes after a step.
    training = true;
    while (step < totalSteps && !stopRequested()) {
      if (t.maxSeconds !== undefined && seconds() >= t.maxSeconds) break;
      const indices = trainBatchIndices({ count: task.trainCount, batchSize: t.batchSize, seed: t.seed, step });
      const batch = task.batch("train", indices, augments(config.task) ? { seed: t.seed * 1_000_003 + step } : undefined);
      const learningRate = learningRateAt(step + 1, { peak: t.learningRate, warmupSteps: t.warmupSteps, totalSteps, decay: t.decay });
      const outs = await compiled.train.run({
        ...resident.feeds(),
        [INPUT]: hostTensor(batch.inputs, inputShape(task, t.batchSize), dtype),
        [TARGET]: hostTensor(batch.targets, targetShape(task, t.batchSize), dtype),
        learningRate: hostTensor([learningRate], [], dtype),
        step: hostTensor([step + 1], [], dtype),
      });
      const read = async (name: string): Promise<number> => (await outs[name]!.read()).data[0]!;
      const loss = await read("loss");
      const correct = await read("correct");
      const gradNorm = await read("gradNorm");
      resident.carry(outs, carry);
      step++;
      if (!Number.isFinite(loss)) throw new Error(`training diverged at step ${step}: the loss is ${loss} (lower train.learningRate or set train.clipNorm)`);
      const labelled = countLabelled(batch.targets);
      losses.push({ step, loss });
      records.write({ step, epoch: Math.ceil(step / perEpoch), loss, accuracy: correct / labelled, learningRate, gradNorm, seconds: seconds() });
      bar.update(step, { loss, accuracy: correct / labelled });
      // The backends' run() promises settle as microtasks: without this the event loop (and a
      // signal handler) would not run until the next file write. See stop.ts.
      await yieldToEventLoop();
      if (stopRequested()) break;
      if (step % evalEvery === 0 || step === totalSteps) {
        const evaluation = await stoppable(testAll(signal));
        if (!evaluation) break;
        lastTest = evaluation;
        lastTestStep = step;
        records.write({ step, testAccuracy: lastTest.accuracy, testLoss: lastTest.loss });
        bar.log(`step ${step}: test accuracy ${(100 * lastTest.accuracy).toFixed(2)}%, test loss ${lastTest.loss.toFixed(4)}`);
      }
      if (step % checkpointEvery === 0 && step < totalSteps) await save();
    }

    const stopped = async (alreadySaved: boolean): Promise<InterruptedRun> => {
      // Save and go: the full evaluation, the energy profile, plots and export would hold the exit up.
      signal?.removeEventListener("abort", announce);
      if (!alreadySaved) await save();
      const reason = stopReason();
      const summary = `stopped at step ${step}/${totalSteps} (${describeStop(reason)}); checkpoint saved in ${checkpointDir(outDir)}`;
      // After the final save the bar is already done: say it below.
      if (alreadySaved) notice(summary);
      else bar.done(summary);
      return { ...basics(seconds()), interrupted: true, saved: true, stopReason: reason, lastTest };
    };

    if (stopRequested()) return await stopped(false);
    if (!lastTest || lastTestStep !== step) {
      const evaluation = await stoppable(testAll(signal));
      if (!evaluation) return await stopped(false);
      lastTest = evaluation;
      records.write({ step, testAccuracy: lastTest.accuracy, testLoss: lastTest.loss });
    }
    const test = lastTest;
    await save();
    const run = basics(seconds());
    bar.done(`done at step ${step}/${totalSteps}: test accuracy ${(100 * test.accuracy).toFixed(2)}%`);
    const energyAfter = compiled.energy ? await stoppable(energyProfile(compiled.energy, resident.feeds(paramNames), task, energyInputs, model.layers, dtype, signal)) : undefined;
    if (signal?.aborted) return await stopped(true);
    const params = await resident.read(paramNames);
    return { ...run, interrupted: false, test, energyBefore, energyAfter, params };
  } finally {
    signal?.removeEventListener("abort", announce);
    await metrics?.close();
    held?.resident.dispose();
    await held?.backend.dispose();
  }
}

/** The promise's value, or undefined when the work noticed a stop request and gave up (StopRequested). */
async function stoppable<T>(work: Promise<T>): Promise<T | undefined> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof StopRequested) return undefined;
    throw error;
  }
}

/** How to quit at once, in the words of what stopped the run; `saving`: the stop is about to save, which quitting skips. */
function stopAgainHint(reason: unknown, saving: boolean): string {
  const quits = reason === "SIGINT" ? "Ctrl-C again quits at once" : reason === "SIGTERM" ? "a second SIGTERM quits at once" : "a signal quits at once";
  return saving ? `${quits}, without saving` : quits;
}

function countLabelled(targets: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < targets.length; i++) if (targets[i]! >= 0) n++;
  return Math.max(1, n);
}
