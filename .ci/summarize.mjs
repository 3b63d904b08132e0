// Totals vitest's JSON report over every project as "N passed, N failed, N skipped".
// A missing or empty report counts as a failure: a run that executed no test must not pass.
import { existsSync, readFileSync } from "node:fs";

const path = process.argv[2];
if (!path || !existsSync(path)) {
  console.log("0 passed, 1 failed");
  console.error(`no test report at ${path}`);
  process.exit(1);
}
const report = JSON.parse(readFileSync(path, "utf8"));
const passed = report.numPassedTests ?? 0;
const failed = (report.numFailedTests ?? 0) + (report.numRuntimeErrorTestSuites ?? 0);
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
