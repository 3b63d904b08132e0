/**
 * Stopping a command cleanly on Ctrl-C or SIGTERM: the first signal asks the command to stop
 * (save, write what it has) and the second ends it at once. The trainer and the sweep runner
 * share it, so both answer signals alike.
 */

/** The signals that stop a command, and the exit status each ends it with: 128 + the signal's number, as shells report a process a signal ended. */
export const STOP_SIGNALS = { SIGINT: 130, SIGTERM: 143 } as const;
export type StopSignal = keyof typeof STOP_SIGNALS;

export interface StopSignalListener {
  /** Stops listening; the signals' default actions apply again. Idempotent. */
  remove(): void;
}

/**
 * Listens for SIGINT and SIGTERM: the first one hands both signals back to their default
 * action and calls `onFirst` with its name (the trainer stops after the current step, saves and
 * exits 130 or 143; the sweep runner forwards SIGTERM to its jobs and writes the results so far).
 * Any later one then ends the process at once, even in the middle of work that keeps JavaScript
 * busy (a handler would have to wait for it to finish): the process ends as killed by that
 * signal, which a shell reports as 130 or 143 again, without saving. What was last written
 * atomically stays; a write cut short leaves only temp files, and the output directory's lock,
 * which the next run takes over with a message.
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
