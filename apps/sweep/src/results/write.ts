import { join } from "node:path";
import { writeFileAtomic } from "@unfold/files";
import type { SweepSpec } from "../spec/schema.js";
import { type CollectedResults, type ResultRow, rowsOf } from "./collect.js";
import { writePlots } from "./plots.js";
import { markdownTable } from "./table.js";

/** The collated files in a sweep root. */
export const RESULT_FILES = { jsonl: "results.jsonl", markdown: "results.md" } as const;

export interface WrittenResults {
  readonly results: CollectedResults;
  readonly jsonl: string;
  readonly markdown: string;
  readonly plots: readonly string[];
}

/**
 * Writes the collated results of a sweep: results.jsonl (every job, every field, pending ones
 * included), results.md (the table) and plots/<metric>-vs-<axis>.svg. Each file is written
 * atomically; the caller holds the sweep root's lock (one writer of the collated files at a time).
 */
export async function writeResults(sweepRoot: string, spec: SweepSpec, records: readonly ResultRow[]): Promise<WrittenResults> {
  const results = rowsOf(spec, records);
  const jsonl = join(sweepRoot, RESULT_FILES.jsonl);
  const markdown = join(sweepRoot, RESULT_FILES.markdown);
  await writeFileAtomic(jsonl, results.rows.map((r) => `${JSON.stringify(r)}\n`).join(""));
  await writeFileAtomic(markdown, markdownTable(results));
  const plots = writePlots(sweepRoot, spec, results.rows);
  return { results, jsonl, markdown, plots };
}
