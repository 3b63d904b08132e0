export { type JobCommandLine, type StartMode, jobCommandLine, jobSettings } from "./command-line.js";
export { JOBS_FOLDER, JOB_FILES, jobDirectory, makeJobDirectory } from "./directory.js";
export { type Launcher, defaultLauncher, nodeLauncher, sourceLauncher } from "./launcher.js";
export { lastJsonLine, pickMetrics } from "./metrics.js";
export { RESULT_STATUSES, ResultRecord, readJobResult, resultRecord, writeJobResult } from "./result.js";
export { type JobOutcome, type JobStatus, type RunJobOptions, runJob } from "./run.js";
