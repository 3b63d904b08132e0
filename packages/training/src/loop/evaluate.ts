import type { Executable, Feeds } from "@unfold/core";
import { hostTensor } from "@unfold/core";
import { type TaskData, inputShape } from "../task/task.js";
import { INPUT, LOGITS } from "./programs.js";
import { stopPoint } from "./stop.js";

/** A model's score on a set of examples. */
export interface Evaluation {
  readonly accuracy: number;
  /** Mean cross-entropy over the labelled positions. */
  readonly loss: number;
  readonly correct: number;
  readonly labelled: number;
  /** Arg-max class per example (class targets) or per position (token targets). */
  readonly predictions: Int32Array;
}

/**
 * Runs the logits program over `indices` of a split in batches of its compiled size (the last
 * batch padded with copies of its first example, whose outputs are dropped) and scores it on the
 * host: accuracy and cross-entropy over the labelled targets (-1 marks an unlabelled position).
 * With a `signal`, it yields to the event loop between batches and throws StopRequested once the
 * signal is aborted, so a Ctrl-C during a long evaluation is not held up by the whole split.
 */
export async function evaluate(
  executable: Executable,
  params: Feeds,
  task: TaskData,
  split: "train" | "test",
  indices: ArrayLike<number>,
  batch: number,
  signal?: AbortSignal,
): Promise<Evaluation> {
  const classes = task.target.classes;
  const inputDType = executable.program.feeds.find((f) => f.name === INPUT)!.dtype;
  const perExample = task.target.kind === "class" ? 1 : task.input.tokens;
  const predictions = new Int32Array(indices.length * perExample);
  let correct = 0;
  let labelled = 0;
  let lossSum = 0;
  for (let start = 0; start < indices.length; start += batch) {
    if (start > 0) await stopPoint(signal);
    const count = Math.min(batch, indices.length - start);
    const chunk = Int32Array.from({ length: batch }, (_, k) => Number(indices[start + (k < count ? k : 0)]));
    const data = task.batch(split, chunk);
    const outs = await executable.run({ ...params, [INPUT]: hostTensor(data.inputs, inputShape(task, batch), inputDType) });
    const logits = (await outs[LOGITS]!.read()).data;
    for (const t of Object.values(outs)) t.dispose();
    for (let row = 0; row < count * perExample; row++) {
      const offset = row * classes;
      let best = 0;
      let max = -Infinity;
      for (let c = 0; c < classes; c++) if (logits[offset + c]! > max) [max, best] = [logits[offset + c]!, c];
      predictions[start * perExample + row] = best;
      const label = data.targets[row]!;
      if (label < 0) continue;
      labelled++;
      if (best === label) correct++;
      let sum = 0;
      for (let c = 0; c < classes; c++) sum += Math.exp(logits[offset + c]! - max);
      lossSum += max + Math.log(sum) - logits[offset + label]!;
    }
  }
  return { accuracy: labelled ? correct / labelled : 0, loss: labelled ? lossSum / labelled : 0, correct, labelled, predictions };
}
