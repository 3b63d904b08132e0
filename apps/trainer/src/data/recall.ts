import { Random, UnfoldError } from "@unfold/core";
import { type StoredSplit, storedTask, IGNORE_LABEL, type TaskData } from "@unfold/training";

export interface RecallTaskOptions {
  readonly train: number;
  readonly test: number;
  /** Key-value pairs per sequence; keys within a sequence are distinct, so pairs <= keys. */
  readonly pairs: number;
  readonly keys: number;
  readonly values: number;
  readonly seed: number;
}

/**
 * Associative recall: `pairs` key-value pairs, then a query key; the model must output the value
 * paired with it. It is the classic test that attention can look a token up by content.
 *
 * Vocabulary layout (vocab = keys + values): ids 0..keys-1 are keys (labels "k0", "k1", ...),
 * ids keys..keys+values-1 are values ("v0", "v1", ...). A sequence is
 *   k_1 v_1 k_2 v_2 ... k_pairs v_pairs q        (2 * pairs + 1 tokens)
 * with distinct k_i, values drawn independently (they may repeat), and q one of the k_i. The
 * target is the value's id at the last position and -1 everywhere else; classes = vocab so the
 * output head can share the input vocabulary.
 *
 * Train then test sequences come from one Random(seed). They are not deduplicated: for small
 * keys/values/pairs the space of sequences is small and overlap is unavoidable.
 */
export function recallTask(options: RecallTaskOptions): TaskData {
  const { train, test, pairs, keys, values, seed } = options;
  const ints = { train, test, pairs, keys, values };
  for (const [name, v] of Object.entries(ints)) {
    const least = name === "test" ? 0 : 1;
    if (!Number.isInteger(v) || v < least) throw new UnfoldError("recallTask", `${name} must be an integer >= ${least}, got ${v}`);
  }
  if (pairs > keys) throw new UnfoldError("recallTask", `${pairs} pairs need at least ${pairs} distinct keys, got keys=${keys}`);
  if (!Number.isSafeInteger(seed)) throw new UnfoldError("recallTask", `seed must be a safe integer, got ${seed}`);

  const tokens = 2 * pairs + 1;
  const vocab = keys + values;
  const random = new Random(seed);
  const keyPool = Int32Array.from({ length: keys }, (_, i) => i);
  const draw = (count: number): StoredSplit => {
    const inputs = new Float64Array(count * tokens);
    const targets = new Float64Array(count * tokens).fill(IGNORE_LABEL);
    for (let n = 0; n < count; n++) {
      const row = n * tokens;
      // Partial Fisher-Yates: the first `pairs` entries of keyPool become distinct random keys.
      for (let i = 0; i < pairs; i++) {
        const j = random.int(i, keys - 1);
        const t = keyPool[i]!;
        keyPool[i] = keyPool[j]!;
        keyPool[j] = t;
        inputs[row + 2 * i] = keyPool[i]!;
        inputs[row + 2 * i + 1] = keys + random.int(0, values - 1);
      }
      const asked = random.int(0, pairs - 1);
      inputs[row + tokens - 1] = inputs[row + 2 * asked]!;
      targets[row + tokens - 1] = inputs[row + 2 * asked + 1]!;
    }
    return { inputs, targets, count };
  };
  const trainSplit = draw(train);
  const testSplit = draw(test);
  return storedTask({
    name: "recall",
    input: { kind: "ids", tokens, vocab },
    target: { kind: "tokens", classes: vocab },
    labels: [...Array.from({ length: keys }, (_, i) => `k${i}`), ...Array.from({ length: values }, (_, i) => `v${i}`)],
    train: trainSplit,
    test: testSplit,
  });
}
