import { describe, expect, it } from "vitest";
import { createSweepProgress, estimateRemainingMs, formatDuration, formatProgress } from "../src/index.js";

const counts = { total: 12, done: 4, failed: 1, running: 2, skipped: 0 };

describe("the sweep's progress line", () => {
  it("shows ended, done, running and failed jobs, the time elapsed and the ETA", () => {
    expect(formatProgress(counts, 50_000)).toBe("[========            ] 5/12 ended: 4 done, 2 running, 1 failed, 0:50 elapsed, ETA 1:10");
    expect(formatDuration(3_725_000)).toBe("1:02:05");
  });

  it("the ETA is the time per job ended in this run times the jobs left; jobs done before it do not count", () => {
    expect(estimateRemainingMs({ ...counts, done: 0, failed: 0 }, 10_000)).toBeUndefined();
    // 6 done before this run, 2 ended in 20 s: 10 s a job, 4 left.
    expect(estimateRemainingMs({ total: 12, done: 8, failed: 0, running: 2, skipped: 6 }, 20_000)).toBe(40_000);
  });

  it("on a terminal one line redrawn in place (cut to the width), elsewhere a plain line each time a job ends", () => {
    const written: string[] = [];
    let now = 0;
    const tty = createSweepProgress({ write: (s) => (written.push(s), true), isTTY: true, columns: 40 }, () => now);
    tty.update(counts);
    now = 1000;
    tty.log("j0003: failed");
    tty.done();
    expect(written[0]!.startsWith("\r\x1b[2K[========")).toBe(true);
    expect(written[0]!.length).toBe("\r\x1b[2K".length + 39);
    expect(written[1]).toBe(`\r\x1b[2Kj0003: failed\n${written[0]!.slice(5)}`);
    expect(written[2]).toBe("\n");

    const plain: string[] = [];
    const log = createSweepProgress({ write: (s) => (plain.push(s), true) }, () => 0);
    log.update(counts);
    log.update(counts, true);
    log.done();
    expect(plain).toEqual([`${formatProgress(counts, 0)}\n`]);
  });
});
