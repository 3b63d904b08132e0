import { UnfoldError } from "@unfold/core";
import { checkIndices, gatherRows } from "./indices.js";
import { type InputKind, type TargetKind, type TaskData, inputSize, targetSize } from "./task.js";

/** One split held in memory: [count, ...input] inputs and [count, ...target] targets. */
export interface StoredSplit {
  readonly inputs: Float64Array;
  readonly targets: Float64Array;
  readonly count: number;
}

/**
 * A task whose examples are all generated or read up front (the synthetic tasks, a user's file):
 * a batch is a copy of the requested rows. These tasks have no augmentation, so `augment` is
 * accepted and ignored.
 */
export function storedTask(spec: {
  readonly name: string;
  readonly input: InputKind;
  readonly target: TargetKind;
  readonly labels?: readonly string[];
  readonly nextToken?: boolean;
  readonly train: StoredSplit;
  readonly test: StoredSplit;
}): TaskData {
  const inSize = inputSize(spec.input);
  const outSize = targetSize(spec.target, spec.input);
  for (const split of ["train", "test"] as const) {
    const s = spec[split];
    if (s.inputs.length !== s.count * inSize || s.targets.length !== s.count * outSize) {
      throw new UnfoldError(spec.name, `${split} split holds ${s.inputs.length} inputs and ${s.targets.length} targets, expected ${s.count} x ${inSize} and ${s.count} x ${outSize}`);
    }
  }
  return {
    name: spec.name,
    input: spec.input,
    target: spec.target,
    trainCount: spec.train.count,
    testCount: spec.test.count,
    ...(spec.labels ? { labels: spec.labels } : {}),
    ...(spec.nextToken ? { nextToken: true } : {}),
    batch(split, indices) {
      const s = split === "test" ? spec.test : spec.train;
      checkIndices(spec.name, split, indices, s.count);
      return { inputs: gatherRows(s.inputs, inSize, indices), targets: gatherRows(s.targets, outSize, indices), count: indices.length };
    },
  };
}
