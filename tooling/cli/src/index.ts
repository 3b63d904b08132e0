// What Unfold's command-line apps (verify, bench, hessian) share.
export { integerFlag, integerListFlag, listFlag, outputFileFlag, parse, positiveFlag } from "./args.js";
export { formatError, runMain, verboseErrors } from "./main.js";
export { fixed, formatAlignedTable, formatNumber, formatTable, scientific } from "./table.js";
export { type CommandIO, consoleIO } from "./io.js";
