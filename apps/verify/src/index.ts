export { fidelityReport, type FidelityReport } from "./report.js";
export { unfoldMnist, type MnistUnfoldingOptions, type MnistUnfoldingResult } from "./mnist-unfolding.js";
export { formatTable } from "./table.js";
export { writeLinePlot, writeAtomically } from "./plot.js";
export { verifyCommand } from "./commands/verify.js";
export { unfoldCommand } from "./commands/unfold.js";
export { type CommandIO, consoleIO } from "./commands/io.js";
