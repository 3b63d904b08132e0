import { Random, UnfoldError } from "@unfold/core";
import { ADDITION_VOCAB, ANSWER_POSITIONS, CONTEXT_LENGTH, OPERAND_DIGITS, encodeAddition } from "@unfold/hessian/data";
import { type StoredSplit, storedTask, IGNORE_LABEL, type TaskData } from "@unfold/training";

/**
 * The paper's 5-digit addition as next-token prediction, using @unfold/hessian's encoder
 * ("XXXXX+YYYYY=ZZZZZZ", vocabulary 0-9, '+', '='): inputs are the first 17 tokens; the target
 * at input position p is token p + 1, kept only where that is an answer digit (positions
 * 11..16) and -1 elsewhere, so the model is graded on the sum, not on predicting random operands.
 *
 * Problems are drawn uniformly from Random(seed), train first then test, and no (a, b) pair is
 * used twice, so test problems are never seen in training.
 */
export function additionTask(options: { train: number; test: number; seed: number }): TaskData {
  const { train, test, seed } = options;
  const limit = 10 ** OPERAND_DIGITS;
  if (!Number.isInteger(train) || train < 1 || !Number.isInteger(test) || test < 0) {
    throw new UnfoldError("additionTask", `need integers train >= 1 and test >= 0, got train=${train}, test=${test}`);
  }
  if (train + test > limit * limit / 2) throw new UnfoldError("additionTask", `${train + test} problems is too many distinct 5-digit additions to draw`);
  if (!Number.isSafeInteger(seed)) throw new UnfoldError("additionTask", `seed must be a safe integer, got ${seed}`);

  const random = new Random(seed);
  const used = new Set<number>();
  const draw = (count: number): StoredSplit => {
    const inputs = new Float64Array(count * CONTEXT_LENGTH);
    const targets = new Float64Array(count * CONTEXT_LENGTH).fill(IGNORE_LABEL);
    for (let k = 0; k < count; k++) {
      let a: number, b: number;
      do {
        a = random.int(0, limit - 1);
        b = random.int(0, limit - 1);
      } while (used.has(a * limit + b));
      used.add(a * limit + b);
      const sequence = encodeAddition(a, b);
      inputs.set(sequence.slice(0, CONTEXT_LENGTH), k * CONTEXT_LENGTH);
      for (const p of ANSWER_POSITIONS) targets[k * CONTEXT_LENGTH + p] = sequence[p + 1]!;
    }
    return { inputs, targets, count };
  };
  const trainSplit = draw(train);
  const testSplit = draw(test);
  return storedTask({
    name: "addition",
    input: { kind: "ids", tokens: CONTEXT_LENGTH, vocab: ADDITION_VOCAB.length },
    target: { kind: "tokens", classes: ADDITION_VOCAB.length },
    labels: ADDITION_VOCAB,
    nextToken: true,
    train: trainSplit,
    test: testSplit,
  });
}
