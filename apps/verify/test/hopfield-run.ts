import { captureIO } from "@unfold/testing";
import { unfoldCommand } from "../src/index.js";
import type { RetrievalResult } from "../src/hopfield/retrieval.js";

/** What `unfold hopfield --json` prints last: the retrieval result with its backend and plot. */
export type HopfieldReport = RetrievalResult & { backend: string; plot: string };

/** `unfold hopfield --json ...args` in process: the JSON report and what was printed. */
export async function hopfieldRun(args: string[]): Promise<{ report: HopfieldReport; io: ReturnType<typeof captureIO> }> {
  const io = captureIO();
  await unfoldCommand(["hopfield", "--json", ...args], io);
  return { report: JSON.parse(io.lines.at(-1)!) as HopfieldReport, io };
}
