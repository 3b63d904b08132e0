/**
 * Stopping a run between steps: what a first Ctrl-C (or SIGTERM) asks for. How the training loop
 * notices it in time (yielding to the event loop after every step) is @unfold/training's
 * yieldToEventLoop and stopPoint.
 */

/** The signals that stop a run, and the exit status each ends it with: 128 + the signal's number, as shells report a process a signal ended. */
export const STOP_SIGNALS = { SIGINT: 130, SIGTERM: 143 } as const;
export type StopSignal = keyof typeof STOP_SIGNALS;

/** The exit status of a run stopped by `reason` (an abort reason): a stop signal's, else SIGINT's. */
export function stopExitCode(reason: unknown): number {
  return typeof reason === "string" && reason in STOP_SIGNALS ? STOP_SIGNALS[reason as StopSignal] : STOP_SIGNALS.SIGINT;
}

/** How a stop request is described to the user: "SIGINT" or "stop requested". */
export function describeStop(reason: unknown): string {
  return typeof reason === "string" && reason in STOP_SIGNALS ? reason : "stop requested";
}

export interface StopSignalListener {
  /** Stops listening; the signals' default actions apply again. Idempotent. */
  remove(): void;
}

/**
 * Listens for SIGINT and SIGTERM: the first one hands both signals back to their default
 * action and calls `onFirst` with its name (the run stops after the current step, saves and
 * exits 130 or 143). Any later one then ends the process at once, even in the middle of a step
 * or a save that keeps JavaScript busy (a handler would have to wait for it to finish): the
 * process ends as killed by that signal, which a shell reports as 130 or 143 again, without
 * saving. The last checkpoint written stays; a save cut short leaves only temp files (removed
 * by the next save, or by --resume), and the output directory's lock, which the next run takes
 * over with a message.
 *
 * The defaults come back inside the first handler, not later: deferred, a second signal caught
 * in the meantime would be queued for a listener that is gone by the time it is delivered, and
 * lost. Two signals that both arrive while one step keeps the event loop busy count as one.
 */
export function listenForStopSignals(onFirst: (signal: StopSignal) => void): StopSignalListener {
  const handlers = new Map<StopSignal, () => void>();
  const remove = (): void => {
    for (const [signal, handler] of handlers) process.removeListener(signal, handler);
    handlers.clear();
  };
  for (const signal of Object.keys(STOP_SIGNALS) as StopSignal[]) {
    const handler = (): void => {
      remove();
      onFirst(signal);
    };
    handlers.set(signal, handler);
    process.on(signal, handler);
  }
  return { remove };
}
