// The MNIST scene's tokens and the descent's tied/untied and damping settings, in Node: the
// tokens are the digit's patches, each setting reaches the unfolding as it says, and every bad
// value is refused naming the setting. (tokens-browser.test.ts checks the page against these.)
import { ReferenceBackend, defineUnfolding, runUnfolding, toFloat64 } from "@unfold/core";
import { MNIST_SIDE } from "@unfold/datasets";
import { yangLayerSteps } from "@unfold/energies";
import { describe, expect, it } from "vitest";
import { stepBound } from "../src/curvature.js";
import { runDescent } from "../src/descent.js";
import { type DescentSettings, unfoldingFor, weightsChoice } from "../src/descent-settings.js";
import { MNIST_TOKENS, MNIST_TOKEN_DIM, mnistPatchTokens, mnistScene, padDigit, patchesToImage } from "../src/mnist-scene.js";
import { dampedStep, sceneNamed, tunableStep } from "../src/scenes.js";
import { YANG_FEED_FORWARD_STEP } from "../src/yang-scene.js";
import { pageMnistScene, pageTestDigit } from "./page-digits.js";

const DIGIT = 3;

describe("the MNIST scene", () => {
  it("has the digit's 4 x 4 patches of its 32 x 32 padding as its 64 tokens in 16-D", () => {
    const { digit, label } = pageTestDigit(DIGIT);
    const instance = mnistScene(digit, label, DIGIT).build("float64");
    expect(instance.state.shape).toEqual([1, MNIST_TOKENS, MNIST_TOKEN_DIM]);
    const tokens = toFloat64(instance.state);
    // Pixel (row, column) of the padded image, read from the digit itself.
    const padded = (row: number, column: number): number => {
      const [r, c] = [row - 2, column - 2];
      return r >= 0 && r < MNIST_SIDE && c >= 0 && c < MNIST_SIDE ? digit[r * MNIST_SIDE + c]! : 0;
    };
    for (let t = 0; t < 64; t++) {
      for (let p = 0; p < 16; p++) {
        const row = 4 * Math.floor(t / 8) + Math.floor(p / 4);
        const column = 4 * (t % 8) + (p % 4);
        expect(tokens[t * 16 + p]).toBe(padded(row, column));
      }
    }
    // Reassembled, the tokens are the padded digit; every pixel is there once, none negative.
    expect(patchesToImage(tokens)).toEqual(padDigit(digit));
    expect(tokens.reduce((a, b) => a + b, 0)).toBeCloseTo(digit.reduce((a, b) => a + b, 0), 12);
    expect(Math.min(...tokens)).toBeGreaterThanOrEqual(0);
    expect(digit.some((v) => v > 0.5)).toBe(true);
    expect(mnistScene(digit, label, DIGIT).reference).toContain(`MNIST test digit ${DIGIT} (a ${label})`);
  });

  it("refuses a digit or label that is not MNIST's, naming what it got", () => {
    expect(() => mnistPatchTokens(new Float64Array(27 * 27))).toThrow("an MNIST digit has 28 x 28 = 784 pixels, got 729");
    expect(() => mnistScene(new Float64Array(784), 10, 0)).toThrow("an MNIST label is a digit 0..9, got 10");
    expect(() => patchesToImage(new Float64Array(10))).toThrow("64 tokens of 16 pixels are 1024 values, got 10");
  });

  it("slides the feed-forward step (bounded by curvature) and damps the attention step", async () => {
    const instance = pageMnistScene(DIGIT).build("float64");
    expect(tunableStep(instance.unfolding)!.step.name).toBe("feedForward");
    expect(dampedStep(instance.unfolding)!.step.name).toBe("attention");
    const bound = await stepBound(instance);
    expect(bound!.step).toBe("feedForward");
    expect(YANG_FEED_FORWARD_STEP).toBeLessThan(bound!.bound);
  });

  it("descends with no guard event at its own settings, tied and untied over 24 layers", async () => {
    const instance = pageMnistScene(DIGIT).build("float64");
    for (const tied of [true, false]) {
      const run = await runDescent(instance, new ReferenceBackend(), { layers: 24, tied });
      expect(run.guardEvents).toEqual([]);
      expect(run.layers[24]!.energy).toBeLessThan(run.layers[0]!.energy);
    }
  });
});

describe("tied and untied weights", () => {
  it("tied: layer 0's set at every layer; untied: one seeded set per layer, the first the tied one", () => {
    const instance = pageMnistScene(DIGIT).build("float64");
    expect(instance.unfolding.tiedWeights).toBe(true);
    const tied = unfoldingFor(instance, { layers: 5, tied: true }).params;
    expect(tied.every((p) => p === instance.params[0])).toBe(true);
    expect(unfoldingFor(instance, { layers: 5 }).params).toEqual(tied);
    const untied = unfoldingFor(instance, { layers: 5, tied: false }).params;
    expect(untied[0]).toEqual(instance.params[0]);
    for (let l = 1; l < 5; l++) {
      for (const name of ["Wa", "Wf", "b"]) expect(untied[l]![name]!.data).not.toEqual(untied[l - 1]![name]!.data);
    }
    // The same seeds in a fresh build (the browser's), in float32 too: the same values, rounded once.
    const again = unfoldingFor(pageMnistScene(DIGIT).build("float32"), { layers: 5, tied: false }).params;
    again.forEach((set, l) => expect(toFloat64(set["Wf"]!)).toEqual(Float64Array.from(untied[l]!["Wf"]!.data, Math.fround)));
  });

  it("untied on the zoo's Yang example: its three sets in turn; tied: the first at every layer", () => {
    const instance = sceneNamed("yang").build("float64");
    expect(weightsChoice(instance)).toMatchObject({ canUntie: true, tied: false });
    const own = unfoldingFor(instance, { layers: 5 }).params;
    expect(own).toEqual([0, 1, 2, 0, 1].map((s) => instance.params[s]));
    expect(unfoldingFor(instance, { layers: 5, tied: false }).params).toEqual(own);
    expect(unfoldingFor(instance, { layers: 5, tied: true }).params).toEqual(Array(5).fill(instance.params[0]));
  });

  it("changes the trace: untied MNIST equals runUnfolding with the per-layer sets passed by hand", async () => {
    const scene = pageMnistScene(DIGIT);
    const instance = scene.build("float64");
    const sets = [0, 1, 2].map((l) => instance.layerParams!(l));
    const byHand = await runUnfolding(defineUnfolding({ energy: instance.unfolding.energy, steps: instance.unfolding.steps, layers: 3, tiedWeights: false }), new ReferenceBackend(), { state: instance.state, params: sets });
    const untied = await runDescent(instance, new ReferenceBackend(), { layers: 3, tied: false });
    const tied = await runDescent(instance, new ReferenceBackend(), { layers: 3, tied: true });
    expect(untied.layers.map((l) => l.energy)).toEqual(byHand.trace.layers.map((l) => l.energy));
    expect(tied.layers[3]!.energy).not.toBe(untied.layers[3]!.energy);
  });
});

describe("damping", () => {
  it("sets the attention MM step's size at every layer and nothing else", () => {
    const instance = pageMnistScene(DIGIT).build("float64");
    const { unfolding } = unfoldingFor(instance, { layers: 4, damping: 1.5, stepSize: 0.3 });
    const [attention, feedForward] = [dampedStep(unfolding)!.index, tunableStep(unfolding)!.index];
    for (let l = 0; l < 4; l++) {
      expect(unfolding.stepSize(attention, l)).toBe(1.5);
      expect(unfolding.stepSize(feedForward, l)).toBe(0.3);
    }
    const own = unfoldingFor(instance, { layers: 4 }).unfolding;
    expect(own.stepSize(attention, 3)).toBe(0.5);
    expect(own.stepSize(feedForward, 3)).toBe(YANG_FEED_FORWARD_STEP);
  });

  it("gives the trace of yangLayerSteps built with that attentionStepSize", async () => {
    const instance = pageMnistScene(DIGIT).build("float64");
    const damped = await runDescent(instance, new ReferenceBackend(), { layers: 4, damping: 1.25 });
    const steps = yangLayerSteps(instance.unfolding.energy, { attentionStepSize: 1.25, feedForwardStepSize: YANG_FEED_FORWARD_STEP });
    const byHand = await runUnfolding(defineUnfolding({ energy: instance.unfolding.energy, steps, layers: 4 }), new ReferenceBackend(), { state: instance.state, params: instance.params[0]! });
    expect(damped.layers.map((l) => l.energy)).toEqual(byHand.trace.layers.map((l) => l.energy));
    const own = await runDescent(instance, new ReferenceBackend(), { layers: 4 });
    expect(own.layers[4]!.energy).not.toBe(damped.layers[4]!.energy);
  });

  it("is offered only where the unfolding has a Yang attention MM step", () => {
    for (const name of ["yang", "points-2d", "points-3d"]) expect(dampedStep(sceneNamed(name).build("float64").unfolding)?.step.name).toBe("attention");
    for (const name of ["energy-transformer", "hopfield", "lagrangian", "hopfield-network", "crate", "crate-ista"]) expect(dampedStep(sceneNamed(name).build("float64").unfolding)).toBeUndefined();
  });
});

describe("bad settings", () => {
  const mnist = (): ReturnType<ReturnType<typeof pageMnistScene>["build"]> => pageMnistScene(DIGIT).build("float64");
  const cases: [string, () => unknown, string][] = [
    ["layers 0", () => unfoldingFor(mnist(), { layers: 0 }), "layers must be a positive integer, got 0"],
    ["layers 2.5", () => unfoldingFor(mnist(), { layers: 2.5 }), "layers must be a positive integer, got 2.5"],
    ["step size 0", () => unfoldingFor(mnist(), { layers: 2, stepSize: 0 }), "step size must be a positive number, got 0"],
    ["step size Infinity", () => unfoldingFor(mnist(), { layers: 2, stepSize: Infinity }), "step size must be a positive number, got Infinity"],
    ["damping 0", () => unfoldingFor(mnist(), { layers: 2, damping: 0 }), "damping must be a number in (0, 2) (1 is the full attention step), got 0"],
    ["damping 2", () => unfoldingFor(mnist(), { layers: 2, damping: 2 }), "damping must be a number in (0, 2) (1 is the full attention step), got 2"],
    ["damping -0.5", () => unfoldingFor(mnist(), { layers: 2, damping: -0.5 }), "damping must be a number in (0, 2) (1 is the full attention step), got -0.5"],
    ["damping NaN", () => unfoldingFor(mnist(), { layers: 2, damping: Number.NaN }), "damping must be a number in (0, 2) (1 is the full attention step), got NaN"],
    ["damping '1'", () => unfoldingFor(mnist(), { layers: 2, damping: "1" as unknown as number }), "damping must be a number in (0, 2) (1 is the full attention step), got \"1\""],
    ["tied 'yes'", () => unfoldingFor(mnist(), { layers: 2, tied: "yes" as unknown as boolean }), 'tied must be true or false, got "yes"'],
    [
      "damping without an MM step",
      () => unfoldingFor(sceneNamed("hopfield").build("float64"), { layers: 2, damping: 1 }),
      "damping 1: energy 'hopfield' has no attention majorize-minimize step to damp (steps: 'cccp' (closedForm), 'gradient' (gradient))",
    ],
    [
      "untied with one set",
      () => unfoldingFor(sceneNamed("energy-transformer").build("float64"), { layers: 2, tied: false }),
      "tied is false (untied weights), but this example has one parameter set and draws no more, so it cannot give each layer its own",
    ],
  ];
  it.each(cases)("refuses %s, naming the setting", (_, call, message) => {
    expect(call).toThrow(message);
  });

  it("says on the toggle why a scene is tied only", () => {
    expect(weightsChoice(sceneNamed("hopfield").build("float64"))).toEqual({
      canUntie: false,
      tied: true,
      note: "Tied only: this example has one parameter set and draws no more, so it cannot give each layer its own.",
    });
    const settings: DescentSettings = { layers: 3, tied: true };
    expect(unfoldingFor(sceneNamed("hopfield").build("float64"), settings).params.length).toBe(3);
  });
});
