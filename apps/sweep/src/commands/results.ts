import { existsSync } from "node:fs";
import { type CommandIO, parse } from "@unfold/cli";
import { lockDirectory } from "@unfold/files";
import { collectResults } from "../results/collect.js";
import { SWEEP_FILE, readSweepSpec } from "../results/sweep-file.js";
import { writeResults } from "../results/write.js";
import { join } from "node:path";
import { printResults, summaryOf } from "./report.js";

export const RESULTS_USAGE = `usage: unfold sweep results --out DIR [--json]
Collates a sweep's results from DIR (where \`sweep run\` or the queue's workers wrote them): every
job's result.json into DIR/results.jsonl, the table DIR/results.md and the plots DIR/plots/, and
prints the table. Jobs without a result are listed as pending.
  --out DIR   the sweep's results folder
  --json      end with one JSON object on the last line`;

/** `unfold sweep results --out DIR`: the collated files, written by the same code as `sweep run`. */
export async function resultsCommand(args: string[], io: CommandIO): Promise<void> {
  const flags = parse(args, { out: { type: "string" }, json: { type: "boolean" }, help: { type: "boolean" } });
  if (flags["help"]) return io.out(RESULTS_USAGE);
  const out = flags["out"];
  if (typeof out !== "string" || out.trim() === "") throw new Error("sweep results needs --out DIR, the sweep's results folder");
  if (!existsSync(out)) throw new Error(`--out: '${out}' does not exist`);
  const spec = readSweepSpec(out);
  if (spec === undefined) throw new Error(`--out: '${out}' holds no sweep (no ${join(out, SWEEP_FILE)}); give the folder a sweep ran into`);
  // The collated files have one writer at a time: a running sweep holds this lock until it ends.
  const lock = lockDirectory(out, { label: "--out", command: `unfold sweep results ${args.join(" ")}`.slice(0, 200), onReclaim: io.progress });
  try {
    const collected = collectResults(out, spec);
    const written = await writeResults(out, spec, collected.rows);
    printResults(io, written, summaryOf(out, written), flags["json"] === true);
  } finally {
    lock.release();
  }
}
