import { z } from "zod";
import { COMMAND_RULES, CONFIG_SEGMENT, RESERVED_CONFIG_FIELDS, SWEEP_COMMANDS, type SweepCommand, flagValueProblem } from "./commands.js";

/** A sweep's name: its default results folder (out/sweeps/NAME) and its queue's name. */
export const SWEEP_NAME = /^[a-z0-9][a-z0-9-]{0,63}$/;
/** An axis name: a table column and part of a plot's file name. */
export const AXIS_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
/** A metric: a path into the run's --json object, keys and array indices joined by dots ("slopes.Q_outer", "rows.0.medianMs"). */
export const METRIC_PATH = /^[A-Za-z_][A-Za-z0-9_]{0,63}(\.([A-Za-z_][A-Za-z0-9_]{0,63}|\d{1,6})){0,7}$/;

/** Most jobs one sweep may hold: a typo in a grid should not enqueue millions of runs. */
export const MAX_JOBS = 10_000;

/** A value an axis takes: what a config field or a flag can hold. */
export const AxisValue = z.union([z.number().refine(Number.isFinite, "must be a finite number"), z.string().max(200), z.boolean()]);
export type AxisValue = z.infer<typeof AxisValue>;

/** Where an axis (or the repeat seed) goes: a trainer config path ("model.dim") or a flag of the command ("d-model"). */
const Target = { path: z.string().optional(), flag: z.string().optional() };

const Range = z.strictObject({
  from: z.number().refine(Number.isFinite, "must be a finite number"),
  to: z.number().refine(Number.isFinite, "must be a finite number"),
  /** Points on the grid, ends included; a random search draws instead and takes no count. */
  count: z.int().min(2).max(MAX_JOBS).optional(),
  scale: z.enum(["linear", "log"]).default("linear"),
  /** Round every value to an integer (for integer settings such as a width or a layer count). */
  integer: z.boolean().default(false),
});

const Axis = z.strictObject({
  ...Target,
  /** The values in order: a list axis. */
  values: z.array(AxisValue).min(1).max(MAX_JOBS).optional(),
  /** An evenly spaced (or log-spaced) range: a range axis. */
  range: Range.optional(),
});
export type Axis = z.infer<typeof Axis>;

const Search = z.union([
  z.literal("grid"),
  z.strictObject({ random: z.strictObject({ count: z.int().min(1).max(MAX_JOBS), seed: z.int().min(0).max(2 ** 32 - 1) }) }),
]);

const Seed = z.strictObject({ ...Target, first: z.int().min(0).default(0) });

const SpecShape = z.strictObject({
  name: z.string().regex(SWEEP_NAME, "must be 1-64 characters of a-z, 0-9 and -, starting with a letter or digit"),
  command: z.enum(SWEEP_COMMANDS),
  /** train: a trainer config object; the other commands: flag name (no dashes) -> value. */
  base: z.record(z.string(), z.unknown()).default({}),
  axes: z.record(z.string().regex(AXIS_NAME, "an axis name must be a letter then letters, digits, _ or -"), Axis),
  search: Search.default("grid"),
  repeats: z.int().min(1).max(1000).default(1),
  /** Set per repeat to first + repeat, so repeats differ (train: "train.seed"). */
  seed: Seed.optional(),
  metrics: z.array(z.string().regex(METRIC_PATH, "must be a path into the --json object: keys and indices joined by dots")).min(1).max(32),
  /** Attempts after the first for a failed job. */
  retries: z.int().min(0).max(20).default(2),
  /** Threads one job uses; the default worker count is the cores divided by this. */
  threadsPerJob: z.int().min(1).max(1024).default(1),
});

/** A validated sweep spec: the command, its base settings, the axes, the repeats and the metrics. */
export const SweepSpec = SpecShape.superRefine((spec, ctx) => {
  const rule = COMMAND_RULES[spec.command];
  const issue = (path: PropertyKey[], message: string): void => ctx.addIssue({ code: "custom", path, message });
  if (Object.keys(spec.axes).length === 0) issue(["axes"], "must name at least one axis");
  const random = spec.search !== "grid";
  const targets = new Map<string, string>();
  const checkTarget = (where: PropertyKey[], t: { path?: string | undefined; flag?: string | undefined }, label: string): string | undefined => {
    if (rule.kind === "config") {
      if (t.flag !== undefined) issue([...where, "flag"], `${spec.command} takes a trainer config: set a config path with "path" (e.g. "model.dim"), not "flag"`);
      if (t.path === undefined) return void issue(where, `needs "path", a trainer config path such as "model.dim"`);
      const segments = t.path.split(".");
      const bad = segments.find((s) => !CONFIG_SEGMENT.test(s));
      if (bad !== undefined) return void issue([...where, "path"], `${JSON.stringify(t.path)} is not a config path: dot-separated field names such as "train.learningRate"`);
      if ((RESERVED_CONFIG_FIELDS as readonly string[]).includes(segments[0]!)) return void issue([...where, "path"], `the sweep sets each job's ${segments[0]} itself; a spec may not set it`);
    } else {
      if (t.path !== undefined) issue([...where, "path"], `${spec.command} takes flags: name one with "flag" (e.g. ${JSON.stringify(Object.keys(rule.flags)[0])}), not "path"`);
      if (t.flag === undefined) return void issue(where, `needs "flag", one of ${spec.command}'s flags: ${Object.keys(rule.flags).join(", ")}`);
      if (rule.flags[t.flag] === undefined) return void issue([...where, "flag"], `${spec.command} has no flag ${JSON.stringify(t.flag)} a sweep may set (flags: ${Object.keys(rule.flags).join(", ")}; without the dashes)`);
    }
    const key = (t.path ?? t.flag)!;
    const clash = [...targets.entries()].find(([k]) => k === key || k.startsWith(`${key}.`) || key.startsWith(`${k}.`));
    if (clash) return void issue(where, `${label} sets ${JSON.stringify(key)}, which ${clash[1]} also sets`);
    targets.set(key, label);
    return key;
  };

  for (const [name, axis] of Object.entries(spec.axes)) {
    const where = ["axes", name];
    const key = checkTarget(where, axis, `axis ${name}`);
    if ((axis.values === undefined) === (axis.range === undefined)) {
      issue(where, `give either "values" (a list) or "range" ({from, to, count, scale}), not ${axis.values ? "both" : "neither"}`);
      continue;
    }
    const kind = rule.kind === "flags" && key !== undefined ? rule.flags[key] : undefined;
    if (axis.values) {
      const seen = new Set<string>();
      axis.values.forEach((v, i) => {
        const problem = kind ? flagValueProblem(kind, v) : undefined;
        if (problem) issue([...where, "values", i], `--${key} ${problem}`);
        if (seen.has(JSON.stringify(v))) issue([...where, "values", i], `${JSON.stringify(v)} is listed twice`);
        seen.add(JSON.stringify(v));
      });
    }
    if (axis.range) {
      const r = axis.range;
      if (r.from >= r.to) issue([...where, "range"], `from (${r.from}) must be below to (${r.to})`);
      if (r.scale === "log" && r.from <= 0) issue([...where, "range", "from"], `a log range must start above 0, got ${r.from}`);
      if (kind === "switch" || kind === "word") issue([...where, "range"], `--${key} is a ${kind}; give its values as a list`);
      if (kind === "integer" && !r.integer) issue([...where, "range", "integer"], `--${key} takes integers: set "integer": true to round the range's values`);
      if (random && r.count !== undefined) issue([...where, "range", "count"], "a random search draws its points (search.random.count); a range then takes no count");
      if (!random && r.count === undefined) issue([...where, "range"], "a grid needs the range's count (points, ends included)");
      if (!random && r.count !== undefined && r.from < r.to) {
        const values = rangeValues(r);
        const dup = values.find((v, i) => values.indexOf(v) !== i);
        if (dup !== undefined) issue([...where, "range"], `rounded to integers, the range gives ${dup} more than once; lower count or widen the range`);
      }
    }
  }

  if (spec.seed) {
    const key = checkTarget(["seed"], spec.seed, "the repeat seed");
    const kind = rule.kind === "flags" && key !== undefined ? rule.flags[key] : undefined;
    if (kind !== undefined && kind !== "integer") issue(["seed", "flag"], `--${key} is not an integer flag, so it cannot carry a seed`);
  }

  for (const [key, value] of Object.entries(spec.base)) {
    if (rule.kind === "config") {
      if ((RESERVED_CONFIG_FIELDS as readonly string[]).includes(key)) issue(["base", key], `the sweep sets each job's ${key} itself (inside the results folder); remove it`);
      continue;
    }
    const kind = rule.flags[key];
    if (kind === undefined) {
      issue(["base", key], `${spec.command} has no flag ${JSON.stringify(key)} a sweep may set (flags: ${Object.keys(rule.flags).join(", ")}; without the dashes)`);
      continue;
    }
    const problem = flagValueProblem(kind, value);
    if (problem) issue(["base", key], `--${key} ${problem}`);
  }
  // A base value an axis or the seed replaces would never be used: say so rather than drop it.
  for (const [key, label] of targets) {
    if (getPath(spec.base, rule.kind === "config" ? key.split(".") : [key]) !== undefined) issue(["base", ...(rule.kind === "config" ? key.split(".") : [key])], `${label} sets this; remove it from base`);
  }

  const seen = new Set<string>();
  spec.metrics.forEach((m, i) => {
    if (seen.has(m)) issue(["metrics", i], `${JSON.stringify(m)} is listed twice`);
    seen.add(m);
  });

  const points = random ? (spec.search as { random: { count: number } }).random.count : Object.values(spec.axes).reduce((n, a) => n * (a.values?.length ?? a.range?.count ?? 1), 1);
  if (points * spec.repeats > MAX_JOBS) issue(random ? ["search"] : ["axes"], `the sweep would hold ${points} points x ${spec.repeats} repeats = ${points * spec.repeats} jobs; at most ${MAX_JOBS}`);
});
export type SweepSpec = z.infer<typeof SweepSpec>;
/** A spec as written, before defaults are filled in. */
export type SweepSpecInput = z.input<typeof SweepSpec>;

/** The values of a grid range, ends included, rounded when the range asks. */
export function rangeValues(r: { from: number; to: number; count?: number | undefined; scale: "linear" | "log"; integer: boolean }): number[] {
  const count = r.count ?? 2;
  return Array.from({ length: count }, (_, i) => {
    const t = i / (count - 1);
    const v = r.scale === "log" ? Math.exp(Math.log(r.from) + t * (Math.log(r.to) - Math.log(r.from))) : r.from + t * (r.to - r.from);
    return tidy(i === count - 1 ? r.to : i === 0 ? r.from : v, r.integer);
  });
}

/** An integer when asked, else the value to 12 significant digits (so 0.1 + 0.2 steps read as 0.3 on every machine). */
export function tidy(v: number, integer: boolean): number {
  return integer ? Math.round(v) : Number(v.toPrecision(12));
}

/** The value at a dotted path of an object, or undefined. */
export function getPath(root: unknown, path: readonly string[]): unknown {
  let node = root;
  for (const key of path) {
    if (typeof node !== "object" || node === null || !Object.hasOwn(node, key)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** Whether the spec's command takes a trainer config (true) or flags. */
export const takesConfig = (command: SweepCommand): boolean => COMMAND_RULES[command].kind === "config";
