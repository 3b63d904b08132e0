import { DataFileError } from "./file-error.js";

/** The labels of one split of a user's file, and where each example came from. */
export interface LabelledSplit {
  readonly file: string;
  /** [count] class labels or [count, tokens] per-token labels (-1 = no loss). */
  readonly targets: Float64Array;
  readonly lines: Int32Array;
  readonly labelKind: "class" | "tokens";
  /** `field "label"` or `column "label"`. */
  readonly labelField: string;
  /** For a test split cut from the end of the training file: the share held out, for the hint about sorted files. */
  readonly heldOutShare?: number;
}

/**
 * The largest class count a file may imply without --classes, relative to the labels it uses:
 * a head with more than twice as many classes as labels seen is mostly classes no example has,
 * which is what a stray label (1000 among 0..2) produces.
 */
export const UNUSED_CLASS_LIMIT = 2;

/**
 * The class count of a user's file task, decided once and explicitly:
 *
 * - With `classes` (--classes N / task.classes) the classes are 0..N-1; the parsers have
 *   already refused any label outside them, in either file.
 * - Without it, the class set is the labels the training examples use, and the head has
 *   (largest label + 1) classes. Labels that are not exactly 0..N-1 get a warning saying what was
 *   seen and the class count; a head with more than UNUSED_CLASS_LIMIT times as many classes as
 *   labels seen is refused (pass --classes to accept it). A test label the training examples
 *   never use is refused, naming its file and line.
 * - Either way, training examples must use at least two labels: one class trains to a loss of 0
 *   and predicts nothing.
 */
export function decideClasses(train: LabelledSplit, test: LabelledSplit | undefined, classes: number | undefined, warn: (message: string) => void): number {
  const seen = distinctLabels(train.targets);
  const trainPart = train.heldOutShare === undefined ? "the training examples" : `the training examples (the first ${percent(1 - train.heldOutShare)} of the file)`;
  if (seen.length === 0) throw new DataFileError(train.file, undefined, `every label of ${trainPart} is -1, so there is nothing to learn`);
  if (seen.length === 1) {
    throw new DataFileError(train.file, undefined, `${trainPart} use only label ${seen[0]}: a classifier needs examples of at least two classes`);
  }
  if (classes !== undefined) return classes;

  const largest = seen.at(-1)!;
  const implied = largest + 1;
  if (implied > UNUSED_CLASS_LIMIT * seen.length) {
    const at = train.targets.indexOf(largest);
    throw new DataFileError(
      train.file,
      train.lines[exampleOf(train, at)]!,
      `${fieldAt(train, at)} is ${largest}, but the labels are ${describeLabels(seen)} (${seen.length} distinct): the head would have ${implied} classes, ` +
        `${implied - seen.length} of them with no example; renumber the labels 0..${seen.length - 1}, or pass --classes N (task.classes) to train ${implied} or more classes`,
    );
  }
  if (implied !== seen.length) {
    warn(
      `${train.file}: the labels are ${describeLabels(seen)}, not 0..${seen.length - 1}: the head will have ${implied} classes, ` +
        `${implied - seen.length} of them (${describeLabels(missingLabels(seen, implied))}) with no example; pass --classes N to set the class count`,
    );
  }
  if (test) refuseUnseen(test, train, seen);
  return implied;
}

/** A test label the training examples never use: refused, naming the test file and line. */
function refuseUnseen(test: LabelledSplit, train: LabelledSplit, seen: readonly number[]): void {
  const known = new Set(seen);
  const never = test.file === train.file ? "the training examples never use (they use" : `the training file ${train.file} never uses (it uses`;
  for (let i = 0; i < test.targets.length; i++) {
    const label = test.targets[i]!;
    if (label < 0 || known.has(label)) continue;
    const example = exampleOf(test, i);
    const field = fieldAt(test, i);
    const sorted = test.heldOutShare === undefined ? "" : `; the test split is the last ${percent(test.heldOutShare)} of the file: if it is sorted by label, shuffle it`;
    throw new DataFileError(
      test.file,
      test.lines[example]!,
      `${field} is ${label}, a label ${never} ${describeLabels(seen)})${sorted}; or pass --classes N to allow labels training lacks`,
    );
  }
}

function exampleOf(split: LabelledSplit, targetIndex: number): number {
  return Math.floor(targetIndex / (split.targets.length / split.lines.length));
}

/** How an error names the label at `targetIndex`: `field "label"`, or `field "label[3]"` for per-token labels. */
function fieldAt(split: LabelledSplit, targetIndex: number): string {
  if (split.labelKind !== "tokens") return split.labelField;
  const perExample = split.targets.length / split.lines.length;
  // labelField ends in the closing quote: the index goes inside it.
  return `${split.labelField.slice(0, -1)}[${targetIndex % perExample}]"`;
}

/** The distinct labels >= 0 (not the -1 of "no loss"), ascending. */
function distinctLabels(targets: Float64Array): number[] {
  const set = new Set<number>();
  for (const t of targets) if (t >= 0) set.add(t);
  return [...set].sort((a, b) => a - b);
}

function missingLabels(seen: readonly number[], classes: number): number[] {
  const known = new Set(seen);
  return Array.from({ length: classes }, (_, c) => c).filter((c) => !known.has(c));
}

const percent = (share: number): string => `${Math.round(share * 100)}%`;

/** Sorted labels as runs: "0-4, 7, 1000"; long lists end in "... (N labels)". */
export function describeLabels(labels: readonly number[]): string {
  const runs: string[] = [];
  for (let i = 0; i < labels.length; ) {
    let j = i;
    while (j + 1 < labels.length && labels[j + 1] === labels[j]! + 1) j++;
    runs.push(j === i ? `${labels[i]}` : j === i + 1 ? `${labels[i]}, ${labels[j]}` : `${labels[i]}-${labels[j]}`);
    i = j + 1;
  }
  return runs.length <= 6 ? runs.join(", ") : `${runs.slice(0, 5).join(", ")}, ... (${labels.length} labels)`;
}
