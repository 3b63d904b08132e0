import { formatDuration, formatLoss, formatThroughput, formatValue } from "./format.js";
import { SmoothedRate } from "./rate.js";

export interface ProgressStream {
  write(s: string): boolean;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressFields {
  readonly loss: number;
  /** A fraction in [0, 1], shown as a percentage. */
  readonly accuracy?: number;
  readonly examplesPerSecond?: number;
  /** Anything else (lr, grad norm) is shown by name, in the order given. */
  readonly [k: string]: number | undefined;
}

export interface ProgressOptions {
  readonly total: number;
  /** Default: process.stderr (stdout is for results). */
  readonly stream?: NodeJS.WriteStream | ProgressStream;
  /** Plain mode: a line every `every` steps, and at least every 10 s. Default: a 1-2-5 number near total / 20. */
  readonly every?: number;
  readonly label?: string;
  /** Examples each step processes: throughput is then the smoothed step rate times this, unless an update gives examplesPerSecond. */
  readonly examplesPerStep?: number;
  /** Milliseconds; injectable so tests control time. */
  readonly now?: () => number;
}

export interface Progress {
  update(step: number, fields: ProgressFields): void;
  /** A line printed above the live bar, which is then redrawn. */
  log(line: string): void;
  /** Ends the bar (its last state stays on screen) and prints the summary. */
  done(summary?: string): void;
}

// Return to column 0 and erase the line: the live bar is redrawn in place.
const REDRAW = "\r\x1b[2K";
const PLAIN_INTERVAL_MS = 10_000;
// Redrawing at every step of a fast loop costs more than the step; 10 frames a second is smooth.
const TTY_INTERVAL_MS = 100;
const BAR_WIDTH = 24;

/**
 * Training progress for a terminal: on a TTY one live line (bar, step/total, loss, accuracy,
 * throughput, elapsed and ETA) redrawn in place and cut to the terminal's width; elsewhere
 * (a log file, CI) plain periodic lines without escape codes. The ETA comes from a smoothed
 * step rate measured from the first update on, so start-up time does not skew it.
 */
export function createProgress(options: ProgressOptions): Progress {
  const { total } = options;
  if (!Number.isInteger(total) || total < 1) throw new RangeError(`createProgress: total must be a positive integer, got ${total}`);
  const every = options.every ?? defaultEvery(total);
  if (!Number.isInteger(every) || every < 1) throw new RangeError(`createProgress: every must be a positive integer, got ${every}`);
  const stream: ProgressStream = options.stream ?? process.stderr;
  const now = options.now ?? (() => performance.now());
  const tty = stream.isTTY === true;
  const label = options.label ? `${options.label}  ` : "";
  const start = now();
  const rate = new SmoothedRate();

  let current: { step: number; fields: ProgressFields; ms: number } | undefined;
  let shown = false; // a live bar is on screen
  let lastDrawMs = -Infinity;
  let lastPrinted = { step: 0, ms: start };
  let printedCurrent = false;
  let finished = false;

  const eta = (step: number): number | undefined => {
    const perSecond = rate.perSecond();
    if (step >= total) return 0;
    return perSecond && perSecond > 0 ? (total - step) / perSecond : undefined;
  };

  const metrics = (fields: ProgressFields): string[] => {
    const parts = [`loss ${formatLoss(fields.loss)}`];
    if (fields.accuracy !== undefined) parts.push(`acc ${(fields.accuracy * 100).toFixed(1)}%`);
    for (const [k, v] of Object.entries(fields)) {
      if (k !== "loss" && k !== "accuracy" && k !== "examplesPerSecond" && v !== undefined) parts.push(`${k} ${formatValue(v)}`);
    }
    const perStep = options.examplesPerStep;
    const stepsPerSecond = rate.perSecond();
    const throughput = fields.examplesPerSecond ?? (perStep !== undefined && stepsPerSecond ? perStep * stepsPerSecond : undefined);
    if (throughput !== undefined) parts.push(`${formatThroughput(throughput)} ex/s`);
    return parts;
  };

  const plainLine = (c: NonNullable<typeof current>): string => [`${label}step ${c.step}/${total}`, ...metrics(c.fields), `eta ${formatDuration(eta(c.step))}`].join("  ");

  const liveLine = (c: NonNullable<typeof current>): string => {
    const width = Math.max(1, (stream.columns ?? 80) - 1); // the last column would wrap on some terminals
    const counter = `${String(c.step).padStart(String(total).length)}/${total}`;
    const rest = [counter, ...metrics(c.fields), `${formatDuration((c.ms - start) / 1000)} elapsed`, `eta ${formatDuration(eta(c.step))}`].join("  ");
    // "[" + cells + "]" + two spaces before the numbers.
    const barWidth = Math.min(BAR_WIDTH, width - label.length - rest.length - 4);
    // Too narrow for a useful bar: the numbers matter more.
    const line = barWidth >= 5 ? `${label}${bar(c.step / total, barWidth)}  ${rest}` : `${label}${rest}`;
    return line.slice(0, width);
  };

  const draw = (): void => {
    if (!current) return;
    stream.write(REDRAW + liveLine(current));
    shown = true;
    lastDrawMs = current.ms;
  };

  const print = (): void => {
    if (!current) return;
    stream.write(`${plainLine(current)}\n`);
    lastPrinted = { step: current.step, ms: current.ms };
    printedCurrent = true;
  };

  return {
    update(step, fields) {
      if (finished) return;
      if (!Number.isFinite(step)) throw new RangeError(`progress: step must be a finite number, got ${step}`);
      const ms = now();
      rate.observe(step, ms);
      current = { step, fields, ms };
      printedCurrent = false;
      if (tty) {
        if (ms - lastDrawMs >= TTY_INTERVAL_MS || step >= total) draw();
      } else if (Math.floor(step / every) > Math.floor(lastPrinted.step / every) || ms - lastPrinted.ms >= PLAIN_INTERVAL_MS || step >= total) {
        print();
      }
    },

    log(line) {
      if (!tty || !shown) {
        stream.write(`${line}\n`);
        return;
      }
      stream.write(`${REDRAW}${line}\n`);
      draw();
    },

    done(summary) {
      if (finished) return;
      finished = true;
      if (tty) {
        // Show the final state, then leave it on its own line.
        draw();
        if (shown) stream.write("\n");
      } else if (current && !printedCurrent) {
        print();
      }
      const elapsed = formatDuration((now() - start) / 1000);
      stream.write(`${summary ?? `${label}done: ${current?.step ?? 0}/${total} steps in ${elapsed}`}\n`);
    },
  };
}

function bar(fraction: number, width: number): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}]`;
}

/** A round interval near total / 20 (1, 2 or 5 times a power of ten), so a run prints about 20 lines. */
function defaultEvery(total: number): number {
  const raw = Math.max(1, total / 20);
  const power = 10 ** Math.floor(Math.log10(raw));
  const f = raw / power;
  return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * power;
}
