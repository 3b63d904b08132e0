export { PASSWORD_ENV, type QueueAddress, connect, connectChecked, maskUrlText, parseQueueUrl, scrubPassword } from "./connection.js";
export { type EnqueuedSweep, RETRY_BACKOFF_MS, enqueueSweep, queuedJob } from "./enqueue.js";
export { type FollowCounts, type FollowOptions, type FollowResult, type FollowedTiming, RECONCILE_MS, followSweep } from "./follow.js";
export { JOB_NAME, QUEUE_NAME, type QueuedJobData, RefusedJob, admitQueuedJob, parseQueueJobId, queueJobId, queuedJobData, specFingerprint } from "./payload.js";
export { FOREIGN, type FailedJob, STATUS_STATES, type StatusState, type SweepQueueStatus, queueStatus } from "./status.js";
export { TETHER_POLL_MS, tetheredLauncher } from "./tether.js";
export { DEFAULT_LOCK_DURATION_MS, DEFAULT_MAX_STALLED, DEFAULT_STALLED_INTERVAL_MS, type SweepWorker, type SweepWorkerEvent, type SweepWorkerOptions, startSweepWorker } from "./worker.js";
