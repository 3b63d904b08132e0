// What Unfold's command-line apps (verify, bench, hessian) share.
export { integerFlag, integerListFlag, listFlag, parse, positiveFlag, runMain } from "./args.js";
export { fixed, formatAlignedTable, formatNumber, formatTable, scientific } from "./table.js";
export { consoleIO } from "./io.js";
