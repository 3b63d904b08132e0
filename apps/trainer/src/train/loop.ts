import { resolve } from "node:path";
import { type Backend, type DType, type HostTensor, hostTensor, optimize } from "@unfold/core";
import { countParams, initParams, learningRateAt, trainStepCarry, zeroMoments } from "@unfold/nn";
import { ConfigError } from "../config/load.js";
import type { TrainerConfig } from "../config/schema.js";
import { type TaskData, inputShape, targetShape } from "../data/task.js";
import { stepsPerEpoch, trainBatchIndices } from "../data/sampler.js";
import { buildModel } from "../model/build.js";
import type { TrainerModel } from "../model/model.js";
import { openMetrics } from "../report/metrics.js";
import { createProgress } from "../report/progress.js";
import { createBackend } from "./backends.js";
import { type CheckpointState, checkpointDir, restoreCheckpoint, writeCheckpoint } from "./checkpointing.js";
import { type EnergyProfile, energyProfile } from "./energy.js";
import { type Evaluation, evaluate } from "./evaluate.js";
import { INPUT, TARGET, energyTraceProgram, logitsProgram, trainingProgram } from "./programs.js";
import { ResidentTensors } from "./resident.js";
import { augments, buildTask } from "./task.js";

export interface TrainOptions {
  /** Continue from the checkpoint in the config's output directory. */
  readonly resume?: boolean;
  /** Aborting stops after the current step, saves a checkpoint and returns (Ctrl-C). */
  readonly signal?: AbortSignal;
  /** Where the progress bar or periodic lines go (stderr by default). */
  readonly progressStream?: { write(s: string): boolean; isTTY?: boolean; columns?: number };
  /** Stop (and save) once this many steps are done in total: how tests interrupt a run deterministically. */
  readonly stopAtStep?: number;
}

/** Everything a finished (or interrupted) run produced. */
export interface TrainRun {
  readonly config: TrainerConfig;
  readonly task: TaskData;
  readonly model: TrainerModel;
  readonly parameters: number;
  readonly step: number;
  readonly totalSteps: number;
  readonly interrupted: boolean;
  readonly trainSeconds: number;
  readonly test: Evaluation;
  readonly energyBefore: EnergyProfile | undefined;
  readonly energyAfter: EnergyProfile | undefined;
  /** Trained parameters, read back from the backend. */
  readonly params: Record<string, HostTensor>;
  readonly outDir: string;
  readonly checkpoint: string;
  readonly metricsPath: string;
  /** Per-step training losses of this invocation (after a resume: from the resumed step on). */
  readonly losses: readonly { step: number; loss: number }[];
}

/** The compiled programs of one run and the backend they run on. */
interface Compiled {
  readonly backend: Backend;
  readonly train: Awaited<ReturnType<Backend["compile"]>>;
  readonly logits: Awaited<ReturnType<Backend["compile"]>>;
  readonly energy: Awaited<ReturnType<Backend["compile"]>> | undefined;
  readonly evalBatch: number;
}

async function compile(config: TrainerConfig, task: TaskData, model: TrainerModel): Promise<Compiled> {
  const backend = await createBackend(config.backend, config.dtype);
  try {
    const t = config.train;
    const optimizer = { beta1: t.beta1, beta2: t.beta2, weightDecay: t.weightDecay, ...(t.clipNorm !== null ? { clipNorm: t.clipNorm } : {}) };
    const evalBatch = Math.min(task.testCount, 250);
    const energy = energyTraceProgram(model, task, config.dtype);
    return {
      backend,
      train: await backend.compile(optimize(trainingProgram(model, task, t.batchSize, config.dtype, optimizer))),
      logits: await backend.compile(optimize(logitsProgram(model, task, evalBatch, config.dtype))),
      energy: energy ? await backend.compile(optimize(energy)) : undefined,
      evalBatch,
    };
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
 */
export async function train(config: TrainerConfig, options: TrainOptions = {}): Promise<TrainRun> {
  const outDir = resolve(config.out);
  const task = buildTask(config.task);
  const model = buildModel(config.model, task);
  const dtype: DType = config.dtype;
  const t = config.train;
  if (t.batchSize > task.trainCount) {
    throw new ConfigError(`train.batchSize (${t.batchSize}) is larger than the training split (${task.trainCount} examples)`);
  }
  const perEpoch = stepsPerEpoch(task.trainCount, t.batchSize);
  const totalSteps = t.epochs * perEpoch;
  if (t.warmupSteps > totalSteps) {
    throw new ConfigError(`train.warmupSteps (${t.warmupSteps}) exceeds the run's ${totalSteps} steps (${t.epochs} epochs of ${perEpoch}); lower it or train longer`);
  }
  const evalEvery = t.evalEvery ?? perEpoch;
  const checkpointEvery = t.checkpointEvery ?? perEpoch;
  const energyInputs = range(Math.min(config.energyInputs, task.testCount));

  const restored = options.resume ? await restoreCheckpoint(checkpointDir(outDir), config, model.specs) : undefined;
  const compiled = await compile(config, task, model);
  const resident = new ResidentTensors(compiled.backend);
  const paramNames = Object.keys(model.specs);
  const momentNames = paramNames.flatMap((p) => [`m.${p}`, `v.${p}`]);
  const carry = trainStepCarry(model.specs);
  const metricsPath = resolve(outDir, "metrics.jsonl");
  const metrics = openMetrics(metricsPath, restored ? { resumeFromStep: restored.step } : {});
  try {
    await resident.upload(restored?.params ?? initParams(model.specs, { seed: t.seed, dtype }));
    await resident.upload(restored?.moments ?? zeroMoments(model.specs, dtype));
    const energyBefore =
      restored?.state.energyBefore ??
      (compiled.energy ? await energyProfile(compiled.energy, resident.feeds(paramNames), task, energyInputs, model.layers, dtype) : undefined);

    let step = restored?.step ?? 0;
    const priorSeconds = restored?.state.trainSeconds ?? 0;
    const started = performance.now();
    const seconds = (): number => priorSeconds + (performance.now() - started) / 1000;
    const progress = createProgress({
      total: totalSteps,
      examplesPerStep: t.batchSize,
      ...(options.progressStream ? { stream: options.progressStream } : {}),
      label: model.kind,
    });
    const losses: { step: number; loss: number }[] = [];
    let lastTest: Evaluation | undefined;
    let lastTestStep = -1;

    const state = (): CheckpointState => ({ config, step, trainSeconds: seconds(), energyBefore, lastTestAccuracy: lastTest?.accuracy ?? null });
    const save = async (): Promise<void> => {
      const host = await resident.read([...paramNames, ...momentNames]);
      await writeCheckpoint(checkpointDir(outDir), step, host, paramNames, state());
    };
    const testAll = async (): Promise<Evaluation> =>
      evaluate(compiled.logits, resident.feeds(paramNames), task, "test", range(task.testCount), compiled.evalBatch);

    let interrupted = false;
    while (step < totalSteps) {
      if (options.signal?.aborted || (options.stopAtStep !== undefined && step >= options.stopAtStep)) {
        interrupted = true;
        break;
      }
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
      metrics.write({ step, epoch: Math.ceil(step / perEpoch), loss, accuracy: correct / labelled, learningRate, gradNorm, seconds: seconds() });
      progress.update(step, { loss, accuracy: correct / labelled });
      if (step % evalEvery === 0 || step === totalSteps) {
        lastTest = await testAll();
        lastTestStep = step;
        metrics.write({ step, testAccuracy: lastTest.accuracy, testLoss: lastTest.loss });
        progress.log(`step ${step}: test accuracy ${(100 * lastTest.accuracy).toFixed(2)}%, test loss ${lastTest.loss.toFixed(4)}`);
      }
      if (step % checkpointEvery === 0 && step < totalSteps) await save();
    }
    if (!lastTest || lastTestStep !== step) {
      lastTest = await testAll();
      metrics.write({ step, testAccuracy: lastTest.accuracy, testLoss: lastTest.loss });
    }
    const test = lastTest;
    await save();
    const trainSeconds = seconds();
    progress.done(`${interrupted ? "stopped" : "done"} at step ${step}/${totalSteps}: test accuracy ${(100 * test.accuracy).toFixed(2)}%`);
    const energyAfter = compiled.energy ? await energyProfile(compiled.energy, resident.feeds(paramNames), task, energyInputs, model.layers, dtype) : undefined;
    const params = await resident.read(paramNames);
    return {
      config,
      task,
      model,
      parameters: countParams(model.specs),
      step,
      totalSteps,
      interrupted,
      trainSeconds,
      test,
      energyBefore,
      energyAfter,
      params,
      outDir,
      checkpoint: checkpointDir(outDir),
      metricsPath,
      losses,
    };
  } finally {
    await metrics.close();
    resident.dispose();
    await compiled.backend.dispose();
  }
}

function countLabelled(targets: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < targets.length; i++) if (targets[i]! >= 0) n++;
  return Math.max(1, n);
}
