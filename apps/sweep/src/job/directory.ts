import { join } from "node:path";
import { makeDirectory } from "@unfold/files";
import { JOB_ID } from "../spec/expand.js";

/** The files of a job's directory, <sweep root>/jobs/<id>. */
export const JOB_FILES = {
  /** train: the config the run starts from. */
  config: "config.json",
  /** The command's own --out. */
  run: "run",
  /** Everything the command printed, every attempt appended with a header line. */
  log: "output.log",
  /** The job's ResultRecord, written once it has ended. */
  result: "result.json",
} as const;

/** The folder of the sweep's jobs inside its root. */
export const JOBS_FOLDER = "jobs";

/**
 * The directory of job `id` under the sweep root. The id must look like one ("j0007"), so
 * a job id taken from a queue can never name a folder outside the root.
 */
export function jobDirectory(sweepRoot: string, id: string): string {
  if (!JOB_ID.test(id)) throw new Error(`job id ${JSON.stringify(id)} is not a sweep job id (j and four or more digits)`);
  return join(sweepRoot, JOBS_FOLDER, id);
}

/** Makes the job's directory (and the root's jobs folder) and returns its path. */
export function makeJobDirectory(sweepRoot: string, id: string): string {
  const dir = jobDirectory(sweepRoot, id);
  makeDirectory(dir, `job ${id}`);
  return dir;
}
