import { join } from "node:path";
import { type CommandIO, integerFlag, parse } from "@unfold/cli";
import { MANIFEST_NAME } from "@unfold/training";
import { CONFIG_FLAGS, type ConfigFlag, ConfigError, bundledConfigNames, loadConfig, readConfigFile } from "../config/load.js";
import { TrainerConfig } from "../config/schema.js";
import { checkFixedPointExport, describeFixedPointExport, exportTrainedModel, fixedPointCard, writePredictSample } from "../output/onnx.js";
import { writePlots } from "../output/plots.js";
import { reportCrateLayers } from "../report/crate-layers.js";
import { checkpointConfig, checkpointDir } from "../train/checkpointing.js";
import { DEFAULT_SOURCE, type InterruptedRun, type TrainOutcome, train } from "../train/loop.js";
import { THREADED_BACKENDS } from "../train/backends.js";
import { RUN_FILES, type RunDirectory, openRunDirectory } from "../train/run-directory.js";
import { STOP_SIGNALS, describeStop, stopExitCode } from "../train/stop.js";
import { printRun, summarize } from "./summary.js";

export const TRAIN_HELP = `unfold train [flags]               train a model (see --config)
unfold train predict --onnx FILE --input FILE [--json]

  --config NAME|FILE   a bundled config (${bundledConfigNames().join(", ")}) or a JSON file
  --model KIND         yang | energy-transformer | transformer | crate (that model's defaults)
  --task KIND          mnist | addition | recall;  --data FILE [--test-data FILE]: your JSONL/CSV
  --depth unrolled|implicit  unfold model.layers layers, or iterate one tied layer (yang, crate,
                       energy-transformer) to its fixed point and train by implicit gradients
                       (model.fixedPoint)
  --classes N          a data file's class count (labels 0..N-1); default: the training file's labels
  --backend NAME       cpu | webgpu | onnx | tfjs | reference
  --epochs --batch-size --lr --warmup-steps --weight-decay --seed --max-seconds
  --layers --dim --heads --eval-every --checkpoint-every --energy-inputs --dtype
  --train-examples --test-examples
  --threads N          the cpu or onnx backend's threads (default: every core); not part of the config
  --out DIR            where the run goes (default out/train); one run at a time per directory
  --resume             continue the run saved in --out (its own config; --max-seconds and
                       --threads may change)
  --overwrite          start a new run in an --out that holds one, deleting that run's
                       checkpoint, metrics, plots and model first (without it, that is refused)
  --json               end with one JSON object on the last line

Ctrl-C (or SIGTERM) stops after the current step, saves a checkpoint and exits with status 130
(SIGTERM: 143), skipping the final evaluation, plots and export; --resume continues the run.
Before the first step (while the data loads or the programs compile) it exits saving nothing. A
second Ctrl-C (or SIGTERM) quits at once without saving: the last checkpoint written stays.`;

const FLAG_OPTIONS = Object.fromEntries(Object.keys(CONFIG_FLAGS).map((f) => [f, { type: "string" as const }]));

/** Exit code of a run stopped by Ctrl-C after saving, as shells report SIGINT (SIGTERM's is 143: see STOP_SIGNALS). */
export const INTERRUPTED_EXIT_CODE = STOP_SIGNALS.SIGINT;

/** The default output directory, as the schema has it. */
const DEFAULT_OUT = TrainerConfig.parse({}).out;

export interface TrainCommandOptions {
  /** Aborting (with the signal's name as the reason) stops the run after the current step; see listenForStopSignals. */
  readonly signal?: AbortSignal;
  readonly progressStream?: { write(s: string): boolean; isTTY?: boolean; columns?: number };
}

/** The --json line of a stopped run. */
export interface StoppedSummary {
  readonly interrupted: true;
  /** "SIGINT", "SIGTERM" or "stop requested". */
  readonly stop: string;
  readonly step: number;
  readonly totalSteps: number;
  /** The run's checkpoint directory; null when a new run was stopped before its first step and saved none. */
  readonly checkpoint: string | null;
  /** The command that continues the run; null when there is no checkpoint to continue. */
  readonly resume: string | null;
}

/** `pnpm train`: returns the run (or undefined for --help) and sets process.exitCode when a signal stopped it. */
export async function trainCommand(args: string[], io: CommandIO, options: TrainCommandOptions = {}): Promise<TrainOutcome | undefined> {
  const values = parse(args, {
    ...FLAG_OPTIONS,
    config: { type: "string" },
    model: { type: "string" },
    task: { type: "string" },
    data: { type: "string" },
    "test-data": { type: "string" },
    depth: { type: "string" },
    threads: { type: "string" },
    resume: { type: "boolean" },
    overwrite: { type: "boolean" },
    json: { type: "boolean" },
    help: { type: "boolean" },
  });
  if (values["help"]) {
    io.out(TRAIN_HELP);
    return undefined;
  }
  const text = (name: string): string | undefined => (typeof values[name] === "string" ? (values[name] as string) : undefined);
  const flags: Partial<Record<ConfigFlag, string>> = {};
  for (const f of Object.keys(CONFIG_FLAGS) as ConfigFlag[]) if (text(f) !== undefined) flags[f] = text(f)!;
  const resume = values["resume"] === true;
  const overwrite = values["overwrite"] === true;
  if (resume && overwrite) throw new ConfigError(`--resume continues the run saved in --out and --overwrite starts a new one over it: give one of them${continueHint(text("config"), flags.out)}`);
  const owner = `unfold train ${args.join(" ")}`.slice(0, 200);
  const threads = values["threads"] === undefined ? undefined : integerFlag("threads", values["threads"], 1);

  let config: TrainerConfig;
  let directory: RunDirectory;
  let energyInputsFrom: string;
  if (resume) {
    const changed = ["config", "model", "task", "data", "test-data", "depth", ...Object.keys(flags)].filter((f) => f !== "out" && f !== "max-seconds" && values[f] !== undefined);
    if (changed.length) {
      throw new ConfigError(`--resume continues the saved run with its own config; drop ${changed.map((f) => `--${f}`).join(", ")} (or start a new run in another --out)`);
    }
    const maxSeconds = flags["max-seconds"] === undefined ? undefined : Number(flags["max-seconds"]);
    if (maxSeconds !== undefined && !(flags["max-seconds"]!.trim() !== "" && Number.isFinite(maxSeconds) && maxSeconds > 0)) {
      throw new ConfigError(`--max-seconds must be a number of seconds > 0, got '${flags["max-seconds"]}'`);
    }
    // Locked before the checkpoint is read: a run still writing it is named, not half-read.
    directory = openRunDirectory(flags.out ?? DEFAULT_OUT, { label: flags.out ? "--out" : `--out (default ${DEFAULT_OUT})`, mode: "resume", command: owner, notice: io.progress });
    try {
      const saved = await checkpointConfig(checkpointDir(directory.dir));
      config = TrainerConfig.parse({ ...saved, out: directory.dir, train: { ...saved.train, ...(maxSeconds !== undefined ? { maxSeconds } : {}) } });
    } catch (error) {
      directory.release();
      throw error;
    }
    energyInputsFrom = `${join(checkpointDir(directory.dir), MANIFEST_NAME)}: field state.config.energyInputs`;
  } else {
    config = loadConfig({
      ...(text("config") ? { config: text("config")! } : {}),
      ...(text("model") ? { model: text("model")! } : {}),
      ...(text("task") ? { task: text("task")! } : {}),
      ...(text("data") ? { data: text("data")! } : {}),
      ...(text("test-data") ? { testData: text("test-data")! } : {}),
      ...(text("depth") !== undefined ? { depth: text("depth")! } : {}),
      flags,
    });
    // Blame what set each value: the flag, else the config file's field, else the default.
    const file = text("config") ? readConfigFile(text("config")!) : undefined;
    const field = (name: string): string | undefined => {
      const raw = file?.raw as Record<string, unknown> | undefined;
      return raw?.[name] !== undefined ? `${file!.source}: field ${name}` : undefined;
    };
    const outLabel = flags.out ? "--out" : (field("out") ?? `--out (default ${DEFAULT_OUT})`);
    energyInputsFrom = flags["energy-inputs"] ? "--energy-inputs" : (field("energyInputs") ?? DEFAULT_SOURCE);
    directory = openRunDirectory(config.out, { label: outLabel, mode: overwrite ? "overwrite" : "fresh", command: owner, notice: io.progress });
  }

  try {
    if (threads !== undefined && !THREADED_BACKENDS.includes(config.backend)) {
      throw new ConfigError(`--threads ${threads} applies to the ${THREADED_BACKENDS.join(" and ")} backends, but the backend is ${config.backend}; drop --threads`);
    }
    io.progress(`training ${config.model.kind} on ${config.task.kind} with the ${config.backend} backend${threads === undefined ? "" : ` (${threads} thread${threads > 1 ? "s" : ""})`}${resume ? " (resumed)" : ""}; writing to ${directory.dir}`);
    const run = await train(config, {
      resume,
      overwrite,
      directory,
      sources: { energyInputs: energyInputsFrom },
      notice: io.progress,
      ...(threads !== undefined ? { threads } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.progressStream ? { progressStream: options.progressStream } : {}),
    });
    if (run.interrupted) {
      reportStopped(io, run, describeStop(run.stopReason), resume, values["json"] === true);
      process.exitCode = stopExitCode(run.stopReason);
      return run;
    }
    // A stop requested after the last save: the checkpoint is final; --resume writes what is skipped here.
    const stoppedLate = (what: string): boolean => {
      if (!options.signal?.aborted) return false;
      const stop = describeStop(options.signal.reason);
      io.out(`${stop}: training is done and its checkpoint saved; skipped ${what} (${resumeCommand(run)} writes them)`);
      if (values["json"]) io.out(JSON.stringify(stoppedSummary(run, stop)));
      process.exitCode = stopExitCode(options.signal.reason);
      return true;
    };
    if (stoppedLate("the plots and the ONNX export")) return run;
    const plots = writePlots(run.outDir, run.metricsPath, {
      ...(run.energyBefore ? { before: run.energyBefore } : {}),
      ...(run.energyAfter ? { after: run.energyAfter } : {}),
      // Untied layers each descend their own energy: say which energy each box is of.
      label: config.model.kind === "yang" && !config.model.tied ? "untied yang: E_t is layer t's own energy" : run.model.kind,
    });
    let onnx: string | null = null;
    // A fixed-point model exports as one ONNX Loop to its tolerance (exportFixedPointModel), an unrolled one as its layers.
    if (config.onnx) {
      if (stoppedLate("the ONNX export")) return run;
      onnx = await exportTrainedModel(join(run.outDir, RUN_FILES.model), run.model, run.task, run.params);
      await writePredictSample(join(run.outDir, RUN_FILES.predictSample), run.task, 16);
      if (run.model.fixedPoint) {
        const settings = fixedPointCard(run.model.fixedPoint);
        io.progress(describeFixedPointExport(await checkFixedPointExport(onnx, run.task, settings, 16), settings.trainingSolver));
      }
    }
    printRun(io, run, plots, onnx);
    const crateLayers = await reportCrateLayers(io, run);
    if (values["json"]) io.out(JSON.stringify(summarize(run, onnx, crateLayers)));
    return run;
  } finally {
    directory.release();
  }
}

const resumeCommand = (run: TrainOutcome): string => `unfold train --resume --out ${run.outDir}`;

/** The bundled config `pnpm start` trains (root package.json: `--config quick --overwrite`). */
const DEMO_CONFIG = "quick";

/**
 * For the refusal of --resume with --overwrite: how to continue the run in the directory these
 * flags name (--out, else the config's out, else the default). `pnpm start --resume` reaches
 * that refusal with an --overwrite the user never typed, so the demo's case says where it came from.
 */
function continueHint(configName: string | undefined, outFlag: string | undefined): string {
  let out = outFlag;
  if (out === undefined && configName !== undefined) {
    try {
      const raw = readConfigFile(configName).raw as { out?: unknown } | null;
      if (typeof raw?.out === "string") out = raw.out;
    } catch {
      // An unreadable config gets its own error once one of the two flags is dropped; no directory can be named before then.
      return "";
    }
  }
  const command = `unfold train --resume --out ${out ?? DEFAULT_OUT}`;
  return configName === DEMO_CONFIG
    ? ` (the ${DEMO_CONFIG} demo, \`unfold train --config ${DEMO_CONFIG} --overwrite\`, always starts its run over; to continue the demo's run: ${command})`
    : ` (to continue the run: ${command})`;
}

function stoppedSummary(run: TrainOutcome, stop: string, hasCheckpoint = true): StoppedSummary {
  return { interrupted: true, stop, step: run.step, totalSteps: run.totalSteps, checkpoint: hasCheckpoint ? run.checkpoint : null, resume: hasCheckpoint ? resumeCommand(run) : null };
}

/** What a stopped run prints: where its checkpoint is and how to continue; `resumed`: the run continued a checkpoint. */
function reportStopped(io: CommandIO, run: InterruptedRun, stop: string, resumed: boolean, json: boolean): void {
  if (run.saved) {
    io.out(`stopped (${stop}) at step ${run.step}/${run.totalSteps} after ${run.trainSeconds.toFixed(1)} s of training; checkpoint: ${run.checkpoint}`);
  } else if (resumed) {
    io.out(`stopped (${stop}) before the first step; the checkpoint (step ${run.step}/${run.totalSteps}) is as it was: ${run.checkpoint}`);
  } else {
    // Nothing was written, so the next plain run into this --out is not refused as over an earlier run of its own.
    io.out(`stopped (${stop}) before the first step; saved nothing (the files in ${run.outDir} are as they were)`);
  }
  const hasCheckpoint = run.saved || resumed;
  if (hasCheckpoint) io.out(`continue with: ${resumeCommand(run)}`);
  if (json) io.out(JSON.stringify(stoppedSummary(run, stop, hasCheckpoint)));
}
