import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type FileTaskOptions, fileTask } from "../src/data/file.js";
import { describeLabels } from "../src/data/classes.js";

const dir = mkdtempSync(join(tmpdir(), "unfold-data-classes-"));
let counter = 0;

/** A JSONL file whose examples carry `labels` in order (inputs are the example number). */
function labelled(labels: readonly (number | number[])[]): string {
  const path = join(dir, `f${counter++}.jsonl`);
  writeFileSync(path, labels.map((label, k) => JSON.stringify({ input: Array.isArray(label) ? label.map(() => [k]) : [k, 1], label })).join("\n") + "\n");
  return path;
}

/** fileTask with warnings collected instead of printed. */
function withWarnings(options: FileTaskOptions): { classes: number; warnings: string[] } {
  const warnings: string[] = [];
  const task = fileTask({ ...options, warn: (m) => warnings.push(m) });
  return { classes: task.target.classes, warnings };
}

afterEach(() => vi.restoreAllMocks());

describe("the class set of a user's file", () => {
  it("is the training labels when they are 0..N-1, with no warning", () => {
    const path = labelled([0, 1, 2, 0, 1, 2, 0, 1, 2, 0]);
    expect(withWarnings({ path })).toEqual({ classes: 3, warnings: [] });
  });

  it("warns when the labels are not 0..N-1, saying what was seen and the head's class count", () => {
    // 1-based labels: class 0 has no example.
    const path = labelled([1, 2, 3, 4, 1, 2, 3, 4, 1, 2]);
    const { classes, warnings } = withWarnings({ path });
    expect(classes).toBe(5);
    expect(warnings).toEqual([`${path}: the labels are 1-4, not 0..3: the head will have 5 classes, 1 of them (0) with no example; pass --classes N to set the class count`]);
  });

  it("prints the warning on standard error by default", () => {
    const write = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const path = labelled([0, 2, 0, 2, 0, 2, 0, 2, 0, 2]);
    fileTask({ path });
    expect(write).toHaveBeenCalledWith(`warning: ${path}: the labels are 0, 2, not 0..1: the head will have 3 classes, 1 of them (1) with no example; pass --classes N to set the class count\n`);
  });

  it("refuses a head with more than twice as many classes as labels seen, naming the line of the largest", () => {
    const path = labelled([0, 1, 6, 0, 1, 0, 1, 0, 1, 0]);
    expect(() => fileTask({ path })).toThrow(
      `${path} line 3: field "label" is 6, but the labels are 0, 1, 6 (3 distinct): the head would have 7 classes, 4 of them with no example; renumber the labels 0..2, or pass --classes N (task.classes) to train 7 or more classes`,
    );
    // At the bound (6 classes for 3 labels): a warning, not an error.
    const { classes, warnings } = withWarnings({ path: labelled([0, 1, 5, 0, 1, 5, 0, 1, 5, 0]) });
    expect(classes).toBe(6);
    expect(warnings).toHaveLength(1);
  });

  it("with --classes, takes the count as given: no warning, and test labels the training lacks are allowed below it", () => {
    const path = labelled([0, 2, 0, 2, 0, 2, 0, 2]);
    const testPath = labelled([1, 3]);
    expect(withWarnings({ path, testPath, classes: 4 })).toEqual({ classes: 4, warnings: [] });
    expect(() => fileTask({ path, testPath, classes: 3 })).toThrow(`${testPath} line 2: field "label" must be an integer in [0, 2]: the class count is 3 (--classes / task.classes), got 3`);
    expect(() => fileTask({ path, testPath, warn: () => undefined })).toThrow(`${testPath} line 1: field "label" is 1, a label the training file ${path} never uses (it uses 0, 2); or pass --classes N to allow labels training lacks`);
  });

  it("needs two classes in the training examples, with or without --classes", () => {
    const path = labelled([1, 1, 1, 1, 1, 1, 1, 1, 0, 0]);
    // The last 20% holds the only 0s: training would see class 1 alone.
    expect(() => fileTask({ path })).toThrow(`${path}: the training examples (the first 80% of the file) use only label 1: a classifier needs examples of at least two classes`);
    expect(() => fileTask({ path, classes: 2 })).toThrow(/use only label 1: a classifier needs examples of at least two classes/);
  });

  it("applies to per-token labels too, where -1 marks no loss and is no class", () => {
    const path = labelled([[0, -1], [1, -1], [0, 1], [1, 0], [-1, 1], [0, 0], [1, 1], [0, -1], [1, 2], [0, 1]]);
    expect(() => fileTask({ path })).toThrow(`${path} line 9: field "label[1]" is 2, a label the training examples never use (they use 0, 1); the test split is the last 20% of the file: if it is sorted by label, shuffle it; or pass --classes N to allow labels training lacks`);
    expect(withWarnings({ path, classes: 3 }).classes).toBe(3);
  });
});

describe("describeLabels", () => {
  it("writes runs and shortens long lists", () => {
    expect(describeLabels([0, 1, 2, 3, 7, 9, 10, 1000])).toBe("0-3, 7, 9, 10, 1000");
    expect(describeLabels(Array.from({ length: 20 }, (_, i) => 3 * i))).toBe("0, 3, 6, 9, 12, ... (20 labels)");
  });
});
