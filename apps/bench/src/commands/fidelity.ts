import { type CommandIO, formatAlignedTable, integerFlag, parse } from "@unfold/cli";
import type { Backend } from "@unfold/core";
import { loadCpuOrReference } from "../engines/unfold.js";
import {
  FULL_PLAN,
  QUICK_PLAN,
  type FidelityCheck,
  type FidelityPlan,
  type FidelityReport,
  type FidelityTolerances,
  fidelityReport,
} from "../fidelity/report.js";

const usage = (): string => `usage: unfold bench fidelity [--quick] [--json] [--seed S]
The scientific checks in one table, each figure with its requirement and pass/FAIL, or
"reported" where docs/mathematics.md claims nothing to hold (plain softmax, the total energy):
  closed-form MM attention step vs the preconditioned autodiff step, unfolded layer vs a
  standard Transformer layer (float64, <= 1e-10); MM descent trials; a 12-layer tied Yang
  unfolding on random tokens, each sub-step against its own term and the total per sub-step
  and per layer; the closed-form self-attention Hessian blocks vs autodiff (<= 1e-8); the
  growth-rate study's log-log slopes vs the predicted ones; float32 vs float64 unfolding.
  --quick   fewer instances and trials, the quick growth study (seconds); the full run takes
            about a minute and prints its duration
  --seed S  seeds every random draw (default 1, which replays unfold verify's MM trials)
  --json    print one JSON object on the last line: {"checks": [...], ...details}
Exits non-zero after printing when a check with a requirement fails.`;

export interface FidelityCommandOptions {
  /** The backend of the unfoldings, Hessian products and growth study (tests pass the reference interpreter). */
  readonly backend?: () => Promise<Backend>;
  /** Replaces parts of the chosen plan (tests shrink the growth study, which dominates the run). */
  readonly plan?: Partial<FidelityPlan>;
  /** Replaces requirements (a test tightens one to see the command fail). */
  readonly tolerances?: Partial<FidelityTolerances>;
}

/** `pnpm bench fidelity`: the table of checks, or with --json one JSON object on the last line. */
export async function fidelityCommand(argv: string[], io: CommandIO, options: FidelityCommandOptions = {}): Promise<void> {
  const flags = parse(argv, { quick: { type: "boolean" }, json: { type: "boolean" }, seed: { type: "string" }, help: { type: "boolean" } });
  if (flags["help"]) return io.out(usage());
  const started = performance.now();
  const quick = flags["quick"] === true;
  const seed = integerFlag("seed", flags["seed"], 1, 0);
  const plan: FidelityPlan = { ...(quick ? QUICK_PLAN : FULL_PLAN), ...options.plan };
  const progress = (m: string): void => io.progress(`[fidelity] ${m}`);
  // The CPU backend runs float64 and float32, and the growth study about 20x faster than the reference.
  const backend = await (options.backend ?? (() => loadCpuOrReference(undefined, progress)))();
  let report: FidelityReport;
  try {
    report = await fidelityReport({ plan, seed, backend, onProgress: progress, ...(options.tolerances ? { tolerances: options.tolerances } : {}) });
  } finally {
    await backend.dispose();
  }
  const elapsedSeconds = (performance.now() - started) / 1000;
  const run = { plan: quick ? "quick" : "full", seed, backend: backend.name, elapsedSeconds };
  if (flags["json"]) io.out(JSON.stringify({ ...report, run }));
  else printReport(io, report, run);
  // After printing, so a failed run still shows every figure; runMain turns this into exit status 1.
  const failed = report.checks.filter((c) => c.pass === false);
  if (failed.length) throw new Error(`fidelity: ${failed.length} check${failed.length === 1 ? "" : "s"} failed: ${failed.map((c) => c.check).join("; ")}`);
}

function printReport(io: CommandIO, report: FidelityReport, run: { plan: string; seed: number; backend: string; elapsedSeconds: number }): void {
  const rows = report.checks.map((c) => [c.check, formatValue(c), c.requirement, c.pass === null ? "reported" : c.pass ? "pass" : "FAIL"]);
  io.out(formatAlignedTable(["check", "value", "requirement", "status"], rows, [false, true, false, false]));
  // The per-layer trace of the curves in docs/mathematics.md, 'Energy by layer': the first sequence at each token scale.
  const { runs, shape } = report.unfolding;
  const shown = runs.filter((r, i) => runs.findIndex((o) => o.tokenScale === r.tokenScale) === i);
  io.out(`\nunfolding energy E per layer (one sequence of ${shape.tokens} random tokens, d ${shape.dim}, per token scale; FFN step ${report.unfolding.feedForwardStepSize.toFixed(4)} = bound/2):`);
  io.out(
    formatAlignedTable(
      ["layer", ...shown.map((r) => `scale ${r.tokenScale}`)],
      shown[0]!.layers.map((l, k) => [String(l.layer), ...shown.map((r) => r.layers[k]!.energy.toFixed(4))]),
      [true, ...shown.map(() => true)],
    ),
  );
  io.out(`final token spread (largest distance from the sequence mean): ${shown.map((r) => r.finalTokenSpread.toExponential(2)).join(", ")}`);
  const failed = report.checks.filter((c) => c.pass === false).length;
  const required = report.checks.filter((c) => c.pass !== null).length;
  io.out(`\n${required - failed}/${required} requirements met; ${run.plan} plan, seed ${run.seed}, backend ${run.backend}; elapsed ${run.elapsedSeconds.toFixed(1)} s`);
}

/** Counts as integers, errors in exponent form, slopes with fixed decimals. */
function formatValue(c: FidelityCheck): string {
  if (Number.isInteger(c.value)) return String(c.value);
  if (c.value !== 0 && Math.abs(c.value) < 1e-3) return c.value.toExponential(2);
  return c.value.toFixed(4);
}
