import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type FileTaskOptions, fileTask } from "../src/data/file.js";
import { DataFileError } from "../src/data/file-error.js";
import { inputShape, targetShape } from "@unfold/training";

const dir = mkdtempSync(join(tmpdir(), "unfold-data-file-"));
let counter = 0;

/** Writes `text` to a fresh file with the given name ending and returns its path. */
function file(ending: string, text: string): string {
  const path = join(dir, `f${counter++}-${ending}`);
  writeFileSync(path, text);
  return path;
}

const jsonl = (...records: unknown[]) => records.map((r) => (typeof r === "string" ? r : JSON.stringify(r))).join("\n") + "\n";

/** Expects fileTask to throw a DataFileError whose message is exactly `${path} line N: detail` (or `${path}: detail`). */
function expectFileError(options: FileTaskOptions, path: string, line: number | undefined, detail: string): void {
  let caught: unknown;
  try {
    fileTask(options);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(DataFileError);
  expect((caught as Error).message).toBe(`${line === undefined ? path : `${path} line ${line}`}: ${detail}`);
  expect((caught as DataFileError).line).toBe(line);
}

describe("fileTask on good JSONL", () => {
  it("splits flat inputs into tokens and holds out the last 20% of rows", () => {
    const path = file("data.jsonl", jsonl(...Array.from({ length: 10 }, (_, n) => ({ input: [n, n + 0.5, -n, 1, 2, 3], label: n % 3 }))));
    const task = fileTask({ path, tokens: 2 });
    expect(task.name).toMatch(/data\.jsonl$/);
    expect(task.input).toEqual({ kind: "features", tokens: 2, features: 3 });
    expect(task.target).toEqual({ kind: "class", classes: 3 });
    expect([task.trainCount, task.testCount]).toEqual([8, 2]);
    expect(inputShape(task, 5)).toEqual([5, 2, 3]);
    const test = task.batch("test", [1, 0]);
    expect(Array.from(test.inputs)).toEqual([9, 9.5, -9, 1, 2, 3, 8, 8.5, -8, 1, 2, 3]);
    expect(Array.from(test.targets)).toEqual([0, 2]);
    expect(Array.from(task.batch("train", [7]).targets)).toEqual([1]);
  });

  it("reads nested [tokens][features] inputs with a label per token (-1 = no loss), skipping blank lines", () => {
    const path = file("seq.jsonl", `${JSON.stringify({ input: [[1, 2], [3, 4], [5, 6]], label: [-1, 4, 0] })}\n\n  \n${JSON.stringify({ input: [[0, 0], [1, 1], [2, 2]], label: [1, -1, -1] })}\r\n`);
    const task = fileTask({ path, testFraction: 0 });
    expect(task.input).toEqual({ kind: "features", tokens: 3, features: 2 });
    expect(task.target).toEqual({ kind: "tokens", classes: 5 });
    expect(targetShape(task, 2)).toEqual([2, 3]);
    const batch = task.batch("train", [0, 1]);
    expect(Array.from(batch.targets)).toEqual([-1, 4, 0, 1, -1, -1]);
    expect(Array.from(batch.inputs)).toEqual([1, 2, 3, 4, 5, 6, 0, 0, 1, 1, 2, 2]);
  });

  it("reads token ids when asked, with vocab = largest id + 1", () => {
    const path = file("ids.jsonl", jsonl({ input: [3, 1, 4], label: [1, 5, -1] }, { input: [0, 0, 9], label: [2, 6, 5] }));
    const task = fileTask({ path, input: "ids", testFraction: 0 });
    expect(task.input).toEqual({ kind: "ids", tokens: 3, vocab: 10 });
    expect(inputShape(task, 2)).toEqual([2, 3]);
    expect(Array.from(task.batch("train", [1]).inputs)).toEqual([0, 0, 9]);
  });

  it("takes classes from the options and a separate test file", () => {
    const path = file("train.jsonl", jsonl({ input: [1, 2], label: 0 }, { input: [3, 4], label: 1 }));
    const testPath = file("test.jsonl", jsonl({ input: [5, 6], label: 7 }));
    const task = fileTask({ path, testPath, classes: 10 });
    expect(task.target).toEqual({ kind: "class", classes: 10 });
    expect([task.trainCount, task.testCount]).toEqual([2, 1]);
    expect(Array.from(task.batch("test", [0]).targets)).toEqual([7]);
    // Without the option, the class set is the training labels: a test label outside it is refused.
    expectFileError({ path, testPath }, testPath, 1, `field "label" is 7, a label the training file ${path} never uses (it uses 0, 1); or pass --classes N to allow labels training lacks`);
  });
});

describe("fileTask on good CSV", () => {
  it("reads the label column and feature columns named anything, split into tokens", () => {
    const rows = ["label,a,b,c,d", "1,0.5,1,1.5,2", "0,-1,-2,-3,-4", "2,1e-3,0,0,7", "1,1,1,1,1", "0,2,2,2,2"];
    const path = file("train.csv", `\ufeff${rows.join("\r\n")}\r\n`);
    const task = fileTask({ path, tokens: 2 });
    expect(task.input).toEqual({ kind: "features", tokens: 2, features: 2 });
    expect(task.target).toEqual({ kind: "class", classes: 3 });
    expect([task.trainCount, task.testCount]).toEqual([4, 1]);
    expect(Array.from(task.batch("train", [2]).inputs)).toEqual([0.001, 0, 0, 7]);
    expect(Array.from(task.batch("test", [0]).targets)).toEqual([0]);
  });

  it("uses a separate test file and an explicit format over the extension", () => {
    const path = file("train.txt", 'label,"x0","x1"\n1,2,3\n0,4,5\n');
    const testPath = file("test.txt", "label,p,q\n1,6,7\n");
    const task = fileTask({ path, testPath, format: "csv" });
    expect(task.input).toEqual({ kind: "features", tokens: 1, features: 2 });
    expect([task.trainCount, task.testCount]).toEqual([2, 1]);
    expect(Array.from(task.batch("test", [0]).inputs)).toEqual([6, 7]);
  });
});

describe("fileTask errors in JSONL name the file, line and field", () => {
  const good = (n: number) => Array.from({ length: n }, (_, k) => ({ input: [k, 1], label: k % 2 }));

  it("a fractional label, with classes given", () => {
    const path = file("data.jsonl", jsonl(...good(16), { input: [1, 2], label: 3.5 }));
    expectFileError({ path, classes: 10 }, path, 17, `field "label" must be an integer in [0, 9]: the class count is 10 (--classes / task.classes), got 3.5`);
  });

  it("labels that are negative, fractional, too large or not numbers", () => {
    const neg = file("neg.jsonl", jsonl(...good(2), { input: [1, 2], label: -2 }));
    expectFileError({ path: neg }, neg, 3, `field "label" must be a non-negative integer, got -2`);
    const frac = file("frac.jsonl", jsonl({ input: [1, 2], label: 0.25 }));
    expectFileError({ path: frac }, frac, 1, `field "label" must be a non-negative integer, got 0.25`);
    const big = file("big.jsonl", jsonl(...good(1), { input: [1, 2], label: 4 }));
    expectFileError({ path: big, classes: 4 }, big, 2, `field "label" must be an integer in [0, 3]: the class count is 4 (--classes / task.classes), got 4`);
    const text = file("text.jsonl", jsonl({ input: [1, 2], label: "cat" }));
    expectFileError({ path: text }, text, 1, `field "label" must be an integer or an array of integers, got "cat"`);
  });

  it("per-token labels of the wrong length or value", () => {
    const short = file("short.jsonl", jsonl({ input: [[1], [2], [3]], label: [0, 1] }));
    expectFileError({ path: short }, short, 1, `field "label" has 2 entries, expected 3 (one per input token)`);
    const bad = file("bad.jsonl", jsonl({ input: [[1], [2]], label: [0, -2] }));
    expectFileError({ path: bad }, bad, 1, `field "label[1]" must be a non-negative integer (or -1 for no loss), got -2`);
  });

  it("missing fields, bad JSON, a line that is not an object", () => {
    const noInput = file("a.jsonl", jsonl(...good(3), { label: 1 }));
    expectFileError({ path: noInput }, noInput, 4, `field "input" is missing`);
    const noLabel = file("b.jsonl", jsonl({ input: [1] }));
    expectFileError({ path: noLabel }, noLabel, 1, `field "label" is missing`);
    const broken = file("c.jsonl", jsonl(...good(1), '{"input": [1, 2], "label": 1'));
    let caught: Error | undefined;
    try {
      fileTask({ path: broken });
    } catch (error) {
      caught = error as Error;
    }
    expect(caught?.message).toMatch(new RegExp(`^${broken.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} line 2: not valid JSON \\(`));
    const array = file("d.jsonl", jsonl([1, 2, 3]));
    expectFileError({ path: array }, array, 1, `expected an object {"input": ..., "label": ...}, got [1,2,3]`);
  });

  it("inputs that are not numbers, ragged, empty or shaped unlike earlier lines", () => {
    const nan = file("nan.jsonl", jsonl({ input: [1, 2, "x"], label: 0 }));
    expectFileError({ path: nan }, nan, 1, `field "input[2]" must be a finite number, got "x"`);
    const nestedNan = file("nn.jsonl", jsonl({ input: [[1, 2], [3, null]], label: 0 }));
    expectFileError({ path: nestedNan }, nestedNan, 1, `field "input[1][1]" must be a finite number, got null`);
    const ragged = file("ragged.jsonl", jsonl({ input: [[1, 2], [3, 4], [5]], label: 0 }));
    expectFileError({ path: ragged }, ragged, 1, `field "input" is ragged: token 2 has 1 features, token 0 has 2`);
    const mixed = file("mixed.jsonl", jsonl({ input: [[1, 2], 3], label: 0 }));
    expectFileError({ path: mixed }, mixed, 1, `field "input[1]" must be an array of numbers (a token) like input[0], got 3`);
    const empty = file("empty-input.jsonl", jsonl({ input: [], label: 0 }));
    expectFileError({ path: empty }, empty, 1, `field "input" is empty`);
    const shape = file("shape.jsonl", jsonl({ input: [[1, 2], [3, 4]], label: 0 }, { input: [[1, 2], [3, 4]], label: 1 }, { input: [[1, 2, 3], [4, 5, 6]], label: 1 }));
    expectFileError({ path: shape }, shape, 3, `field "input" has shape [2, 3] (tokens, features), expected [2, 2] as on line 1`);
    const flat = file("flat.jsonl", jsonl({ input: [1, 2, 3, 4], label: 0 }, { input: [1, 2, 3], label: 0 }));
    expectFileError({ path: flat }, flat, 2, `field "input" has shape [1, 3] (tokens, features), expected [1, 4] as on line 1`);
    const split = file("split.jsonl", jsonl({ input: [1, 2, 3, 4, 5], label: 0 }));
    expectFileError({ path: split, tokens: 2 }, split, 1, `field "input" has 5 numbers, which do not split into 2 tokens (task.tokens)`);
    const tokens = file("tokens.jsonl", jsonl({ input: [[1], [2]], label: 0 }));
    expectFileError({ path: tokens, tokens: 3 }, tokens, 1, `field "input" has 2 tokens, expected 3 (task.tokens)`);
    const ids = file("ids.jsonl", jsonl({ input: [1, 2.5], label: 0 }));
    expectFileError({ path: ids, input: "ids" }, ids, 1, `field "input[1]" must be a non-negative integer token id, got 2.5`);
  });

  it("labels of different kinds on different lines", () => {
    const path = file("kinds.jsonl", jsonl({ input: [[1], [2]], label: 1 }, { input: [[1], [2]], label: [0, 1] }));
    expectFileError({ path }, path, 2, `field "label" is an array of integers but on line 1 it is one integer; every example needs the same kind of label`);
  });

  it("an empty or blank file, and one with nothing to learn", () => {
    const empty = file("empty.jsonl", "");
    expectFileError({ path: empty }, empty, undefined, "the file has no examples (it is empty or blank)");
    const blank = file("blank.jsonl", "\n  \n\n");
    expectFileError({ path: blank }, blank, undefined, "the file has no examples (it is empty or blank)");
    const ignored = file("ignored.jsonl", jsonl({ input: [[1]], label: [-1] }, { input: [[2]], label: [-1] }));
    expectFileError({ path: ignored, testFraction: 0 }, ignored, undefined, "every label of the training examples is -1, so there is nothing to learn");
  });
});

describe("fileTask errors in CSV name the file, line and column", () => {
  it("a cell that is not a number", () => {
    const header = ["label", ...Array.from({ length: 13 }, (_, i) => `x${i}`)].join(",");
    const row = (cells: string[]) => ["1", ...cells].join(",");
    const ok = Array.from({ length: 13 }, () => "0.5");
    const bad = [...ok];
    bad[12] = "abc";
    const path = file("train.csv", [header, row(ok), row(ok), row(bad)].join("\n"));
    expectFileError({ path }, path, 4, `column 14 ("x12") is not a number ("abc")`);
    const blankCell = [...ok];
    blankCell[0] = " ";
    const blank = file("blank-cell.csv", [header, row(blankCell)].join("\n"));
    expectFileError({ path: blank }, blank, 2, `column 2 ("x0") is not a number ("")`);
  });

  it("bad labels", () => {
    const frac = file("frac.csv", "label,a\n1,2\n2.5,3\n");
    expectFileError({ path: frac }, frac, 3, `column "label" must be a non-negative integer, got "2.5"`);
    const neg = file("neg.csv", "label,a\n-1,2\n");
    expectFileError({ path: neg }, neg, 2, `column "label" must be a non-negative integer, got "-1"`);
    const big = file("big.csv", "label,a\n10,2\n");
    expectFileError({ path: big, classes: 10 }, big, 2, `column "label" must be an integer in [0, 9]: the class count is 10 (--classes / task.classes), got "10"`);
    const missing = file("missing.csv", "label,a\n,2\n");
    expectFileError({ path: missing }, missing, 2, `column "label" must be a non-negative integer, got ""`);
  });

  it("rows of the wrong width, a missing header, columns that do not split into tokens", () => {
    const ragged = file("ragged.csv", "label,a,b\n1,2,3\n\n1,2\n");
    expectFileError({ path: ragged }, ragged, 4, `2 columns, but the header has 3`);
    const noHeader = file("noheader.csv", "1,2,3\n0,4,5\n");
    expectFileError({ path: noHeader }, noHeader, 1, `the first column must be "label", got "1" (a header row naming the columns is required)`);
    const onlyLabel = file("only.csv", "label\n1\n");
    expectFileError({ path: onlyLabel }, onlyLabel, 1, `no feature columns after "label"`);
    const tokens = file("tokens.csv", "label,a,b,c\n1,2,3,4\n");
    expectFileError({ path: tokens, tokens: 2 }, tokens, 1, `3 feature columns do not split into 2 tokens (task.tokens)`);
  });

  it("an empty file, and a header with no rows", () => {
    const empty = file("empty.csv", "\n");
    expectFileError({ path: empty }, empty, undefined, `the file is empty (a header row starting with "label" is required)`);
    const headerOnly = file("header.csv", "label,a,b\n");
    expectFileError({ path: headerOnly }, headerOnly, undefined, "the file has no examples (it is empty or blank)");
  });
});

describe("fileTask errors about files and options", () => {
  it("a missing file, an unknown extension, a test file of another layout, too small a train split", () => {
    const missing = join(dir, "nope.jsonl");
    expectFileError({ path: missing }, missing, undefined, `no such file (looked for '${missing}')`);
    expectFileError({ path: dir }, dir, undefined, "is a directory, not a data file");
    const txt = file("data.txt", "label,a\n1,2\n");
    expectFileError({ path: txt }, txt, undefined, 'cannot tell the format from the extension ".txt": name the file .jsonl (or .ndjson) or .csv, or set task.format ("jsonl" or "csv") in a config');
    const train = file("train.csv", "label,a,b\n1,2,3\n");
    const test = file("test.csv", "label,a\n1,2\n");
    expectFileError({ path: train, testPath: test }, test, undefined, `examples are [1, 1] inputs with one label, but ${train} has [1, 2] inputs with one label`);
    const one = file("one.csv", "label,a\n1,2\n");
    expectFileError({ path: one, testFraction: 0.6 }, one, undefined, "1 examples leave none for training with testFraction 0.6");
    expect(() => fileTask({ path: one, testFraction: 1 })).toThrow(/testFraction must be in \[0, 1\), got 1/);
    expect(() => fileTask({ path: one, tokens: 0 })).toThrow(/tokens must be an integer >= 1/);
  });
});
