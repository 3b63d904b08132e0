// The implicit training step of the fixed-point CRATE and Energy Transformer models: the gradient
// of the training loss in every training parameter equals backpropagation through a long converged
// unrolling (K = 500) of the same anchored map, the embedding's included (which only the input's
// place in the map lets reach the fixed point); JFB and phantom gradients are reported by angle.
import { type Backend, ReferenceBackend, relativeError } from "@unfold/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tinyParams, tinyTask } from "./fixed-point-fixture.js";
import { type ZooKind, angle, flat, implicitStepGrads, norm, unrolledGrads, zooModel } from "./fixed-point-zoo-fixture.js";

const BATCH = 4;
const task = tinyTask(8, 4);

let backend: Backend;
beforeAll(() => {
  backend = new ReferenceBackend();
});
afterAll(async () => {
  await backend.dispose();
});

describe.each(["crate", "energy-transformer"] as const satisfies readonly ZooKind[])("the implicit training step of a fixed-point %s model", (kind) => {
  const model = zooModel(kind, task);
  const params = tinyParams(model);
  const names = Object.keys(model.specs);

  it("gives the gradient in every parameter that backpropagation through K = 500 converged layers gives (1e-6 relative)", async () => {
    const { grads, figures } = await implicitStepGrads(backend, model, task, params, BATCH);
    const unrolled = await unrolledGrads(backend, model, task, params, BATCH, 500);
    const errors = names.map((name) => {
      const error = relativeError(grads[name]!.data, unrolled[name]!.data);
      expect(error, name).toBeLessThan(1e-6);
      return `${name} ${error.toExponential(1)}`;
    });
    console.log(`fixed-point ${kind}, implicit vs K = 500 unrolled, relative error: ${errors.join(", ")}`);
    console.log(`fixed-point ${kind} step figures: ${JSON.stringify(figures)}`);
    expect(figures).toMatchObject({ converged: true, backwardConverged: true });
    // The input enters the map, so the embedding gets a real share of the gradient.
    const embed = flat(grads, ["embed.W", "embed.b", "embed.position"]);
    expect(norm(embed)).toBeGreaterThan(1e-2 * norm(flat(grads, names)));
  }, 120_000);

  it("reports JFB and phantom gradients by their angle to the implicit one", async () => {
    const exact = flat((await implicitStepGrads(backend, model, task, params, BATCH)).grads, names);
    for (const backward of ["jfb", "phantom"] as const) {
      const approximate = flat((await implicitStepGrads(backend, zooModel(kind, task, { backward }), task, params, BATCH)).grads, names);
      console.log(`fixed-point ${kind}: ${backward} gradient at ${angle(approximate, exact).toFixed(1)} deg to the implicit one`);
      expect(angle(approximate, exact)).toBeLessThan(90);
    }
  }, 120_000);
});
