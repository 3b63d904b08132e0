/**
 * Compares two bench runs row by row and says which changes are beyond the measured noise.
 *
 * Noise model. Rows are matched by (workload, size, engine). For a row that ran in both runs:
 *
 *   - the relative noise of each run is r = 1.4826 * madMs / medianMs: the median absolute
 *     deviation of its timed runs scaled to a standard deviation (1.4826 makes the MAD of a
 *     normal distribution equal its sigma), relative to the median. Older result files have no
 *     madMs; there r = (maxMs - minMs) / (2 * medianMs), the half-range, a cruder and usually
 *     larger bound. A row with neither counts as noiseless, so only the floor guards it; so does
 *     a row of one timed run (its MAD is 0 and its range empty: one run says nothing about noise);
 *   - the change is after.medianMs / before.medianMs - 1 (positive: slower);
 *   - the threshold is max(floor, sigmas * sqrt(rBefore^2 + rAfter^2)): the two runs' noise
 *     added in quadrature, as for the difference of two independent measurements, and never
 *     below the floor (default 5%), because a MAD of 0 (timings quantized by the clock, or a
 *     machine that was quiet for five runs) does not make a 1% change real;
 *   - the verdict is "regression" when change > threshold, "improvement" when
 *     change < -threshold / (1 + threshold), else "unchanged". The improvement bound is the
 *     regression bound mirrored in ratio terms: a 5% threshold flags 1.05x slower and 1.05x
 *     faster (change -4.76%), not a 5%-shorter time.
 *
 * Rows that did not run in both: "added" / "removed" (only in the after / before run),
 * "stopped" (ran before, not after, keeping the after row's note, which says why), "started"
 * (did not run before, does now), "not-run" (ran in neither).
 */
import { formatAlignedTable } from "@unfold/cli";
import { WORKLOADS, type WorkloadName } from "../workloads/problem.js";
import type { BenchRow } from "../runner.js";

/** Scales a median absolute deviation to the standard deviation of a normal distribution. */
export const MAD_TO_SIGMA = 1.4826;
export const DEFAULT_FLOOR = 0.05;
export const DEFAULT_SIGMAS = 3;

export type Verdict = "regression" | "improvement" | "unchanged" | "added" | "removed" | "stopped" | "started" | "not-run";

export interface ComparisonEntry {
  readonly workload: string;
  readonly size: string;
  readonly engine: string;
  /** Median ms of the before run; null where that row is missing or did not run. */
  readonly beforeMs: number | null;
  readonly afterMs: number | null;
  /** after / before - 1 (positive: slower); null unless the row ran in both runs. */
  readonly change: number | null;
  /** The change beyond which the verdict is not "unchanged"; null unless the row ran in both. */
  readonly threshold: number | null;
  readonly verdict: Verdict;
  /** The after row's note (or the before row's, for a removed row). */
  readonly note?: string;
}

export interface Comparison {
  /** In the after run's row order, then the removed rows in the before run's order. */
  readonly entries: ComparisonEntry[];
  readonly regressions: number;
  readonly improvements: number;
  /** The options the verdicts were made with, for the summary line. */
  readonly floor: number;
  readonly sigmas: number;
}

export interface CompareOptions {
  /** The smallest relative change ever flagged (default 0.05). */
  readonly floor?: number;
  /** How many combined standard deviations a change must exceed (default 3). */
  readonly sigmas?: number;
}

const keyOf = (r: Pick<BenchRow, "workload" | "size" | "engine">): string => `${r.workload} ${r.size} ${r.engine}`;

function indexRows(rows: readonly BenchRow[], which: string): Map<string, BenchRow> {
  const byKey = new Map<string, BenchRow>();
  for (const row of rows) {
    const key = keyOf(row);
    // Two rows under one key cannot be matched: refuse rather than compare the wrong pair.
    if (byKey.has(key)) throw new Error(`compareRuns: the ${which} run has two rows for ${key}`);
    byKey.set(key, row);
  }
  return byKey;
}

/** Relative noise of one row as a standard deviation (see the file comment); 0 when unknown. */
export function relativeNoise(row: BenchRow): number {
  const median = row.medianMs;
  if (median === null || median <= 0) return 0;
  if (row.madMs !== null && row.madMs !== undefined) return (MAD_TO_SIGMA * row.madMs) / median;
  if (row.minMs !== null && row.maxMs !== null) return (row.maxMs - row.minMs) / (2 * median);
  return 0;
}

/** A verdict on two rows that both ran. */
function judge(before: BenchRow & { medianMs: number }, after: BenchRow & { medianMs: number }, floor: number, sigmas: number): { change: number; threshold: number; verdict: Verdict } {
  // A 0 ms median (a clock too coarse for the row) cannot be divided by; any time after it is slower.
  const change = before.medianMs > 0 ? after.medianMs / before.medianMs - 1 : after.medianMs > 0 ? Infinity : 0;
  const threshold = Math.max(floor, sigmas * Math.hypot(relativeNoise(before), relativeNoise(after)));
  const verdict: Verdict = change > threshold ? "regression" : change < -threshold / (1 + threshold) ? "improvement" : "unchanged";
  return { change, threshold, verdict };
}

const ran = (row: BenchRow): row is BenchRow & { medianMs: number } => row.medianMs !== null;

export function compareRuns(before: readonly BenchRow[], after: readonly BenchRow[], options: CompareOptions = {}): Comparison {
  const floor = options.floor ?? DEFAULT_FLOOR;
  const sigmas = options.sigmas ?? DEFAULT_SIGMAS;
  if (!(floor >= 0) || !Number.isFinite(floor)) throw new RangeError(`compareRuns: floor must be a finite number >= 0, got ${floor}`);
  if (!(sigmas >= 0) || !Number.isFinite(sigmas)) throw new RangeError(`compareRuns: sigmas must be a finite number >= 0, got ${sigmas}`);
  const beforeByKey = indexRows(before, "before");
  const afterByKey = indexRows(after, "after");
  const entries: ComparisonEntry[] = [];
  const base = (r: BenchRow): Pick<ComparisonEntry, "workload" | "size" | "engine"> => ({ workload: r.workload, size: r.size, engine: r.engine });
  const withNote = (entry: ComparisonEntry, note: string | undefined): ComparisonEntry => (note === undefined ? entry : { ...entry, note });

  for (const a of after) {
    const b = beforeByKey.get(keyOf(a));
    const common = { ...base(a), beforeMs: b?.medianMs ?? null, afterMs: a.medianMs, change: null, threshold: null };
    if (b === undefined) entries.push(withNote({ ...common, verdict: "added" }, a.note));
    else if (ran(b) && ran(a)) entries.push(withNote({ ...common, ...judge(b, a, floor, sigmas) }, a.note));
    else if (ran(b)) entries.push(withNote({ ...common, verdict: "stopped" }, a.note));
    else if (ran(a)) entries.push(withNote({ ...common, verdict: "started" }, a.note));
    else entries.push(withNote({ ...common, verdict: "not-run" }, a.note));
  }
  for (const b of before) {
    if (afterByKey.has(keyOf(b))) continue;
    entries.push(withNote({ ...base(b), beforeMs: b.medianMs, afterMs: null, change: null, threshold: null, verdict: "removed" }, b.note));
  }
  return {
    entries,
    regressions: entries.filter((e) => e.verdict === "regression").length,
    improvements: entries.filter((e) => e.verdict === "improvement").length,
    floor,
    sigmas,
  };
}

const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;
const percent = (x: number): string => `${Number((x * 100).toFixed(2))}%`;

/**
 * "2 regressions, 1 improvement, 14 unchanged (beyond max(5%, 3 sigma) of the measured noise)",
 * then the rows that could not be compared, if any: "; 1 stopped, 2 added".
 */
export function summarizeComparison(c: Comparison): string {
  const count = (v: Verdict): number => c.entries.filter((e) => e.verdict === v).length;
  const head = `${plural(c.regressions, "regression", "regressions")}, ${plural(c.improvements, "improvement", "improvements")}, ${count("unchanged")} unchanged (beyond max(${percent(c.floor)}, ${c.sigmas} sigma) of the measured noise)`;
  const others = (["stopped", "started", "added", "removed", "not-run"] as const).filter((v) => count(v) > 0).map((v) => `${count(v)} ${v}`);
  return others.length > 0 ? `${head}; ${others.join(", ")}` : head;
}

/** A signed percentage for a change: "+10.0%", "-28.6%". */
export function formatChange(change: number | null): string {
  if (change === null) return "-";
  if (!Number.isFinite(change)) return change > 0 ? "+inf" : "-inf";
  return `${change >= 0 ? "+" : ""}${(change * 100).toFixed(1)}%`;
}

export function formatThreshold(threshold: number | null): string {
  return threshold === null ? "-" : `${(threshold * 100).toFixed(1)}%`;
}

const ms = (x: number | null): string => (x === null ? "-" : x.toFixed(2));

/** The verdict as printed: a regression in capitals and marked, so it stands out in a long table. */
const verdictCell = (v: Verdict): string => (v === "regression" ? "!! REGRESSION" : v);

/** An aligned plain-text table for the terminal, then the summary line. */
export function formatComparison(c: Comparison): string {
  const header = ["workload", "size", "engine", "before ms", "after ms", "change", "threshold", "verdict", "note"];
  const right = [false, false, false, true, true, true, true, false, false];
  const cells = c.entries.map((e) => [e.workload, e.size, e.engine, ms(e.beforeMs), ms(e.afterMs), formatChange(e.change), formatThreshold(e.threshold), verdictCell(e.verdict), e.note ?? ""]);
  return `${formatAlignedTable(header, cells, right)}\n\n${summarizeComparison(c)}`;
}

// ---------------------------------------------------------------------------------------------
// Reading result files

type JsonObject = Record<string, unknown>;
const isObject = (v: unknown): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);

function tryJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

const hasRows = (v: unknown): v is { rows: unknown[] } => isObject(v) && Array.isArray(v["rows"]);

/**
 * The rows of a bench result: either a whole `pnpm bench --json` stdout (progress lines, then
 * the JSON object on its last line: the last non-empty line that parses as an object with a
 * "rows" array is taken) or a file holding just that object (pretty-printed or not). Rows from
 * older files without madMs / runs get madMs null (unknown noise) and runs 0 where the row did
 * not run, NaN (not recorded) where it did. Errors name `source` and what is wrong.
 */
export function parseBenchJson(text: string, source: string): BenchRow[] {
  if (text.trim() === "") throw new Error(`${source}: is empty, expected the output of unfold bench --json`);
  const whole = tryJson(text);
  let found: { rows: unknown[] } | undefined;
  let sawJson = whole.ok;
  if (whole.ok) {
    if (!hasRows(whole.value)) throw new Error(`${source}: the JSON ${kindOf(whole.value)} has no "rows" array`);
    found = whole.value;
  } else {
    const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "");
    for (let i = lines.length - 1; i >= 0 && found === undefined; i--) {
      const parsed = tryJson(lines[i] ?? "");
      if (!parsed.ok) continue;
      sawJson = true;
      if (hasRows(parsed.value)) found = parsed.value;
    }
  }
  if (found === undefined) {
    throw new Error(sawJson ? `${source}: no JSON line holds an object with a "rows" array` : `${source}: not JSON, and no line of it is a JSON object with a "rows" array (expected the output of unfold bench --json)`);
  }
  return found.rows.map((row, i) => readRow(row, `${source}: rows[${i}]`));
}

function kindOf(v: unknown): string {
  return Array.isArray(v) ? "array" : v === null ? "null" : typeof v === "object" ? "object" : typeof v;
}

const WORKLOAD_NAMES: readonly string[] = WORKLOADS;

function readRow(value: unknown, where: string): BenchRow {
  if (!isObject(value)) throw new Error(`${where} is ${kindOf(value)}, not an object`);
  const text = (field: string): string => {
    const v = value[field];
    if (v === undefined) throw new Error(`${where} has no "${field}"`);
    if (typeof v !== "string") throw new Error(`${where}: "${field}" is ${kindOf(v)}, not a string`);
    return v;
  };
  const workload = text("workload");
  if (!WORKLOAD_NAMES.includes(workload)) throw new Error(`${where}: unknown workload "${workload}" (known: ${WORKLOADS.join(", ")})`);
  const size = text("size");
  const engine = text("engine");
  const at = `${where} (${workload} ${size} ${engine})`;
  // JSON has no NaN or Infinity; a number here is finite.
  const numberOrNull = (field: string, required: boolean): number | null => {
    const v = value[field];
    if (v === undefined) {
      if (required) throw new Error(`${at} has no "${field}"`);
      return null;
    }
    if (v !== null && typeof v !== "number") throw new Error(`${at}: "${field}" is ${kindOf(v)}, not a number or null`);
    return v;
  };
  const medianMs = numberOrNull("medianMs", true);
  const runsValue = numberOrNull("runs", false);
  const note = value["note"];
  if (note !== undefined && typeof note !== "string") throw new Error(`${at}: "note" is ${kindOf(note)}, not a string`);
  return {
    workload: workload as WorkloadName,
    size,
    engine,
    medianMs,
    minMs: numberOrNull("minMs", false),
    maxMs: numberOrNull("maxMs", false),
    madMs: numberOrNull("madMs", false),
    runs: runsValue ?? (medianMs === null ? 0 : Number.NaN),
    gflops: numberOrNull("gflops", false),
    relErr: numberOrNull("relErr", false),
    ratioVsBestPeer: numberOrNull("ratioVsBestPeer", false),
    // Absent from results written before the memory columns existed.
    heapMB: numberOrNull("heapMB", false),
    poolMB: numberOrNull("poolMB", false),
    ...(note !== undefined ? { note } : {}),
  };
}
