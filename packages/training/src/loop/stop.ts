/**
 * Stopping training between two units of work (steps, evaluation batches, energy inputs).
 *
 * Every backend's run() resolves its promise from microtasks alone: the CPU backend computes on
 * the calling thread, onnxruntime-web and TensorFlow.js's wasm engine run their kernels
 * synchronously under a promise. A loop that only awaits those never lets the host run anything
 * else: in Node a signal handler (which runs from the event loop) would wait until the next real
 * I/O, in a page the pause button's click would wait for the whole run. The loop therefore yields
 * to the host after every step (and evaluations after every batch) and then checks its signal.
 */

/**
 * Lets pending events run (a signal handler's or a click's among them). In Node it resolves on the
 * event loop's next check phase (setImmediate), after its poll for I/O and signals; where there is
 * no setImmediate (a browser) it resolves from a macrotask (setTimeout 0).
 */
export function yieldToEventLoop(): Promise<void> {
  const immediate = (globalThis as { setImmediate?: (callback: () => void) => unknown }).setImmediate;
  return new Promise((resolve) => (immediate ? immediate(resolve) : setTimeout(resolve, 0)));
}

/** Thrown by work that noticed the stop request between two of its units; the loop catches it. */
export class StopRequested extends Error {
  override readonly name = "StopRequested";
}

/** Between two units of work (evaluation batches, energy inputs): yields, then throws StopRequested once `signal` is aborted. */
export async function stopPoint(signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return;
  await yieldToEventLoop();
  if (signal.aborted) throw new StopRequested("stop requested");
}

/** The promise's value, or undefined when the work noticed a stop request and gave up (StopRequested). */
export async function stoppable<T>(work: Promise<T>): Promise<T | undefined> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof StopRequested) return undefined;
    throw error;
  }
}
