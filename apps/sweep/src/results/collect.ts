import { type SweepJob, expandSpec } from "../spec/expand.js";
import type { AxisValue, SweepSpec } from "../spec/schema.js";
import { type ResultRecord, readJobResult } from "../job/result.js";
import { readSweepSpec, SWEEP_FILE } from "./sweep-file.js";

/** A job with no result yet (not run, running, or waiting for a retry). */
export interface PendingRow {
  readonly id: string;
  readonly point: Readonly<Record<string, AxisValue>>;
  readonly repeat: number;
  readonly status: "pending";
}

/** A row of the results: a job's result, or the job marked pending. */
export type ResultRow = ResultRecord | PendingRow;

export interface CollectedResults {
  readonly spec: SweepSpec;
  /** Every job of the spec in id order, with its result or as pending. */
  readonly rows: readonly ResultRow[];
  readonly done: number;
  readonly failed: number;
  readonly pending: number;
}

/**
 * Reads every job's result file under a sweep root. The jobs are those of `spec` (by default the
 * spec recorded in the root), so a job that has not written a result is listed as pending.
 */
export function collectResults(sweepRoot: string, spec: SweepSpec | undefined = readSweepSpec(sweepRoot)): CollectedResults {
  if (spec === undefined) throw new Error(`'${sweepRoot}' holds no sweep (no ${SWEEP_FILE}); give the --out a sweep ran into`);
  return rowsOf(spec, expandSpec(spec).map((job) => readJobResult(sweepRoot, job.id) ?? pending(job)));
}

/** The results of `spec` from records at hand (a queue's, say), jobs without one pending. */
export function rowsOf(spec: SweepSpec, records: readonly ResultRow[]): CollectedResults {
  const byId = new Map(records.map((r) => [r.id, r]));
  const rows = expandSpec(spec).map((job) => byId.get(job.id) ?? pending(job));
  const count = (status: string): number => rows.filter((r) => r.status === status).length;
  return { spec, rows, done: count("done"), failed: count("failed"), pending: count("pending") };
}

const pending = (job: SweepJob): PendingRow => ({ id: job.id, point: job.point, repeat: job.repeat, status: "pending" });
