// What the threads test page (main.ts) publishes on window.__cpuThreads for the browser test.

/** One program run on the threaded backend, against one thread and the float64 reference. */
export interface ThreadsCase {
  readonly name: string;
  /** Kinds of step in the threaded plan (its profile), to show which kind of round ran. */
  readonly steps: readonly string[];
  /** Largest relative error of any output against the one-thread backend and the reference. */
  readonly toSingle: number;
  readonly toReference: number;
  /** Chunks of threaded rounds this case ran, and how many of them the Web Workers ran. */
  readonly chunks: number;
  readonly onWorkers: number;
}

export interface ThreadsReport {
  readonly done: boolean;
  readonly crossOriginIsolated: boolean;
  /** What `new CpuBackend({ threads: 3 })` threw, if it did. */
  readonly threadsError?: string;
  /** Threads of a backend made without the option ("as many as available"). */
  readonly defaultThreads?: number;
  /** Threads of the threaded backend, where it opened. */
  readonly threads?: number;
  readonly cases: readonly ThreadsCase[];
  /** Anything else that went wrong. */
  readonly error?: string;
}

declare global {
  interface Window {
    __cpuThreads?: ThreadsReport;
  }
}
