// The `threads` option: a positive integer, checked where the backend is made (never quietly
// rounded or clamped), and the pool's count of chunks the worker threads ran (threadActivity),
// which shows that the workers took part without timing anything.
import { hostTensor, input, runToHost, trace } from "@unfold/core";
import { afterAll, describe, expect, it } from "vitest";
import { CpuBackend } from "../src/index.js";

const program = trace({ a: input([192, 192], "float32") }, ({ a }) => ({ p: a.matmul(a) }));
const a = hostTensor(Float32Array.from({ length: 192 * 192 }, (_, i) => ((i * 7919) % 13) / 13 - 0.5), [192, 192], "float32");

describe("the threads option", () => {
  it.each([0, -2, 2.5, Number.NaN, Number.POSITIVE_INFINITY])("refuses threads: %s, naming the option", (threads) => {
    expect(() => new CpuBackend({ threads })).toThrow(`cpu backend: threads must be a positive integer, got ${threads}`);
  });

  const threaded = new CpuBackend({ threads: 2, parallelThreshold: 0 });
  const single = new CpuBackend({ threads: 1 });
  afterAll(async () => {
    await threaded.dispose();
    await single.dispose();
  });

  it("counts the chunks of threaded rounds and those the worker threads ran", async () => {
    const exe = await threaded.compile(program);
    const before = threaded.threadActivity();
    const want = (await runToHost(await single.compile(program), { a }))["p"]!.data;
    // Enough runs that a worker gets a core on a busy machine at least once (a count, not a time).
    for (let run = 0; run < 50; run++) expect(Array.from((await runToHost(exe, { a }))["p"]!.data)).toEqual(Array.from(want));
    const after = threaded.threadActivity();
    expect(after.chunks).toBeGreaterThan(before.chunks);
    expect(after.onWorkers).toBeGreaterThan(before.onWorkers);
    expect(after.onWorkers - before.onWorkers).toBeLessThanOrEqual(after.chunks - before.chunks);
  });

  it("counts nothing on one thread, which has no workers", async () => {
    await runToHost(await single.compile(program), { a });
    expect(single.threadActivity()).toEqual({ chunks: 0, onWorkers: 0 });
    expect((await single.engineInfo()).threads).toBe(1);
  });
});
