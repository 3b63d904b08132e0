/** The signals that stop a sweep, and the exit status each ends it with (128 + the signal's number, as shells report it). */
export const STOP_SIGNALS = { SIGINT: 130, SIGTERM: 143 } as const;
export type StopSignal = keyof typeof STOP_SIGNALS;

/**
 * Listens for SIGINT and SIGTERM: the first calls `onFirst` (the sweep forwards SIGTERM to its
 * running jobs, waits for them to save and writes the results so far) and hands both signals
 * back to their default action, so a second one ends the runner at once. Its jobs run in their
 * own process groups and have had their one SIGTERM: they still save their checkpoints and exit.
 */
export function listenForStopSignals(onFirst: (signal: StopSignal) => void): { remove(): void } {
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
