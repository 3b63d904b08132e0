import { describe, expect, it } from "vitest";
import { createProgress } from "../src/report/progress.js";

/** A stream that records writes, and a clock the test moves by hand. */
function fakeStream(tty: boolean, columns?: number): { chunks: string[]; write(s: string): boolean; isTTY: boolean; columns?: number } {
  const chunks: string[] = [];
  return { chunks, isTTY: tty, columns, write: (s) => (chunks.push(s), true) };
}

function clock(): { now: () => number; advance(ms: number): void } {
  let t = 1_000;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

/** What a terminal shows after the writes: \r returns to column 0, ESC[2K erases the line. */
function screen(chunks: readonly string[]): string[] {
  const lines: string[] = [""];
  let col = 0;
  const all = chunks.join("");
  for (let i = 0; i < all.length; i++) {
    const row = lines.length - 1;
    if (all.startsWith("\x1b[2K", i)) {
      lines[row] = "";
      i += 3;
    } else if (all[i] === "\r") col = 0;
    else if (all[i] === "\n") {
      lines.push("");
      col = 0;
    } else {
      const line = lines[row]!.padEnd(col);
      lines[row] = line.slice(0, col) + all[i] + line.slice(col + 1);
      col += 1;
    }
  }
  return lines;
}

describe("progress on a plain stream", () => {
  it("prints periodic lines in the documented format, without escape codes", () => {
    const stream = fakeStream(false);
    const c = clock();
    const progress = createProgress({ total: 1250, every: 40, stream, now: c.now });
    for (let step = 1; step <= 120; step++) {
      c.advance(40); // 25 steps a second
      progress.update(step, { loss: 0.41234, accuracy: 0.875, examplesPerSecond: 812.4 });
    }
    // 25 steps a second: (1250 - 40) / 25 = 48.4 s, then 46.8 s, then 45.2 s.
    expect(stream.chunks).toEqual([
      "step 40/1250  loss 0.4123  acc 87.5%  812 ex/s  eta 0:00:48\n",
      "step 80/1250  loss 0.4123  acc 87.5%  812 ex/s  eta 0:00:47\n",
      "step 120/1250  loss 0.4123  acc 87.5%  812 ex/s  eta 0:00:45\n",
    ]);
    expect(stream.chunks.join("")).not.toContain("\r");
    expect(stream.chunks.join("")).not.toContain("\x1b");
  });

  it("prints at least every 10 seconds, logs lines as they come, and ends with the last step and a summary", () => {
    const stream = fakeStream(false);
    const c = clock();
    const progress = createProgress({ total: 100, every: 50, stream, now: c.now, label: "mnist" });
    progress.update(1, { loss: 2.3 });
    c.advance(10_000);
    progress.update(2, { loss: 2.1, lr: 0.0003 });
    progress.log("checkpoint saved");
    c.advance(1_000);
    progress.update(3, { loss: 2.0 });
    progress.done("best accuracy 91.2%");
    // Step 2: 1 step in 10 s, 98 left: 980 s. Step 3: (1 e^(-1/20) + 1) steps in (10 e^(-1/20) + 1) s,
    // 0.1856 a second, 97 left: 523 s.
    expect(stream.chunks).toEqual([
      "mnist  step 2/100  loss 2.1000  lr 3e-4  eta 0:16:20\n",
      "checkpoint saved\n",
      "mnist  step 3/100  loss 2.0000  eta 0:08:43\n",
      "best accuracy 91.2%\n",
    ]);
  });

  it("reports the run's length when done without a summary, and ignores updates after it", () => {
    const stream = fakeStream(false);
    const c = clock();
    const progress = createProgress({ total: 10, stream, now: c.now });
    for (let step = 1; step <= 10; step++) {
      c.advance(6_100);
      progress.update(step, { loss: 1 / step });
    }
    progress.done();
    progress.update(11, { loss: 0 });
    progress.done();
    expect(stream.chunks.at(-2)).toBe("step 10/10  loss 0.1000  eta 0:00:00\n");
    expect(stream.chunks.at(-1)).toBe("done: 10/10 steps in 0:01:01\n");
    expect(stream.chunks.filter((s) => s.startsWith("step 10/10"))).toHaveLength(1);
  });

  it("derives throughput from the step rate when told the examples per step", () => {
    const stream = fakeStream(false);
    const c = clock();
    const progress = createProgress({ total: 100, every: 10, stream, now: c.now, examplesPerStep: 64 });
    for (let step = 1; step <= 20; step++) {
      c.advance(50); // 20 steps a second
      progress.update(step, { loss: 1 });
    }
    expect(stream.chunks.at(-1)).toMatch(/ 1,?280 ex\/s /);
  });

  it("rejects a bad total or interval", () => {
    expect(() => createProgress({ total: 0, stream: fakeStream(false) })).toThrow(/total must be a positive integer/);
    expect(() => createProgress({ total: 10, every: 0, stream: fakeStream(false) })).toThrow(/every must be a positive integer/);
  });
});

describe("the ETA", () => {
  it("follows a smoothed rate measured from the first update on", () => {
    const stream = fakeStream(false);
    const c = clock();
    const progress = createProgress({ total: 10_000, every: 1, stream, now: c.now });
    const eta = (): string => /eta (\S+)/.exec(stream.chunks.at(-1)!)![1]!;
    c.advance(60_000); // a slow first step (compilation) is not a rate
    progress.update(1, { loss: 1 });
    expect(eta()).toBe("-:--:--");
    for (let step = 2; step <= 1000; step++) {
      c.advance(100);
      progress.update(step, { loss: 1 });
    }
    // 10 steps a second: 9000 steps left is 900 s.
    expect(eta()).toBe("0:15:00");
    // Twice as slow from here: after 5 s the estimate is between the two rates, after a few
    // minutes it is the new one.
    for (let step = 1001; step <= 1025; step++) {
      c.advance(200);
      progress.update(step, { loss: 1 });
    }
    const between = durationSeconds(eta());
    expect(between).toBeGreaterThan(8975 / 10);
    expect(between).toBeLessThan(8975 / 5);
    for (let step = 1026; step <= 3000; step++) {
      c.advance(200);
      progress.update(step, { loss: 1 });
    }
    expect(durationSeconds(eta())).toBeCloseTo(7000 / 5, -1);
  });
});

function durationSeconds(text: string): number {
  const [h, m, s] = text.split(":").map(Number);
  return h! * 3600 + m! * 60 + s!;
}

describe("progress on a terminal", () => {
  it("redraws one live line in place with bar, counts, metrics, elapsed and ETA", () => {
    const stream = fakeStream(true, 120);
    const c = clock();
    const progress = createProgress({ total: 200, stream, now: c.now });
    for (let step = 1; step <= 50; step++) {
      c.advance(100);
      progress.update(step, { loss: 0.5, accuracy: 0.9, examplesPerSecond: 640 });
    }
    for (const chunk of stream.chunks) {
      expect(chunk.startsWith("\r\x1b[2K")).toBe(true);
      expect(chunk).not.toContain("\n");
    }
    const shown = screen(stream.chunks);
    expect(shown).toHaveLength(1);
    // 50 of 200 steps: a quarter of 24 cells; 150 steps left at 10 a second; 5 s since start.
    expect(shown[0]).toBe(`[${"#".repeat(6)}${"-".repeat(18)}]   50/200  loss 0.5000  acc 90.0%  640 ex/s  0:00:05 elapsed  eta 0:00:15`);
  });

  it("prints log lines above the bar without corrupting it, and leaves the final state on screen", () => {
    const stream = fakeStream(true, 100);
    const c = clock();
    const progress = createProgress({ total: 4, stream, now: c.now, label: "train" });
    c.advance(500);
    progress.update(1, { loss: 1 });
    progress.log("epoch 1: validation accuracy 80.0%");
    c.advance(500);
    progress.update(2, { loss: 0.5 });
    progress.log("epoch 2: validation accuracy 85.0%");
    c.advance(500);
    progress.update(4, { loss: 0.25 });
    progress.done("saved model.json");
    const shown = screen(stream.chunks);
    expect(shown.slice(0, 2)).toEqual(["epoch 1: validation accuracy 80.0%", "epoch 2: validation accuracy 85.0%"]);
    expect(shown[2]).toBe(`train  [${"#".repeat(24)}]  4/4  loss 0.2500  0:00:02 elapsed  eta 0:00:00`);
    expect(shown.slice(3)).toEqual(["saved model.json", ""]);
  });

  it("cuts the line to the terminal's width, dropping the bar when there is no room", () => {
    for (const columns of [160, 60, 30, 10]) {
      const stream = fakeStream(true, columns);
      const c = clock();
      const progress = createProgress({ total: 1000, stream, now: c.now });
      c.advance(1);
      progress.update(500, { loss: 0.123456, accuracy: 0.5, examplesPerSecond: 1234, lr: 0.001, gradNorm: 12.5 });
      const [line] = screen(stream.chunks);
      expect(line!.length).toBeLessThanOrEqual(columns - 1);
      if (columns <= 60) expect(line).not.toContain("[");
      expect(line!.trimStart().startsWith(columns <= 60 ? "500/1000" : "[")).toBe(true);
    }
  });

  it("throttles redraws of a fast loop but always draws the last step", () => {
    const stream = fakeStream(true, 80);
    const c = clock();
    const progress = createProgress({ total: 1000, stream, now: c.now });
    for (let step = 1; step <= 1000; step++) {
      c.advance(1);
      progress.update(step, { loss: 1 });
    }
    expect(stream.chunks.length).toBeLessThanOrEqual(12);
    expect(screen(stream.chunks)[0]).toContain("1000/1000");
  });
});
