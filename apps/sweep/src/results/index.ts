export { type CollectedResults, type PendingRow, type ResultRow, collectResults, rowsOf } from "./collect.js";
export { PLOTS_FOLDER, plotFileName, writePlots } from "./plots.js";
export { SWEEP_FILE, readSweepSpec, recordSweepSpec } from "./sweep-file.js";
export { countsLine, formatMetric, markdownTable, resultCells, terminalTable } from "./table.js";
export { RESULT_FILES, type WrittenResults, writeResults } from "./write.js";
