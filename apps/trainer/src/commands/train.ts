import { join, resolve } from "node:path";
import { type CommandIO, parse } from "@unfold/cli";
import { CONFIG_FLAGS, type ConfigFlag, ConfigError, bundledConfigNames, loadConfig } from "../config/load.js";
import { TrainerConfig } from "../config/schema.js";
import { exportTrainedModel, writePredictSample } from "../output/onnx.js";
import { writePlots } from "../output/plots.js";
import { checkpointConfig, checkpointDir } from "../train/checkpointing.js";
import { type TrainRun, train } from "../train/loop.js";
import { printRun, summarize } from "./summary.js";

export const TRAIN_HELP = `pnpm train [flags]                 train a model (see --config)
pnpm train predict --onnx FILE --input FILE [--json]

  --config NAME|FILE   a bundled config (${bundledConfigNames().join(", ")}) or a JSON file
  --model KIND         yang | energy-transformer | transformer (that model's defaults)
  --task KIND          mnist | addition | recall;  --data FILE [--test-data FILE]: your JSONL/CSV
  --backend NAME       cpu | webgpu | onnx | tfjs | reference
  --epochs --batch-size --lr --warmup-steps --weight-decay --seed --max-seconds
  --layers --dim --heads --eval-every --checkpoint-every --energy-inputs --dtype
  --train-examples --test-examples --out DIR
  --resume             continue the run saved in --out (its own config; --max-seconds may change)
  --json               end with one JSON object on the last line`;

const FLAG_OPTIONS = Object.fromEntries(Object.keys(CONFIG_FLAGS).map((f) => [f, { type: "string" as const }]));

/** Exit code of a run stopped by Ctrl-C after saving, as shells report SIGINT. */
export const INTERRUPTED_EXIT_CODE = 130;

export interface TrainCommandOptions {
  readonly signal?: AbortSignal;
  readonly progressStream?: { write(s: string): boolean; isTTY?: boolean; columns?: number };
}

/** `pnpm train`: returns the run (or undefined for --help) and sets process.exitCode on interrupt. */
export async function trainCommand(args: string[], io: CommandIO, options: TrainCommandOptions = {}): Promise<TrainRun | undefined> {
  const values = parse(args, {
    ...FLAG_OPTIONS,
    config: { type: "string" },
    model: { type: "string" },
    task: { type: "string" },
    data: { type: "string" },
    "test-data": { type: "string" },
    resume: { type: "boolean" },
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

  let config;
  if (values["resume"]) {
    const changed = ["config", "model", "task", "data", "test-data", ...Object.keys(flags)].filter((f) => f !== "out" && f !== "max-seconds" && values[f] !== undefined);
    if (changed.length) {
      throw new ConfigError(`--resume continues the saved run with its own config; drop ${changed.map((f) => `--${f}`).join(", ")} (or start a new run in another --out)`);
    }
    const outDir = resolve(flags.out ?? TrainerConfig.parse({}).out);
    const saved = await checkpointConfig(checkpointDir(outDir));
    config = TrainerConfig.parse({ ...saved, out: outDir, train: { ...saved.train, ...(flags["max-seconds"] ? { maxSeconds: Number(flags["max-seconds"]) } : {}) } });
  } else {
    config = loadConfig({
      ...(text("config") ? { config: text("config")! } : {}),
      ...(text("model") ? { model: text("model")! } : {}),
      ...(text("task") ? { task: text("task")! } : {}),
      ...(text("data") ? { data: text("data")! } : {}),
      ...(text("test-data") ? { testData: text("test-data")! } : {}),
      flags,
    });
  }

  io.progress(`training ${config.model.kind} on ${config.task.kind} with the ${config.backend} backend${values["resume"] ? " (resumed)" : ""}; writing to ${resolve(config.out)}`);
  const run = await train(config, {
    resume: values["resume"] === true,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.progressStream ? { progressStream: options.progressStream } : {}),
  });
  const plots = writePlots(run.outDir, run.metricsPath, {
    ...(run.energyBefore ? { before: run.energyBefore } : {}),
    ...(run.energyAfter ? { after: run.energyAfter } : {}),
    // Untied layers each descend their own energy: say which energy each box is of.
    label: config.model.kind === "yang" && !config.model.tied ? "untied yang: E_t is layer t's own energy" : run.model.kind,
  });
  let onnx: string | null = null;
  if (config.onnx) {
    onnx = await exportTrainedModel(join(run.outDir, "model.onnx"), run.model, run.task, run.params);
    await writePredictSample(join(run.outDir, "predict-sample.jsonl"), run.task, 16);
  }
  printRun(io, run, plots, onnx);
  if (run.interrupted) {
    io.out(`interrupted at step ${run.step}; continue with: pnpm train --resume --out ${run.outDir}`);
    process.exitCode = INTERRUPTED_EXIT_CODE;
  }
  if (values["json"]) io.out(JSON.stringify(summarize(run, onnx)));
  return run;
}
