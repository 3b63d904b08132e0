import { createHash } from "node:crypto";
import { z } from "zod";
import { type SweepJob, JOB_ID, expandSpec } from "../spec/expand.js";
import { validateSweepSpec } from "../spec/load.js";
import type { SweepSpec } from "../spec/schema.js";

/** The one BullMQ queue every sweep's jobs go on; a worker takes jobs of any sweep from it. */
export const QUEUE_NAME = "unfold-sweeps";

/** The BullMQ job name of a sweep job (BullMQ's own label; the worker ignores it). */
export const JOB_NAME = "sweep-job";

/**
 * What a queued job carries: the whole validated spec and the id of one of its jobs. Nothing
 * else: the worker re-validates the spec, re-expands it and takes the job's point, command line
 * and directory from its own expansion, so a payload cannot name a program, a flag the spec
 * rules leave out, or a folder outside the worker's results root.
 */
export interface QueuedJobData {
  readonly spec: SweepSpec;
  readonly job: string;
}

const Payload = z.strictObject({ spec: z.unknown(), job: z.string().regex(JOB_ID, "must be a sweep job id: j and four or more digits") });

/** A payload refused before anything runs; its message starts with "refused: ". */
export class RefusedJob extends Error {
  override readonly name = "RefusedJob";
  constructor(problem: string) {
    super(`refused: ${problem}`);
  }
}

/** A short digest of the spec, so a changed spec under the same name gets new job ids rather than the old jobs' results. */
export function specFingerprint(spec: SweepSpec): string {
  return createHash("sha256").update(JSON.stringify(spec)).digest("hex").slice(0, 12);
}

/** The BullMQ job id of a sweep job: the same for the same spec, so enqueuing a sweep twice adds nothing the second time. */
export function queueJobId(spec: SweepSpec, job: SweepJob | string, fingerprint = specFingerprint(spec)): string {
  return `${spec.name}-${fingerprint}-${typeof job === "string" ? job : job.id}`;
}

/** A queue job id split into the sweep's name, the spec's fingerprint and the sweep job id; undefined for another shape. */
export function parseQueueJobId(id: string): { sweep: string; fingerprint: string; job: string } | undefined {
  const match = /^([a-z0-9][a-z0-9-]{0,63})-([0-9a-f]{12})-(j\d{4,})$/.exec(id);
  return match ? { sweep: match[1]!, fingerprint: match[2]!, job: match[3]! } : undefined;
}

/** The payload of one sweep job. */
export const queuedJobData = (spec: SweepSpec, job: SweepJob): QueuedJobData => ({ spec, job: job.id });

/**
 * Checks a payload taken from the queue before anything runs: its shape, the spec against the
 * sweep schema (every rule `sweep run` applies to a spec file), that the job id is one of the
 * spec's jobs, and that the queue's id for it is the one the spec gives that job. Throws a
 * RefusedJob naming the queue job and the problem; returns the spec and the job from the
 * worker's own expansion.
 */
export function admitQueuedJob(queueId: string | undefined, data: unknown): { spec: SweepSpec; job: SweepJob } {
  const source = `queued job ${JSON.stringify(queueId ?? "(no id)")}`;
  const payload = Payload.safeParse(data);
  if (!payload.success) {
    const issue = payload.error.issues[0]!;
    const field = issue.path.map(String).join(".");
    const absent = issue.path.length === 1 && typeof data === "object" && data !== null && !Object.hasOwn(data, issue.path[0]!);
    const problem = issue.code === "unrecognized_keys" ? `unknown field ${issue.keys.map((k) => JSON.stringify(k)).join(", ")}` : absent ? "missing" : issue.message;
    throw new RefusedJob(`${source}: field ${field || "(top level)"}: ${problem}; a sweep job carries only {spec, job}`);
  }
  let spec: SweepSpec;
  try {
    spec = validateSweepSpec(payload.data.spec, `${source}: spec`);
  } catch (error) {
    throw new RefusedJob((error as Error).message.split("\n")[0]!);
  }
  const job = expandSpec(spec).find((j) => j.id === payload.data.job);
  if (job === undefined) throw new RefusedJob(`${source}: the sweep '${spec.name}' has no job ${payload.data.job}`);
  const expected = queueJobId(spec, job);
  if (queueId !== expected) throw new RefusedJob(`${source}: the queue id of job ${job.id} of sweep '${spec.name}' is ${JSON.stringify(expected)}; a job under another id is not the sweep's`);
  return { spec, job };
}
