import type { Backend, DType } from "@unfold/core";
import { type CaseContext, type ConformanceCase, type Group } from "./case.js";
import { ConformanceError } from "./compare.js";
import { casesFor } from "./applicable.js";
import { conformanceCases } from "./cases/index.js";

/** The outcome of one case in one dtype, as `runCases` reports it. */
export interface CaseResult {
  readonly group: Group;
  readonly name: string;
  readonly dtype: DType;
  readonly ok: boolean;
  /** The failure's message, when the case failed. */
  readonly error?: string;
  readonly ms: number;
}

/** Options of `runCases`: which dtypes and cases, a progress callback, and how to make a fresh backend. */
export interface RunCasesOptions {
  /** The dtypes to run; by default every dtype the backend lists. */
  readonly dtypes?: readonly DType[];
  /** Which cases to run (a subset, e.g. for a slow target); all by default. */
  readonly filter?: (c: ConformanceCase) => boolean;
  /** Called after each case, for progress. */
  readonly onResult?: (result: CaseResult) => void;
  /**
   * Makes another backend like the one given, for the cases that dispose one of their own (the
   * lifetimes group); without it those cases fail, saying so.
   */
  readonly create?: () => Backend | Promise<Backend>;
}

/**
 * Runs conformance cases on a backend outside vitest, one after another, and reports each
 * (a failure does not stop the rest). The same cases and checks `describeConformance` registers.
 */
export async function runCases(backend: Backend, options: RunCasesOptions = {}): Promise<CaseResult[]> {
  const dtypes = options.dtypes ?? backend.dtypes;
  const results: CaseResult[] = [];
  const applicable = casesFor(conformanceCases(), dtypes).filter(options.filter ?? (() => true));
  const create = options.create;
  const context: CaseContext = {
    fresh: async () => {
      if (!create) throw new ConformanceError("this case disposes a backend of its own: give runCases a `create` option that makes one");
      return create();
    },
  };
  for (const dtype of dtypes) {
    for (const c of applicable) {
      const start = performance.now();
      let error: string | undefined;
      try {
        await c.run(backend, dtype, context);
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
