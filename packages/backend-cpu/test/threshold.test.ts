import { describe, expect, it } from "vitest";
import { threadingLost, ThreadingThreshold } from "../src/threads/threshold.js";

const limits = { min: 1000, max: 16000, minBackoffMs: 2, maxBackoffMs: 16 };
const miss = true; // threading the product lost time
const kept = false;

describe("adaptive threading threshold", () => {
  it("threads from the minimum while the workers keep up", () => {
    const t = new ThreadingThreshold(limits);
    expect(t.shouldThread(999, 0)).toBe(false);
    expect(t.shouldThread(1000, 0)).toBe(true);
    t.record(kept, 0);
    expect(t.current(0)).toBe(1000);
  });

  it("a miss doubles the threshold for a window, then it drops back to the minimum", () => {
    const t = new ThreadingThreshold(limits);
    t.record(miss, 10);
    expect(t.current(10)).toBe(2000);
    expect(t.shouldThread(1500, 11.9)).toBe(false);
    expect(t.shouldThread(2000, 11.9)).toBe(true);
    // The window (2 ms) has passed: a transient stall no longer keeps products on one thread.
    expect(t.shouldThread(1000, 12)).toBe(true);
    expect(t.current(12)).toBe(1000);
  });

  it("misses within a window raise it further, up to the maximum, and extend the window", () => {
    const t = new ThreadingThreshold(limits);
    for (let i = 0; i < 10; i++) t.record(miss, 10 + i * 0.1);
    expect(t.current(10.9)).toBe(16000);
    // Misses inside a window do not lengthen the window itself, only push its end.
    expect(t.backoff).toBe(2);
    expect(t.current(12.8)).toBe(16000);
    expect(t.current(12.9)).toBe(1000);
  });

  it("a product that keeps up halves a raised threshold", () => {
    const t = new ThreadingThreshold(limits);
    t.record(miss, 0);
    t.record(miss, 0);
    expect(t.current(0)).toBe(4000);
    t.record(kept, 0.5);
    expect(t.current(0.5)).toBe(2000);
  });

  it("doubles the window while the first product after each window still misses, and resets it once one keeps up", () => {
    const t = new ThreadingThreshold(limits);
    let now = 0;
    const windows: number[] = [];
    for (let i = 0; i < 6; i++) {
      t.record(miss, now);
      windows.push(t.backoff);
      now += t.backoff;
      expect(t.current(now - 0.01)).toBeGreaterThan(1000);
      expect(t.current(now)).toBe(1000);
    }
    // The workers still miss after every window (another process keeps the core): 2, 4, ... 16 ms.
    expect(windows).toEqual([2, 4, 8, 16, 16, 16]);
    t.record(kept, now);
    expect(t.backoff).toBe(2);
  });

  it("rejects limits that cannot work", () => {
    expect(() => new ThreadingThreshold({ ...limits, min: 0 })).toThrow(/min/);
    expect(() => new ThreadingThreshold({ ...limits, max: 10 })).toThrow(/min <= max/);
    expect(() => new ThreadingThreshold({ ...limits, maxBackoffMs: 1 })).toThrow(/Backoff/);
  });
});

describe("whether threading a product lost time", () => {
  it("a worker that never showed up costs nothing: the caller ran every chunk", () => {
    expect(threadingLost(1.0, 0.001, 22, 22)).toBe(false);
  });
  it("a worker that did its share, with the caller waiting a little for its last chunk, is a win", () => {
    // 11 chunks each in 0.5 ms; the caller waited 0.03 ms for the worker's last one.
    expect(threadingLost(0.53, 0.03, 11, 22)).toBe(false);
  });
  it("a worker that claimed a chunk and lost its core for milliseconds is a loss", () => {
    // The caller ran 21 of 22 chunks in 1 ms, then waited 3 ms for the worker's one.
    expect(threadingLost(4.0, 3.0, 21, 22)).toBe(true);
  });
  it("breaks even where the wait equals what the caller would have spent on the workers' chunks", () => {
    expect(threadingLost(1.2, 0.2, 10, 12)).toBe(false);
    expect(threadingLost(1.21, 0.21, 10, 12)).toBe(true);
  });
  it("a worker that ran every chunk is no loss either", () => {
    expect(threadingLost(1.0, 0.9, 0, 22)).toBe(false);
  });
});
