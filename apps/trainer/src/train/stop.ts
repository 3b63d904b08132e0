/**
 * Stopping a run between steps: what a first Ctrl-C (or SIGTERM) asks for. How the training loop
 * notices it in time (yielding to the event loop after every step) is @unfold/training's
 * yieldToEventLoop and stopPoint.
 */

import { STOP_SIGNALS, type StopSignal } from "@unfold/cli";

export { STOP_SIGNALS, type StopSignal, type StopSignalListener, listenForStopSignals } from "@unfold/cli";

/** The exit status of a run stopped by `reason` (an abort reason): a stop signal's, else SIGINT's. */
export function stopExitCode(reason: unknown): number {
  return typeof reason === "string" && reason in STOP_SIGNALS ? STOP_SIGNALS[reason as StopSignal] : STOP_SIGNALS.SIGINT;
}

/** How a stop request is described to the user: "SIGINT" or "stop requested". */
export function describeStop(reason: unknown): string {
  return typeof reason === "string" && reason in STOP_SIGNALS ? reason : "stop requested";
}

