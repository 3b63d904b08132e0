import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { z } from "zod";
import { TrainerConfig } from "./schema.js";

/** A configuration error: names the file or flag and the field. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

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
} as const satisfies Record<string, { path: readonly string[]; kind: "string" | "number" }>;

export type ConfigFlag = keyof typeof CONFIG_FLAGS;

/** The kinds an absent model or task takes (the schema's defaults). */
const DEFAULT_KINDS = { model: "yang", task: "mnist" } as const;

export interface ConfigSources {
  /** A bundled config name (e.g. "mnist-97") or a path to a JSON file. */
  readonly config?: string;
  /** Replaces the model with this kind's defaults, unless the config's model is already of it. */
  readonly model?: string;
  /** Replaces the task with this kind's defaults (mnist, addition, recall). */
  readonly task?: string;
  /** A user's data file: the task becomes { kind: "file", path }. */
  readonly data?: string;
  readonly testData?: string;
  /** Values of the flags in CONFIG_FLAGS, as typed. */
  readonly flags?: Partial<Record<ConfigFlag, string>>;
}

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
  if (!existsSync(path)) {
    const names = bundledConfigNames();
    throw new ConfigError(
      looksLikePath
        ? `--config: no file at ${path}`
        : `--config: no bundled config named '${nameOrPath}' (bundled: ${names.join(", ") || "none"}; or give a path to a .json file)`,
    );
  }
  const text = readFileSync(path, "utf8");
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
  if (text.trim() === "" || !Number.isFinite(n)) throw new ConfigError(`--${flag} must be a number, got '${text}'`);
  return n;
}

function asObject(raw: unknown, source: string): Record<string, unknown> {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new ConfigError(`${source}: a config must be a JSON object`);
  return structuredClone(raw) as Record<string, unknown>;
}

function kindOf(value: unknown): unknown {
  return typeof value === "object" && value !== null ? (value as { kind?: unknown }).kind : undefined;
}

/**
 * The validated configuration from a bundled name or file, then flags on top. Every error names
 * where the bad value came from: the flag (`--layers: ...`) or the file and field
 * (`mnist-97.json: model.layers: ...`).
 */
export function loadConfig(sources: ConfigSources = {}): TrainerConfig {
  const file = sources.config ? readConfigFile(sources.config) : undefined;
  const raw = file ? asObject(file.raw, file.source) : {};
  const fromFlag = new Map<string, string>();
  const mark = (path: readonly string[], flag: string): void => void fromFlag.set(path.join("."), flag);

  if (sources.model && kindOf(raw["model"]) !== sources.model) {
    raw["model"] = { kind: sources.model };
    mark(["model", "kind"], "model");
  }
  if (sources.data) {
    raw["task"] = { kind: "file", path: sources.data, ...(sources.testData ? { testPath: sources.testData } : {}) };
    mark(["task", "path"], "data");
  } else if (sources.testData) {
    throw new ConfigError("--test-data needs --data");
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

  const parsed = TrainerConfig.safeParse(raw);
  if (!parsed.success) throw new ConfigError(formatIssues(parsed.error.issues, fromFlag, file?.source));
  return parsed.data;
}

function formatIssues(issues: readonly z.core.$ZodIssue[], fromFlag: ReadonlyMap<string, string>, source: string | undefined): string {
  return issues
    .map((issue) => {
      const path = issue.path.map(String);
      const unknownKeys = issue.code === "unrecognized_keys" ? issue.keys.map((k) => [...path, k].join(".")) : [];
      const field = unknownKeys.length ? unknownKeys.join(", ") : path.join(".") || "(top level)";
      const flag = fromFlag.get(path.join("."));
      const where = flag ? `--${flag}` : `${source ? `${source}: ` : "config "}field ${field}`;
      const message = issue.code === "unrecognized_keys" ? `unknown field${unknownKeys.length > 1 ? "s" : ""}` : issue.message;
      return `${where}: ${message}`;
    })
    .join("; ");
}
