import { existsSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { z } from "zod";
import { DECIMAL_NUMBER } from "../data/decimal.js";
import { checkInputFile, readInputFile } from "../data/input-file.js";
import { ConfigError, notAChoice, shown } from "@unfold/training";
import { TrainerConfig } from "./schema.js";

// One class for every configuration error, the package's (a model the config cannot build) and the CLI's.
export { ConfigError };

/** Where the bundled configurations live (apps/trainer/configs), from src/ or dist/ alike. */
export const BUNDLED_CONFIG_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "configs");

/** Flag name -> the config field it sets, and how its text becomes a value. */
export const CONFIG_FLAGS = {
  backend: { path: ["backend"], kind: "string" },
  dtype: { path: ["dtype"], kind: "string" },
  out: { path: ["out"], kind: "string" },
  epochs: { path: ["train", "epochs"], kind: "number" },
  "batch-size": { path: ["train", "batchSize"], kind: "number" },
  lr: { path: ["train", "learningRate"], kind: "number" },
  "warmup-steps": { path: ["train", "warmupSteps"], kind: "number" },
  "weight-decay": { path: ["train", "weightDecay"], kind: "number" },
  seed: { path: ["train", "seed"], kind: "number" },
  "max-seconds": { path: ["train", "maxSeconds"], kind: "number" },
  "eval-every": { path: ["train", "evalEvery"], kind: "number" },
  "checkpoint-every": { path: ["train", "checkpointEvery"], kind: "number" },
  layers: { path: ["model", "layers"], kind: "number" },
  dim: { path: ["model", "dim"], kind: "number" },
  heads: { path: ["model", "heads"], kind: "number" },
  "energy-inputs": { path: ["energyInputs"], kind: "number" },
  "train-examples": { path: ["task", "train"], kind: "number" },
  "test-examples": { path: ["task", "test"], kind: "number" },
  classes: { path: ["task", "classes"], kind: "number" },
} as const satisfies Record<string, { path: readonly string[]; kind: "string" | "number" }>;

export type ConfigFlag = keyof typeof CONFIG_FLAGS;

/** The kinds an absent model or task takes (the schema's defaults). */
const DEFAULT_KINDS = { model: "yang", task: "mnist" } as const;

/** The built-in tasks --task picks; a file task comes from --data. */
const BUILT_IN_TASKS = ["mnist", "addition", "recall"] as const;

export interface ConfigSources {
  /** A bundled config name (e.g. "mnist-97") or a path to a JSON file. */
  readonly config?: string;
  /** Replaces the model with this kind's defaults, unless the config's model is already of it. */
  readonly model?: string;
  /** Replaces the task with this kind's defaults (mnist, addition, recall), unless the config's task is already of it. Not with `data`. */
  readonly task?: string;
  /**
   * A user's data file: the task becomes { kind: "file", path }. When the config's task is
   * already a file task, its other options (format, tokens, classes, testFraction) still apply;
   * a config's testPath must then be replaced with `testData` too.
   */
  readonly data?: string;
  /** A separate test file for `data`, or for the config's own file task. */
  readonly testData?: string;
  /** Values of the flags in CONFIG_FLAGS, as typed. */
  readonly flags?: Partial<Record<ConfigFlag, string>>;
  /**
   * --depth: "implicit" makes the model a fixed-point one (model.fixedPoint, with its defaults
   * unless the config sets it); "unrolled" removes model.fixedPoint, unfolding model.layers layers.
   */
  readonly depth?: string;
}

/** The values --depth takes. */
export const DEPTHS = ["unrolled", "implicit"] as const;

export function bundledConfigNames(): string[] {
  if (!existsSync(BUNDLED_CONFIG_DIR)) return [];
  return readdirSync(BUNDLED_CONFIG_DIR)
    .filter((f) => f.endsWith(".json"))
    .map((f) => f.slice(0, -5))
    .sort();
}

/** Reads the config file a name or path refers to, as raw JSON, with where it came from. */
export function readConfigFile(nameOrPath: string): { raw: unknown; source: string } {
  const looksLikePath = nameOrPath.endsWith(".json") || nameOrPath.includes("/");
  const path = looksLikePath ? resolve(nameOrPath) : join(BUNDLED_CONFIG_DIR, `${nameOrPath}.json`);
  if (!looksLikePath && !existsSync(path)) {
    const names = bundledConfigNames();
    throw new ConfigError(`--config: no bundled config named '${nameOrPath}' (bundled: ${names.join(", ") || "none"}; or give a path to a .json file)`);
  }
  const text = readInputFile(path, "--config", "a JSON config file").toString("utf8");
  if (text.trim() === "") throw new ConfigError(`${path}: the file is empty (a config is a JSON object, e.g. {"model": {"kind": "yang"}})`);
  try {
    return { raw: JSON.parse(text), source: path };
  } catch (error) {
    throw new ConfigError(`${path}: not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== "object" || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path.at(-1)!] = value;
}

function flagValue(flag: string, kind: "string" | "number", text: string): string | number {
  if (kind === "string") return text;
  const n = Number(text);
  if (!DECIMAL_NUMBER.test(text.trim()) || !Number.isFinite(n)) throw new ConfigError(`--${flag} must be a decimal number, got '${text}'`);
  return n;
}

function asObject(raw: unknown, source: string): Record<string, unknown> {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new ConfigError(`${source}: a config must be a JSON object`);
  return structuredClone(raw) as Record<string, unknown>;
}

function kindOf(value: unknown): unknown {
  return typeof value === "object" && value !== null ? (value as { kind?: unknown }).kind : undefined;
}

/** The raw value at `path` (undefined where the path leaves the JSON). */
function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let node = raw;
  for (const key of path) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

/**
 * The validated configuration from a bundled name or file, then flags on top. Every error names
 * where the bad value came from: the flag (`--layers: ...`) or the file and field
 * (`mnist-97.json: field model.layers: ...`). A value that would be ignored or clamped is refused
 * the same way, and a data file is checked to exist before any work starts.
 */
export function loadConfig(sources: ConfigSources = {}): TrainerConfig {
  const file = sources.config ? readConfigFile(sources.config) : undefined;
  const raw = file ? asObject(file.raw, file.source) : {};
  const fromFlag = new Map<string, string>();
  const mark = (path: readonly string[], flag: string): void => void fromFlag.set(path.join("."), flag);
  const where = (path: readonly PropertyKey[]): string => {
    const flag = fromFlag.get(path.map(String).join("."));
    return flag ? `--${flag}` : `${file ? `${file.source}: ` : "config "}field ${path.map(String).join(".") || "(top level)"}`;
  };

  if (sources.model && kindOf(raw["model"]) !== sources.model) {
    raw["model"] = { kind: sources.model };
    mark(["model", "kind"], "model");
  }
  if (sources.task !== undefined) {
    if (sources.data) throw new ConfigError(`--task and --data both choose the task: --task ${sources.task} trains on a built-in task, --data on your file; give one of them`);
    if (sources.task === "file") throw new ConfigError("--task file: a file task comes from --data FILE (and --test-data FILE); drop --task");
    if (!(BUILT_IN_TASKS as readonly string[]).includes(sources.task)) {
      throw new ConfigError(`--task: ${notAChoice("task", sources.task, BUILT_IN_TASKS)} (or --data FILE for your own data)`);
    }
  }
  if (sources.data) {
    const current = raw["task"];
    // The config's other file-task options (format, tokens, classes, testFraction) still describe the new file.
    const kept = kindOf(current) === "file" ? { ...(current as Record<string, unknown>) } : {};
    if (kept["testPath"] !== undefined && !sources.testData) {
      throw new ConfigError(
        `--data replaces the data file of ${file?.source ?? "the config"}, which also names task.testPath ${shown(kept["testPath"])}: give --test-data FILE as well, or remove testPath from the config`,
      );
    }
    delete kept["testPath"];
    raw["task"] = { ...kept, kind: "file", path: sources.data, ...(sources.testData ? { testPath: sources.testData } : {}) };
    mark(["task", "path"], "data");
    if (sources.testData) mark(["task", "testPath"], "test-data");
  } else if (sources.testData) {
    if (kindOf(raw["task"]) !== "file") throw new ConfigError("--test-data needs --data FILE (or a config whose task is a file task)");
    raw["task"] = { ...(raw["task"] as Record<string, unknown>), testPath: sources.testData };
    mark(["task", "testPath"], "test-data");
  } else if (sources.task && kindOf(raw["task"]) !== sources.task) {
    raw["task"] = { kind: sources.task };
    mark(["task", "kind"], "task");
  }
  for (const [flag, text] of Object.entries(sources.flags ?? {})) {
    if (text === undefined) continue;
    const spec = CONFIG_FLAGS[flag as ConfigFlag];
    if (!spec) throw new ConfigError(`--${flag} is not a config flag`);
    // A flag inside the model or task of a config that names no kind refines the default kind.
    const section = spec.path[0];
    if ((section === "model" || section === "task") && kindOf(raw[section]) === undefined) {
      raw[section] = { kind: DEFAULT_KINDS[section], ...(raw[section] as object | undefined) };
    }
    setPath(raw, spec.path, flagValue(flag, spec.kind, text));
    mark(spec.path, flag);
  }

  if (sources.depth !== undefined) applyDepth(raw, sources.depth, mark);

  const parsed = TrainerConfig.safeParse(raw);
  if (!parsed.success) throw new ConfigError(formatIssues(parsed.error.issues, raw, fromFlag, where));
  refuseIgnored(raw, parsed.data, where);
  const task = parsed.data.task;
  if (task.kind === "file") {
    checkInputFile(task.path, where(["task", "path"]), "a JSONL or CSV data file");
    if (task.testPath !== undefined) checkInputFile(task.testPath, where(["task", "testPath"]), "a JSONL or CSV data file");
  }
  return parsed.data;
}

/**
 * Values the user set that the rest of the config would make ignored or clamped. Only values
 * given explicitly are refused: a default that does not apply is not the user's mistake.
 */
function refuseIgnored(raw: Record<string, unknown>, config: TrainerConfig, where: (path: readonly PropertyKey[]) => string): void {
  const { model, task } = config;
  const fixedPoint = model.kind !== "transformer" && model.fixedPoint !== undefined;
  if (fixedPoint && valueAt(raw, ["model", "layers"]) !== undefined) {
    throw new ConfigError(
      `${where(["model", "layers"])}: a fixed-point model (model.fixedPoint, --depth implicit) iterates one layer until it converges, so a layer count does not apply; remove layers (model.fixedPoint.maxIterations bounds the iterations)`,
    );
  }
  if (fixedPoint && model.kind === "crate" && valueAt(raw, ["model", "mssaStep"]) !== undefined) {
    throw new ConfigError(
      `${where(["model", "mssaStep"])}: a fixed-point CRATE model (model.fixedPoint, --depth implicit) takes one proximal step on the compression term's exact gradient instead of MSSA's step, so mssaStep does not apply; remove mssaStep (model.istaStep sizes the step)`,
    );
  }
  if (task.kind === "mnist" && task.tokens === "rows" && valueAt(raw, ["task", "patch"]) !== undefined) {
    throw new ConfigError(`${where(["task", "patch"])}: applies only to tokens "patches"; with tokens "rows" each pixel row is one token (remove patch)`);
  }
}

/** Applies --depth to the raw config: sets or removes model.fixedPoint. */
function applyDepth(raw: Record<string, unknown>, depth: string, mark: (path: readonly string[], flag: string) => void): void {
  if (!(DEPTHS as readonly string[]).includes(depth)) throw new ConfigError(`--depth: ${notAChoice("depth", depth, DEPTHS)}`);
  const model = (kindOf(raw["model"]) === undefined ? { kind: DEFAULT_KINDS.model, ...(raw["model"] as object | undefined) } : raw["model"]) as Record<string, unknown>;
  raw["model"] = model;
  if (depth === "unrolled") {
    delete model["fixedPoint"];
    return;
  }
  model["fixedPoint"] ??= {};
  mark(["model", "fixedPoint"], "depth");
}

function formatIssues(
  issues: readonly z.core.$ZodIssue[],
  raw: Record<string, unknown>,
  fromFlag: ReadonlyMap<string, string>,
  where: (path: readonly PropertyKey[]) => string,
): string {
  return issues
    .map((issue) => {
      const path = issue.path.map(String);
      if (issue.code === "unrecognized_keys") return issue.keys.map((key) => unknownField([...path, key], raw, fromFlag, where)).join("; ");
      // Say what was given, unless the message already does (custom checks, and a value that is
      // none of an enum's or a union's choices: see oneOf and unknownKind in schema.ts) or nothing was.
      const value = valueAt(raw, issue.path);
      const named = issue.code === "custom" || issue.code === "invalid_value" || issue.code === "invalid_union";
      const given = !named && value !== undefined && (typeof value !== "object" || value === null) ? `, got ${shown(value)}` : "";
      return `${where(issue.path)}: ${issue.message}${given}`;
    })
    .join("; ");
}

/** An unknown field: set by a flag that does not apply to the chosen model or task, or misspelt in a file. */
function unknownField(path: readonly string[], raw: Record<string, unknown>, fromFlag: ReadonlyMap<string, string>, where: (path: readonly PropertyKey[]) => string): string {
  const flag = fromFlag.get(path.join("."));
  if (flag && path.length === 2) {
    const [section, key] = path as [string, string];
    const kind = shown(valueAt(raw, [section, "kind"]));
    return `--${flag} does not apply to ${section} ${kind} (it sets ${section}.${key}, which ${section} ${kind} does not have)`;
  }
  return `${where(path)}: unknown field`;
}
