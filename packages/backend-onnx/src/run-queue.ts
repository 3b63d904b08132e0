// One onnxruntime run at a time in the whole process. onnxruntime-web's WebAssembly build holds
// one engine for every session and refuses a run while another session's run is in progress
// ("Session already started"), so two executables of one backend, or of two backends, that run
// at the same moment (a page's live view and its training) must wait for each other here.
let lastRun: Promise<unknown> = Promise.resolve();

/** Runs `task` after every run queued before it has settled; its own failure does not block the next. */
export function queueOrtRun<T>(task: () => Promise<T>): Promise<T> {
  const run = lastRun.then(task);
  lastRun = run.catch(() => undefined);
  return run;
}
