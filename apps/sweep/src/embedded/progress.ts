/** Where the progress line goes: a terminal redraws it in place, anything else gets plain lines. */
export interface ProgressStream {
  write(s: string): boolean;
  isTTY?: boolean;
  columns?: number;
}

export interface SweepCounts {
  readonly total: number;
  readonly done: number;
  readonly failed: number;
  readonly running: number;
  /** Jobs finished before this run started (a resumed sweep), counted in done/failed but not in the ETA's rate. */
  readonly skipped: number;
}

// Return to column 0 and erase the line: the live line is redrawn in place.
const REDRAW = "\r\x1b[2K";
const BAR_WIDTH = 20;

/** "1:05", "12:00:03": minutes and seconds, hours when there are any. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const hms = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60];
  const two = (n: number): string => String(n).padStart(2, "0");
  return hms[0]! > 0 ? `${hms[0]}:${two(hms[1]!)}:${two(hms[2]!)}` : `${hms[1]}:${two(hms[2]!)}`;
}

/**
 * The estimated time left: the wall time per job finished so far in this run, times the jobs
 * left. Undefined until a job has finished (no rate to go by).
 */
export function estimateRemainingMs(counts: SweepCounts, elapsedMs: number): number | undefined {
  const finishedHere = counts.done + counts.failed - counts.skipped;
  if (finishedHere <= 0) return undefined;
  const left = counts.total - counts.done - counts.failed;
  return (elapsedMs / finishedHere) * left;
}

/** "[=====     ] 5/12 done, 2 running, 1 failed, 0:12 elapsed, ETA 0:30". */
export function formatProgress(counts: SweepCounts, elapsedMs: number): string {
  const ended = counts.done + counts.failed;
  const filled = Math.round((ended / counts.total) * BAR_WIDTH);
  const eta = estimateRemainingMs(counts, elapsedMs);
  return `[${"=".repeat(filled)}${" ".repeat(BAR_WIDTH - filled)}] ${ended}/${counts.total} ended: ${counts.done} done, ${counts.running} running, ${counts.failed} failed, ${formatDuration(elapsedMs)} elapsed, ETA ${eta === undefined ? "-" : formatDuration(eta)}`;
}

export interface SweepProgress {
  /** Redraws the line with new counts (on a terminal), or prints it (elsewhere) when `ended` is set. */
  update(counts: SweepCounts, ended?: boolean): void;
  /** A line printed above the live one. */
  log(line: string): void;
  /** Leaves the last line on screen. */
  done(): void;
}

/** The sweep's live progress line; on a terminal one line redrawn, elsewhere (a log, CI) a line each time a job ends. */
export function createSweepProgress(stream: ProgressStream, now: () => number = () => performance.now()): SweepProgress {
  const started = now();
  const tty = stream.isTTY === true;
  let last = "";
  const fit = (s: string): string => (tty && stream.columns ? s.slice(0, Math.max(10, stream.columns - 1)) : s);
  return {
    update(counts, ended = false) {
      last = fit(formatProgress(counts, now() - started));
      if (tty) stream.write(`${REDRAW}${last}`);
      else if (ended) stream.write(`${last}\n`);
    },
    log(line) {
      stream.write(tty ? `${REDRAW}${line}\n${last}` : `${line}\n`);
    },
    done() {
      if (tty && last) stream.write("\n");
    },
  };
}
