/**
 * The pool's workers on a page's Web Workers (`new Worker(blob URL)`), where the page is
 * cross-origin isolated (environment.ts): only then may a SharedArrayBuffer and a shared
 * WebAssembly.Memory be posted to a worker.
 *
 * A Web Worker receives messages only between tasks, and one in its Atomics loop never ends its
 * task. So its loop-kernel modules (Pool.share) wait in the worker's queue until the loop sees
 * that the pool has shared more than it holds (CONTROL.shared); the loop then returns to the
 * event loop, claiming nothing, and resumes once the next module is delivered. The caller and
 * the other workers take that round's chunks meanwhile, so a round never waits for a delivery.
 */
import type { PoolWorkers, StartWorkers } from "./pool-workers.js";
import type { SharedKernelMessage } from "./worker-main.js";
import { type WorkerProgram, workerDeclarations } from "./worker-source.js";

function webWorkerSource(program: WorkerProgram): string {
  return [
    '"use strict";',
    ...workerDeclarations(program),
    "const delivered = [];",
    "let resume;",
    "const inbox = { receive: () => delivered.shift(), waitForDelivery: (then) => { resume = then; } };",
    "self.onmessage = (event) => {",
    "  const message = event.data;",
    '  if (message.start) return workerMain(message.start, () => self.postMessage("ready"), runners, wasmGemm, plainGemm, kernelChunk, inbox);',
    "  delivered.push(message);",
    "  const then = resume;",
    "  resume = undefined;",
    "  if (then) then();",
    "};",
  ].join("\n");
}

export const startWebWorkers: StartWorkers = async (size, dataOf, program) => {
  const url = URL.createObjectURL(new Blob([webWorkerSource(program)], { type: "text/javascript" }));
  const workers: Worker[] = [];
  try {
    for (let i = 0; i < size; i++) workers.push(new Worker(url, { name: `unfold cpu thread ${i + 1}` }));
    await Promise.all(
      workers.map(
        (w, i) =>
          new Promise<void>((resolve, reject) => {
            w.onmessage = () => resolve();
            w.onerror = (event) => reject(new Error(`cpu worker thread ${i + 1} failed to start: ${event.message || "the worker script did not load"}`));
            w.onmessageerror = () => reject(new Error(`cpu worker thread ${i + 1} could not receive its start data (is the page cross-origin isolated?)`));
            w.postMessage({ start: dataOf(i + 1) });
          }),
      ),
    );
  } catch (error) {
    for (const w of workers) w.terminate();
    throw error;
  } finally {
    URL.revokeObjectURL(url);
  }
  for (const w of workers) {
    w.onmessage = null;
    w.onerror = null;
    w.onmessageerror = null;
  }
  return webWorkers(workers);
};

/** The started workers as the pool sees them; nothing here reaches the pool. */
function webWorkers(workers: readonly Worker[]): PoolWorkers {
  return {
    size: workers.length,
    post(message: SharedKernelMessage) {
      for (const w of workers) w.postMessage(message);
    },
    terminate() {
      for (const w of workers) w.terminate();
      return Promise.resolve();
    },
    weight: () => undefined,
  };
}
