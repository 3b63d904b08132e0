import { join } from "node:path";
import type { CommandIO } from "@unfold/cli";
import type { WrittenResults } from "../results/write.js";
import { PLOTS_FOLDER } from "../results/plots.js";
import { countsLine, terminalTable } from "../results/table.js";

/** The --json line of `sweep run` and `sweep results`. */
export interface SweepSummary {
  readonly sweep: string;
  readonly out: string;
  readonly jobs: number;
  readonly done: number;
  readonly failed: number;
  readonly pending: number;
  readonly results: string;
  readonly table: string;
  readonly plots: readonly string[];
  /** `sweep run` only: a signal stopped it before every job had ended. */
  readonly interrupted?: boolean;
}

export function summaryOf(out: string, written: WrittenResults, interrupted?: boolean): SweepSummary {
  const { results } = written;
  return {
    sweep: results.spec.name,
    out,
    jobs: results.rows.length,
    done: results.done,
    failed: results.failed,
    pending: results.pending,
    results: written.jsonl,
    table: written.markdown,
    plots: written.plots,
    ...(interrupted !== undefined ? { interrupted } : {}),
  };
}

/** The table, the counts and where the files went; with --json, then the summary as the last line. */
export function printResults(io: CommandIO, written: WrittenResults, summary: SweepSummary, json: boolean): void {
  io.out(terminalTable(written.results));
  io.out("");
  io.out(`${countsLine(written.results)}`);
  io.out(`results: ${written.jsonl}`);
  io.out(`table: ${written.markdown}`);
  if (written.plots.length) io.out(`plots: ${written.plots.length} in ${join(summary.out, PLOTS_FOLDER)}`);
  if (json) io.out(JSON.stringify(summary));
}
