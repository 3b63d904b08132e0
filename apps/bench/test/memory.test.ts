import { describe, expect, it } from "vitest";
import { loadTf } from "../src/engines/tfjs.js";
import { tensorBytes, withTensorPeak } from "../src/engines/tfjs-memory.js";
import { PeakSampler, collectGarbage, heapBytes } from "../src/index.js";

const MB = 2 ** 20;

describe("the heap figure", () => {
  it("can collect garbage on demand, so a baseline holds only live memory", () => {
    expect(collectGarbage()).toBe(true);
    const baseline = heapBytes();
    // A million small objects: V8 heap, freed by the collection itself (an ArrayBuffer's store
    // may be released later, off the main thread).
    let garbage: { i: number }[] | undefined = Array.from({ length: 1_000_000 }, (_, i) => ({ i }));
    expect(heapBytes()).toBeGreaterThan(baseline + 16 * MB);
    expect(garbage.length).toBe(1_000_000);
    garbage = undefined;
    collectGarbage();
    expect(heapBytes()).toBeLessThan(baseline + 4 * MB);
  });

  it("sees memory allocated between start and stop, and nothing before the start", () => {
    const before = new Float64Array(8 * MB); // 64 MB, live before the sampler starts
    const sampler = new PeakSampler();
    const during = new Float64Array(4 * MB); // 32 MB
    sampler.sample();
    const grown = sampler.stop() / MB;
    expect(grown).toBeGreaterThanOrEqual(32);
    expect(grown).toBeLessThan(64);
    expect(before.length + during.length).toBe(12 * MB);
  });
});

describe("the TensorFlow.js pool figure", () => {
  it("counts a run's resident and transient tensors over what was held before", async () => {
    const tf = await loadTf();
    await tf.setBackend("cpu");
    const unrelated = tf.zeros([MB / 4]); // 1 MB held by someone else throughout
    const before = tensorBytes(tf);
    const resident = tf.zeros([MB / 4]); // 1 MB, made while the run is prepared
    const run = withTensorPeak(
      tf,
      {
        check: async () => {
          // A 4 MB transient, gone by the end of the check.
          const transient = tf.ones([MB]);
          const total = (await transient.sum().data())[0]!;
          transient.dispose();
          return { total: Float64Array.of(total) };
        },
        step: async () => {},
        dispose: async () => resident.dispose(),
      },
      before,
    );
    expect((await run.check())["total"]![0]).toBe(MB);
    // The resident 1 MB and the transient 4 MB (plus a scalar), not the unrelated 1 MB.
    const pool = run.poolBytes!() / MB;
    expect(pool).toBeGreaterThanOrEqual(5);
    expect(pool).toBeLessThan(5.01);
    await run.dispose();
    unrelated.dispose();
  });

  it("leaves TensorFlow.js out of profiling mode when the check throws", async () => {
    const tf = await loadTf();
    const run = withTensorPeak(
      tf,
      {
        check: () => Promise.reject(new Error("bad check")),
        step: async () => {},
        dispose: async () => {},
      },
      tensorBytes(tf),
    );
    await expect(run.check()).rejects.toThrow("bad check");
    expect(tf.engine().state.profiling).toBe(false);
  });
});
