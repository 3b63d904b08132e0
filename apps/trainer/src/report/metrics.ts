import { closeSync, readFileSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { makeDirectory, openAppendNoFollow, readFileNoFollow, writeFileAtomicSync } from "@unfold/files";

/** One JSON line of a run's metrics; `step` orders them and decides what a resume keeps. */
export interface MetricsRecord {
  readonly step: number;
  readonly [k: string]: unknown;
}

export interface MetricsWriter {
  /** Appends one line. NaN and infinities become null, as JSON has no other spelling for them. */
  write(record: MetricsRecord): void;
  close(): Promise<void>;
}

interface Line {
  readonly record: MetricsRecord;
  readonly text: string;
}

/**
 * Parses JSONL metrics. Errors name the file and the line. A last line without its newline
 * that does not parse is a record torn by a killed process and is dropped; a bad line
 * anywhere else is corruption and an error.
 */
function parseLines(text: string, path: string): Line[] {
  const lines = text.split("\n");
  const out: Line[] = [];
  lines.forEach((raw, i) => {
    if (raw.trim() === "") return;
    const torn = i === lines.length - 1; // text did not end with a newline
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      if (torn) return;
      throw new Error(`${path}:${i + 1}: not valid JSON (${error instanceof Error ? error.message : String(error)})`);
    }
    if (typeof value !== "object" || value === null || Array.isArray(value) || typeof (value as { step?: unknown }).step !== "number" || !Number.isFinite((value as { step: number }).step)) {
      throw new Error(`${path}:${i + 1}: a metrics record must be a JSON object with a numeric "step"`);
    }
    out.push({ record: value as MetricsRecord, text: raw });
  });
  return out;
}

export function readMetrics(path: string): MetricsRecord[] {
  return parseLines(readFileSync(path, "utf8"), path).map((l) => l.record);
}

/**
 * Opens a run's metrics file for appending JSON lines. A fresh run (no resumeFromStep) starts
 * the file empty. A resumed run keeps the records with step <= resumeFromStep and drops the
 * later ones, which a run interrupted after its last checkpoint wrote and will write again.
 * Either way the file is first written whole by temp file and rename (a crash during the rewrite
 * loses nothing, and a symlink at the path is replaced, never followed), then opened for
 * appending with O_NOFOLLOW, so no link swapped in meanwhile can redirect the records.
 */
export function openMetrics(path: string, options: { resumeFromStep?: number } = {}): MetricsWriter {
  makeDirectory(dirname(path), `metrics file '${path}'`);
  const { resumeFromStep } = options;
  if (resumeFromStep === undefined) {
    writeFileAtomicSync(path, "");
  } else {
    if (!Number.isFinite(resumeFromStep)) throw new RangeError(`openMetrics: resumeFromStep must be a finite number, got ${resumeFromStep}`);
    const text = readFileNoFollow(path)?.toString("utf8");
    const kept = text === undefined ? [] : parseLines(text, path).filter((l) => l.record.step <= resumeFromStep);
    writeFileAtomicSync(path, kept.map((l) => `${l.text}\n`).join(""));
  }
  // Synchronous appends: a record is in the file once write() returns, even if the process dies next.
  let fd: number | undefined = openAppendNoFollow(path);
  return {
    write(record) {
      if (fd === undefined) throw new Error(`metrics ${path}: write after close`);
      if (typeof record.step !== "number" || !Number.isFinite(record.step)) throw new Error(`metrics ${path}: a record needs a finite numeric step, got ${String(record.step)}`);
      writeSync(fd, `${JSON.stringify(record)}\n`);
    },
    async close() {
      if (fd === undefined) return;
      closeSync(fd);
      fd = undefined;
    },
  };
}
