import type { Backend, DType } from "@unfold/core";
import { type ConformanceCase, type Group } from "./case.js";
import { casesFor } from "./applicable.js";
import { conformanceCases } from "./cases/index.js";

export interface CaseResult {
  readonly group: Group;
  readonly name: string;
  readonly dtype: DType;
  readonly ok: boolean;
  /** The failure's message, when the case failed. */
  readonly error?: string;
  readonly ms: number;
}

export interface RunCasesOptions {
  /** The dtypes to run; by default every dtype the backend lists. */
  readonly dtypes?: readonly DType[];
  /** Which cases to run (a subset, e.g. for a slow target); all by default. */
  readonly filter?: (c: ConformanceCase) => boolean;
  /** Called after each case, for progress. */
  readonly onResult?: (result: CaseResult) => void;
}

/**
 * Runs conformance cases on a backend outside vitest, one after another, and reports each
 * (a failure does not stop the rest). The same cases and checks `describeConformance` registers.
 */
export async function runCases(backend: Backend, options: RunCasesOptions = {}): Promise<CaseResult[]> {
  const dtypes = options.dtypes ?? backend.dtypes;
  const results: CaseResult[] = [];
  const applicable = casesFor(conformanceCases(), dtypes).filter(options.filter ?? (() => true));
  for (const dtype of dtypes) {
    for (const c of applicable) {
      const start = performance.now();
      let error: string | undefined;
      try {
        await c.run(backend, dtype);
      } catch (e) {
        error = e instanceof Error ? e.message : String(e);
      }
      const result: CaseResult = { group: c.group, name: c.name, dtype, ok: error === undefined, ...(error !== undefined ? { error } : {}), ms: performance.now() - start };
      results.push(result);
      options.onResult?.(result);
    }
  }
  return results;
}
