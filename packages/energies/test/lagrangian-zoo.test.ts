import { ReferenceBackend, hostTensor, relativeError, runUnfolding } from "@unfold/core";
import { describe, expect, it } from "vitest";
import { ZOO } from "../src/zoo/index.js";
import { lagrangianZooEntry } from "../src/lagrangian/zoo.js";

describe("the Lagrangian zoo entry", () => {
  it("is in the zoo", () => {
    expect(ZOO).toContain(lagrangianZooEntry);
  });

  for (const dtype of ["float64", "float32"] as const) {
    it(`${dtype}: its 12 steps descend the total energy at every layer under its throwing guard`, async () => {
      const { unfolding, state, params } = lagrangianZooEntry.example(dtype);
      expect(unfolding.guard.mode).toBe("throw");
      const { trace } = await runUnfolding(unfolding, new ReferenceBackend(), { state, params });
      expect(trace.layers).toHaveLength(13);
      for (let l = 1; l < trace.layers.length; l++) expect(trace.layers[l]!.energy).toBeLessThan(trace.layers[l - 1]!.energy);
    });
  }

  it("its leading axis is a batch: each row descends on its own", async () => {
    const { unfolding, state, params } = lagrangianZooEntry.example("float64");
    const [rows, width] = state.shape as [number, number];
    const whole = await runUnfolding(unfolding, new ReferenceBackend(), { state, params });
    const last = whole.state.data;
    for (let r = 0; r < rows; r++) {
      const alone = await runUnfolding(unfolding, new ReferenceBackend(), { state: hostTensor(state.data.slice(r * width, (r + 1) * width), [1, width]), params });
      expect(relativeError(alone.state.data, last.slice(r * width, (r + 1) * width))).toBeLessThanOrEqual(1e-14);
    }
  });
});
