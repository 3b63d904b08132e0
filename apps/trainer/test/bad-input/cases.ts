import { writeFileSync } from "node:fs";
import { Random } from "@unfold/core";
import { TINY_TRAIN, csv, csvRows, directory, exportedModel, file, foreignModel, goodInput, jsonl, modelCopy, nowhere, predictWith, rows, train, trainOn } from "./fixtures.js";

/**
 * One thing a user can get wrong, and what the error must name: the flag, the file, the line,
 * the field or column, the value. Every case runs the command as a user would (in process).
 */
export interface BadInputCase {
  readonly area: "config file" | "flags" | "JSONL data" | "CSV data" | "predict";
  readonly name: string;
  readonly run: () => Promise<unknown>;
  /** Texts the error message must contain. */
  readonly names: readonly string[];
}

const json = (value: unknown): string => JSON.stringify(value);
/** A built-in MNIST task small enough that a wrongly accepted config trains in seconds. */
const TINY_MNIST = { train: 100, test: 20 } as const;
const config = (name: string, value: unknown): string => file(name, json(value));
const dataFile = (): string => file("ok.jsonl", jsonl(...rows(10)));

function configCases(): BadInputCase[] {
  const area = "config file";
  const unknownField = config("layerz.json", { model: { kind: "yang", layerz: 3 } });
  const wrongType = config("type.json", { train: { epochs: "ten" } });
  const range = config("range.json", { train: { batchSize: 0 } });
  const dir = directory("config-dir.json");
  const missing = nowhere("none.json");
  const broken = file("broken.json", '{ "model": ');
  const array = file("array.json", "[1, 2]");
  const empty = file("empty.json", "");
  const kind = config("kind.json", { model: { kind: "resnet" } });
  const taskKind = config("task-kind.json", { task: { kind: "imagenet" } });
  const noKind = config("no-kind.json", { model: { layers: 3 } });
  const head = config("head.json", { model: { kind: "yang", head: "max" } });
  const decay = config("decay.json", { train: { decay: "exponential" } });
  const dtype = config("dtype.json", { dtype: 16 });
  const topLevel = config("top.json", { epochs: 3 });
  const missingData = nowhere("data.jsonl");
  const taskPath = config("task-path.json", { task: { kind: "file", path: missingData } });
  const dataDir = directory("data-dir.jsonl");
  const taskDir = config("task-dir.json", { task: { kind: "file", path: dataDir } });
  const both = config("both.json", { task: { kind: "file", path: dataFile(), testPath: dataFile(), testFraction: 0.3 }, train: TINY_TRAIN });
  const patch = config("patch.json", { task: { kind: "mnist", tokens: "rows", patch: 4, ...TINY_MNIST }, train: TINY_TRAIN });
  const flatten = config("flatten.json", { task: { kind: "recall", train: 100, test: 20 }, model: { kind: "yang", head: "flatten" }, train: TINY_TRAIN });
  const classes = config("classes.json", { task: { kind: "file", path: dataFile(), classes: 1 }, train: TINY_TRAIN });
  const energy = config("energy.json", { task: { kind: "mnist", ...TINY_MNIST }, train: TINY_TRAIN, energyInputs: 50 });
  const heads = config("heads.json", { task: { kind: "mnist", ...TINY_MNIST }, model: { kind: "transformer", dim: 64, heads: 3 }, train: TINY_TRAIN });
  return [
    { area, name: "an unknown field", run: () => train("--config", unknownField), names: [unknownField, "model.layerz", "unknown field"] },
    { area, name: "a field of the wrong type", run: () => train("--config", wrongType), names: [wrongType, "train.epochs", "number"] },
    { area, name: "an out-of-range field", run: () => train("--config", range), names: [range, "train.batchSize", ">=1"] },
    { area, name: "a directory", run: () => train("--config", dir), names: ["--config", dir, "is a directory"] },
    { area, name: "a missing file", run: () => train("--config", missing), names: ["--config", missing, "no such file"] },
    { area, name: "invalid JSON", run: () => train("--config", broken), names: [broken, "not valid JSON"] },
    { area, name: "JSON that is not an object", run: () => train("--config", array), names: [array, "a JSON object"] },
    { area, name: "an empty file", run: () => train("--config", empty), names: [empty, "empty"] },
    { area, name: "an unknown bundled name", run: () => train("--config", "mnist-99"), names: ["--config", "'mnist-99'", "quick"] },
    { area, name: "an unknown model kind", run: () => train("--config", kind), names: [`${kind}: field model.kind: 'resnet' is not a model; choose yang, energy-transformer, transformer or crate`] },
    { area, name: "an unknown task kind", run: () => train("--config", taskKind), names: [`${taskKind}: field task.kind: 'imagenet' is not a task; choose mnist, addition, recall or file`] },
    { area, name: "a model without a kind", run: () => train("--config", noKind), names: [`${noKind}: field model.kind: missing; choose a model: yang, energy-transformer, transformer or crate`] },
    { area, name: "an unknown model.head", run: () => train("--config", head), names: [`${head}: field model.head: 'max' is not a head; choose mean or flatten`] },
    { area, name: "an unknown train.decay", run: () => train("--config", decay), names: [`${decay}: field train.decay: 'exponential' is not a learning-rate decay; choose cosine, linear or constant`] },
    { area, name: "a dtype that is a number", run: () => train("--config", dtype), names: [`${dtype}: field dtype: 16 is not a dtype; choose float32 or float64`] },
    { area, name: "a flag's name as a top-level field", run: () => train("--config", topLevel), names: [topLevel, "epochs", "unknown field"] },
    { area, name: "task.path naming a missing file", run: () => train("--config", taskPath), names: [taskPath, "task.path", missingData, "no such file"] },
    { area, name: "task.path naming a directory", run: () => train("--config", taskDir), names: [taskDir, "task.path", dataDir, "is a directory"] },
    { area, name: "task.testFraction with task.testPath (one would be ignored)", run: () => train("--config", both), names: [both, "task.testFraction", "testPath"] },
    { area, name: "task.patch with row tokens (it would be ignored)", run: () => train("--config", patch), names: [patch, "task.patch", "rows"] },
    { area, name: "model.head flatten on a per-token task (it would be ignored)", run: () => train("--config", flatten), names: ["model.head", "flatten", "recall"] },
    { area, name: "task.classes below two", run: () => train("--config", classes), names: [classes, "task.classes", ">=2"] },
    { area, name: "energyInputs beyond the test split (it would be clamped)", run: () => train("--config", energy), names: [energy, "energyInputs", "50", "20"] },
    { area, name: "transformer heads that do not divide dim", run: () => train("--config", heads), names: [heads, "model.heads", "64"] },
  ];
}

function flagCases(): BadInputCase[] {
  const area = "flags";
  const dir = directory("data-dir");
  const missing = nowhere("train.jsonl");
  const withTestPath = config("test-path.json", { task: { kind: "file", path: dataFile(), testPath: dataFile() } });
  return [
    { area, name: "--epochs not a number", run: () => train("--epochs", "abc"), names: ["--epochs", "'abc'"] },
    { area, name: "--epochs empty", run: () => train("--epochs", ""), names: ["--epochs", "''"] },
    { area, name: "--epochs fractional", run: () => train("--epochs", "1.5"), names: ["--epochs", "int"] },
    { area, name: "--lr negative", run: () => train("--lr=-1"), names: ["--lr", ">0"] },
    { area, name: "--seed in hexadecimal", run: () => train("--seed", "0x10"), names: ["--seed", "'0x10'"] },
    { area, name: "--dim out of range", run: () => train("--dim", "100000"), names: ["--dim", "<=2048"] },
    { area, name: "--model unknown", run: () => train("--model", "resnet"), names: ["--model: 'resnet' is not a model; choose yang, energy-transformer, transformer or crate"] },
    { area, name: "--model misspelt", run: () => train("--model", "yan"), names: ["--model: 'yan' is not a model; choose yang, energy-transformer, transformer or crate"] },
    { area, name: "--task unknown", run: () => train("--task", "imagenet"), names: ["--task: 'imagenet' is not a task; choose mnist, addition or recall (or --data FILE for your own data)"] },
    { area, name: "--task file (a file task comes from --data)", run: () => train("--task", "file"), names: ["--task", "--data"] },
    { area, name: "--backend unknown", run: () => train("--backend", "cuda"), names: ["--backend: 'cuda' is not a backend; choose cpu, webgpu, onnx, tfjs or reference"] },
    { area, name: "--dtype unknown", run: () => train("--dtype", "float16"), names: ["--dtype: 'float16' is not a dtype; choose float32 or float64"] },
    { area, name: "--threads zero", run: () => train("--threads", "0"), names: ["--threads", "'0'"] },
    { area, name: "--threads on a one-thread backend (it would be ignored)", run: () => train("--threads", "2", "--backend", "tfjs"), names: ["--threads 2", "cpu and onnx", "tfjs"] },
    { area, name: "--task with --data", run: () => trainOn(dataFile(), "--task", "addition"), names: ["--task", "--data"] },
    { area, name: "--test-data without --data", run: () => train("--test-data", dataFile()), names: ["--test-data", "--data"] },
    { area, name: "--data replacing a config's task that names a test file", run: () => trainOn(dataFile(), "--config", withTestPath), names: ["--data", withTestPath, "testPath", "--test-data"] },
    { area, name: "--classes below two", run: () => trainOn(dataFile(), "--classes", "1"), names: ["--classes", ">=2"] },
    { area, name: "--classes not a number", run: () => trainOn(dataFile(), "--classes", "abc"), names: ["--classes", "'abc'"] },
    { area, name: "--classes on MNIST (it would be ignored)", run: () => train("--classes", "3"), names: ["--classes", "mnist"] },
    { area, name: "--train-examples with --data (it would be ignored)", run: () => trainOn(dataFile(), "--train-examples", "100"), names: ["--train-examples", "file"] },
    { area, name: "an unknown flag", run: () => train("--layerz", "3"), names: ["--layerz"] },
    { area, name: "--resume with --classes", run: () => train("--resume", "--classes", "3"), names: ["--resume", "--classes"] },
    { area, name: "--energy-inputs beyond the test split (it would be clamped)", run: () => train("--test-examples", "20", "--energy-inputs", "50"), names: ["--energy-inputs", "50", "20"] },
    { area, name: "--heads that do not divide --dim", run: () => train("--model", "transformer", "--heads", "3", "--dim", "64"), names: ["--heads", "64"] },
    { area, name: "--model energy-transformer on a next-token task", run: () => train("--model", "energy-transformer", "--task", "addition", "--train-examples", "100", "--test-examples", "20"), names: ["addition", "causal"] },
    { area, name: "--data a directory", run: () => trainOn(dir), names: ["--data", dir, "is a directory"] },
    { area, name: "--data a missing file", run: () => trainOn(missing), names: ["--data", missing, "no such file"] },
    { area, name: "--test-data a directory", run: () => trainOn(dataFile(), "--test-data", dir), names: ["--test-data", dir, "is a directory"] },
    { area, name: "--test-data a missing file", run: () => trainOn(dataFile(), "--test-data", missing), names: ["--test-data", missing, "no such file"] },
  ];
}

function jsonlCases(): BadInputCase[] {
  const area = "JSONL data";
  const good = rows(8);
  const broken = file("broken.jsonl", jsonl(...good, '{"input": [1, 2], "label": 1'));
  const noLabel = file("no-label.jsonl", jsonl(...good, { input: [1, 2] }));
  const textLabel = file("text-label.jsonl", jsonl({ input: [1, 2], label: "cat" }, ...good));
  const negative = file("negative.jsonl", jsonl(...good, { input: [1, 2], label: -2 }));
  const fraction = file("fraction.jsonl", jsonl(...good, { input: [1, 2], label: 0.5 }));
  const huge = file("huge.jsonl", jsonl({ input: [1, 2], label: 1000 }, ...rows(9, 3)));
  const beyond = file("beyond.jsonl", jsonl(...good, { input: [1, 2], label: 5 }));
  const single = file("single.jsonl", jsonl(...rows(10, 1)));
  const trainPart = file("train.jsonl", jsonl(...rows(10, 3)));
  const unseen = file("test.jsonl", jsonl({ input: [1, 2], label: 1 }, { input: [1, 2], label: 7 }));
  const overflow = file("overflow.jsonl", jsonl(...good, '{"input": [1, 1e999], "label": 1}'));
  const nan = file("nan.jsonl", jsonl('{"input": [NaN, 1], "label": 0}', ...good));
  const infinity = file("infinity.jsonl", jsonl('{"input": [[1, 2], [-Infinity, 3]], "label": 0}', ...good));
  const ragged = file("ragged.jsonl", jsonl({ input: [[1, 2], [3]], label: 0 }, ...good));
  const empty = file("empty.jsonl", "");
  const bom = file("bom.jsonl", `\ufeff${json(good[0])}\n{"input": [1, 2], "label": }\n`);
  const labelOverflow = file("label-overflow.jsonl", jsonl('{"input": [1, 2], "label": 1e999}', ...good));
  const textInput = file("text-input.jsonl", jsonl({ input: "1, 2", label: 0 }, ...good));
  const tokenLabels = file("token-labels.jsonl", jsonl({ input: [[1], [2]], label: [0, 4] }, ...Array.from({ length: 8 }, (_, k) => ({ input: [[k], [1]], label: [k % 2, -1] }))));
  const two = file("two.jsonl", jsonl({ input: [1, 2], label: 0 }, { input: [3, 4], label: 1 }));
  const sorted = file("sorted.jsonl", jsonl(...Array.from({ length: 10 }, (_, k) => ({ input: [k, 1], label: k < 4 ? 0 : k < 8 ? 1 : 2 }))));
  const text = file("data.txt", jsonl(...good));
  const shape = file("shape.jsonl", jsonl({ input: [1, 2], label: 0 }, { input: [1, 2, 3], label: 1 }, ...good));
  const arrayLine = file("array-line.jsonl", jsonl([1, 2, 3], ...good));
  return [
    { area, name: "a line that is not valid JSON", run: () => trainOn(broken), names: [broken, "line 9", "not valid JSON"] },
    { area, name: "a missing label", run: () => trainOn(noLabel), names: [noLabel, "line 9", '"label"', "missing"] },
    { area, name: "a label that is a string", run: () => trainOn(textLabel), names: [textLabel, "line 1", '"label"', '"cat"'] },
    { area, name: "a negative label", run: () => trainOn(negative), names: [negative, "line 9", '"label"', "-2"] },
    { area, name: "a fractional label", run: () => trainOn(fraction), names: [fraction, "line 9", '"label"', "0.5"] },
    { area, name: "a label of 1000 among 0..2 (a 1,001-class head)", run: () => trainOn(huge), names: [huge, "line 1", "1000", "1001 classes", "--classes"] },
    { area, name: "a label outside --classes", run: () => trainOn(beyond, "--classes", "3"), names: [beyond, "line 9", '"label"', "[0, 2]", "--classes"] },
    { area, name: "a single class", run: () => trainOn(single), names: [single, "only label 0", "two classes"] },
    { area, name: "a test-file label the training file never uses", run: () => trainOn(trainPart, "--test-data", unseen), names: [unseen, "line 2", '"label"', "7", trainPart] },
    { area, name: "1e999 in an input (overflows to Infinity)", run: () => trainOn(overflow), names: [overflow, "line 9", '"input[1]"', "not a finite number"] },
    { area, name: "NaN in an input", run: () => trainOn(nan), names: [nan, "line 1", '"input[0]"', "not a finite number"] },
    { area, name: "-Infinity in a nested input", run: () => trainOn(infinity), names: [infinity, "line 1", '"input[1][0]"', "not a finite number"] },
    { area, name: "a ragged nested input", run: () => trainOn(ragged), names: [ragged, "line 1", "ragged"] },
    { area, name: "an empty file", run: () => trainOn(empty), names: [empty, "no examples"] },
    { area, name: "a byte-order mark, then a broken line 2", run: () => trainOn(bom), names: [bom, "line 2", "not valid JSON"] },
    { area, name: "a label of 1e999", run: () => trainOn(labelOverflow), names: [labelOverflow, "line 1", '"label"', "not a finite number"] },
    { area, name: "an input that is a string", run: () => trainOn(textInput), names: [textInput, "line 1", '"input"', '"1, 2"'] },
    { area, name: "a per-token label outside --classes", run: () => trainOn(tokenLabels, "--classes", "3"), names: [tokenLabels, "line 1", '"label[1]"', "[0, 2]"] },
    { area, name: "too few examples to hold any out for testing", run: () => trainOn(two), names: [two, "2 examples", "test"] },
    { area, name: "a file sorted by label (the test split has a label training never sees)", run: () => trainOn(sorted), names: [sorted, "line 9", '"label"', "last 20%", "shuffle"] },
    { area, name: "an unknown extension", run: () => trainOn(text), names: [text, '".txt"', "task.format"] },
    { area, name: "an input shaped unlike the first line's", run: () => trainOn(shape), names: [shape, "line 2", "shape", "line 1"] },
    { area, name: "a line that is an array, not an object", run: () => trainOn(arrayLine), names: [arrayLine, "line 1", "an object"] },
  ];
}

function csvCases(): BadInputCase[] {
  const area = "CSV data";
  const header = "label,a,b";
  const good = csvRows(8);
  const huge = file("huge.csv", csv(header, "100000,1,2", ...good));
  const noLabel = file("no-label.csv", csv(header, ...good, ",1,2"));
  const negative = file("negative.csv", csv(header, "-1,1,2", ...good));
  const infinity = file("infinity.csv", csv(header, "0,1,Infinity", ...good));
  const nan = file("nan.csv", csv(header, ...good, "1,NaN,2"));
  const overflow = file("overflow.csv", csv(header, "1,1e999,2", ...good));
  const ragged = file("ragged.csv", csv(header, ...good, "1,2"));
  const headerOnly = file("header-only.csv", csv(header));
  const empty = file("empty.csv", "");
  const noHeader = file("no-header.csv", csv("0,1,2", ...good));
  const semicolons = file("semicolons.csv", csv("label;a;b", "0;1;2", "1;2;3"));
  const single = file("single.csv", csv(header, ...csvRows(10, 1)));
  const trainPart = file("train.csv", csv(header, ...csvRows(10, 3)));
  const beyond = file("test.csv", csv(header, "1,1,2", "3,1,2"));
  const word = file("word.csv", csv(header, "1,one,2", ...good));
  const fraction = file("fraction.csv", csv(header, "1.5,1,2", ...good));
  const narrow = file("narrow.csv", csv("label,a", "1,2", "0,3"));
  return [
    { area, name: "a label of 100000 among 0..1 (a 100,001-class head)", run: () => trainOn(huge), names: [huge, "line 2", "100000", "100001 classes", "--classes"] },
    { area, name: "an empty label cell", run: () => trainOn(noLabel), names: [noLabel, "line 10", 'column "label"'] },
    { area, name: "a negative label", run: () => trainOn(negative), names: [negative, "line 2", 'column "label"', '"-1"'] },
    { area, name: "Infinity in a cell", run: () => trainOn(infinity), names: [infinity, "line 2", 'column 3 ("b")', "not a finite number"] },
    { area, name: "NaN in a cell", run: () => trainOn(nan), names: [nan, "line 10", 'column 2 ("a")', "not a finite number"] },
    { area, name: "1e999 in a cell (overflows to Infinity)", run: () => trainOn(overflow), names: [overflow, "line 2", 'column 2 ("a")', "not a finite number"] },
    { area, name: "a row of the wrong width", run: () => trainOn(ragged), names: [ragged, "line 10", "2 columns", "3"] },
    { area, name: "a header and no rows", run: () => trainOn(headerOnly), names: [headerOnly, "no examples"] },
    { area, name: "an empty file", run: () => trainOn(empty), names: [empty, "empty"] },
    { area, name: "no header row", run: () => trainOn(noHeader), names: [noHeader, "line 1", '"label"', "header"] },
    { area, name: "semicolons for commas", run: () => trainOn(semicolons), names: [semicolons, "line 1", "';'"] },
    { area, name: "a single class", run: () => trainOn(single), names: [single, "only label 0", "two classes"] },
    { area, name: "a test-file label outside --classes", run: () => trainOn(trainPart, "--test-data", beyond, "--classes", "3"), names: [beyond, "line 3", 'column "label"', "[0, 2]"] },
    { area, name: "a word in a feature cell", run: () => trainOn(word), names: [word, "line 2", 'column 2 ("a")', "not a number", '"one"'] },
    { area, name: "a fractional label", run: () => trainOn(fraction), names: [fraction, "line 2", 'column "label"', '"1.5"'] },
    { area, name: "a test file of another layout", run: () => trainOn(trainPart, "--test-data", narrow), names: [narrow, trainPart, "[1, 1]", "[1, 2]"] },
  ];
}

/** The fixture model's bytes with the first byte of its model card's JSON replaced. */
function damageCard(bytes: Uint8Array): Uint8Array {
  const at = Buffer.from(bytes).indexOf('{"model":');
  if (at < 0) throw new Error("the fixture model has no model card");
  bytes[at] = "x".charCodeAt(0);
  return bytes;
}

function predictCases(): BadInputCase[] {
  const area = "predict";
  const input = file("input.jsonl", jsonl(goodInput));
  const missing = nowhere("model.onnx");
  const missingInput = nowhere("input.jsonl");
  const dir = directory("model-dir.onnx");
  const inputDir = directory("input-dir.jsonl");
  const random = new Random(7);
  const noise = file("random.onnx", Uint8Array.from({ length: 50_000 }, () => random.int(0, 255)));
  const empty = file("empty.onnx", "");
  const jsonModel = file("model.json.onnx", json({ model: "yang", layers: 3 }));
  const withModel = (run: (onnx: string) => Promise<unknown>) => async (): Promise<unknown> => run((await exportedModel()).onnx);
  const badInput = (name: string, ...lines: unknown[]): string => file(name, jsonl(...lines));
  const brokenLine = badInput("broken-line.jsonl", goodInput, '{"input": [[1, 2], [3, 4], [5, 6]]');
  const short = badInput("short.jsonl", { input: [1, 2, 3] });
  const overflow = badInput("overflow.jsonl", '{"input": [[1, 2], [3, 1e999], [5, 6]]}');
  const nan = badInput("nan.jsonl", goodInput, '{"input": [[1, 2], [3, 4], [NaN, 6]]}');
  const label = badInput("label.jsonl", { ...goodInput, label: 5 });
  const labelArray = badInput("label-array.jsonl", { ...goodInput, label: [0, 1, 2] });
  const noInput = badInput("no-input.jsonl", { inputs: [1, 2, 3, 4, 5, 6] });
  const blank = file("blank.jsonl", "\n\n");
  return [
    { area, name: "no --onnx", run: () => predictWith("--input", input), names: ["--onnx"] },
    { area, name: "no --input", run: withModel((onnx) => predictWith("--onnx", onnx)), names: ["--input"] },
    { area, name: "--onnx a missing file", run: () => predictWith("--onnx", missing, "--input", input), names: ["--onnx", missing, "no such file"] },
    { area, name: "--onnx a directory", run: () => predictWith("--onnx", dir, "--input", input), names: ["--onnx", dir, "is a directory"] },
    { area, name: "--input a directory", run: withModel((onnx) => predictWith("--onnx", onnx, "--input", inputDir)), names: ["--input", inputDir, "is a directory"] },
    { area, name: "--input a missing file", run: withModel((onnx) => predictWith("--onnx", onnx, "--input", missingInput)), names: ["--input", missingInput, "no such file"] },
    { area, name: "random bytes as the model", run: () => predictWith("--onnx", noise, "--input", input), names: ["--onnx", noise, "not a valid ONNX model", "truncated or corrupt"] },
    { area, name: "a truncated model", run: async () => predictWith("--onnx", await modelCopy("truncated", false, (b) => b.slice(0, Math.floor(b.length / 2))), "--input", input), names: ["not a valid ONNX model", "truncated or corrupt"] },
    { area, name: "an empty model file", run: () => predictWith("--onnx", empty, "--input", input), names: ["--onnx", empty, "empty"] },
    { area, name: "a JSON file as the model", run: () => predictWith("--onnx", jsonModel, "--input", input), names: ["--onnx", jsonModel, "not a valid ONNX model"] },
    {
      area,
      name: "a bit-flipped model with its checksum file",
      run: async () => predictWith("--onnx", await modelCopy("flipped", true, (b) => ((b[Math.floor(b.length * 0.6)]! ^= 0x10), b)), "--input", input),
      names: ["model.onnx", "does not match", "model.onnx.sha256"],
    },
    { area, name: "a truncated model with its checksum file", run: async () => predictWith("--onnx", await modelCopy("cut", true, (b) => b.slice(0, b.length - 100)), "--input", input), names: ["model.onnx", "does not match", ".sha256"] },
    { area, name: "a damaged model card", run: async () => predictWith("--onnx", await modelCopy("card", false, damageCard), "--input", input), names: ["model.onnx", "unfold.trainer", "not valid JSON"] },
    { area, name: "an ONNX model the trainer did not write", run: () => predictWith("--onnx", foreignModel(), "--input", input), names: ["foreign.onnx", "not a model exported by the trainer"] },
    { area, name: "a checksum file that is not one", run: async () => {
        const onnx = await modelCopy("bad-sum", false);
        writeFileSync(`${onnx}.sha256`, "hello\n");
        return predictWith("--onnx", onnx, "--input", input);
      }, names: ["model.onnx.sha256", "not a sha256 checksum file"] },
    { area, name: "an input line that is not valid JSON", run: withModel((onnx) => predictWith("--onnx", onnx, "--input", brokenLine)), names: [brokenLine, "line 2", "not valid JSON"] },
    { area, name: "an input of the wrong length", run: withModel((onnx) => predictWith("--onnx", onnx, "--input", short)), names: [short, "line 1", '"input"', "3 values", "6"] },
    { area, name: "1e999 in an input", run: withModel((onnx) => predictWith("--onnx", onnx, "--input", overflow)), names: [overflow, "line 1", '"input[1][1]"', "not a finite number"] },
    { area, name: "NaN in an input", run: withModel((onnx) => predictWith("--onnx", onnx, "--input", nan)), names: [nan, "line 2", '"input[2][0]"', "not a finite number"] },
    { area, name: "a label outside the model's classes", run: withModel((onnx) => predictWith("--onnx", onnx, "--input", label)), names: [label, "line 1", '"label"', "[0, 2]"] },
    { area, name: "per-token labels for a one-class-per-example model", run: withModel((onnx) => predictWith("--onnx", onnx, "--input", labelArray)), names: [labelArray, "line 1", '"label"', "one integer"] },
    { area, name: "an input line without an input field", run: withModel((onnx) => predictWith("--onnx", onnx, "--input", noInput)), names: [noInput, "line 1", '"input"', "missing"] },
    { area, name: "a blank input file", run: withModel((onnx) => predictWith("--onnx", onnx, "--input", blank)), names: [blank, "no examples"] },
    { area, name: "an unknown flag", run: () => predictWith("--model", "x.onnx"), names: ["--model"] },
  ];
}

export function badInputCases(): BadInputCase[] {
  return [...configCases(), ...flagCases(), ...jsonlCases(), ...csvCases(), ...predictCases()];
}
