import { Random, UnfoldError } from "@unfold/core";

/**
 * The task the paper measured curvature on: 5-digit addition as next-token prediction. A
 * sequence is "XXXXX+YYYYY=ZZZZZZ" (operands and the 6-digit sum zero-padded, most significant
 * digit first), 18 tokens over a vocabulary of 12: the digits 0-9, '+' and '='.
 */
export const ADDITION_VOCAB = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "+", "="] as const;
/** The token of "+" (digits are tokens 0 to 9). */
export const PLUS_TOKEN = 10;
/** The token of "=". */
export const EQUALS_TOKEN = 11;
/** Digits of each operand. */
export const OPERAND_DIGITS = 5;
/** Digits of the answer (one more than an operand, for the carry). */
export const ANSWER_DIGITS = 6;
/** Tokens of a full problem "XXXXX+YYYYY=ZZZZZZ". */
export const SEQUENCE_LENGTH = 2 * OPERAND_DIGITS + 2 + ANSWER_DIGITS;
/** Model inputs are the first 17 tokens; input position p predicts token p + 1. */
export const CONTEXT_LENGTH = SEQUENCE_LENGTH - 1;
/** The input positions whose next token is an answer digit: 11..16 (the loss is on these only). */
export const ANSWER_POSITIONS: readonly number[] = Array.from({ length: ANSWER_DIGITS }, (_, k) => SEQUENCE_LENGTH - ANSWER_DIGITS - 1 + k);

function digits(value: number, count: number): number[] {
  return [...String(value).padStart(count, "0")].map(Number);
}

/** The 18 tokens of a + b. */
export function encodeAddition(a: number, b: number): number[] {
  const limit = 10 ** OPERAND_DIGITS;
  for (const [name, v] of [["a", a], ["b", b]] as const) {
    if (!Number.isInteger(v) || v < 0 || v >= limit) throw new UnfoldError("encodeAddition", `operand ${name} must be an integer in [0, ${limit - 1}], got ${v}`);
  }
  return [...digits(a, OPERAND_DIGITS), PLUS_TOKEN, ...digits(b, OPERAND_DIGITS), EQUALS_TOKEN, ...digits(a + b, ANSWER_DIGITS)];
}

/** Tokens back to text, e.g. "01234+56789=058023". */
export function decodeAddition(tokens: ArrayLike<number>): string {
  return Array.from(tokens, (t) => {
    const s = ADDITION_VOCAB[t];
    if (s === undefined) throw new UnfoldError("decodeAddition", `token ${t} is outside the vocabulary of ${ADDITION_VOCAB.length}`);
    return s;
  }).join("");
}

/** A batch of addition problems as token sequences, model inputs and answer targets. */
export interface AdditionBatch {
  readonly count: number;
  /** [count, 18] full sequences. */
  readonly sequences: Int32Array;
  /** [count, 17] model inputs (the sequence without its last token). */
  readonly inputs: Int32Array;
  /** [count, 6] the answer digits: the targets at ANSWER_POSITIONS. */
  readonly targets: Int32Array;
}

/** `count` uniformly random problems, the same for the same seed. */
export function additionBatch(options: { readonly count: number; readonly seed: number }): AdditionBatch {
  const { count, seed } = options;
  if (!Number.isInteger(count) || count < 1) throw new UnfoldError("additionBatch", `count must be an integer >= 1, got ${count}`);
  const rng = new Random(seed);
  const limit = 10 ** OPERAND_DIGITS - 1;
  const sequences = new Int32Array(count * SEQUENCE_LENGTH);
  const inputs = new Int32Array(count * CONTEXT_LENGTH);
  const targets = new Int32Array(count * ANSWER_DIGITS);
  for (let k = 0; k < count; k++) {
    const seq = encodeAddition(rng.int(0, limit), rng.int(0, limit));
    sequences.set(seq, k * SEQUENCE_LENGTH);
    inputs.set(seq.slice(0, CONTEXT_LENGTH), k * CONTEXT_LENGTH);
    targets.set(seq.slice(SEQUENCE_LENGTH - ANSWER_DIGITS), k * ANSWER_DIGITS);
  }
  return { count, sequences, inputs, targets };
}
