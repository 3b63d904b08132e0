import { hostTensor, input, ops, trace } from "@unfold/core";
import { afterAll, describe, expect, it } from "vitest";
import { OnnxBackend } from "../src/index.js";
import { queueOrtRun } from "../src/run-queue.js";

describe("onnx runs queue process-wide", () => {
  const first = new OnnxBackend();
  const second = new OnnxBackend();
  afterAll(async () => {
    await first.dispose();
    await second.dispose();
  });

  it("runs of two backends' sessions started at once each get their own answer", async () => {
    const x = hostTensor(Float32Array.from({ length: 4096 }, (_, i) => i / 4096), [64, 64], "float32");
    const square = await first.compile(trace({ x: input([64, 64], "float32") }, ({ x }) => ({ y: ops.matmul(x, x) })));
    const negate = await second.compile(trace({ x: input([64, 64], "float32") }, ({ x }) => ({ y: ops.neg(x) })));
    const runs = Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? square : negate).run({ x }));
    const outs = await Promise.all(runs);
    const squared = (await outs[0]!["y"]!.read()).data;
    for (const [i, out] of outs.entries()) {
      const y = (await out["y"]!.read()).data;
      if (i % 2 === 0) expect(Array.from(y)).toEqual(Array.from(squared));
      else expect(Array.from(y)).toEqual(Array.from(x.data, (v) => -v));
    }
  });

  it("an executable's run waits for any onnxruntime run queued before it, of any session", async () => {
    const x = hostTensor([1, -2, 3], [3], "float32");
    const negate = await first.compile(trace({ x: input([3], "float32") }, ({ x }) => ({ y: ops.neg(x) })));
    await negate.run({ x }); // compiled and warm: the run below is quick once it may start
    let unblock!: () => void;
    const blocker = queueOrtRun(() => new Promise<void>((resolve) => (unblock = resolve)));
    let finished = false;
    const run = negate.run({ x }).then((outs) => {
      finished = true;
      return outs;
    });
    // Never a timing assertion: while the queue is blocked the run cannot finish, however long we wait.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(finished).toBe(false);
    unblock();
    await blocker;
    expect(Array.from((await (await run)["y"]!.read()).data)).toEqual([-1, 2, -3]);
  });

  it("starts a queued task only after the one before it has settled, failed or not", async () => {
    const events: string[] = [];
    let finishFirst!: () => void;
    const a = queueOrtRun(
      () =>
        new Promise<void>((resolve) => {
          events.push("a starts");
          finishFirst = () => {
            events.push("a ends");
            resolve();
          };
        }),
    );
    const b = queueOrtRun(async () => {
      events.push("b starts");
      throw new Error("b fails");
    });
    const c = queueOrtRun(async () => {
      events.push("c starts");
      return 3;
    });
    await Promise.resolve();
    await Promise.resolve();
    expect(events).toEqual(["a starts"]);
    finishFirst();
    await a;
    await expect(b).rejects.toThrow("b fails");
    expect(await c).toBe(3);
    expect(events).toEqual(["a starts", "a ends", "b starts", "c starts"]);
  });
});
