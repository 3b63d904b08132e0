// What Unfold's command-line apps (trainer, verify, bench, hessian, sweep) share.
export { integerFlag, integerListFlag, listFlag, outputFileFlag, parse, positiveFlag } from "./args.js";
export { formatError, runMain, verboseErrors } from "./main.js";
export { fixed, formatAlignedTable, formatNumber, formatTable, scientific } from "./table.js";
export { type CommandIO, consoleIO } from "./io.js";
export { STOP_SIGNALS, type StopSignal, type StopSignalListener, listenForStopSignals } from "./signals.js";
