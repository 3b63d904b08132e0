export { type PoolEvent, type PoolOptions, type PoolResult, runPool } from "./pool.js";
export { type ProgressStream, type SweepCounts, type SweepProgress, createSweepProgress, estimateRemainingMs, formatDuration, formatProgress } from "./progress.js";
export { STOP_SIGNALS, type StopSignal, listenForStopSignals } from "./signals.js";
