import { join } from "node:path";
import type { Backend, HostTensor } from "@unfold/core";
import { countParams } from "@unfold/nn";
import {
  type EnergyProfile,
  type Evaluation,
  type TaskData,
  type TrainerModel,
  TrainingSession,
  alignProfiles,
  buildModel,
  layerFigure,
  planTraining,
  stopPoint,
  stoppable,
  yieldToEventLoop,
} from "@unfold/training";
import { ConfigError } from "../config/load.js";
import type { TrainerConfig } from "../config/schema.js";
import { fixedPointMetrics, fixedPointProgressFields } from "../report/fixed-point.js";
import { type MetricsWriter, openMetrics } from "../report/metrics.js";
import { type Progress, createProgress } from "../report/progress.js";
import { createBackend } from "./backends.js";
import { type CheckpointState, checkpointDir, restoreCheckpoint, writeCheckpoint } from "./checkpointing.js";
import { RUN_FILES, type RunDirectory, type RunMode, openRunDirectory } from "./run-directory.js";
import { describeStop } from "./stop.js";
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
  /** The cpu or onnx backend's thread count (--threads); every core when unset. Not part of the config: a resumed run may change it. */
  readonly threads?: number;
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

/**
 * The figure a run makes of its model's layers: a fixed-point model's energy figure is by solver
 * iteration (the session profiles energyInputs test inputs for it as for an unrolled model).
 */
function runFigure(model: TrainerModel): "energy figure" | "crate figures" | "none" {
  return model.fixedPoint ? "energy figure" : layerFigure(model);
}

/**
 * Creates the backend and opens the run's training session on it (compiling its programs, which
 * takes minutes on WebGPU): with a `signal`, it stops between programs (StopRequested) once the
 * signal is aborted.
 */
async function openSession(config: TrainerConfig, task: TaskData, model: TrainerModel, start: { params?: Record<string, HostTensor>; moments?: Record<string, HostTensor>; step: number }, signal: AbortSignal | undefined, threads: number | undefined): Promise<TrainingSession> {
  await stopPoint(signal);
  const backend = await createBackend(config.backend, config.dtype, threads);
  try {
    return await TrainingSession.open(
      backend,
      // Only a model with a layer figure profiles energyInputs test inputs: the count was checked against the test split for those alone.
      { model, task, train: config.train, dtype: config.dtype, augment: augments(config.task), ...(runFigure(model) !== "none" ? { energyInputs: config.energyInputs } : {}) },
      { ...start, ...(signal ? { signal } : {}) },
    );
  } catch (error) {
    await backend.dispose();
    throw error;
  }
}

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
  let held: { readonly backend: Backend; readonly session: TrainingSession } | undefined;
  try {
    const task = buildTask(given.task);
    const model = buildModel(given.model, task);
    const t = given.train;
    const { totalSteps, evalEvery, checkpointEvery } = planTraining(t, task);
    // The config the checkpoint records holds the energy-input count actually used, so a resume repeats it.
    const figure = runFigure(model);
    const config: TrainerConfig = figure === "none" ? given : { ...given, energyInputs: energyInputCount(given, task.testCount, figure, options.sources?.energyInputs, notice) };
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

    const session = await stoppable(openSession(config, task, model, { ...(restored ? { params: restored.params, moments: restored.moments } : {}), step }, signal, options.threads));
    if (!session) return stoppedBeforeFirstStep();
    held = { backend: session.backend, session };
    // The untrained model's profile: computed once, at step 0, and carried in the checkpoints.
    let energyBefore = restored?.state.energyBefore;
    if (!energyBefore && step === 0) energyBefore = await stoppable(session.energyProfile(signal));
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
      const host = await session.read([...session.paramNames, ...session.momentNames]);
      await writeCheckpoint(checkpointDir(outDir), step, host, session.paramNames, state());
    };
    const testAll = (stopSignal?: AbortSignal): Promise<Evaluation> => session.evaluate(stopSignal);

    // Nothing between the check above and the loop's own lets a signal in: every stop from here on comes after a step.
    training = true;
    while (step < totalSteps && !stopRequested()) {
      if (t.maxSeconds !== undefined && seconds() >= t.maxSeconds) break;
      const done = await session.next();
      step = done.step;
      const { loss, accuracy } = done;
      losses.push({ step, loss });
      const solver = fixedPointMetrics(done);
      records.write({ step, epoch: done.epoch, loss, accuracy, learningRate: done.learningRate, gradNorm: done.gradNorm, ...solver, seconds: seconds() });
      bar.update(step, { loss, accuracy, ...(solver ? fixedPointProgressFields(solver) : {}) });
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
    const energyAfter = await stoppable(session.energyProfile(signal));
    if (signal?.aborted) return await stopped(true);
    const params = await session.params();
    // A fixed-point run's two profiles stop at different iterations: compared row by row, they must be as long.
    const [before, after] = alignProfiles(energyBefore, energyAfter);
    return { ...run, interrupted: false, test, energyBefore: before, energyAfter: after, params };
  } finally {
    signal?.removeEventListener("abort", announce);
    await metrics?.close();
    held?.session.dispose();
    await held?.backend.dispose();
  }
}

/** How to quit at once, in the words of what stopped the run; `saving`: the stop is about to save, which quitting skips. */
function stopAgainHint(reason: unknown, saving: boolean): string {
  const quits = reason === "SIGINT" ? "Ctrl-C again quits at once" : reason === "SIGTERM" ? "a second SIGTERM quits at once" : "a signal quits at once";
  return saving ? `${quits}, without saving` : quits;
}
