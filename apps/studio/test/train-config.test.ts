// The training view's pure parts: the quick config as the page trains it is the trainer's own,
// the page's task is the trainer's MNIST task on the page's digits, and the predict sample is in
// predict's input format.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { MNIST_SIDE, mnistSplit, patchTokens } from "@unfold/datasets";
import { describe, expect, it } from "vitest";
import { decodeDigits } from "../src/train/digits-format.js";
import { DIGITS_FILE, PAGE_TEST_DIGITS, PAGE_TRAIN_DIGITS } from "../src/train/digits-file.js";
import { predictSample } from "../src/train/export.js";
import { QUICK_MODEL, QUICK_PATCH, QUICK_TRAIN } from "../src/train/quick-config.js";
import { pageMnistTask } from "../src/train/task.js";
import { trainingUnavailable } from "../src/train/view.js";
import { pageDigitsBytes } from "../vite/mnist-asset.js";

const quick = JSON.parse(readFileSync(fileURLToPath(new URL("../../trainer/configs/quick.json", import.meta.url)), "utf8")) as {
  task: { kind: string; tokens: string; patch: number };
  model: unknown;
  train: unknown;
};

describe("the training view's quick config", () => {
  it("is the trainer's configs/quick.json, model and train sections, 7 x 7 patches", () => {
    expect(QUICK_MODEL).toEqual(quick.model);
    expect(QUICK_TRAIN).toEqual(quick.train);
    expect(quick.task).toEqual({ kind: "mnist", tokens: "patches", patch: QUICK_PATCH });
  });

  it("trains on the page's digits as the trainer's patches, labels 0..9", () => {
    const task = pageMnistTask(decodeDigits(pageDigitsBytes(mnistSplit), DIGITS_FILE), QUICK_PATCH);
    expect([task.trainCount, task.testCount]).toEqual([PAGE_TRAIN_DIGITS, PAGE_TEST_DIGITS]);
    expect(task.input).toEqual({ kind: "features", tokens: 16, features: 49 });
    expect(task.labels).toEqual(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
    const node = mnistSplit({ train: PAGE_TRAIN_DIGITS, test: PAGE_TEST_DIGITS });
    const batch = task.batch("test", [0, 7]);
    const pixels = MNIST_SIDE * MNIST_SIDE;
    const images = new Float64Array(2 * pixels);
    images.set(node.test.images.subarray(0, pixels));
    images.set(node.test.images.subarray(7 * pixels, 8 * pixels), pixels);
    expect(Array.from(batch.inputs)).toEqual(Array.from(patchTokens(images, 2, MNIST_SIDE, QUICK_PATCH).tokens));
    expect(Array.from(batch.targets)).toEqual([node.test.labels[0], node.test.labels[7]]);
  });

  it("writes predict's input lines for the first test digits", () => {
    const task = pageMnistTask(decodeDigits(pageDigitsBytes(mnistSplit), DIGITS_FILE), QUICK_PATCH);
    const lines = predictSample(task, 3).trimEnd().split("\n").map((l) => JSON.parse(l) as { input: number[]; label: number });
    expect(lines).toHaveLength(3);
    const batch = task.batch("test", [0, 1, 2]);
    lines.forEach((line, i) => {
      expect(line.input).toEqual(Array.from(batch.inputs.subarray(i * 784, (i + 1) * 784)));
      expect(line.label).toBe(batch.targets[i]);
    });
  });

  it("refuses the reference backend, saying which to pick", () => {
    expect(trainingUnavailable("reference")).toMatch(/too slow to train the quick config live; pick the CPU, WebGPU, ONNX or TensorFlow\.js backend/);
    // Every other backend trains (test/train-backends-browser.test.ts trains each in the page).
    for (const name of ["cpu", "webgpu", "onnx", "tfjs"] as const) expect(trainingUnavailable(name)).toBeUndefined();
  });
});
