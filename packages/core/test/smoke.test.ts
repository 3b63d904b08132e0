import { describe, expect, it } from "vitest";
import { ReferenceBackend, hostTensor, input, ops, runToHost, softmax, trace, gradients, optimize } from "../src/index.js";

describe("smoke", () => {
  it("traces, differentiates and runs", async () => {
    const program = trace({ x: input([2, 3]), w: input([3, 2]) }, ({ x, w }) => {
      const y = softmax(x.matmul(w)).sum();
      const [gx] = gradients(y.mul(y), [x]);
      return { y, gx: gx! };
    });
    const opt = optimize(program);
    const backend = new ReferenceBackend();
    const exe = await backend.compile(opt);
    const out = await runToHost(exe, {
      x: hostTensor([1, 2, 3, 4, 5, 6], [2, 3]),
      w: hostTensor([0.1, 0.2, 0.3, 0.4, 0.5, 0.6], [3, 2]),
    });
    expect(out["y"]!.data[0]).toBeCloseTo(2, 12);
    expect(Array.from(out["gx"]!.data).every((v) => Math.abs(v) < 1e-12)).toBe(true);
    expect(opt.nodes.length).toBeLessThan(program.nodes.length);
    void ops;
  });
});
