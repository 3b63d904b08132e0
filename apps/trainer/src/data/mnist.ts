import { Random, UnfoldError } from "@unfold/core";
import { MNIST_CLASSES, MNIST_SIDE, mnistSplit, patchTokens, rowTokens } from "@unfold/datasets";
import { checkIndices, mixSeed, type TaskData } from "@unfold/training";
import { shiftImage } from "./shift.js";

export interface MnistTaskOptions {
  /** "patches": one token per patch x patch square; "rows": one token per pixel row (28 x 28). */
  readonly tokens: "patches" | "rows";
  /** Patch side, a divisor of 28; default 7 (16 tokens of 49 pixels). */
  readonly patch?: number;
  /** Split sizes, from @unfold/datasets' fixed split (8,000 / 2,000 by default). */
  readonly train?: number;
  readonly test?: number;
  /** Random translation by up to `shift` pixels each way, zero fill; only applied when batch() gets augment. */
  readonly augment?: { readonly shift: number };
}

/**
 * MNIST digit classification from the bundled digits. Images are kept and tokenized per batch
 * (not tokenized once up front) because augmentation must move pixels before they are cut into
 * tokens.
 */
export function mnistTask(options: MnistTaskOptions): TaskData {
  const patch = options.patch ?? 7;
  if (options.tokens !== "patches" && options.tokens !== "rows") {
    throw new UnfoldError("mnistTask", `tokens must be "patches" or "rows", got ${JSON.stringify(options.tokens)}`);
  }
  if (options.tokens === "patches" && (!Number.isInteger(patch) || patch < 1 || MNIST_SIDE % patch !== 0)) {
    throw new UnfoldError("mnistTask", `patch must be a divisor of ${MNIST_SIDE} (1, 2, 4, 7, 14, 28), got ${patch}`);
  }
  const shift = options.augment?.shift ?? 0;
  if (!Number.isInteger(shift) || shift < 0 || shift >= MNIST_SIDE) {
    throw new UnfoldError("mnistTask", `augment.shift must be an integer in [0, ${MNIST_SIDE - 1}], got ${shift}`);
  }
  let split: ReturnType<typeof mnistSplit>;
  try {
    split = mnistSplit({ ...(options.train === undefined ? {} : { train: options.train }), ...(options.test === undefined ? {} : { test: options.test }) });
  } catch (error) {
    throw new UnfoldError("mnistTask", (error as Error).message);
  }

  const side = MNIST_SIDE;
  const pixels = side * side;
  const rows = options.tokens === "rows";
  const tokens = rows ? side : (side / patch) ** 2;
  const features = rows ? side : patch * patch;

  return {
    name: "mnist",
    input: { kind: "features", tokens, features },
    target: { kind: "class", classes: MNIST_CLASSES },
    trainCount: split.train.count,
    testCount: split.test.count,
    labels: Array.from({ length: MNIST_CLASSES }, (_, d) => String(d)),
    batch(which, indices, augment) {
      const set = which === "test" ? split.test : split.train;
      checkIndices("mnist", which, indices, set.count);
      const count = indices.length;
      const images = new Float64Array(count * pixels);
      const targets = new Float64Array(count);
      for (let k = 0; k < count; k++) {
        const source = set.images.subarray(indices[k]! * pixels, (indices[k]! + 1) * pixels);
        const target = images.subarray(k * pixels, (k + 1) * pixels);
        if (augment && shift > 0) {
          // Keyed by batch position, not example index: the caller picks augment.seed per step,
          // so the same digit is shifted differently each time it comes round.
          const random = new Random(mixSeed(augment.seed, k));
          shiftImage(source, target, side, random.int(-shift, shift), random.int(-shift, shift));
        } else {
          target.set(source);
        }
        targets[k] = set.labels[indices[k]!]!;
      }
      const inputs = rows ? rowTokens(images, count, side).tokens : patchTokens(images, count, side, patch).tokens;
      return { inputs, targets, count };
    },
  };
}
