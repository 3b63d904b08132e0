// The sweep answers Ctrl-C and SIGTERM as the trainer does (see @unfold/cli's listenForStopSignals):
// the first stops the sweep cleanly (its jobs get SIGTERM and save), a second ends it at once.
export { STOP_SIGNALS, type StopSignal, listenForStopSignals } from "@unfold/cli";
