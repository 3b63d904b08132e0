import { readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "@unfold/files";
import { z } from "zod";
import type { SweepJob } from "../spec/expand.js";
import { AxisValue } from "../spec/schema.js";
import { JOB_FILES, jobDirectory, makeJobDirectory } from "./directory.js";
import type { JobOutcome } from "./run.js";

/** How a job ended for good: its metrics collected, or failed after its last attempt. */
export const RESULT_STATUSES = ["done", "failed"] as const;

/** A job's result, <sweep root>/jobs/<id>/result.json: the same fields whoever ran the job. */
export const ResultRecord = z.strictObject({
  id: z.string(),
  point: z.record(z.string(), AxisValue),
  repeat: z.int().min(0),
  status: z.enum(RESULT_STATUSES),
  /** Metric path -> value, for a done job (a failed one: {}). */
  metrics: z.record(z.string(), z.number()),
  /** Attempts made, the last one included. */
  attempts: z.int().min(1),
  /** The machine that ran the last attempt. */
  host: z.string(),
  /** Wall time of the last attempt. */
  durationMs: z.number().min(0),
  /** Why the last attempt failed. */
  error: z.string().optional(),
  /** The checkpoint step the last attempt resumed from, when it resumed one. */
  resumedFromStep: z.int().min(0).optional(),
});
export type ResultRecord = z.infer<typeof ResultRecord>;

/**
 * The result of a job whose last attempt (number `attempts`, on `host`) ended as `outcome`, done
 * or failed: the same record whether the local pool or a queue worker ran it, so the two give
 * the same table.
 */
export function resultRecord(job: SweepJob, outcome: JobOutcome & { readonly status: ResultRecord["status"] }, attempts: number, host: string): ResultRecord {
  return {
    id: job.id,
    point: job.point,
    repeat: job.repeat,
    status: outcome.status,
    metrics: outcome.metrics,
    attempts,
    host,
    durationMs: Math.round(outcome.durationMs),
    ...(outcome.status === "failed" && outcome.error !== undefined ? { error: outcome.error } : {}),
    ...(outcome.resumedFromStep !== undefined ? { resumedFromStep: outcome.resumedFromStep } : {}),
  };
}

/** Writes a job's result file atomically (making the job's folder if need be) (temp file + rename): a reader sees the old one or the new one, never half. */
export async function writeJobResult(sweepRoot: string, record: ResultRecord): Promise<string> {
  const path = join(makeJobDirectory(sweepRoot, record.id), JOB_FILES.result);
  await writeFileAtomic(path, `${JSON.stringify(ResultRecord.parse(record))}\n`);
  return path;
}

/** The job's result, or undefined when it has none yet; a file that is not a result is an error naming it. */
export function readJobResult(sweepRoot: string, id: string): ResultRecord | undefined {
  const path = join(jobDirectory(sweepRoot, id), JOB_FILES.result);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as { code?: string }).code === "ENOENT") return undefined;
    throw new Error(`${path}: cannot read the job's result: ${error instanceof Error ? error.message : String(error)}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new Error(`${path}: not valid JSON; remove it to run job ${id} again`);
  }
  const parsed = ResultRecord.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${path}: field ${issue.path.join(".") || "(top level)"}: ${issue.message}; remove it to run job ${id} again`);
  }
  if (parsed.data.id !== id) throw new Error(`${path}: holds the result of job ${parsed.data.id}, not ${id}`);
  return parsed.data;
}
